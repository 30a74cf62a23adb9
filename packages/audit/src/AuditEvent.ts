/**
 * What an audit event is: the input a caller appends, the event readers get back, the envelope the
 * hash chain commits to, and the field-level diff between the before and after values.
 *
 * @since 0.1.0
 */
import { Actor } from "@airworthy/core"
import { ParseResult, Schema } from "effect"
import * as CanonicalJson from "./CanonicalJson.js"

/**
 * A JSON value as stored in an event (before/after values, sensitive values).
 * @since 0.1.0
 * @category models
 */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const maxDepth = 64

type Normalised =
  | { readonly ok: true; readonly value: Json }
  | { readonly ok: false; readonly path: Array<PropertyKey>; readonly message: string }

const isPlainObject = (u: object): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

class NotJson {
  constructor(
    readonly path: Array<PropertyKey>,
    readonly message: string
  ) {}
}

// Copies the value while checking it is JSON; object keys whose value is `undefined` are dropped,
// the way JSON.stringify drops them, so hosts can pass objects with optional fields. `path` is a
// stack (pushed and popped), copied only when a value is rejected.
const copy = (u: unknown, path: Array<PropertyKey>): Json => {
  if (u === null || typeof u === "string" || typeof u === "boolean") return u
  if (typeof u === "number") {
    if (!Number.isFinite(u)) throw new NotJson([...path], `${u} is not a JSON number`)
    return Object.is(u, -0) ? 0 : u
  }
  if (path.length > maxDepth) throw new NotJson([...path], `nested deeper than ${maxDepth} levels`)
  if (Array.isArray(u)) {
    const out: Array<Json> = new Array(u.length)
    for (let i = 0; i < u.length; i++) {
      path.push(i)
      if (u[i] === undefined) throw new NotJson([...path], "undefined is not JSON (use null)")
      out[i] = copy(u[i], path)
      path.pop()
    }
    return out
  }
  if (typeof u === "object" && isPlainObject(u)) {
    const out: Record<string, Json> = {}
    for (const key of Object.keys(u)) {
      const item = (u as Record<string, unknown>)[key]
      if (item === undefined) continue
      path.push(key)
      const value = copy(item, path)
      path.pop()
      // "__proto__" is an ordinary JSON key and must not set the prototype.
      if (key === "__proto__") {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
      } else out[key] = value
    }
    return out
  }
  const kind = u === undefined ? "undefined" : typeof u === "object" ? (u.constructor?.name ?? "object") : typeof u
  throw new NotJson([...path], `a ${kind} is not JSON`)
}

const normalise = (u: unknown): Normalised => {
  try {
    return { ok: true, value: copy(u, []) }
  } catch (e) {
    if (e instanceof NotJson) return { ok: false, path: e.path, message: e.message }
    throw e
  }
}

// Checks without copying (the decoded copy is checked again as the transformation's output).
const isJson = (u: unknown, depth: number): u is Json => {
  if (u === null || typeof u === "string" || typeof u === "boolean") return true
  if (typeof u === "number") return Number.isFinite(u)
  if (depth > maxDepth || typeof u !== "object") return false
  if (Array.isArray(u)) {
    for (const item of u) if (!isJson(item, depth + 1)) return false
    return true
  }
  if (!isPlainObject(u)) return false
  for (const key of Object.keys(u)) {
    const item = (u as Record<string, unknown>)[key]
    if (item !== undefined && !isJson(item, depth + 1)) return false
  }
  return true
}

const JsonType = Schema.declare((u: unknown): u is Json => isJson(u, 0), {
  identifier: "Json",
  description: "Any JSON value: null, boolean, finite number, string, array or plain object"
})

/**
 * Decodes any value into a JSON copy of it, failing with the path of the first non-JSON part
 * (a function, a `Date`, `NaN`, ...). Keys whose value is `undefined` are dropped.
 * @since 0.1.0
 * @category schemas
 */
export const JsonValue: Schema.Schema<Json, unknown> = Schema.transformOrFail(Schema.Unknown, JsonType, {
  strict: true,
  decode: (u, _, ast) => {
    const r = normalise(u)
    if (r.ok) return ParseResult.succeed(r.value)
    // The issue carries no part of the value: printing a value nested thousands deep would itself
    // overflow the stack. The message and the path say what and where.
    const actual = "(value)"
    return ParseResult.fail(
      r.path.length === 0
        ? new ParseResult.Type(ast, actual, r.message)
        : new ParseResult.Pointer(
            r.path.slice(0, 80) as [PropertyKey, ...Array<PropertyKey>],
            actual,
            new ParseResult.Type(ast, actual, r.message)
          )
    )
  },
  encode: ParseResult.succeed
})

/**
 * How much an event matters to a reviewer. `security` is for access, erasure, purge and key events.
 * @since 0.1.0
 * @category models
 */
export const Severity = Schema.Literal("info", "warning", "security")
/** @since 0.1.0 @category models */
export type Severity = typeof Severity.Type

/**
 * A dotted, lower-case action name: `finding.closed`, `capa.plan_approved`.
 * @since 0.1.0
 * @category models
 */
export const Action = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, {
    message: () => "an action is dotted lower-case words, e.g. finding.closed"
  }),
  Schema.maxLength(128)
)

/**
 * A record type: `finding`, `capa`, `fracas_case`, or a host's own.
 * @since 0.1.0
 * @category models
 */
export const RecordType = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_-]*$/, { message: () => "a record type is lower-case, e.g. finding" }),
  Schema.maxLength(64)
)

/**
 * What a caller appends. The tenant, actor, trace id, time, id and sequence are not part of it: they
 * come from `CurrentActor`, `Clock`, `Ids` and the chain.
 * @since 0.1.0
 * @category schemas
 */
// Absent or `undefined`; the Undefined member carries its own message, so a failing JSON value is
// never printed whole (one nested thousands deep would overflow the stack).
const OptionalJson = Schema.optionalWith(
  Schema.Union(JsonValue, Schema.Undefined.annotations({ message: () => "Must be a JSON value, or left out" })),
  { exact: true }
)

export const AppendInput = Schema.Struct({
  action: Action,
  recordType: RecordType,
  recordId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  before: OptionalJson,
  after: OptionalJson,
  /** The reason for the change, as the person gave it. */
  reason: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
  /** Ties together the events of one business operation (e.g. one request creating three records). */
  correlationId: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))),
  severity: Schema.optional(Severity),
  /** Defaults to the actor's source. */
  source: Schema.optional(Actor.Source)
})
/** @since 0.1.0 @category models */
export type AppendInput = typeof AppendInput.Type
/** @since 0.1.0 @category models */
export type AppendInputEncoded = typeof AppendInput.Encoded

const actionPattern = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/
const recordTypePattern = /^[a-z][a-z0-9_-]*$/
const severities: ReadonlySet<unknown> = new Set(Severity.literals)
const sources: ReadonlySet<unknown> = new Set(Actor.Source.literals)
const shortId = (u: unknown): u is string => typeof u === "string" && u.length > 0 && u.length <= 128 && u === u.trim()
const appendKeys: ReadonlySet<string> = new Set([
  "action",
  "recordType",
  "recordId",
  "before",
  "after",
  "reason",
  "correlationId",
  "severity",
  "source"
])

/**
 * The hot path of `AppendInput` decoding: the same checks and the same result as
 * `Schema.decodeUnknown(AppendInput)` for valid input, without Schema's machinery. `undefined`
 * means "not decided here": the caller decodes with the Schema, which also reports the issues.
 * @since 0.1.0
 * @category schemas
 * @internal
 */
export const decodeAppendInputFast = (u: unknown): AppendInput | undefined => {
  if (u === null || typeof u !== "object" || Array.isArray(u) || !isPlainObject(u)) return undefined
  const r = u as Record<string, unknown>
  for (const key in r) {
    // Present-but-undefined optional members and unusual keys take the Schema path.
    if (appendKeys.has(key) && r[key] === undefined) return undefined
  }
  const { action, recordType, recordId, reason, correlationId, severity, source } = r
  if (typeof action !== "string" || action.length > 128 || !actionPattern.test(action)) return undefined
  if (typeof recordType !== "string" || recordType.length > 64 || !recordTypePattern.test(recordType)) return undefined
  if (!shortId(recordId)) return undefined
  if (reason !== undefined && (typeof reason !== "string" || reason.length > 4000)) return undefined
  if (correlationId !== undefined && !shortId(correlationId)) return undefined
  if (severity !== undefined && !severities.has(severity)) return undefined
  if (source !== undefined && !sources.has(source)) return undefined
  const out: {
    -readonly [K in keyof AppendInput]: AppendInput[K]
  } = { action, recordType, recordId }
  if (Object.hasOwn(r, "before")) {
    const before = normalise(r.before)
    if (!before.ok) return undefined
    out.before = before.value
  }
  if (Object.hasOwn(r, "after")) {
    const after = normalise(r.after)
    if (!after.ok) return undefined
    out.after = after.value
  }
  if (reason !== undefined) out.reason = reason as string
  if (correlationId !== undefined) out.correlationId = correlationId
  if (severity !== undefined) out.severity = severity as Severity
  if (source !== undefined) out.source = source as Actor.Source
  return out
}

/**
 * One changed field. `path` joins object keys with dots (`reporter.email`); arrays compare whole.
 * A field declared sensitive carries `sensitive: true` and no values (they are in before/after, where
 * readers without the permission see them masked).
 * @since 0.1.0
 * @category models
 */
export const DiffEntry = Schema.Struct({
  path: Schema.String,
  from: Schema.optional(Schema.Unknown),
  to: Schema.optional(Schema.Unknown),
  sensitive: Schema.optional(Schema.Literal(true))
})
/** @since 0.1.0 @category models */
export type DiffEntry = typeof DiffEntry.Type

/**
 * What a reader sees instead of a sensitive value it may not read, or one that was erased.
 * @since 0.1.0
 * @category models
 */
export const SensitiveMarker = Schema.Struct({
  $sensitive: Schema.String,
  $status: Schema.Literal("masked", "erased")
})
/** @since 0.1.0 @category models */
export type SensitiveMarker = typeof SensitiveMarker.Type

/**
 * An event as readers get it back.
 * @since 0.1.0
 * @category schemas
 */
export const AuditEvent = Schema.Struct({
  tenantId: Schema.String,
  /** 1, 2, 3, ... per tenant, without gaps. */
  sequence: Schema.Number,
  id: Schema.String,
  occurredAt: Schema.String,
  actor: Schema.Struct({ id: Schema.String, displayName: Schema.String, roles: Schema.Array(Schema.String) }),
  action: Schema.String,
  record: Schema.Struct({ type: Schema.String, id: Schema.String }),
  before: Schema.Unknown,
  after: Schema.Unknown,
  diff: Schema.Array(DiffEntry),
  reason: Schema.NullOr(Schema.String),
  correlationId: Schema.NullOr(Schema.String),
  traceId: Schema.String,
  severity: Severity,
  source: Schema.String,
  /** Paths in before/after holding sensitive values. */
  sensitivePaths: Schema.Array(Schema.String),
  /** Hex SHA-256 of the envelope; `prevHash` is the previous event's. */
  hash: Schema.String,
  prevHash: Schema.String,
  /** Opaque paging/replay cursor pointing just after this event. */
  cursor: Schema.String
})
/** @since 0.1.0 @category models */
export type AuditEvent = typeof AuditEvent.Type

/**
 * The object the chain commits to (version 1). Its RFC 8785 canonical JSON is stored as the
 * `envelope` column and `hash = SHA-256(UTF-8 bytes of that text)`.
 * @since 0.1.0
 * @category models
 */
export interface Envelope {
  readonly v: 1
  readonly tenant_id: string
  readonly sequence: number
  readonly id: string
  readonly occurred_at: string
  readonly actor: { readonly id: string; readonly name: string; readonly roles: ReadonlyArray<string> }
  readonly action: string
  readonly record: { readonly type: string; readonly id: string }
  readonly before: Json
  readonly after: Json
  readonly diff: ReadonlyArray<Json>
  readonly reason: string | null
  readonly correlation_id: string | null
  readonly trace_id: string
  readonly severity: Severity
  readonly source: string
  readonly sensitive: ReadonlyArray<string>
  readonly prev_hash: string
}

/**
 * The `prev_hash` of a tenant's first event.
 * @since 0.1.0
 * @category constants
 */
export const genesisHash = "0".repeat(64)

const isObject = (j: Json | undefined): j is { readonly [key: string]: Json } =>
  typeof j === "object" && j !== null && !Array.isArray(j)

/**
 * Structural equality of two JSON values.
 * @since 0.1.0
 * @category utils
 */
export const jsonEquals = (a: Json | undefined, b: Json | undefined, depth = 0): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  CanonicalJson.checkDepth(depth, "")
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i], depth + 1)) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b as object)
  if (ka.length !== kb.length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b as object, k)) return false
    if (!jsonEquals((a as Record<string, Json>)[k], (b as Record<string, Json>)[k], depth + 1)) return false
  }
  return true
}

const related = (path: string, sensitive: ReadonlyArray<string>): boolean =>
  sensitive.some((s) => s === path || s.startsWith(`${path}.`) || path.startsWith(`${s}.`) || path === "")

/**
 * The field-level diff between two values. Objects are compared key by key (recursively); anything
 * else (arrays, scalars) is compared whole. A missing side (or a `null` root) against an object
 * counts as `{}`, so each field of a new object is listed.
 * Paths listed in `sensitive` (relative to before/after, e.g. `reporter.email`), and their ancestors
 * and descendants, are reported without values.
 * @since 0.1.0
 * @category utils
 */
export const diff = (
  before: Json | undefined,
  after: Json | undefined,
  sensitive: ReadonlyArray<string> = []
): Array<DiffEntry> => {
  const out: Array<DiffEntry> = []
  const walk = (a: Json | undefined, b: Json | undefined, path: string, root: boolean, depth: number) => {
    CanonicalJson.checkDepth(depth, path)
    // A missing side (or a null root) against an object is `{}`, so a new record lists its fields.
    const aObj = isObject(a) || (isObject(b) && (a === undefined || (a === null && root)))
    const bObj = isObject(b) || (isObject(a) && (b === undefined || (b === null && root)))
    const ao = (isObject(a) ? a : {}) as Record<string, Json>
    const bo = (isObject(b) ? b : {}) as Record<string, Json>
    // Below the root, a member added or removed as an empty object has no fields to list: it is
    // reported as itself.
    const emptyMember =
      !root && (a === undefined || b === undefined) && Object.keys(a === undefined ? bo : ao).length === 0
    if (aObj && bObj && !emptyMember) {
      const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort()
      for (const k of keys) {
        walk(
          Object.hasOwn(ao, k) ? ao[k] : undefined,
          Object.hasOwn(bo, k) ? bo[k] : undefined,
          root ? k : `${path}.${k}`,
          false,
          depth + 1
        )
      }
      return
    }
    if (jsonEquals(a, b)) return
    if (sensitive.length > 0 && related(path, sensitive)) {
      out.push({ path, sensitive: true })
      return
    }
    // Members in canonical order (from, path, to): the envelope is canonicalised without sorting them.
    const entry: { from?: Json; path: string; to?: Json } = a !== undefined ? { from: a, path } : { path }
    if (b !== undefined) entry.to = b
    out.push(entry)
  }
  walk(before, after, "", true, 0)
  return out
}
