// What the sub-app answers for a path or method it does not serve: a problem+json 404, or a 405
// listing the methods the path takes. Registered last as a catch-all, so it also answers when the
// sub-app is mounted inside a host's app (whose own not-found handler would otherwise answer).

/** The methods each route path answers to, matched against a request path. */
export const methodsByPath = (
  routes: ReadonlyArray<{ readonly method: string; readonly path: string }>
): ((path: string) => ReadonlyArray<string>) => {
  const table = new Map<string, { pattern: RegExp; methods: Set<string> }>()
  for (const r of routes) {
    const source = `^${r.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z_]+/g, "[^/]+")}/?$`
    const entry = table.get(source) ?? { pattern: new RegExp(source), methods: new Set<string>() }
    entry.methods.add(r.method.toUpperCase())
    table.set(source, entry)
  }
  const entries = [...table.values()]
  return (path) => {
    const methods = new Set<string>()
    for (const e of entries) if (e.pattern.test(path)) for (const m of e.methods) methods.add(m)
    if (methods.has("GET")) methods.add("HEAD")
    return [...methods].sort()
  }
}

/** A client-supplied text shortened for echoing in an error (a path, an id). */
export const shorten = (text: string, max = 120): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)
