/**
 * `checkWorkflow`: a model-based property test of any workflow definition (the built-in ones or a
 * host's own) on a real database, through the records runtime.
 *
 * Each run is a random sequence of commands on a fresh tenant: create, update (editable and
 * non-editable fields, valid and invalid data), assign, every transition with and without its
 * requirements (reason, signature meaning, evidence, verification by the owner or by someone else,
 * approvals, linked records in the right or wrong state), by actors with and without the permission.
 * What to generate is read from the definition: its guards say which evidence kinds, verification
 * results, approvals, link kinds and data paths matter. After every command the invariants below are
 * checked; on failure fast-check shrinks the sequence and the error names the broken invariant and
 * lists the commands in words.
 *
 * ```ts
 * it.effect("the finding workflow keeps its promises", () =>
 *   checkWorkflow(BuiltinWorkflows.finding, { runs: 200, recordType: { schema: FindingData } }))
 * ```
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { Actor, type Errors, Guard, Policy, Workflow } from "@airworthy/core"
import { GuardSnapshot, type QmsRecord, type RecordHooks, Records, RecordType } from "@airworthy/records"
import { Query, Storage } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import {
  Arbitrary,
  SchemaAST as AST,
  Cause,
  Clock,
  Data,
  Effect,
  Either,
  Exit,
  FastCheck as fc,
  Layer,
  Option,
  Runtime,
  Schema
} from "effect"
import * as RecordsTestLayer from "./RecordsTestLayer.js"
import type * as TestDatabase from "./TestDatabase.js"

// ---------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------

/**
 * Every invariant `checkWorkflow` checks, by code, in words.
 * @since 0.1.0
 * @category constants
 */
export const invariants = {
  "state-known": "every record is in one of the definition's states",
  "defined-transitions":
    "only defined transitions happened: the history matches the definition and nothing else moved the state",
  "guards-held":
    "every successful transition had its permission, reason, signature and guards met on the state before it",
  "step-agrees": "the runtime decides every transition as the workflow step does on the same snapshot",
  "failure-changes-nothing": "a failed command changed nothing (records, versions, side tables, audit log)",
  "audit-events": "each successful command appended exactly its audit events",
  "version-increment": "the version grows by exactly one for each change of the record itself, and not otherwise",
  "audit-chain": "the tenant's audit chain verifies",
  "terminal-accepts-nothing": "a terminal state accepts no transition (InvalidTransition, nothing written)",
  "permission-held": "a command succeeded only for an actor holding its permission",
  "editable-only": "an update changed only fields editable in the record's state",
  "data-valid": "stored data always decodes with the record type's schema",
  "typed-failures": "commands fail with typed errors, never with defects",
  "definition-valid": "the definition is a valid workflow",
  "checker-ran": "the checker could read the database it checks"
} as const

/**
 * The code of an invariant.
 * @since 0.1.0
 * @category models
 */
export type Invariant = keyof typeof invariants

/**
 * `checkWorkflow` found a broken invariant. `commands` is the shrunk command sequence, in words;
 * `seed` and `path` replay it (`checkWorkflow(wf, { seed, path })`).
 * @since 0.1.0
 * @category errors
 */
export class CheckWorkflowFailed extends Data.TaggedError("CheckWorkflowFailed")<{
  readonly workflow: string
  readonly invariant: Invariant
  readonly detail: string
  readonly commands: ReadonlyArray<string>
  readonly seed: number
  readonly path: string
  readonly numRuns: number
  readonly numShrinks: number
}> {
  override get message(): string {
    const what = [
      `checkWorkflow(${this.workflow}) broke the invariant '${this.invariant}': ${invariants[this.invariant]}.`,
      `What happened: ${this.detail}`
    ]
    if (this.commands.length === 0) return what.join("\n")
    return [
      ...what,
      `Shrunk command sequence (${this.commands.length} lines, after ${plural(this.numRuns, "run")} and ${plural(this.numShrinks, "shrink")}):`,
      ...this.commands.map((c) => `  ${c}`),
      `Replay with { seed: ${this.seed}, path: "${this.path}" }.`
    ].join("\n")
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

// ---------------------------------------------------------------------------------------------
// Options and report
// ---------------------------------------------------------------------------------------------

/**
 * The record type the workflow runs on. Without it, a schema is derived from the definition: every
 * data path its states make editable or its guards require, as optional text.
 * @since 0.1.0
 * @category models
 */
export interface RecordTypeOptions<A = unknown, I = unknown> {
  /** Default: the workflow's name. */
  readonly name?: string
  /** Default: derived from the name. */
  readonly prefix?: string
  readonly schema: Schema.Schema<A, I>
  /** Data for `create`, in encoded (JSON) form. Default: `Arbitraries.encoded(schema)`. */
  readonly data?: fc.Arbitrary<unknown>
  /** Merge patches for `update`, used beside the patches derived from the definition. */
  readonly editable?: fc.Arbitrary<{ readonly [key: string]: unknown }>
  /** Default: `data.title` when it is text. */
  readonly title?: (data: A) => string
  readonly permissions?: Partial<RecordType.Permissions>
}

/**
 * Someone who may act in a run (the tenant is the run's).
 * @since 0.1.0
 * @category models
 */
export interface ActorSpec {
  readonly actorId: string
  readonly roles: ReadonlyArray<string>
  readonly displayName?: string
}

/**
 * Settings of `checkWorkflow`.
 * @since 0.1.0
 * @category models
 */
export interface Options<A = unknown, I = unknown> {
  /** Runs (command sequences). Default 100. */
  readonly runs?: number
  /** Most commands per run (besides the first create). Default 16. */
  readonly maxCommands?: number
  /** One database for every run (each run has its own tenant). Default SQLite in memory. */
  readonly database?: TestDatabase.TestLayer
  /** fast-check seed, to replay a failure. */
  readonly seed?: number
  /** fast-check path, with `seed`, to replay the shrunk failure directly. */
  readonly path?: string
  readonly recordType?: RecordTypeOptions<A, I>
  /** Default: two actors per role of the policy, and one with no roles. */
  readonly actors?: ReadonlyArray<ActorSpec>
  /** The host's role configuration. */
  readonly policy?: Policy.Config
  /** The host's in-transaction hooks (default none). */
  readonly hooks?: Layer.Layer<RecordHooks.RecordHooks>
  /** Fault injection into the audit log the runtime writes through; see `RecordsTestLayer`. */
  readonly interceptAuditLog?: (service: AuditLog.Service) => AuditLog.Service
  /** Most shrinking attempts after a failure (default 300); the smallest failure found by then is reported. */
  readonly maxShrinks?: number
  /** Verify the audit chain after every command (default) or once at the end of each run. */
  readonly verifyChain?: "every-command" | "end-of-run"
}

/**
 * What a passing check covered.
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly workflow: string
  readonly runs: number
  readonly commands: number
  readonly seed: number
  /** Per transition: how often it was taken and refused. */
  readonly transitions: { readonly [transition: string]: { readonly taken: number; readonly refused: number } }
  /** Per state: in how many runs a record reached it. */
  readonly states: { readonly [state: string]: number }
}

// ---------------------------------------------------------------------------------------------
// Reading the definition
// ---------------------------------------------------------------------------------------------

const fieldPath = (field: Guard.Field): string => (typeof field === "string" ? field : field.path)
const unique = <T>(xs: Iterable<T>): Array<T> => Array.from(new Set(xs))
const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const pickFrom = <T>(xs: ReadonlyArray<T>, n: number): T => xs[n % xs.length]!
const plainPath = (p: string) => p.split(".").every((s) => s.length > 0 && !/^[0-9]+$/.test(s))

interface LinkNeed {
  readonly kind: string
  readonly targetType: string
  readonly direction: "out" | "in" | "either"
}

interface Stub {
  readonly type: RecordType.Any
  readonly states: ReadonlyArray<string>
}

const stubPermission = "checkworkflow.fixture"
const probeRole = "checkworkflow_probe"

/** What the definition's guards ask for: what the generator should make. */
const analyse = <R>(wf: Workflow.Workflow<R>, typeName: string) => {
  const guards = wf.transitions.flatMap((t) => t.guards)
  const requiredByState = new Map<string, Array<string>>()
  for (const t of wf.transitions) {
    const paths = t.guards.flatMap((g) => (g._tag === "RequiredFields" ? g.fields.map(fieldPath) : []))
    for (const s of t.from) requiredByState.set(s, unique([...(requiredByState.get(s) ?? []), ...paths]))
  }
  const required = unique(guards.flatMap((g) => (g._tag === "RequiredFields" ? g.fields.map(fieldPath) : [])))
  const editable = unique(Object.values(wf.states).flatMap((s) => s.editable))
  const linkNeeds: Array<LinkNeed> = []
  for (const g of guards) {
    if (g._tag !== "LinkedRecord") continue
    const targetType = g.recordType ?? "checked_target"
    if (!linkNeeds.some((l) => l.kind === g.kind && l.targetType === targetType))
      linkNeeds.push({ kind: g.kind, targetType, direction: g.direction })
  }
  const stubStates = new Map<string, Array<string>>()
  for (const g of guards) {
    if (g._tag !== "LinkedRecord") continue
    const targetType = g.recordType ?? "checked_target"
    if (targetType === typeName) continue
    stubStates.set(targetType, unique([...(stubStates.get(targetType) ?? []), ...g.states]))
  }
  const stubs: Array<Stub> = [...stubStates].map(([name, states], i) => {
    const all = unique(["elsewhere", ...states])
    const workflow = Workflow.unsafeMake({
      name,
      states: Object.fromEntries(all.map((s) => [s, {}])),
      initial: "elsewhere",
      terminal: [],
      transitions: all.map((s) => ({
        name: `to_${s}`,
        from: all.filter((x) => x !== s),
        to: s,
        permission: stubPermission
      }))
    })
    return {
      type: RecordType.make({
        name,
        prefix: `LNK${i + 1}`,
        schema: Schema.Struct({}),
        workflow,
        title: () => `Linked ${name}`
      }),
      states: all
    }
  })
  const attachmentKinds = unique(guards.flatMap((g) => (g._tag === "Attachment" ? [g.kind] : [])))
  const results = unique([
    ...guards.flatMap((g) => (g._tag === "VerificationRecorded" ? (g.results ?? []) : [])),
    "effective"
  ])
  const meanings = unique([...wf.transitions.flatMap((t) => (t.signature ? [t.signature.meaning] : [])), "reviewed"])
  const has = (tag: Guard.Guard<R>["_tag"]) => guards.some((g) => g._tag === tag)
  const custom = has("Custom")
  const weights: Array<[Kind, number]> = [
    ["transition", 10],
    ["update", editable.length + required.length > 0 ? 6 : 1],
    ["assign", 2],
    ["attach", attachmentKinds.length > 0 || custom ? 3 : 1],
    ["verify", has("VerificationRecorded") || custom ? 3 : 1],
    ["approve", has("Approvals") || custom ? 3 : 1],
    ["sign", custom ? 2 : 1],
    ["comment", 1],
    ["create", 1],
    ["link", linkNeeds.length > 0 ? 3 : 0],
    ["target", stubs.length > 0 ? 3 : 0],
    // Looks at what blocks the next steps and does one thing about it, so runs get deep.
    ["fulfil", guards.length > 0 ? 8 : 3]
  ]
  return {
    requiredByState,
    paths: unique([...required, ...editable]).filter(plainPath),
    linkNeeds,
    stubs,
    attachmentKinds,
    results,
    meanings,
    weights: weights.filter(([, w]) => w > 0)
  }
}

type Analysis = ReturnType<typeof analyse>

/** A schema with every path the definition names, as optional text (nested paths as structs). */
const derivedSchema = (paths: ReadonlyArray<string>): Schema.Schema<unknown, unknown> => {
  interface Tree {
    [key: string]: Tree
  }
  const root: Tree = {}
  for (const p of paths) {
    let node = root
    for (const segment of p.split(".")) {
      node[segment] ??= {}
      node = node[segment]!
    }
  }
  const build = (node: Tree): Schema.Schema<unknown, unknown> =>
    Schema.Struct(
      Object.fromEntries(
        Object.entries(node).map(([k, child]) => [
          k,
          Schema.optional(Object.keys(child).length === 0 ? Schema.String : build(child))
        ])
      )
    ) as unknown as Schema.Schema<unknown, unknown>
  return build(root)
}

const sanitizeName = (name: string): string => {
  const s = name.toLowerCase().replace(/[^a-z0-9_]/g, "_")
  return (/^[a-z]/.test(s) ? s : `wf_${s}`).slice(0, 64)
}

const prefixOf = (name: string): string => {
  const letters = name.toUpperCase().replace(/[^A-Z0-9]/g, "")
  return (/^[A-Z]/.test(letters) ? letters : `W${letters}`).slice(0, 8) || "REC"
}

// ---------------------------------------------------------------------------------------------
// Values from schemas
// ---------------------------------------------------------------------------------------------

const stripUndefined = (ast: AST.AST): AST.AST => {
  if (!AST.isUnion(ast)) return ast
  const types = ast.types.filter((t) => !AST.isUndefinedKeyword(t))
  return types.length === 1 ? types[0]! : AST.Union.make(types)
}

/** The structure holding the properties of an AST: through refinements, suspensions, classes. */
const structOf = (ast: AST.AST): AST.TypeLiteral | undefined => {
  let current: AST.AST = ast
  for (let i = 0; i < 20; i++) {
    current = stripUndefined(current)
    switch (current._tag) {
      case "TypeLiteral":
        return current
      case "Refinement":
        current = current.from
        break
      case "Suspend":
        current = current.f()
        break
      case "Transformation":
        current = current.from
        break
      default:
        return undefined
    }
  }
  return undefined
}

/** The schema of the value at a dotted path, when the schema is made of structs down there. */
const schemaAt = (
  schema: Schema.Schema<unknown, unknown>,
  path: string
): Schema.Schema<unknown, unknown> | undefined => {
  let ast: AST.AST = schema.ast
  for (const segment of path.split(".")) {
    const struct = structOf(ast)
    const property = struct?.propertySignatures.find((p) => p.name === segment)
    if (property === undefined) return undefined
    ast = stripUndefined(property.type)
  }
  return Schema.make(ast) as Schema.Schema<unknown, unknown>
}

const topLevelKeys = (schema: Schema.Schema<unknown, unknown>): ReadonlyArray<string> =>
  (structOf(schema.ast)?.propertySignatures ?? []).flatMap((p) => (typeof p.name === "string" ? [p.name] : []))

const sampleOf = <T>(arb: fc.Arbitrary<T>, seed: number): T => fc.sample(arb, { seed, numRuns: 1 })[0]!

/** A value of the wrong type for the given valid one. */
const wrongValue = (valid: unknown): unknown =>
  typeof valid === "string"
    ? 12345
    : typeof valid === "number"
      ? "not a number"
      : typeof valid === "boolean"
        ? "maybe"
        : Array.isArray(valid)
          ? "not a list"
          : isObject(valid)
            ? 7
            : { unexpected: true }

const nest = (path: string, value: unknown): Record<string, unknown> => {
  const segments = path.split(".")
  let out: unknown = value
  for (let i = segments.length - 1; i >= 0; i--) out = { [segments[i]!]: out }
  return out as Record<string, unknown>
}

const jsonEquals = (a: unknown, b: unknown): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
const canonical = (u: unknown): unknown =>
  Array.isArray(u)
    ? u.map(canonical)
    : isObject(u)
      ? Object.fromEntries(
          Object.keys(u)
            .sort()
            .map((k) => [k, canonical(u[k])])
        )
      : u

/** Changed data paths: objects are walked (a missing side counts as `{}`), anything else compared whole. */
const changedPaths = (a: unknown, b: unknown, path = ""): Array<string> => {
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

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

type Kind =
  | "create"
  | "update"
  | "assign"
  | "transition"
  | "attach"
  | "verify"
  | "approve"
  | "sign"
  | "comment"
  | "link"
  | "target"
  | "fulfil"

/** One abstract command; it is read against the state of the run when it executes. */
interface Command {
  readonly kind: Kind
  /** Which record of the run. */
  readonly on: number
  /** Which transition, path, kind, target... */
  readonly pick: number
  /** Which actor. */
  readonly who: number
  /** Below 7: an actor holding the permission (else anyone). */
  readonly holder: number
  /** Below 7: the command's requirements are given properly (else something is wrong or missing). */
  readonly properly: number
  /** Seed of generated data values. */
  readonly seed: number
}

const commandArbitrary = (analysis: Analysis): fc.Arbitrary<Command> =>
  fc.record({
    kind: fc.oneof(...analysis.weights.map(([kind, weight]) => ({ arbitrary: fc.constant(kind), weight }))),
    on: fc.nat(7),
    pick: fc.nat(99),
    who: fc.nat(99),
    holder: fc.nat(9),
    properly: fc.nat(9),
    seed: fc.nat(9999)
  })

/** What a `fulfil` command resolved to: the concrete thing that meets one unmet requirement. */
interface Aim {
  readonly why: string
  readonly transition?: string
  readonly attachKind?: string
  readonly path?: string
  readonly result?: string
  readonly avoid?: ReadonlyArray<string>
  readonly link?: { readonly need: LinkNeed; readonly target: Tracked }
  readonly move?: { readonly target: Tracked; readonly state: string }
  readonly create?: Stub
}

/**
 * Mostly a step that needs no reason (rejections and cancellations need one and end runs early),
 * sometimes any step out of the state, sometimes any transition of the workflow (mostly invalid there).
 */
const pickTransition = <T extends { readonly reasonRequired: boolean }>(
  pick: number,
  leaving: ReadonlyArray<T>,
  all: ReadonlyArray<T>
): T => {
  const onward = leaving.filter((t) => !t.reasonRequired)
  const n = Math.floor(pick / 5)
  if (leaving.length === 0 || pick % 5 === 4) return pickFrom(all, pick)
  if (pick % 5 === 3 || onward.length === 0) return pickFrom(leaving, n)
  return pickFrom(onward, n)
}

const entitled = (c: Command) => c.holder < 7
const proper = (c: Command) => c.properly < 7

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

class Broken extends Data.TaggedError("Broken")<{ readonly invariant: Invariant; readonly detail: string }> {}

const broken = (invariant: Invariant, detail: string) => Effect.fail(new Broken({ invariant, detail }))

interface Tracked {
  readonly id: string
  readonly type: string
  readonly label: string
}

interface Row {
  readonly id: string
  readonly type: string
  readonly ref: string
  readonly state: string
  readonly version: number
  readonly ownerId: string | null
  readonly createdBy: string
  readonly data: unknown
  readonly raw: string
}

interface Fingerprint {
  readonly counts: { readonly [table: string]: number }
  readonly rows: ReadonlyMap<string, Row>
}

const countedTables = [
  "aw_records",
  "aw_record_history",
  "aw_record_attachments",
  "aw_record_verifications",
  "aw_record_approvals",
  "aw_record_signatures",
  "aw_record_comments",
  "aw_record_links",
  "aw_record_idempotency",
  "aw_audit_events",
  "aw_audit_sensitive"
] as const

type Services = Records.Records | AuditLog.AuditLog | Policy.Policy | Storage.Storage | SqlClient.SqlClient

interface Stats {
  commands: number
  transitions: Record<string, { taken: number; refused: number }>
  states: Record<string, number>
}

interface Outcome {
  readonly broken?: { readonly invariant: Invariant; readonly detail: string }
  readonly transcript: ReadonlyArray<string>
  readonly states: ReadonlySet<string>
}

const short = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

const describeError = (error: unknown): string => {
  if (!isObject(error)) return short(String(error))
  const tag = typeof error._tag === "string" ? error._tag : "Error"
  switch (tag) {
    case "Forbidden":
      return `Forbidden (missing ${String(error.missing_permission)})`
    case "GuardsFailed":
      return `GuardsFailed (${(error as unknown as Errors.GuardsFailed).unmet.map((u) => u.message).join("; ")})`
    case "ValidationFailed":
      return short(
        `ValidationFailed (${(error as unknown as Errors.ValidationFailed).issues.map((i) => `${i.path}: ${i.message}`).join("; ")})`
      )
    case "InvalidTransition":
      return `InvalidTransition (no '${String(error.transition)}' from '${String(error.state)}')`
    default:
      return short(`${tag}${error instanceof Error ? ` (${error.message})` : ""}`)
  }
}

/** A comparable key of a step's failure: its tag and what exactly failed. */
const failureKey = (error: unknown): string => {
  if (!isObject(error)) return String(error)
  switch (error._tag) {
    case "Forbidden":
      return `Forbidden:${String(error.missing_permission)}`
    case "GuardsFailed":
      return `GuardsFailed:${(error as unknown as Errors.GuardsFailed).unmet.map((u) => `${u.guard}/${u.code}`).join(",")}`
    case "ValidationFailed":
      return `ValidationFailed:${(error as unknown as Errors.ValidationFailed).issues.map((i) => i.path).join(",")}`
    default:
      return String(error._tag)
  }
}

const stepErrors = new Set(["InvalidTransition", "Forbidden", "ValidationFailed", "GuardsFailed"])

const makeClock = (start: number) => {
  let now = start
  const base = Clock.make()
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => now,
    unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
    currentTimeMillis: Effect.sync(() => now),
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: (duration) => base.sleep(duration)
  }
  return {
    clock,
    tick: Effect.sync(() => {
      now += 1000
    })
  }
}

interface Setup<R> {
  readonly wf: Workflow.Workflow<R>
  readonly type: RecordType.Any<R>
  readonly analysis: Analysis
  readonly schema: Schema.Schema<unknown, unknown>
  readonly createData: fc.Arbitrary<unknown>
  readonly patches: fc.Arbitrary<{ readonly [key: string]: unknown }> | undefined
  readonly cast: ReadonlyArray<ActorSpec>
  readonly verifyEveryCommand: boolean
  readonly tick: Effect.Effect<void>
}

let tenantCounter = 0

const runScenario = <R>(
  setup: Setup<R>,
  commands: ReadonlyArray<Command>,
  stats: Stats | undefined
): Effect.Effect<Outcome, never, Services | R> => {
  const { wf, type, analysis } = setup
  const transcript: Array<string> = []
  const reached = new Set<string>()
  const tenant = `cw-${sanitizeName(wf.name)}-${++tenantCounter}-${process.pid}`
  const person = (spec: ActorSpec) =>
    Actor.make({
      tenantId: tenant,
      actorId: spec.actorId,
      displayName: spec.displayName ?? spec.actorId,
      roles: spec.roles,
      traceId: `trace-${tenant}`,
      source: "api"
    })
  const cast = setup.cast.map(person)
  const probe = person({ actorId: "checkworkflow-probe", roles: [probeRole], displayName: "checkWorkflow" })
  const records: Array<Tracked> = []
  const targets: Array<Tracked> = []
  const asProbe = <A, E, R2>(self: Effect.Effect<A, E, R2>) => Actor.withActor(self, probe)
  const who = (a: Actor.Actor) => `${a.actorId} (${a.roles.length === 0 ? "no roles" : a.roles.join("+")})`
  const typeByName = new Map<string, RecordType.Any<R>>([
    [type.name, type],
    ...analysis.stubs.map((s) => [s.type.name, s.type as RecordType.Any<R>] as const)
  ])

  const body = Effect.gen(function* () {
    const { dialect } = yield* Storage.Storage
    const rules = yield* Policy.Policy
    const can = (actor: Actor.Actor, permission: string) => rules.can(actor, permission)
    const canRead = (actor: Actor.Actor, t: RecordType.Any<R>) =>
      can(actor, t.permissions.read) || can(actor, "record.read")

    // ------------------------------------------------------------ reading the database

    const fingerprint: Effect.Effect<Fingerprint, unknown, Services> = Effect.gen(function* () {
      const p = dialect === "pg" ? "$1" : "?"
      const parts = [
        ...countedTables.map((t) => `(SELECT count(*) FROM ${t} WHERE tenant_id = ${p}) AS ${t}`),
        `(SELECT count(*) FROM aw_record_links WHERE tenant_id = ${p} AND removed_at IS NOT NULL) AS removed_links`,
        `(SELECT coalesce(sum(last_number), 0) FROM aw_record_refs WHERE tenant_id = ${p}) AS refs`,
        `(SELECT coalesce(max(sequence), 0) FROM aw_audit_events WHERE tenant_id = ${p}) AS audit_sequence`
      ]
      const params = dialect === "pg" ? [tenant] : parts.map(() => tenant)
      const [countRow] = yield* Query.unsafe<Record<string, unknown>>(`SELECT ${parts.join(", ")}`, params)
      const counts = Object.fromEntries(Object.entries(countRow ?? {}).map(([k, v]) => [k, Number(v)]))
      const rows = yield* Query.unsafe<Record<string, unknown>>(
        `SELECT id, type, ref, title, state, version, owner_id, created_by, due_at, closed_at, updated_at, data FROM aw_records WHERE tenant_id = ${p} ORDER BY id`,
        [tenant]
      )
      const map = new Map<string, Row>()
      for (const r of rows) {
        const data = typeof r.data === "string" ? JSON.parse(r.data) : r.data
        map.set(String(r.id), {
          id: String(r.id),
          type: String(r.type),
          ref: String(r.ref),
          state: String(r.state),
          version: Number(r.version),
          ownerId: r.owner_id === null || r.owner_id === undefined ? null : String(r.owner_id),
          createdBy: String(r.created_by),
          data,
          raw: JSON.stringify([
            r.title,
            r.state,
            Number(r.version),
            r.owner_id,
            r.due_at,
            r.closed_at,
            r.updated_at,
            canonical(data)
          ])
        })
      }
      return { counts, rows: map }
    })

    const differences = (a: Fingerprint, b: Fingerprint): Array<string> => {
      const out: Array<string> = []
      for (const [k, v] of Object.entries(a.counts)) {
        if (b.counts[k] !== v) out.push(`${k}: ${v} → ${b.counts[k]}`)
      }
      for (const [id, row] of b.rows) {
        const before = a.rows.get(id)
        if (before === undefined) out.push(`record ${row.ref} appeared`)
        else if (before.raw !== row.raw)
          out.push(
            `record ${row.ref} changed (state ${before.state} → ${row.state}, version ${before.version} → ${row.version})`
          )
      }
      for (const [id, row] of a.rows) if (!b.rows.has(id)) out.push(`record ${row.ref} disappeared`)
      return out
    }

    const newAuditActions = (after: number, recordIds: ReadonlySet<string>) =>
      asProbe(
        AuditLog.query({ order: "asc", limit: 1000, ...(after > 0 ? { cursor: AuditLog.cursorAfter(after) } : {}) })
      ).pipe(Effect.map((page) => page.events.filter((e) => recordIds.has(e.record.id)).map((e) => e.action)))

    const contextFor = (actor: Actor.Actor, id: string, input: Guard.CommandInput) =>
      asProbe(
        Effect.gen(function* () {
          const r = yield* Records.get(id)
          const [attachments, verifications, approvals, signatures, links, history] = yield* Effect.all([
            Records.attachments(id),
            Records.verifications(id),
            Records.approvals(id),
            Records.signatures(id),
            Records.links(id),
            Records.history(id)
          ])
          return GuardSnapshot.fromRecord({
            actor,
            record: r,
            attachments,
            verifications,
            approvals,
            signatures,
            links,
            history,
            input
          })
        })
      )

    // ------------------------------------------------------------ invariants on state

    const checkHistory = (record: Tracked, row: Row) =>
      Effect.gen(function* () {
        const workflow = typeByName.get(record.type)!.workflow
        const entries = yield* asProbe(Records.history(record.id))
        let state = workflow.initial
        let version = 0
        for (const e of entries) {
          if (e.kind === "created") {
            if (e.version !== 1)
              return yield* broken("version-increment", `${record.label} was created at version ${e.version}, not 1`)
            version = 1
          } else if (e.kind === "updated" || e.kind === "assigned" || e.kind === "transitioned") {
            if (e.version !== version + 1)
              return yield* broken(
                "version-increment",
                `${record.label}: its '${e.kind}' history entry is at version ${e.version}; the one before was at ${version}`
              )
            version = e.version
          }
          if (e.kind !== "transitioned") continue
          const t = Workflow.findTransition(workflow, e.fromState ?? "", e.transition ?? "")
          if (e.fromState !== state)
            return yield* broken(
              "defined-transitions",
              `${record.label}: the history has '${e.transition}' leaving '${e.fromState}', but the record was in '${state}'`
            )
          if (t === undefined || t.to !== e.toState)
            return yield* broken(
              "defined-transitions",
              `${record.label}: the history has '${e.transition}' from '${e.fromState}' to '${e.toState}', which the definition does not have`
            )
          state = t.to
        }
        if (state !== row.state)
          return yield* broken(
            "defined-transitions",
            `${record.label} is in state '${row.state}', but its transitions lead to '${state}': something other than a transition moved it`
          )
        if (row.version !== version)
          return yield* broken(
            "version-increment",
            `${record.label} is at version ${row.version}, but its history has ${version} changes of the record`
          )
      })

    const checkStates = (fp: Fingerprint) =>
      Effect.gen(function* () {
        for (const row of fp.rows.values()) {
          const t = typeByName.get(row.type)
          if (t === undefined) continue
          if (!Object.hasOwn(t.workflow.states, row.state))
            return yield* broken(
              "state-known",
              `record ${row.ref} is in state '${row.state}', which the '${t.workflow.name}' definition does not have`
            )
          if (row.type === type.name) reached.add(row.state)
        }
      })

    const checkData = (row: Row) => {
      const decoded = Schema.decodeUnknownEither(type.schema, { onExcessProperty: "error", errors: "all" })(row.data)
      return Either.isLeft(decoded)
        ? broken(
            "data-valid",
            `record ${row.ref} holds data its schema rejects: ${short(JSON.stringify(row.data))} (${short(decoded.left.message, 200)})`
          )
        : Effect.void
    }

    let verifiedUpTo = 0
    /** The whole chain, or only the events since the last check (linked to the stored hash before them). */
    const checkChain = (whole: boolean, upTo: number) =>
      Effect.gen(function* () {
        if (!whole && upTo <= verifiedUpTo) return
        const result = yield* AuditLog.verify(tenant, whole ? undefined : { from: verifiedUpTo + 1 })
        verifiedUpTo = Math.max(verifiedUpTo, upTo)
        if (!result.ok)
          return yield* broken(
            "audit-chain",
            `the audit chain of the run's tenant does not verify: event ${result.firstBadSequence} is bad (${result.fault}: ${result.detail})`
          )
      })

    const checkEvents = (
      before: Fingerprint,
      ids: ReadonlyArray<string>,
      expected: ReadonlyArray<string>,
      what: string
    ) =>
      Effect.gen(function* () {
        const seen = yield* newAuditActions(before.counts.audit_sequence ?? 0, new Set(ids))
        if (JSON.stringify(seen) !== JSON.stringify(expected))
          return yield* broken(
            "audit-events",
            `${what} succeeded and appended the audit events [${seen.join(", ")}] instead of [${expected.join(", ")}]`
          )
      })

    // ------------------------------------------------------------ one command

    // Records probed in their terminal state; a terminal state can never be left, so once is enough.
    const probed = new Set<string>()
    const terminalProbe = (record: Tracked) =>
      Effect.gen(function* () {
        probed.add(record.id)
        const before = yield* fingerprint
        const names = unique(wf.transitions.map((t) => t.name))
        for (const name of names) {
          const t = wf.transitions.find((x) => x.name === name)!
          const exit = yield* Effect.exit(
            asProbe(
              Records.transition({
                id: record.id,
                transition: name,
                reason: "checkWorkflow probes a terminal state",
                signature: { meaning: t.signature?.meaning ?? "approved", credential: "checkworkflow" }
              })
            )
          )
          const row = before.rows.get(record.id)!
          if (Exit.isSuccess(exit))
            return yield* broken(
              "terminal-accepts-nothing",
              `${record.label} is in terminal state '${row.state}', yet transition '${name}' succeeded`
            )
          const error = Cause.failureOption(exit.cause)
          if (Option.isNone(error) || !isObject(error.value) || error.value._tag !== "InvalidTransition")
            return yield* broken(
              "terminal-accepts-nothing",
              `${record.label} is in terminal state '${row.state}'; transition '${name}' failed with ${Option.isSome(error) ? describeError(error.value) : short(Cause.pretty(exit.cause))} instead of InvalidTransition`
            )
        }
        const after = yield* fingerprint
        const diff = differences(before, after)
        if (diff.length > 0)
          return yield* broken(
            "terminal-accepts-nothing",
            `refused transitions from terminal state wrote something: ${diff.join("; ")}`
          )
        transcript.push(`   (every transition of ${record.label} refused in its terminal state, nothing written)`)
      })

    const choose = (c: Command, permission: string | undefined, prefer?: (a: Actor.Actor) => boolean) => {
      const holders = permission === undefined ? cast : cast.filter((a) => can(a, permission))
      let pool = entitled(c) && holders.length > 0 ? holders : cast
      if (prefer !== undefined && pool.some(prefer)) pool = pool.filter(prefer)
      return pickFrom(pool, c.who)
    }

    const exec = (actor: Actor.Actor, self: Effect.Effect<unknown, unknown, Records.Records | Actor.CurrentActor>) =>
      Effect.exit(Actor.withActor(self, actor))

    const valueCache = new Map<string, { arb: fc.Arbitrary<unknown>; encode: (u: unknown) => unknown } | null>()
    /** A valid value for the path; with `present`, one that counts as filled in, if a few tries find one. */
    const validValue = (path: string, seed: number, present = false): unknown => {
      for (let i = 0; present && i < 8; i++) {
        const value = anyValidValue(path, seed + i)
        if (Guard.isPresent(value)) return value
      }
      return anyValidValue(path, seed)
    }
    const anyValidValue = (path: string, seed: number): unknown => {
      let entry = valueCache.get(path)
      if (entry === undefined) {
        const sub = schemaAt(setup.schema, path)
        entry = null
        if (sub !== undefined) {
          try {
            entry = { arb: Arbitrary.make(sub), encode: Schema.encodeUnknownSync(sub) }
          } catch {
            entry = null
          }
        }
        valueCache.set(path, entry)
      }
      if (entry !== null) {
        try {
          return entry.encode(sampleOf(entry.arb, seed))
        } catch {
          // fall through to a whole sample
        }
      }
      return Guard.valueAt(sampleOf(setup.createData, seed), path)
    }
    const knownPaths = unique([...analysis.paths, ...topLevelKeys(setup.schema)])

    /** Turns a `fulfil` command into the command that meets one unmet requirement of a next step. */
    const resolve = (c: Command, focus: Tracked, row: Row, fp: Fingerprint) =>
      Effect.gen(function* () {
        const leaving = Workflow.transitionsFrom(wf, row.state)
        if (leaving.length === 0) return { c: { ...c, kind: "transition" as Kind }, aim: undefined }
        // Nothing to fulfil: step forward, preferring steps that need no reason (not rejections or cancellations).
        const onward = leaving.filter((t) => !t.reasonRequired)
        const step = pickFrom(onward.length > 0 && c.seed % 5 !== 0 ? onward : leaving, c.pick)
        const forward = {
          c: { ...c, kind: "transition" as Kind, holder: 0, properly: 0 },
          aim: { why: "", transition: step.name }
        }
        // Generation only needs to know what blocks the next steps: the runtime's own answer will do.
        const available = yield* asProbe(Records.available(focus.id))
        const rotated = leaving.map((_, i) => leaving[(i + c.pick) % leaving.length]!)
        for (const t of rotated) {
          const blocked = available.find((a) => a.transition === t.name)?.unmet ?? []
          for (const g of t.guards) {
            const unmet = blocked.filter((u) => u.guard === g.name)
            if (unmet.length === 0) continue
            const why = `to meet '${t.name}': ${unmet[0]!.message}`
            const as = (kind: Kind, aim: Omit<Aim, "why">) => ({
              c: { ...c, kind, holder: 0, properly: 0 },
              aim: { why, ...aim }
            })
            switch (g._tag) {
              case "RequiredFields": {
                const missing = g.fields
                  .map(fieldPath)
                  .filter((p) => plainPath(p) && Workflow.isEditable(wf, row.state, p))
                  .filter((p) => !Guard.isPresent(Guard.valueAt(row.data, p)))
                if (missing.length > 0) return as("update", { path: pickFrom(missing, c.seed) })
                break
              }
              case "Attachment":
                return as("attach", { attachKind: g.kind })
              case "VerificationRecorded":
                return as("verify", { result: g.results === undefined ? "effective" : pickFrom(g.results, c.seed) })
              case "Approvals":
                return as("approve", {
                  avoid: (yield* asProbe(Records.approvals(focus.id))).map((a) => a.approvedBy)
                })
              case "LinkedRecord": {
                const targetType = g.recordType ?? "checked_target"
                const need = analysis.linkNeeds.find((l) => l.kind === g.kind && l.targetType === targetType)
                const stub = analysis.stubs.find((s) => s.type.name === targetType)
                if (need === undefined) break
                const links = (yield* asProbe(Records.links(focus.id, { kind: g.kind }))).map((l) => ({
                  recordId: l.other.id,
                  recordType: l.other.type,
                  state: l.other.state
                }))
                const wrong = links.find((l) => l.recordType === targetType && !g.states.includes(l.state))
                const wrongTarget = targets.find((x) => x.id === wrong?.recordId)
                if (wrongTarget !== undefined && stub !== undefined)
                  return as("target", { move: { target: wrongTarget, state: pickFrom(g.states, c.seed) } })
                const linked = new Set(links.map((l) => l.recordId))
                const pool = (targetType === type.name ? records : targets).filter(
                  (x) => x.type === targetType && x.id !== focus.id && !linked.has(x.id)
                )
                const ready = pool.filter((x) => g.states.includes(fp.rows.get(x.id)?.state ?? ""))
                if (ready.length > 0) return as("link", { link: { need, target: pickFrom(ready, c.seed) } })
                if (stub !== undefined && pool.length > 0)
                  return as("target", { move: { target: pickFrom(pool, c.seed), state: pickFrom(g.states, c.seed) } })
                if (stub !== undefined) return as("target", { create: stub })
                break
              }
              case "Custom": {
                // What a custom guard reads is unknown; the fields editable now are the likely lever.
                const editable = Workflow.editableFields(wf, row.state).filter(plainPath)
                if (editable.length > 0) return as("update", { path: pickFrom(editable, c.seed) })
                break
              }
              default:
                break
            }
          }
        }
        return forward
      })

    const runCommand = (raw: Command, index: number) =>
      Effect.gen(function* () {
        yield* setup.tick
        // What the previous command left is what this one starts from (probes in between write nothing).
        const before = latest ?? (yield* fingerprint)
        const n = `${index}.`
        const focus = records.length === 0 ? undefined : pickFrom(records, raw.on)
        const focusRow = focus === undefined ? undefined : before.rows.get(focus.id)
        const permissions = type.permissions
        let c = raw
        let aim: Aim | undefined
        if (raw.kind === "fulfil") {
          if (focus === undefined || focusRow === undefined) return
          const resolved = yield* resolve(raw, focus, focusRow, before)
          c = resolved.c
          aim = resolved.aim
        }

        // Each branch returns what ran and how to judge it.
        let line = ""
        let exit: Exit.Exit<unknown, unknown> = Exit.void
        let judge: (after: Fingerprint) => Effect.Effect<void, unknown, Services | R> = () => Effect.void
        let judgeFailure: Effect.Effect<void, unknown, Services | R> = Effect.void
        let needPermission: string | undefined
        let actor = probe

        switch (c.kind) {
          case "create": {
            actor = choose(c, permissions.create)
            needPermission = permissions.create
            const good = proper(c)
            const sample = sampleOf(setup.createData, c.seed)
            const data = good
              ? sample
              : c.pick % 2 === 0
                ? { ...(isObject(sample) ? sample : {}), unexpected_field: "x" }
                : wrongValue(sample)
            const ownerId = good && c.pick % 3 === 0 ? pickFrom(cast, c.pick).actorId : undefined
            exit = yield* exec(actor, Records.create({ type: type.name, data, ...(ownerId ? { ownerId } : {}) }))
            line = `${who(actor)} creates a ${type.name}${ownerId ? ` owned by ${ownerId}` : ""} with ${good ? "valid" : "invalid"} data ${short(JSON.stringify(data), 100)}`
            judge = (after) =>
              Effect.gen(function* () {
                const created = (exit as Exit.Success<QmsRecord.QmsRecord, never>).value
                const row = after.rows.get(created.id)
                if (row === undefined)
                  return yield* broken("failure-changes-nothing", `the created ${type.name} is not stored`)
                if (row.state !== wf.initial)
                  return yield* broken(
                    "defined-transitions",
                    `a new ${type.name} starts in '${row.state}', not in the initial state '${wf.initial}'`
                  )
                if (row.version !== 1)
                  return yield* broken("version-increment", `a new ${type.name} starts at version ${row.version}`)
                const tracked = {
                  id: row.id,
                  type: type.name,
                  label: `${type.name} #${records.length + 1} (${row.ref})`
                }
                records.push(tracked)
                yield* checkEvents(before, [row.id], [`${type.name}.created`], "create")
                yield* checkData(row)
              })
            break
          }
          case "update": {
            if (focus === undefined || focusRow === undefined) return
            actor = choose(c, permissions.update)
            needPermission = permissions.update
            const state = focusRow.state
            const editable = Workflow.editableFields(wf, state).filter(plainPath)
            const wanted = (analysis.requiredByState.get(state) ?? []).filter(
              (p) => plainPath(p) && Workflow.isEditable(wf, state, p)
            )
            let patch: Record<string, unknown>
            let what: string
            if (aim?.path !== undefined) {
              const value = validValue(aim.path, c.seed, true)
              patch = nest(aim.path, value === undefined ? null : value)
              what = `${aim.path} (${aim.why})`
            } else if (proper(c)) {
              if (setup.patches !== undefined && c.pick % 3 === 0) {
                patch = { ...sampleOf(setup.patches, c.seed) }
                what = "a host patch"
              } else {
                const candidates = unique([...wanted, ...editable])
                const path = pickFrom(
                  candidates.length > 0 ? candidates : knownPaths.length > 0 ? knownPaths : ["title"],
                  c.pick
                )
                const value = validValue(path, c.seed)
                patch = nest(path, value === undefined ? null : value)
                what = `${path} (${Workflow.isEditable(wf, state, path) ? "editable" : "not editable"}, valid)`
              }
            } else {
              const variant = c.pick % 3
              const frozen = knownPaths.filter((p) => !Workflow.isEditable(wf, state, p))
              if (variant === 0 && frozen.length > 0) {
                const path = pickFrom(frozen, Math.floor(c.pick / 3))
                const value = validValue(path, c.seed)
                patch = nest(path, value === undefined ? null : value)
                what = `${path} (not editable in '${state}')`
              } else if (variant === 1 && knownPaths.length > 0) {
                const path = pickFrom(editable.length > 0 ? editable : knownPaths, Math.floor(c.pick / 3))
                patch = nest(path, wrongValue(validValue(path, c.seed)))
                what = `${path} (invalid value)`
              } else {
                patch = { unexpected_field: "x" }
                what = "a field the schema does not have"
              }
            }
            exit = yield* exec(
              actor,
              Records.update({ id: focus.id, expectedVersion: focusRow.version, data: patch, reason: "checkWorkflow" })
            )
            line = `${who(actor)} updates ${focus.label} in '${state}': ${what} ${short(JSON.stringify(patch), 100)}`
            judge = (after) =>
              Effect.gen(function* () {
                const row = after.rows.get(focus.id)!
                const changed = changedPaths(focusRow.data, row.data)
                if (row.state !== focusRow.state)
                  return yield* broken(
                    "defined-transitions",
                    `an update moved ${focus.label} from '${focusRow.state}' to '${row.state}'`
                  )
                const frozen = changed.filter((p) => !Workflow.isEditable(wf, state, p))
                if (frozen.length > 0)
                  return yield* broken(
                    "editable-only",
                    `an update of ${focus.label} in '${state}' changed ${frozen.join(", ")}, not editable there`
                  )
                const expectedVersion = changed.length > 0 ? focusRow.version + 1 : focusRow.version
                if (row.version !== expectedVersion)
                  return yield* broken(
                    "version-increment",
                    `an update ${changed.length > 0 ? `changing ${changed.join(", ")}` : "changing nothing"} took ${focus.label} from version ${focusRow.version} to ${row.version}`
                  )
                yield* checkEvents(before, [focus.id], changed.length > 0 ? [`${type.name}.updated`] : [], "an update")
                yield* checkData(row)
              })
            break
          }
          case "assign": {
            if (focus === undefined || focusRow === undefined) return
            actor = choose(c, permissions.assign)
            needPermission = permissions.assign
            const ownerId = c.pick % 4 === 0 ? null : pickFrom(cast, c.pick).actorId
            exit = yield* exec(actor, Records.assign({ id: focus.id, ownerId, expectedVersion: focusRow.version }))
            line = `${who(actor)} assigns ${focus.label} to ${ownerId ?? "nobody"}`
            judge = (after) =>
              Effect.gen(function* () {
                const row = after.rows.get(focus.id)!
                const changed = row.ownerId !== focusRow.ownerId
                if (row.state !== focusRow.state)
                  return yield* broken(
                    "defined-transitions",
                    `assigning moved ${focus.label} from '${focusRow.state}' to '${row.state}'`
                  )
                if (row.version !== focusRow.version + (changed ? 1 : 0))
                  return yield* broken(
                    "version-increment",
                    `assigning took ${focus.label} from version ${focusRow.version} to ${row.version}`
                  )
                yield* checkEvents(before, [focus.id], changed ? [`${type.name}.assigned`] : [], "an assignment")
              })
            break
          }
          case "transition": {
            if (focus === undefined || focusRow === undefined) return
            const state = focusRow.state
            const leaving = Workflow.transitionsFrom(wf, state)
            const all = wf.transitions
            const t =
              all.find((x) => x.name === aim?.transition && x.from.includes(state)) ??
              pickTransition(c.pick, leaving, all)
            actor = choose(c, t.permission)
            const good = proper(c)
            const variant = c.seed % 3
            const wrongMeaning = t.signature?.meaning === "reviewed" ? "authored" : "reviewed"
            const input: { reason?: string; signature?: { meaning: string; credential: string } } = {}
            if (good) {
              if (t.reasonRequired || c.seed % 2 === 0) input.reason = "Checked by checkWorkflow"
              if (t.signature) input.signature = { meaning: t.signature.meaning, credential: "pin" }
            } else if (variant === 1) {
              input.reason = "   "
              input.signature = { meaning: wrongMeaning, credential: "pin" }
            } else if (variant === 2) {
              input.reason = "Checked by checkWorkflow"
              if (!t.signature) input.signature = { meaning: wrongMeaning, credential: "pin" }
            }
            const commandInput: Guard.CommandInput = {
              ...(input.reason !== undefined ? { reason: input.reason } : {}),
              ...(input.signature !== undefined ? { signature: { meaning: input.signature.meaning } } : {})
            }
            const ctx = yield* contextFor(actor, focus.id, commandInput)
            const predicted: Exit.Exit<unknown, unknown> = canRead(actor, type)
              ? yield* Effect.exit(Workflow.step(wf, ctx, t.name))
              : Exit.fail({ _tag: "Forbidden", missing_permission: type.permissions.read })
            exit = yield* exec(
              actor,
              Records.transition({ id: focus.id, transition: t.name, expectedVersion: focusRow.version, ...input })
            )
            const given = [
              input.reason === undefined ? "no reason" : input.reason.trim() === "" ? "a blank reason" : "a reason",
              input.signature === undefined ? "no signature" : `a signature meaning '${input.signature.meaning}'`
            ].join(", ")
            line = `${who(actor)} takes '${t.name}' on ${focus.label} in '${state}' with ${given}`
            if (stats !== undefined) {
              const s = stats.transitions[t.name] ?? { taken: 0, refused: 0 }
              stats.transitions[t.name] = s
              if (Exit.isSuccess(exit)) s.taken++
              else s.refused++
            }
            const stepFailure = Exit.isFailure(predicted) ? Cause.failureOption(predicted.cause) : Option.none()
            if (Exit.isFailure(exit)) {
              const actual = Cause.failureOption(exit.cause)
              judgeFailure = Effect.gen(function* () {
                if (Option.isNone(actual)) return
                const error = actual.value
                const tag = isObject(error) ? error._tag : undefined
                if (tag === "HookFailed") return
                if (Exit.isSuccess(predicted))
                  return yield* broken(
                    "step-agrees",
                    `the workflow step allows '${t.name}' on ${focus.label} in '${state}', but the runtime refused it: ${describeError(error)}`
                  )
                const expectedKey = Option.isSome(stepFailure) ? failureKey(stepFailure.value) : "?"
                if (typeof tag !== "string" || !stepErrors.has(tag) || failureKey(error) !== expectedKey)
                  return yield* broken(
                    "step-agrees",
                    `'${t.name}' on ${focus.label} in '${state}': the workflow step says ${Option.isSome(stepFailure) ? describeError(stepFailure.value) : "?"}, the runtime said ${describeError(error)}`
                  )
              })
            } else {
              judge = (after) =>
                Effect.gen(function* () {
                  const defined = Workflow.findTransition(wf, state, t.name)
                  if (defined === undefined)
                    return yield* broken(
                      "defined-transitions",
                      `'${t.name}' succeeded on ${focus.label} from '${state}', where the definition has no such transition`
                    )
                  const unmet = yield* Guard.evaluateAll(defined.guards, ctx)
                  const missing: Array<string> = []
                  if (!can(actor, defined.permission)) missing.push(`the permission ${defined.permission}`)
                  if (
                    Option.isSome(stepFailure) &&
                    isObject(stepFailure.value) &&
                    stepFailure.value._tag === "ValidationFailed"
                  )
                    missing.push(describeError(stepFailure.value))
                  missing.push(...unmet.map((u) => `${u.guard}: ${u.message}`))
                  if (missing.length > 0)
                    return yield* broken(
                      "guards-held",
                      `'${t.name}' succeeded on ${focus.label} by ${who(actor)} although, before it, these did not hold: ${missing.join("; ")}`
                    )
                  if (Exit.isFailure(predicted))
                    return yield* broken(
                      "guards-held",
                      `'${t.name}' succeeded on ${focus.label} although the workflow step refuses it: ${Option.isSome(stepFailure) ? describeError(stepFailure.value) : "?"}`
                    )
                  const row = after.rows.get(focus.id)!
                  if (row.state !== defined.to)
                    return yield* broken(
                      "defined-transitions",
                      `'${t.name}' should take ${focus.label} from '${state}' to '${defined.to}', but it is in '${row.state}'`
                    )
                  if (row.version !== focusRow.version + 1)
                    return yield* broken(
                      "version-increment",
                      `'${t.name}' took ${focus.label} from version ${focusRow.version} to ${row.version}`
                    )
                  if (row.data !== undefined && !jsonEquals(row.data, focusRow.data))
                    return yield* broken("editable-only", `'${t.name}' changed the data of ${focus.label}`)
                  yield* checkEvents(
                    before,
                    [focus.id],
                    [`${type.name}.transition.${t.name}`.toLowerCase()],
                    `'${t.name}'`
                  )
                  if (Workflow.isTerminal(wf, row.state)) pendingProbe = focus
                })
            }
            break
          }
          case "attach":
          case "verify":
          case "approve":
          case "sign":
          case "comment": {
            if (focus === undefined || focusRow === undefined) return
            const owner = focusRow.ownerId ?? focusRow.createdBy
            const good = proper(c)
            let effect: Effect.Effect<unknown, unknown, Records.Records | Actor.CurrentActor>
            let action: string
            switch (c.kind) {
              case "attach": {
                needPermission = permissions.attach
                actor = choose(c, permissions.attach)
                const kinds = analysis.attachmentKinds.length > 0 ? analysis.attachmentKinds : ["document"]
                const kind = aim?.attachKind ?? (good ? pickFrom(kinds, c.pick) : "unrelated")
                effect = Records.attach({
                  id: focus.id,
                  kind,
                  name: `evidence-${c.seed}.pdf`,
                  mediaType: "application/pdf",
                  size: c.seed,
                  sha256: c.seed.toString(16).padStart(64, "0")
                })
                action = "attached"
                line = `${who(actor)} attaches ${kind} evidence to ${focus.label}`
                break
              }
              case "verify": {
                needPermission = permissions.verify
                actor = choose(c, permissions.verify, good ? (a) => a.actorId !== owner : (a) => a.actorId === owner)
                const result =
                  aim?.result !== undefined
                    ? aim.result
                    : good
                      ? pickFrom(analysis.results, c.pick)
                      : c.pick % 2 === 0
                        ? "inconclusive"
                        : pickFrom(analysis.results, c.pick)
                effect = Records.recordVerification({ id: focus.id, result, expectedVersion: focusRow.version })
                action = "verification_recorded"
                line = `${who(actor)} records a verification '${result}' on ${focus.label} (${actor.actorId === owner ? "the owner" : "not the owner"})`
                break
              }
              case "approve": {
                needPermission = permissions.approve
                const avoid = aim?.avoid ?? []
                actor = choose(
                  c,
                  permissions.approve,
                  good ? (a) => a.actorId !== owner && !avoid.includes(a.actorId) : (a) => a.actorId === owner
                )
                effect = Records.approve({ id: focus.id, expectedVersion: focusRow.version })
                action = "approved"
                line = `${who(actor)} approves ${focus.label} (${actor.actorId === owner ? "the owner" : "not the owner"})`
                break
              }
              case "sign": {
                needPermission = permissions.sign
                actor = choose(c, permissions.sign)
                const meaning = pickFrom(analysis.meanings, c.pick)
                effect = Records.sign({ id: focus.id, meaning, credential: "pin", expectedVersion: focusRow.version })
                action = "signed"
                line = `${who(actor)} signs ${focus.label} meaning '${meaning}'`
                break
              }
              default: {
                needPermission = permissions.comment
                actor = choose(c, permissions.comment)
                effect = Records.comment({ id: focus.id, body: good ? "Checked by checkWorkflow" : "  " })
                action = "commented"
                line = `${who(actor)} comments on ${focus.label}${good ? "" : " with a blank body"}`
              }
            }
            exit = yield* exec(actor, effect)
            judge = (after) =>
              Effect.gen(function* () {
                const row = after.rows.get(focus.id)!
                if (row.state !== focusRow.state)
                  return yield* broken(
                    "defined-transitions",
                    `${line.slice(line.indexOf(") ") + 2)} moved it from '${focusRow.state}' to '${row.state}' without a transition`
                  )
                if (row.version !== focusRow.version)
                  return yield* broken(
                    "version-increment",
                    `a ${action.replace("_", " ")} entry changed the version of ${focus.label} from ${focusRow.version} to ${row.version}`
                  )
                yield* checkEvents(before, [focus.id], [`${type.name}.${action}`], line.slice(line.indexOf(") ") + 2))
              })
            break
          }
          case "link": {
            if (focus === undefined || focusRow === undefined) return
            const need = aim?.link?.need ?? pickFrom(analysis.linkNeeds, c.pick)
            const pool =
              need.targetType === type.name
                ? records.filter((r) => r.id !== focus.id)
                : targets.filter((t) => t.type === need.targetType)
            if (pool.length === 0) {
              line = `(no ${need.targetType} to link ${focus.label} to yet)`
              transcript.push(`${n} ${line}`)
              return
            }
            const other = aim?.link?.target ?? pickFrom(pool, c.seed)
            const out = need.direction === "out" || (need.direction === "either" && c.seed % 2 === 0)
            const from = out ? focus : other
            const to = out ? other : focus
            const fromType = typeByName.get(from.type)!
            actor = choose(c, fromType.permissions.link)
            needPermission = fromType.permissions.link
            const existing = yield* asProbe(Records.links(from.id, { kind: need.kind, direction: "out" }))
            const linked = existing.some((l) => l.other.id === to.id)
            const removing = linked && !proper(c)
            const input = { from: from.id, to: to.id, kind: need.kind }
            exit = yield* exec(actor, removing ? Records.unlink(input) : Records.link(input))
            line = `${who(actor)} ${removing ? "unlinks" : "links"} ${from.label} → ${to.label} (${need.kind})${linked && !removing ? ", already linked" : ""}`
            judge = (after) =>
              Effect.gen(function* () {
                for (const r of [from, to]) {
                  const a = before.rows.get(r.id)
                  const b = after.rows.get(r.id)
                  if (a !== undefined && b !== undefined && (a.state !== b.state || a.version !== b.version))
                    return yield* broken(
                      a.state !== b.state ? "defined-transitions" : "version-increment",
                      `a link command changed ${r.label} (state ${a.state} → ${b.state}, version ${a.version} → ${b.version})`
                    )
                }
                const what = removing ? "unlinked" : "linked"
                const expected = linked && !removing ? [] : [`${from.type}.${what}`, `${to.type}.${what}`]
                yield* checkEvents(
                  before,
                  [from.id, to.id],
                  expected,
                  `${removing ? "unlinking" : "linking"} ${from.label} → ${to.label}`
                )
              })
            break
          }
          case "target": {
            const stub =
              aim?.create ??
              analysis.stubs.find((s) => s.type.name === aim?.move?.target.type) ??
              pickFrom(analysis.stubs, c.pick)
            const mine = targets.filter((t) => t.type === stub.type.name)
            if (aim?.create !== undefined || (aim?.move === undefined && (mine.length === 0 || c.seed % 3 === 0))) {
              exit = yield* exec(probe, Records.create({ type: stub.type.name, data: {} }))
              line = `(fixture) a ${stub.type.name} to link to is created`
              judge = (after) =>
                Effect.gen(function* () {
                  const created = (exit as Exit.Success<QmsRecord.QmsRecord, never>).value
                  const row = after.rows.get(created.id)!
                  targets.push({ id: row.id, type: stub.type.name, label: `${stub.type.name} ${row.ref}` })
                  yield* checkEvents(before, [row.id], [`${stub.type.name}.created`], "creating a link target")
                })
            } else {
              const target = aim?.move?.target ?? pickFrom(mine, c.seed)
              const state = aim?.move?.state ?? pickFrom(stub.states, Math.floor(c.pick / 7))
              exit = yield* exec(probe, Records.transition({ id: target.id, transition: `to_${state}` }))
              line = `(fixture) ${target.label} is moved to '${state}'`
              judge = () =>
                checkEvents(before, [target.id], [`${stub.type.name}.transition.to_${state}`], "moving a link target")
            }
            break
          }
        }

        // ------------------------------------------------------------ judge
        if (aim !== undefined && aim.why !== "" && !line.includes(aim.why)) line = `${line} [${aim.why}]`
        const after = yield* fingerprint
        latest = after
        if (Exit.isSuccess(exit)) {
          const row = focus === undefined ? undefined : after.rows.get(focus.id)
          transcript.push(
            `${n} ${line} → ok${row !== undefined && c.kind !== "target" && c.kind !== "create" ? ` (${row.state}, v${row.version})` : ""}`
          )
          if (needPermission !== undefined && !can(actor, needPermission))
            return yield* broken("permission-held", `${line} succeeded although the actor lacks ${needPermission}`)
          yield* judge(after)
        } else {
          const error = Cause.failureOption(exit.cause)
          if (Option.isNone(error)) {
            transcript.push(`${n} ${line} → died`)
            return yield* broken("typed-failures", `${line} died: ${short(Cause.pretty(exit.cause), 400)}`)
          }
          transcript.push(`${n} ${line} → refused: ${describeError(error.value)}`)
          const diff = differences(before, after)
          if (diff.length > 0)
            return yield* broken(
              "failure-changes-nothing",
              `${line} failed (${describeError(error.value)}) but wrote: ${diff.join("; ")}`
            )
          yield* judgeFailure
        }
        yield* checkStates(after)
        if (focus !== undefined && Exit.isSuccess(exit)) yield* checkHistory(focus, after.rows.get(focus.id)!)
        if (setup.verifyEveryCommand) yield* checkChain(false, after.counts.audit_sequence ?? 0)
        if (pendingProbe !== undefined) {
          const p = pendingProbe
          pendingProbe = undefined
          yield* terminalProbe(p)
        }
      })

    let pendingProbe: Tracked | undefined
    let latest: Fingerprint | undefined

    // The first record, created by someone allowed to.
    const creator = cast.find((a) => can(a, type.permissions.create)) ?? probe
    yield* setup.tick
    const first = yield* Effect.exit(
      Actor.withActor(Records.create({ type: type.name, data: sampleOf(setup.createData, 1) }), creator)
    )
    if (Exit.isFailure(first)) {
      const error = Cause.failureOption(first.cause)
      return yield* broken(
        "checker-ran",
        `the first ${type.name} could not be created by ${who(creator)} with ${short(JSON.stringify(sampleOf(setup.createData, 1)))}: ${Option.isSome(error) ? describeError(error.value) : short(Cause.pretty(first.cause))}`
      )
    }
    const created = first.value
    records.push({ id: created.id, type: type.name, label: `${type.name} #1 (${created.ref})` })
    transcript.push(`0. ${who(creator)} creates ${type.name} #1 (${created.ref}) → ok (${created.state}, v1)`)
    reached.add(created.state)

    for (const [i, c] of commands.entries()) yield* runCommand(c, i + 1)

    // End of run: every record's history against the definition, terminal records refuse everything, the chain verifies.
    const last = yield* fingerprint
    for (const r of records) yield* checkHistory(r, last.rows.get(r.id)!)
    for (const r of records) {
      const row = last.rows.get(r.id)!
      if (Workflow.isTerminal(wf, row.state) && !probed.has(r.id)) yield* terminalProbe(r)
    }
    yield* checkChain(true, last.counts.audit_sequence ?? 0)
  })

  return body.pipe(
    Effect.matchCause({
      onSuccess: (): Outcome => ({ transcript, states: reached }),
      onFailure: (cause): Outcome => {
        const failure = Cause.failureOption(cause)
        if (Option.isSome(failure) && failure.value instanceof Broken)
          return {
            broken: { invariant: failure.value.invariant, detail: failure.value.detail },
            transcript,
            states: reached
          }
        return {
          broken: {
            invariant: "checker-ran",
            detail: `the checker itself failed: ${short(Option.isSome(failure) ? describeError(failure.value) : Cause.pretty(cause), 600)}`
          },
          transcript,
          states: reached
        }
      }
    })
  ) as Effect.Effect<Outcome, never, Services | R>
}

// ---------------------------------------------------------------------------------------------
// checkWorkflow
// ---------------------------------------------------------------------------------------------

const defaultCast = (policy: Policy.Rules): ReadonlyArray<ActorSpec> => [
  ...Object.keys(policy.roles)
    .filter((r) => r !== probeRole)
    .flatMap((role) => [1, 2].map((i) => ({ actorId: `u-${role}-${i}`, roles: [role] }))),
  { actorId: "u-nobody", roles: [] }
]

/**
 * Property-tests a workflow definition on a real database through the records runtime: random
 * command sequences, every invariant of `invariants` checked after each command. Succeeds with what
 * the runs covered; fails with `CheckWorkflowFailed` naming the broken invariant and the shrunk
 * command sequence in words.
 *
 * `R` is what the workflow's custom guards need; provide it as you would to the runtime.
 * @since 0.1.0
 * @category checking
 */
export const checkWorkflow = <R = never, A = unknown, I = unknown>(
  definition: Workflow.Workflow<R> | Workflow.Definition<R>,
  options: Options<A, I> = {}
): Effect.Effect<Report, CheckWorkflowFailed, R> =>
  Effect.gen(function* () {
    const made = Workflow.isWorkflow(definition)
      ? Either.right(definition as Workflow.Workflow<R>)
      : Workflow.make(definition)
    if (Either.isLeft(made)) {
      return yield* new CheckWorkflowFailed({
        workflow: String((definition as { name?: unknown }).name ?? "(unnamed)"),
        invariant: "definition-valid",
        detail: made.left.message,
        commands: [],
        seed: 0,
        path: "",
        numRuns: 0,
        numShrinks: 0
      })
    }
    const wf = made.right
    const rt = options.recordType
    const name = sanitizeName(rt?.name ?? wf.name)
    const analysis = analyse(wf, name)
    const schema = (rt?.schema ?? derivedSchema(analysis.paths)) as Schema.Schema<unknown, unknown>
    const title =
      (rt?.title as ((d: unknown) => string) | undefined) ??
      ((d: unknown) => {
        const t = Guard.valueAt(d, "title")
        return typeof t === "string" ? t : ""
      })
    const type = RecordType.make<unknown, unknown, R>({
      name,
      prefix: rt?.prefix ?? prefixOf(name),
      schema,
      workflow: wf,
      title,
      ...(rt?.permissions ? { permissions: rt.permissions } : {})
    })
    const createData = rt?.data ?? Arbitrary.make(schema).map((a) => Schema.encodeSync(schema)(a))
    const policyConfig: Policy.Config = {
      ...options.policy,
      roles: { ...options.policy?.roles, [probeRole]: ["*"] }
    }
    const rules = Policy.make(policyConfig)
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
    const numRuns = options.runs ?? 100
    const { clock, tick } = makeClock(Date.parse("2026-01-05T08:00:00.000Z"))
    const setup: Setup<R> = {
      wf,
      type,
      analysis,
      schema,
      createData,
      patches: rt?.editable,
      cast: options.actors ?? defaultCast(rules),
      verifyEveryCommand: options.verifyChain !== "end-of-run",
      tick
    }
    const layer = RecordsTestLayer.make<R>({
      types: [type, ...analysis.stubs.map((s) => s.type as RecordType.Any<R>)],
      links: analysis.linkNeeds
        .map((l) => l.kind)
        .filter((k, i, all) => all.indexOf(k) === i)
        .map((kind) => RecordType.link({ kind })),
      policy: policyConfig,
      seed: seed % 1000,
      ...(options.database ? { database: options.database } : {}),
      ...(options.hooks ? { hooks: options.hooks } : {}),
      ...(options.interceptAuditLog ? { interceptAuditLog: options.interceptAuditLog } : {})
    })

    const check = Effect.gen(function* () {
      const runtime = yield* Effect.runtime<Services | R>()
      const run = (commands: ReadonlyArray<Command>, stats: Stats | undefined) =>
        Runtime.runPromise(runtime)(Effect.withClock(runScenario(setup, commands, stats), clock))
      const stats: Stats = { commands: 0, transitions: {}, states: {} }
      let shrinking = false
      let shrinkRuns = 0
      const maxShrinks = options.maxShrinks ?? 300
      const property = fc.asyncProperty(
        fc.array(commandArbitrary(analysis), { maxLength: options.maxCommands ?? 16, size: "max" }),
        async (commands) => {
          // Past the budget every candidate "passes", so fast-check stops at the smallest failure found so far.
          if (shrinking && ++shrinkRuns > maxShrinks) return
          const outcome = await run(commands, shrinking ? undefined : stats)
          if (outcome.broken !== undefined) {
            shrinking = true
            throw new Error(`${outcome.broken.invariant}: ${outcome.broken.detail}`)
          }
          stats.commands += commands.length + 1
          for (const s of outcome.states) stats.states[s] = (stats.states[s] ?? 0) + 1
        }
      )
      const details = yield* Effect.promise(() =>
        fc.check(property, {
          numRuns,
          seed,
          ...(options.path !== undefined ? { path: options.path } : {}),
          endOnFailure: false
        })
      )
      if (!details.failed || details.counterexample === null) {
        return {
          workflow: wf.name,
          runs: details.numRuns,
          commands: stats.commands,
          seed,
          transitions: stats.transitions,
          states: stats.states
        } satisfies Report
      }
      // Replay the shrunk sequence once more to tell it in words.
      const [commands] = details.counterexample
      const outcome = yield* Effect.promise(() => run(commands, undefined))
      const fromError = String(details.errorInstance instanceof Error ? details.errorInstance.message : details.error)
      const invariant =
        outcome.broken?.invariant ??
        (Object.keys(invariants).find((k) => fromError.startsWith(`${k}:`)) as Invariant | undefined) ??
        "checker-ran"
      return yield* new CheckWorkflowFailed({
        workflow: wf.name,
        invariant,
        detail: outcome.broken?.detail ?? fromError,
        commands: outcome.transcript,
        seed: details.seed,
        path: details.counterexamplePath ?? "",
        numRuns: details.numRuns,
        numShrinks: details.numShrinks
      })
    })
    return yield* check.pipe(Effect.provide(Layer.orDie(layer)))
  })
