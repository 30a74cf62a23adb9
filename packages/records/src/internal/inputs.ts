// The command inputs (their public declarations and docs are in Records.ts) and how they are decoded.
import { Errors } from "@airworthy/core"
import { Effect, Schema } from "effect"

const Id = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))
const Version = Schema.Int.pipe(Schema.greaterThanOrEqualTo(1))
const Reason = Schema.String.pipe(Schema.maxLength(4000))
const Note = Schema.String.pipe(Schema.maxLength(4000))
const Common = {
  /** Same key and same request: the first result, nothing written again. Per tenant. */
  idempotencyKey: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))),
  /** Ties the audit events of one business operation together. */
  correlationId: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)))
}

/** How deep record data may nest; deeper data is refused before anything recursive reads it. */
export const maxDataDepth = 64

/**
 * Why a value is not JSON a record can hold (`undefined` in a list, a function, NaN, a class
 * instance, a cycle, nesting deeper than `maxDataDepth`), with its path; `undefined` when it is. A
 * property set to `undefined` counts as absent. Iterative, so any input
 * is judged without recursion.
 */
export const jsonIssue = (value: unknown): string | undefined => {
  const stack: Array<readonly [unknown, string, number]> = [[value, "", 0]]
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop()!
    const at = path === "" ? "" : ` at ${path.slice(0, 200)}`
    if (v === null || typeof v === "string" || typeof v === "boolean") continue
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return `${v} is not a JSON number${at}`
      continue
    }
    if (typeof v !== "object") return `${typeof v} is not a JSON value${at}`
    if (depth >= maxDataDepth) return `Nested deeper than ${maxDataDepth} levels${at}`
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}/${i}`, depth + 1])
      continue
    }
    const proto = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) return `Not a plain JSON object${at}`
    // A property set to `undefined` is absent, as in JSON.stringify (`{ note: input.note }`).
    for (const [k, x] of Object.entries(v)) if (x !== undefined) stack.push([x, `${path}/${k}`, depth + 1])
  }
  return undefined
}

const jsonArbitrary = () => (fc: typeof import("effect").FastCheck) =>
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }))

/** Record data: JSON only, at most `maxDataDepth` deep. */
const Data = Schema.Unknown.pipe(
  Schema.filter((v) => jsonIssue(v), { arbitrary: jsonArbitrary, identifier: "JsonData" })
)

/** A merge patch of record data: a JSON object. */
const Patch = Schema.Record({ key: Schema.String, value: Schema.Unknown }).pipe(
  Schema.filter((v) => jsonIssue(v), { arbitrary: jsonArbitrary, identifier: "JsonPatch" })
)

export const CreateInput = Schema.Struct({
  type: Schema.String,
  data: Data,
  ownerId: Schema.optional(Schema.NullOr(Id)),
  ...Common
})

export const UpdateInput = Schema.Struct({
  id: Id,
  expectedVersion: Schema.optional(Version),
  data: Patch,
  reason: Schema.optional(Reason),
  ...Common
})

export const AssignInput = Schema.Struct({
  id: Id,
  ownerId: Schema.NullOr(Id),
  expectedVersion: Schema.optional(Version),
  reason: Schema.optional(Reason),
  ...Common
})

/** A re-entered password or PIN: at most 1,024 characters. */
const Credential = Schema.Redacted(Schema.String.pipe(Schema.maxLength(1024)))

export const SignatureInput = Schema.Struct({
  meaning: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  credential: Schema.optional(Credential)
})

export const TransitionInput = Schema.Struct({
  id: Id,
  transition: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)),
  expectedVersion: Schema.optional(Version),
  reason: Schema.optional(Reason),
  signature: Schema.optional(SignatureInput),
  ...Common
})

export const LinkInput = Schema.Struct({
  from: Id,
  to: Id,
  kind: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(64)),
  ...Common
})

export const CommentInput = Schema.Struct({
  id: Id,
  body: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(10_000)),
  ...Common
})

export const AttachInput = Schema.Struct({
  id: Id,
  kind: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  name: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  mediaType: Schema.String.pipe(
    Schema.pattern(/^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*$/, {
      message: () => "a media type, e.g. application/pdf"
    }),
    Schema.maxLength(255)
  ),
  size: Schema.Int.pipe(Schema.nonNegative()),
  sha256: Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/, { message: () => "64 lower-case hex digits (SHA-256)" })),
  /** The attachment of the same record this one is a new version of. */
  supersedes: Schema.optional(Id),
  ...Common
})

export const UploadInput = Schema.Struct({
  id: Id,
  kind: Schema.optionalWith(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)), {
    default: () => "document"
  }),
  name: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  mediaType: Schema.optional(
    Schema.String.pipe(
      Schema.pattern(/^[A-Za-z0-9][\w.+-]*\/[A-Za-z0-9][\w.+-]*(\s*;.*)?$/, {
        message: () => "a media type, e.g. application/pdf"
      }),
      Schema.maxLength(255)
    )
  ),
  sha256: Schema.optional(
    Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/, { message: () => "64 lower-case hex digits (SHA-256)" }))
  ),
  supersedes: Schema.optional(Id),
  ...Common
})

export const VerificationInput = Schema.Struct({
  id: Id,
  result: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  note: Schema.optional(Note),
  expectedVersion: Schema.optional(Version),
  ...Common
})

export const ApproveInput = Schema.Struct({
  id: Id,
  note: Schema.optional(Note),
  expectedVersion: Schema.optional(Version),
  ...Common
})

export const SignInput = Schema.Struct({
  id: Id,
  meaning: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  credential: Schema.optional(Credential),
  expectedVersion: Schema.optional(Version),
  reason: Schema.optional(Reason),
  ...Common
})

const OneOrMany = Schema.Union(Schema.String, Schema.Array(Schema.String))

export const ListFilter = Schema.Struct({
  type: Schema.optional(OneOrMany),
  state: Schema.optional(OneOrMany),
  ownerId: Schema.optional(Id),
  dueBefore: Schema.optional(Schema.DateTimeUtc),
  text: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(300))),
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 500))),
  order: Schema.optional(Schema.Literal("asc", "desc"))
})

/** What every command input carries (see `Common`). */
export interface CommonInput {
  readonly idempotencyKey?: string | undefined
  readonly correlationId?: string | undefined
}

/** What a side-entry command input may carry besides its entry. */
export interface SideInput extends CommonInput {
  readonly id: string
  readonly expectedVersion?: number | undefined
  readonly reason?: string | undefined
}

/** A decoder of `schema` whose failure is `ValidationFailed` with field paths under `prefix`. */
export const decodeWith =
  <A, I>(schema: Schema.Schema<A, I>, options: { readonly strict?: boolean } = {}) =>
  (input: unknown, prefix = ""): Effect.Effect<A, Errors.ValidationFailed> => {
    const r = Schema.decodeUnknownEither(schema, {
      errors: "all",
      onExcessProperty: options.strict ? "error" : "ignore"
    })(input)
    return r._tag === "Right" ? Effect.succeed(r.right) : Effect.fail(Errors.fromParseError(r.left, prefix))
  }

export const invalid = (path: string, message: string) => new Errors.ValidationFailed({ issues: [{ path, message }] })

export const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** The request without the idempotency key and the credential, for the idempotency hash. */
export const requestOf = (input: object): unknown => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(input)) {
    if (k === "idempotencyKey" || v === undefined) continue
    if (k === "credential") continue
    if (k === "signature" && isPlainObject(v)) out[k] = { meaning: v.meaning }
    else out[k] = v
  }
  return out
}
