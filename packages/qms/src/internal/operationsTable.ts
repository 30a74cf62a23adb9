// The README's table of every operation, made from the module list so the user guide cannot drift.
import type * as QmsModule from "../QmsModule.js"

const access = (a: QmsModule.Access): string => {
  switch (a._tag) {
    case "permission":
      return `\`${a.permission}\`${a.on === undefined ? "" : " on the record"}`
    case "record":
      return `the record type's \`${a.action}\` permission`
    case "transition":
      return "the transition's permission"
    case "actor":
      return "any actor (only what they may see)"
  }
}

/** One Markdown table row per operation: facade method, HTTP call, who may call it, what it does. */
export const operationsTable = (modules: ReadonlyArray<QmsModule.Any>): string => {
  const rows = modules.flatMap((m) =>
    m.operations.map(
      (op: QmsModule.AnyOperation) =>
        `| \`qms.${m.name}.${op.name}\` | \`${op.http.method.toUpperCase()} ${op.http.path}\` | ${access(op.access)} | ${op.summary.replace(/\|/g, "\\|")} |`
    )
  )
  return [
    "| facade | HTTP (under the mount point) | who may call it | what it does |",
    "| --- | --- | --- | --- |",
    ...rows
  ].join("\n")
}

/** One Markdown table row per role: the generic grants of the kernel, then each module's. */
export const rolesTable = (
  modules: ReadonlyArray<QmsModule.Any>,
  generic: { readonly [role: string]: ReadonlyArray<string> }
): string => {
  const roles = [...new Set([...Object.keys(generic), ...modules.flatMap((m) => Object.keys(m.grants))])]
  const rows = roles.map((role) => {
    const parts = [...(generic[role] ?? []), ...modules.flatMap((m) => m.grants[role] ?? [])].map((p) => `\`${p}\``)
    return `| \`${role}\` | ${[...new Set(parts)].join(", ")} |`
  })
  return [
    "| role | grants (generic ones from `Policy.defaultRoles`, then each module's) |",
    "| --- | --- |",
    ...rows
  ].join("\n")
}
