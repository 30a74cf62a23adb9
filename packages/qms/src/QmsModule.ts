/**
 * A QMS domain is one declared module: its record types and workflows, link kinds, permissions and
 * the roles they are granted to, the rules that follow a record change (tasks, notifications), and
 * its operations (commands and queries), each with an input Schema, an output Schema, the access it
 * needs, its typed errors and its Effect. `Qms.layer`, the HTTP routes with their OpenAPI
 * operations and the `createQms()` Promise facade are all derived from the list of modules.
 *
 * ```ts
 * export const module = QmsModule.make({
 *   name: "calibration",
 *   recordTypes: [Calibration.recordType],
 *   permissions: { "calibration.read": "See the calibration register" },
 *   grants: { quality_manager: ["calibration.*"] },
 *   operations: [record],
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { AuditError, AuditLog } from "@airworthy/audit"
import { Actor, Errors, Policy } from "@airworthy/core"
import type { EvidenceProfile } from "@airworthy/evidence"
import type { Notify } from "@airworthy/notify"
import { type RecordHooks, Records, RecordType } from "@airworthy/records"
import type { BlobStore, Directory, Storage } from "@airworthy/storage"
import type { Tasks } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { Effect, Either, Schema } from "effect"
import type * as Rule from "./Rule.js"

/**
 * Everything a QMS operation may need (all given by `Qms.layer`), and the actor.
 * @since 0.1.0
 * @category models
 */
export type Needs =
  | Records.Records
  | Tasks.Tasks
  | Notify.Notify
  | Directory.Directory
  | AuditLog.AuditLog
  | Policy.Policy
  | Storage.Storage
  | SqlClient.SqlClient
  | BlobStore.BlobStore
  | Actor.CurrentActor

/**
 * Everything a QMS operation may fail with.
 * @since 0.1.0
 * @category models
 */
export type Failure = RecordHooks.Failure | AuditError.CursorExpired | Errors.UnknownReference | DomainError

/**
 * A module's own typed error: a tagged error carrying its problem metadata (`Calibration.ToolOverdue`),
 * declared in its operation's `errors` and mapped to problem+json like the kernel's.
 * @since 0.1.0
 * @category models
 */
export interface DomainError extends Errors.Problem {
  readonly _tag: string
  readonly message: string
}

/**
 * A QMS command or query as an Effect.
 * @since 0.1.0
 * @category models
 */
export type Command<A> = Effect.Effect<A, Failure, Needs>

/**
 * Who may run an operation:
 * - `permission`: the actor must hold it; checked before anything else is read or evaluated. With
 *   `on` (an input field naming a record), a grant limited to a relation (`capa.update@owner`)
 *   counts when the actor has that relation to the record;
 * - `record`: the permission the record type declares for this action (`finding.read`, ...), checked
 *   by the records runtime on the record itself;
 * - `transition`: the permission of the workflow transition taken;
 * - `actor`: any authenticated actor (the operation only returns what is the actor's own).
 * @since 0.1.0
 * @category models
 */
export type Access =
  | { readonly _tag: "permission"; readonly permission: Policy.Permission; readonly on?: string }
  | { readonly _tag: "record"; readonly action: keyof RecordType.Permissions }
  | { readonly _tag: "transition" }
  | { readonly _tag: "actor" }

/**
 * Access by one permission, checked first. With `{ on: "id" }` it is checked on the record the input
 * field names, so that a grant limited to the actor's relation to it counts (`capa.update@owner`).
 * @since 0.1.0
 * @category access
 */
export const permission = (p: Policy.Permission, options?: { readonly on: string }): Access =>
  options === undefined ? { _tag: "permission", permission: p } : { _tag: "permission", permission: p, on: options.on }

// The permission on the record the input names: an unlimited grant, or none at all, is decided
// before anything is read; a grant limited to a relation reads the record (which needs its read
// permission) and judges the actor's relations to it.
const authorizeOnRecord = (permission: Policy.Permission, id: unknown) =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const rules = yield* Policy.Policy
    if (rules.can(actor, permission) || rules.onlyOn(actor, permission).length === 0 || typeof id !== "string") {
      return yield* Policy.authorize(permission)
    }
    const record = yield* Records.get(id)
    const service = yield* Records.Records
    const type = service.types.find((t) => t.name === record.type)
    const relations = type === undefined ? [] : RecordType.relationsOf(type, record, actor.actorId)
    return yield* Policy.authorizeOn(actor, permission, relations)
  })

/**
 * Access by the record type's own permission for an action.
 * @since 0.1.0
 * @category access
 */
export const recordPermission = (action: keyof RecordType.Permissions): Access => ({ _tag: "record", action })

/**
 * Access by the permission of the transition taken.
 * @since 0.1.0
 * @category access
 */
export const transitionPermission: Access = { _tag: "transition" }

/**
 * Any authenticated actor.
 * @since 0.1.0
 * @category access
 */
export const anyActor: Access = { _tag: "actor" }

/**
 * An error class an operation declares: a tagged error with its problem metadata.
 * @since 0.1.0
 * @category models
 */
export interface DeclaredError {
  readonly name: string
  readonly problem: Errors.Problem
}

/**
 * How an operation is reached over HTTP, relative to where the host mounts the routes. Path
 * parameters (`:id`) become input fields of the same name; a GET's input comes from the query
 * string, decoded by `query` (strings in, the input's wire form out); other methods take a JSON body.
 * @since 0.1.0
 * @category models
 */
export interface Http {
  readonly method: "get" | "post" | "patch"
  readonly path: string
  /** Success status (default 200). */
  readonly status?: 200 | 201
  /** Weak ETag and 304 on If-None-Match. */
  readonly etag?: boolean
  /** Decodes the query string into (part of) the input's wire form; default: no query parameters. */
  // biome-ignore lint/suspicious/noExplicitAny: each route's query decodes to its own shape.
  readonly query?: Schema.Schema<any, any, never>
}

/**
 * One command or query of a module.
 * @since 0.1.0
 * @category models
 */
// biome-ignore lint/suspicious/noExplicitAny: a module's list holds operations of different shapes.
export interface Operation<Name extends string = string, I = any, IE = any, O = any, OE = any> {
  /** The facade method (`qms.<module>.<name>`). */
  readonly name: Name
  /** The OpenAPI operation id (default `name`). */
  readonly operationId: string
  readonly kind: "command" | "query"
  readonly summary: string
  /** Its whole input, path parameters included, validated in every entry point. */
  readonly input: Schema.Schema<I, IE, never>
  readonly output: Schema.Schema<O, OE, never>
  readonly access: Access
  /** The typed errors it may fail with, besides validation, authentication and authorisation. */
  readonly errors: ReadonlyArray<DeclaredError>
  readonly http: Http
  /**
   * The body; `invoke` validates and authorises first. It is given the decoded input, or the wire
   * form when `takes` is `encoded` (for bodies that hand the input on to a service that decodes it).
   */
  readonly run: (input: I) => Effect.Effect<O, Failure, Needs>
  readonly takes: "decoded" | "encoded"
}

/**
 * An operation of any shape.
 * @since 0.1.0
 * @category models
 */
// biome-ignore lint/suspicious/noExplicitAny: an operation of any shape.
export type AnyOperation = Operation<string, any, any, any, any>

/**
 * What an operation declares besides its body (the OpenAPI operation id defaults to the name, the
 * kind to `query` for GET and `command` otherwise).
 * @since 0.1.0
 * @category models
 */
export interface Declaration<Name extends string, I, IE, O, OE> {
  readonly name: Name
  readonly operationId?: string
  readonly kind?: "command" | "query"
  readonly summary: string
  readonly input: Schema.Schema<I, IE, never>
  readonly output: Schema.Schema<O, OE, never>
  readonly access: Access
  readonly errors?: ReadonlyArray<DeclaredError>
  readonly http: Http
}

/**
 * Declares an operation whose body takes the decoded input.
 * @since 0.1.0
 * @category constructors
 */
export const operation = <const Name extends string, I, IE, O, OE>(
  spec: Declaration<Name, I, IE, O, OE> & { readonly run: (input: I) => Effect.Effect<O, Failure, Needs> }
): Operation<Name, I, IE, O, OE> => declare(spec, spec.run, "decoded")

/**
 * Declares an operation whose body hands its input on, in wire form, to a service that decodes it
 * itself (`Records.transition`, ...); `invoke` still validates it against `input` first.
 * @since 0.1.0
 * @category constructors
 */
export const passThrough = <const Name extends string, I, IE, O, OE>(
  spec: Declaration<Name, I, IE, O, OE> & { readonly run: (input: IE) => Effect.Effect<O, Failure, Needs> }
): Operation<Name, I, IE, O, OE> =>
  declare(spec, spec.run as unknown as (input: I) => Effect.Effect<O, Failure, Needs>, "encoded")

const declare = <Name extends string, I, IE, O, OE>(
  spec: Declaration<Name, I, IE, O, OE>,
  run: (input: I) => Effect.Effect<O, Failure, Needs>,
  takes: "decoded" | "encoded"
): Operation<Name, I, IE, O, OE> => ({
  name: spec.name,
  operationId: spec.operationId ?? spec.name,
  kind: spec.kind ?? (spec.http.method === "get" ? "query" : "command"),
  summary: spec.summary,
  input: spec.input,
  output: spec.output,
  access: spec.access,
  errors: spec.errors ?? [],
  http: spec.http,
  run,
  takes
})

// Inputs decode synchronously (no Schema of an operation's input needs services or async work),
// so a valid input costs no extra Effect step on the hot path.
const decode = <I, IE>(schema: Schema.Schema<I, IE, never>) => {
  const parse = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })
  return (input: unknown): Either.Either<I, Errors.ValidationFailed> =>
    Either.mapLeft(parse(input), (e) => Errors.fromParseError(e))
}

/**
 * Runs an operation the way every entry point does: decode the input (wire form) with its Schema,
 * authorise its permission, then its Effect. HTTP, the Promise facade and Effect callers all go
 * through here.
 * @since 0.1.0
 * @category running
 */
export const invoke = <Name extends string, I, IE, O, OE>(
  op: Operation<Name, I, IE, O, OE>
): ((input: IE) => Command<O>) => {
  const decodeInput = decode(op.input)
  const access = op.access
  const encoded = op.takes === "encoded"
  // Decoding is pure: it happens when the Effect is made, so a valid input adds no Effect step.
  return (input) => {
    const decoded = decodeInput(input)
    if (Either.isLeft(decoded)) return Effect.fail(decoded.left)
    const body = op.run(encoded ? (input as unknown as I) : decoded.right)
    if (access._tag !== "permission") return body
    const check =
      access.on === undefined
        ? Policy.authorize(access.permission)
        : authorizeOnRecord(access.permission, (input as Record<string, unknown>)[access.on])
    return Effect.zipRight(check, body)
  }
}

/**
 * One declared QMS domain.
 * @since 0.1.0
 * @category models
 */
export interface QmsModule<
  Name extends string = string,
  Ops extends ReadonlyArray<AnyOperation> = ReadonlyArray<AnyOperation>
> {
  /** A camelCase word: the facade namespace (`qms.findings`) and the OpenAPI tag. */
  readonly name: Name
  readonly label: string
  readonly recordTypes: ReadonlyArray<RecordType.Any>
  readonly links: ReadonlyArray<RecordType.LinkKind>
  /** The permissions this module checks, each with what it lets a person do. */
  readonly permissions: { readonly [permission: string]: string }
  /** What each role is granted of them (patterns allowed: `finding.*`). */
  readonly grants: { readonly [role: string]: ReadonlyArray<Policy.Permission> }
  /** Tasks and notifications that follow a record change, in the command's transaction. */
  readonly rules: ReadonlyArray<Rule.Rule>
  readonly operations: Ops
  /**
   * What the module's record types add to their evidence packs: linked types followed, depth,
   * summary sections, and the domain route (`/findings/:id/evidence-pack`).
   * @since 0.1.0
   */
  readonly evidence: ReadonlyArray<EvidenceProfile.Profile>
}

/**
 * A module of any name and operations.
 * @since 0.1.0
 * @category models
 */
// biome-ignore lint/suspicious/noExplicitAny: a list holds modules of different operations.
export type Any = QmsModule<string, ReadonlyArray<any>>

const namePattern = /^[a-z][a-zA-Z0-9]*$/

/**
 * Declares a module; throws when names repeat or are malformed, or an operation's path parameters
 * are not fields of its input.
 * @since 0.1.0
 * @category constructors
 */
export const make = <const Name extends string, const Ops extends ReadonlyArray<AnyOperation> = readonly []>(spec: {
  readonly name: Name
  readonly label?: string
  readonly recordTypes?: ReadonlyArray<RecordType.Any>
  readonly links?: ReadonlyArray<RecordType.LinkKind>
  readonly permissions?: { readonly [permission: string]: string }
  readonly grants?: { readonly [role: string]: ReadonlyArray<Policy.Permission> }
  readonly rules?: ReadonlyArray<Rule.Rule>
  readonly operations?: Ops
  readonly evidence?: ReadonlyArray<EvidenceProfile.Profile>
}): QmsModule<Name, Ops> => {
  if (!namePattern.test(spec.name)) throw new Error(`Module "${spec.name}" must be a camelCase word (e.g. findings)`)
  const names = new Set<string>()
  for (const op of spec.operations ?? []) {
    if (!namePattern.test(op.name)) throw new Error(`Operation ${spec.name}.${op.name} must be a camelCase word`)
    if (names.has(op.name)) throw new Error(`Operation ${spec.name}.${op.name} is declared twice`)
    names.add(op.name)
    if (op.access._tag === "permission" && op.access.on !== undefined && !fieldsOf(op.input).includes(op.access.on)) {
      throw new Error(
        `Operation ${spec.name}.${op.name}: its permission is checked on "${op.access.on}", not a field of its input`
      )
    }
    for (const [, param] of op.http.path.matchAll(/:([A-Za-z_]+)/g)) {
      if (!fieldsOf(op.input).includes(param ?? "")) {
        throw new Error(`Operation ${spec.name}.${op.name}: path parameter :${param} is not a field of its input`)
      }
    }
  }
  return {
    name: spec.name,
    label: spec.label ?? spec.name,
    recordTypes: spec.recordTypes ?? [],
    links: spec.links ?? [],
    permissions: spec.permissions ?? {},
    grants: spec.grants ?? {},
    rules: spec.rules ?? [],
    operations: spec.operations ?? ([] as unknown as Ops),
    evidence: spec.evidence ?? []
  }
}

/**
 * The facade of one module: one Promise-returning method per operation, taking the input in its
 * wire form and the call (the actor).
 * @since 0.1.0
 * @category models
 */
export type FacadeOf<M extends Any, Call> = {
  readonly [Op in M["operations"][number] as Op["name"]]: Op extends Operation<string, infer _I, infer IE, infer O>
    ? (input: IE, call: Call) => Promise<O>
    : never
}

/**
 * The top-level field names of a Struct-like Schema (empty for anything else).
 * @since 0.1.0
 * @category utils
 */
export const fieldsOf = (schema: Schema.Schema.Any): ReadonlyArray<string> => {
  let ast = schema.ast
  while (ast._tag === "Transformation" || ast._tag === "Refinement") ast = ast._tag === "Refinement" ? ast.from : ast.to
  return ast._tag === "TypeLiteral" ? ast.propertySignatures.map((p) => String(p.name)) : []
}

/**
 * Checks a list of modules fits together: module names, record types, link kinds, operation ids
 * and HTTP method + path are each declared once. Returns the list.
 * @since 0.1.0
 * @category constructors
 */
export const checkAll = <const Ms extends ReadonlyArray<Any>>(modules: Ms): Ms => {
  const seen = (what: string) => {
    const set = new Set<string>()
    return (key: string, where: string) => {
      if (set.has(key)) throw new Error(`${what} ${key} is declared twice (again in module ${where})`)
      set.add(key)
    }
  }
  const moduleName = seen("Module")
  const typeName = seen("Record type")
  const linkKind = seen("Link kind")
  const operationId = seen("Operation id")
  const route = seen("Route")
  const evidenceType = seen("Evidence profile of record type")
  for (const m of modules) {
    for (const e of m.evidence ?? []) {
      evidenceType(e.recordType, m.name)
      if (e.path !== undefined) route(`GET ${e.path.replace(/:[A-Za-z_]+/g, ":")}`, m.name)
    }
    moduleName(m.name, m.name)
    for (const t of m.recordTypes) typeName(t.name, m.name)
    for (const l of m.links) linkKind(l.kind, m.name)
    for (const op of m.operations) {
      operationId(op.operationId, m.name)
      route(`${op.http.method.toUpperCase()} ${op.http.path.replace(/:[A-Za-z_]+/g, ":")}`, m.name)
    }
  }
  return modules
}

/**
 * Every permission the modules check, with what it lets a person do.
 * @since 0.1.0
 * @category derived
 */
export const catalogue = (modules: ReadonlyArray<Any>): { readonly [permission: string]: string } =>
  Object.assign({}, ...modules.map((m) => m.permissions))

/**
 * The modules' grants merged per role, followed by the host's own.
 * @since 0.1.0
 * @category derived
 */
export const policyConfig = (modules: ReadonlyArray<Any>, host: Policy.Config = {}): Policy.Config => {
  const grant: Record<string, Array<Policy.Permission>> = {}
  const add = (grants: { readonly [role: string]: ReadonlyArray<Policy.Permission> }) => {
    for (const [role, ps] of Object.entries(grants)) grant[role] = [...(grant[role] ?? []), ...ps]
  }
  for (const m of modules) add(m.grants)
  add(host.grant ?? {})
  return { ...host, grant, catalogue: { ...catalogue(modules), ...host.catalogue } }
}
