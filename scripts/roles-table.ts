/**
 * Writes `docs/roles.md`: who may make each call (facade method and HTTP route) and take each
 * workflow step, made from the module declarations (`Qms.modules`) and the default roles they
 * resolve to (`Policy`), so the page cannot drift from what the QMS enforces.
 * Run: `pnpm docs:roles` (writes), `pnpm docs:roles --check` (exits 1 when the page differs).
 */
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Actor, Policy } from "@airworthy/core"
import { Qms, QmsModule } from "@airworthy/qms"
import type { RecordType } from "@airworthy/records"

/** Where the page lives. */
export const page = fileURLToPath(new URL("../docs/roles.md", import.meta.url))

/** What an actor needs besides a grant: one relation of each set, to the record (`owner`). */
type Verdict = false | ReadonlyArray<ReadonlyArray<string>>

const yes: Verdict = []

const both = (a: Verdict, b: Verdict): Verdict => {
  if (a === false || b === false) return false
  const sets = [...a, ...b].map((s) => [...s].sort())
  return sets.filter((s, i) => sets.findIndex((t) => t.join() === s.join()) === i)
}

/** The calls that are not declared operations: the adapter's own routes and their facade methods. */
interface Call {
  readonly facade: string
  readonly http: string
  readonly access: QmsModule.Access
  /** The record types it can act on (empty: it names no record). */
  readonly types: ReadonlyArray<RecordType.Any>
}

const callsOf = (modules: ReadonlyArray<QmsModule.Any>): ReadonlyArray<Call> => {
  const every = modules.flatMap((m) => m.recordTypes)
  const calls = modules.flatMap((m) =>
    (m.operations as ReadonlyArray<QmsModule.AnyOperation>).map(
      (op): Call => ({
        facade: `qms.${m.name}.${op.name}`,
        http: `${op.http.method.toUpperCase()} ${op.http.path}`,
        access: op.access,
        // A domain's operation acts on its own record types; the generic ones on any.
        types: m.recordTypes.length > 0 ? m.recordTypes : every
      })
    )
  )
  const evidenceRoutes = modules.flatMap((m) =>
    m.evidence.flatMap((p) =>
      p.path === undefined
        ? []
        : [
            {
              facade: `qms.evidence.exportPack(id, { recordType: "${p.recordType}" })`,
              http: `GET ${p.path}`,
              access: QmsModule.permission("evidence.export"),
              types: every.filter((t) => t.name === p.recordType)
            }
          ]
    )
  )
  return [
    ...calls,
    {
      facade: "qms.content.upload",
      http: "POST /records/:id/attachments/content",
      access: QmsModule.recordPermission("attach"),
      types: every
    },
    {
      facade: "qms.content.download",
      http: "GET /records/:id/attachments/:attachmentId/content",
      access: QmsModule.recordPermission("read"),
      types: every
    },
    {
      facade: "qms.evidence.exportPack",
      http: "GET /records/:id/evidence-pack",
      access: QmsModule.permission("evidence.export"),
      types: every
    },
    {
      facade: "qms.evidence.exportPack(id, { store: true })",
      http: "POST /records/:id/evidence-pack",
      access: QmsModule.permission("evidence.export"),
      types: every
    },
    ...evidenceRoutes,
    // Server-Sent Events: the tenant's audit events, HTTP only (`packages/hono/src/internal/events.ts`).
    { facade: "(HTTP only)", http: "GET /events", access: QmsModule.permission("record.read"), types: [] }
  ]
}

/** Renders every table of the page from the modules and the roles they resolve to. */
export const rolesDocument = (
  modules: ReadonlyArray<QmsModule.Any> = Qms.modules,
  host: Policy.Config = {}
): string => {
  const rules = Policy.make(QmsModule.policyConfig(modules, host))
  const roles = Object.keys(rules.roles)
  const actorOf = (role: string) =>
    Actor.make({ tenantId: "t", actorId: "a", displayName: role, roles: [role], traceId: "roles-table" })
  const actors = new Map(roles.map((r) => [r, actorOf(r)]))

  /** Granted everywhere, only under some relations, or not at all. */
  const grant = (actor: Actor.Actor, permission: string): Verdict => {
    if (rules.can(actor, permission)) return yes
    const only = rules.onlyOn(actor, permission)
    return only.length === 0 ? false : [only]
  }
  // What the records runtime checks before any action on a record: its read permission.
  const read = (actor: Actor.Actor, type: RecordType.Any): Verdict =>
    rules.can(actor, "record.read") ? yes : grant(actor, type.permissions.read)

  const verdict = (actor: Actor.Actor, access: QmsModule.Access, type: RecordType.Any | undefined): Verdict => {
    switch (access._tag) {
      case "actor":
        return yes
      case "transition":
        return false // shown per step
      case "permission":
        // Without `on`, a grant limited to a relation does not count (checked before the record is read).
        if (access.on === undefined || type === undefined) return rules.can(actor, access.permission) ? yes : false
        return both(grant(actor, access.permission), read(actor, type))
      case "record":
        if (type === undefined) return yes
        if (access.action === "create") return rules.can(actor, type.permissions.create) ? yes : false
        if (access.action === "read") return read(actor, type)
        return both(read(actor, type), grant(actor, type.permissions[access.action]))
    }
  }

  const cell = (v: Verdict): string =>
    v === false ? "–" : v.length === 0 ? "✓" : `${v.map((s) => s.join(" or ")).join(" and ")} only`

  const permissionOf = (access: QmsModule.Access, types: ReadonlyArray<RecordType.Any>): string => {
    switch (access._tag) {
      case "actor":
        return "any actor"
      case "transition":
        return "the transition's (below)"
      case "permission":
        return `\`${access.permission}\`${access.on === undefined ? "" : " on the record"}`
      case "record": {
        const names = [...new Set(types.map((t) => t.permissions[access.action]))]
        const extra = access.action === "read" ? " or `record.read`" : ""
        return names.length === 1 ? `\`${names[0]}\`${extra}` : `\`<type>.${access.action}\`${extra}`
      }
    }
  }

  const header = (first: ReadonlyArray<string>) =>
    [
      `| ${[...first, ...roles.map((r) => `\`${r}\``)].join(" | ")} |`,
      `| ${[...first, ...roles].map(() => "---").join(" | ")} |`
    ].join("\n")

  // One row per call; a call on records of several types whose answers differ by type gets one row per type.
  const callRows = callsOf(modules).flatMap((call) => {
    const needsType =
      call.access._tag === "record" || (call.access._tag === "permission" && call.access.on !== undefined)
    const byType = needsType ? call.types.map((t) => [t] as const) : [[undefined] as const]
    const rendered = byType.map(([type]) =>
      roles.map((r) =>
        call.access._tag === "transition" ? "per step" : cell(verdict(actors.get(r) as Actor.Actor, call.access, type))
      )
    )
    const same = rendered.every((cells) => cells.join() === rendered[0]?.join())
    const row = (cells: ReadonlyArray<string>, permission: string, on?: string) =>
      `| ${call.facade.startsWith("qms.") ? `\`${call.facade}\`` : call.facade}${on === undefined ? "" : ` (\`${on}\`)`} | \`${call.http}\` | ${permission} | ${cells.join(" | ")} |`
    if (same) return [row(rendered[0] ?? [], permissionOf(call.access, call.types))]
    return byType.map(([type], i) =>
      row(rendered[i] ?? [], permissionOf(call.access, [type as RecordType.Any]), type?.name)
    )
  })

  const stepRows = modules.flatMap((m) =>
    m.recordTypes.flatMap((type) =>
      type.workflow.transitions.map((t) => {
        const cells = roles.map((r) => {
          const actor = actors.get(r) as Actor.Actor
          return cell(both(read(actor, type), grant(actor, t.permission)))
        })
        return `| \`${type.name}\` | \`${t.name}\` | ${t.from.map((s) => `\`${s}\``).join(", ")} → \`${t.to}\` | \`${t.permission}\` | ${cells.join(" | ")} |`
      })
    )
  )

  const grants = roles.map((r) => {
    const role = rules.roles[r] as Policy.Role
    const denies = role.denies.length === 0 ? "" : `; never ${role.denies.map((d) => `\`${d}\``).join(", ")}`
    return `| \`${r}\` | ${role.grants.map((g) => `\`${g}\``).join(", ")}${denies} |`
  })

  return [
    "# Roles: who may call what",
    "",
    "<!-- Generated by `pnpm docs:roles` from the module declarations (`Qms.modules`) and the default",
    "     roles (`Policy`); a test fails when this page differs from what they give. Do not edit by hand. -->",
    "",
    "What each default role may do, call by call, as the QMS enforces it. Every facade method (`createQms()`)",
    "and its HTTP route (`qmsRoutes()`, paths relative to where the host mounts them) run the same",
    "authorisation, so one row answers for both.",
    "",
    "- **✓**: on every record of the actor's tenant.",
    "- **owner only** (or **creator only**): the grant is limited to a relation (`capa.update@owner`), so it",
    "  counts only on records the actor owns (or created); on any other record the call answers 403",
    "  `forbidden`.",
    "- **–**: refused with 403 `forbidden` and `missing_permission`, before anything is read.",
    "",
    "Actions on a record also need its read permission (`<type>.read` or `record.read`); the cells",
    "include it. A permission is only the first check: a step's guards (evidence attached, independence,",
    "...) may still refuse it with 422 `guards_failed`. A host changes roles with `policy` (`createQms({ policy })`, `Qms.layer({ policy })`):",
    "grants, new roles and revocations, applied after the modules' grants. This page shows the defaults.",
    "",
    "## Calls",
    "",
    header(["facade", "HTTP", "permission"]),
    ...callRows,
    "",
    "`GET /events` streams the audit events of the actor's tenant as Server-Sent Events. `GET /health`,",
    "`GET /ready` and `GET /openapi.json` need no actor.",
    "",
    "## Workflow steps",
    "",
    "`qms.records.transition` (`POST /records/:id/transitions/:transition`) takes a step with that step's",
    "permission; the one-click actions (`qms.findings.close`, ...) take the same steps.",
    "",
    header(["record type", "step", "from → to", "permission"]),
    ...stepRows,
    "",
    "## Grants",
    "",
    "What each role holds: the generic grants of `Policy.defaultRoles`, then each module's.",
    "",
    "| role | grants |",
    "| --- | --- |",
    ...grants,
    ""
  ].join("\n")
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const want = rolesDocument()
  if (process.argv.includes("--check")) {
    const have = readFileSync(page, "utf8")
    if (have !== want) {
      console.error(`${page} differs from what the module declarations give: run pnpm docs:roles`)
      process.exit(1)
    }
    console.log(`${page} is up to date`)
  } else {
    writeFileSync(page, want)
    console.log(`wrote ${page}`)
  }
}
