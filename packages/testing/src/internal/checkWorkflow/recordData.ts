// Record data as JSON: data paths, the canonical form, and which paths two values differ at.
import type { Guard } from "@airworthy/core"
import { unique } from "./lists.js"

export const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

export const fieldPath = (field: Guard.Field): string => (typeof field === "string" ? field : field.path)

/** A dotted path of named members only (no list indexes): one an update can set by a merge patch. */
export const plainPath = (p: string) => p.split(".").every((s) => s.length > 0 && !/^[0-9]+$/.test(s))

/** The merge patch that sets `value` at a dotted path. */
export const nest = (path: string, value: unknown): Record<string, unknown> => {
  const segments = path.split(".")
  let out: unknown = value
  for (let i = segments.length - 1; i >= 0; i--) out = { [segments[i]!]: out }
  return out as Record<string, unknown>
}

export const canonical = (u: unknown): unknown =>
  Array.isArray(u)
    ? u.map(canonical)
    : isObject(u)
      ? Object.fromEntries(
          Object.keys(u)
            .sort()
            .map((k) => [k, canonical(u[k])])
        )
      : u

export const jsonEquals = (a: unknown, b: unknown): boolean =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))

/** Changed data paths: objects are walked (a missing side counts as `{}`), anything else compared whole. */
export const changedPaths = (a: unknown, b: unknown, path = ""): Array<string> => {
  const aObj = isObject(a) || (isObject(b) && a === undefined)
  const bObj = isObject(b) || (isObject(a) && b === undefined)
  // Below the root, a member added or removed as an empty object is itself the change.
  const emptyMember = (o: unknown) =>
    path !== "" && (a === undefined || b === undefined) && isObject(o) && Object.keys(o).length === 0
  if (aObj && bObj && !emptyMember(a === undefined ? b : a)) {
    const ao = isObject(a) ? a : {}
    const bo = isObject(b) ? b : {}
    return unique([...Object.keys(ao), ...Object.keys(bo)])
      .sort()
      .flatMap((k) => changedPaths(ao[k], bo[k], path === "" ? k : `${path}.${k}`))
  }
  return jsonEquals(a, b) ? [] : [path]
}
