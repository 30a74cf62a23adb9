/**
 * The one error storage fails with, with a `reason` naming the family.
 *
 * @since 0.1.0
 */
import { Predicate, Schema } from "effect"

/**
 * Why a storage operation failed.
 * - `connection`: the database could not be reached (the message names host and database, never the password)
 * - `query`: a statement failed
 * - `constraint`: a unique, foreign-key or check constraint rejected a write
 * - `no_row`: `one` found no row
 * - `migration`: a migration failed (the message names it)
 * - `locked`: the database stayed busy past the timeout
 * - `configuration`: the storage layer was asked for something its database cannot do (row-level
 *   security on SQLite), or the database disagrees with its options
 * @since 0.1.0
 * @category models
 */
export const Reason = Schema.Literal(
  "connection",
  "query",
  "constraint",
  "no_row",
  "migration",
  "locked",
  "configuration"
)
/** @since 0.1.0 @category models */
export type Reason = typeof Reason.Type

/**
 * A typed storage failure.
 * @since 0.1.0
 * @category errors
 */
export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  reason: Reason,
  message: Schema.String,
  /** The migration that failed, as `package/0001_name`. */
  migration: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect)
}) {
  readonly problemType = "https://airworthy.dev/problems/storage"
  readonly title = "Storage failure"
  readonly status = 503
  readonly code = `storage_${this.reason}`
}

const causeMessage = (cause: unknown): string => {
  if (Predicate.hasProperty(cause, "cause") && cause.cause !== undefined && cause.cause !== cause) {
    const inner = causeMessage(cause.cause)
    const outer = Predicate.hasProperty(cause, "message") ? String(cause.message) : ""
    return inner && outer && !outer.includes(inner) ? `${outer}: ${inner}` : inner || outer
  }
  return Predicate.hasProperty(cause, "message") ? String(cause.message) : String(cause)
}

const sqlState = (cause: unknown): string | undefined => {
  for (let c: unknown = cause, depth = 0; c !== undefined && c !== null && depth < 5; depth++) {
    if (Predicate.hasProperty(c, "code") && typeof c.code === "string") return c.code
    c = Predicate.hasProperty(c, "cause") ? c.cause : undefined
  }
  return undefined
}

/**
 * Classifies a driver failure (from `@effect/sql`, `pg` or `better-sqlite3`).
 * @since 0.1.0
 * @category constructors
 */
export const fromCause = (cause: unknown, context?: string): StorageError => {
  const code = sqlState(cause) ?? ""
  const text = causeMessage(cause)
  const reason: Reason =
    code.startsWith("23") || code.startsWith("SQLITE_CONSTRAINT")
      ? "constraint"
      : code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || code === "55P03"
        ? "locked"
        : code.startsWith("08") || code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "3D000"
          ? "connection"
          : "query"
  return new StorageError({ reason, message: context ? `${context}: ${text}` : text, cause })
}

/**
 * Is this a storage failure caused by a constraint (e.g. a unique key)?
 * @since 0.1.0
 * @category guards
 */
export const isConstraint = (u: unknown): u is StorageError => u instanceof StorageError && u.reason === "constraint"
