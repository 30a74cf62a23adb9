/**
 * The errors every Airworthy package fails with.
 *
 * Each error is a `Schema.TaggedError` (so it can cross HTTP and be stored) and carries its RFC 7807
 * problem metadata: `problemType`, `title` and `status`. The HTTP adapter maps any of them to
 * `application/problem+json` from those fields alone.
 *
 * @since 0.1.0
 */
import { ParseResult, Predicate, Schema } from "effect"

/**
 * The problem metadata an error carries.
 * @since 0.1.0
 * @category models
 */
export interface Problem {
  /** A URI reference naming the problem type (RFC 7807 `type`). */
  readonly problemType: string
  /** A short, stable summary of the problem type. */
  readonly title: string
  /** The HTTP status code. */
  readonly status: number
  /** A stable machine code, e.g. `not_found`. */
  readonly code: string
}

/**
 * Where problem types live; hosts may serve documentation there.
 * @since 0.1.0
 * @category constants
 */
export const problemBase = "https://airworthy.dev/problems/"

const problem = (code: string, title: string, status: number): Problem => ({
  problemType: `${problemBase}${code.replace(/_/g, "-")}`,
  title,
  status,
  code
})

/**
 * Is this value an error that carries problem metadata?
 * @since 0.1.0
 * @category guards
 */
export const isProblem = (u: unknown): u is Problem & { readonly message: string } =>
  Predicate.hasProperty(u, "problemType") &&
  Predicate.hasProperty(u, "status") &&
  Predicate.hasProperty(u, "code") &&
  Predicate.hasProperty(u, "title")

/**
 * The record does not exist in the actor's tenant (a record of another tenant is also "not found").
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  entity: Schema.String,
  id: Schema.String
}) {
  static readonly problem = problem("not_found", "Not found", 404)
  readonly problemType = NotFound.problem.problemType
  readonly title = NotFound.problem.title
  readonly status = NotFound.problem.status
  readonly code = NotFound.problem.code
  override get message() {
    // The id may be anything a client sent: echo only its start.
    const id = this.id.length > 80 ? `${this.id.slice(0, 79)}…` : this.id
    return `${this.entity} ${id} was not found`
  }
}

/**
 * No actor could be established for the request.
 * @since 0.1.0
 * @category errors
 */
export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  detail: Schema.optionalWith(Schema.String, { default: () => "Authentication is required" })
}) {
  static readonly problem = problem("unauthenticated", "Unauthenticated", 401)
  readonly problemType = Unauthenticated.problem.problemType
  readonly title = Unauthenticated.problem.title
  readonly status = Unauthenticated.problem.status
  readonly code = Unauthenticated.problem.code
  override get message() {
    return this.detail
  }
}

/**
 * The actor lacks a permission.
 * @since 0.1.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  missing_permission: Schema.String,
  detail: Schema.optional(Schema.String)
}) {
  static readonly problem = problem("forbidden", "Forbidden", 403)
  readonly problemType = Forbidden.problem.problemType
  readonly title = Forbidden.problem.title
  readonly status = Forbidden.problem.status
  readonly code = Forbidden.problem.code
  override get message() {
    return this.detail ?? `Missing permission ${this.missing_permission}`
  }
}

/**
 * One invalid field of an input.
 * @since 0.1.0
 * @category models
 */
export const FieldIssue = Schema.Struct({ path: Schema.String, message: Schema.String })
/** @since 0.1.0 @category models */
export type FieldIssue = typeof FieldIssue.Type

/**
 * Every invalid field of a Schema decoding failure, one issue per dotted path (a union reports each
 * alternative's message, joined), with `prefix` before each path.
 * @since 0.1.0
 * @category constructors
 */
export const fieldIssues = (error: ParseResult.ParseError, prefix = ""): ReadonlyArray<FieldIssue> => {
  const byPath = new Map<string, Array<string>>()
  let formatted: ReadonlyArray<ParseResult.ArrayFormatterIssue>
  try {
    formatted = ParseResult.ArrayFormatter.formatErrorSync(error)
  } catch (e) {
    // Describing a value nested thousands deep overflows the stack; say what is wrong without it.
    if (!(e instanceof RangeError)) throw e
    return [{ path: prefix, message: "Invalid input, nested too deeply to describe" }]
  }
  for (const issue of formatted) {
    const path = shorten([prefix, ...issue.path.map(String)].filter((s) => s !== "").join("."), 200)
    const messages = byPath.get(path) ?? []
    if (!messages.includes(issue.message)) messages.push(issue.message)
    byPath.set(path, messages)
  }
  const issues = [...byPath].map(([path, messages]) => ({ path, message: shorten(messages.join(" | "), 300) }))
  // Input may hold thousands of bad fields; the first ones say enough.
  return issues.length <= maxIssues
    ? issues
    : [...issues.slice(0, maxIssues), { path: "", message: `and ${issues.length - maxIssues} more invalid fields` }]
}

const maxIssues = 50

// Messages quote what the client sent ("actual ..."): never echo more than a screenful of it.
const shorten = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/**
 * Input failed its Schema; every invalid field is listed with its path.
 * @since 0.1.0
 * @category errors
 */
export class ValidationFailed extends Schema.TaggedError<ValidationFailed>()("ValidationFailed", {
  issues: Schema.Array(FieldIssue)
}) {
  static readonly problem = problem("validation_failed", "Validation failed", 400)
  readonly problemType = ValidationFailed.problem.problemType
  readonly title = ValidationFailed.problem.title
  readonly status = ValidationFailed.problem.status
  readonly code = ValidationFailed.problem.code
  override get message() {
    return this.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ")
  }
}

/**
 * One unmet requirement of a workflow step, in words a quality manager understands.
 * @since 0.1.0
 * @category models
 */
export const UnmetRequirement = Schema.Struct({
  guard: Schema.String,
  code: Schema.String,
  message: Schema.String
})
/** @since 0.1.0 @category models */
export type UnmetRequirement = typeof UnmetRequirement.Type

/**
 * A workflow step is blocked; every unmet requirement is listed together.
 * @since 0.1.0
 * @category errors
 */
export class GuardsFailed extends Schema.TaggedError<GuardsFailed>()("GuardsFailed", {
  transition: Schema.String,
  unmet: Schema.NonEmptyArray(UnmetRequirement)
}) {
  static readonly problem = problem("guards_failed", "Requirements not met", 422)
  readonly problemType = GuardsFailed.problem.problemType
  readonly title = GuardsFailed.problem.title
  readonly status = GuardsFailed.problem.status
  readonly code = GuardsFailed.problem.code
  override get message() {
    return `${this.transition} is blocked: ${this.unmet.map((u) => u.message).join("; ")}`
  }
}

/**
 * The transition does not exist from the record's current state.
 * @since 0.1.0
 * @category errors
 */
export class InvalidTransition extends Schema.TaggedError<InvalidTransition>()("InvalidTransition", {
  transition: Schema.String,
  state: Schema.String
}) {
  static readonly problem = problem("invalid_transition", "Invalid transition", 409)
  readonly problemType = InvalidTransition.problem.problemType
  readonly title = InvalidTransition.problem.title
  readonly status = InvalidTransition.problem.status
  readonly code = InvalidTransition.problem.code
  override get message() {
    return `${this.transition} is not allowed from state ${this.state}`
  }
}

/**
 * The caller saw an older version of the record; nothing was written.
 * @since 0.1.0
 * @category errors
 */
export class StaleVersion extends Schema.TaggedError<StaleVersion>()("StaleVersion", {
  id: Schema.String,
  expected: Schema.Number,
  actual: Schema.Number
}) {
  static readonly problem = problem("stale_version", "Stale version", 409)
  readonly problemType = StaleVersion.problem.problemType
  readonly title = StaleVersion.problem.title
  readonly status = StaleVersion.problem.status
  readonly code = StaleVersion.problem.code
  override get message() {
    return `Record ${this.id} is at version ${this.actual}, not ${this.expected}; reload and try again`
  }
}

/**
 * The idempotency key was used before for a different request.
 * @since 0.1.0
 * @category errors
 */
export class IdempotencyConflict extends Schema.TaggedError<IdempotencyConflict>()("IdempotencyConflict", {
  key: Schema.String
}) {
  static readonly problem = problem("idempotency_conflict", "Idempotency key reused", 409)
  readonly problemType = IdempotencyConflict.problem.problemType
  readonly title = IdempotencyConflict.problem.title
  readonly status = IdempotencyConflict.problem.status
  readonly code = IdempotencyConflict.problem.code
  override get message() {
    return `Idempotency key ${this.key} was already used for a different request`
  }
}

/**
 * An input names something that does not exist in the actor's organisation: a person who is not in
 * its directory, a record that is not in its tenant. The field is named so the form can show it.
 * @since 0.1.0
 * @category errors
 */
export class UnknownReference extends Schema.TaggedError<UnknownReference>()("UnknownReference", {
  field: Schema.String,
  id: Schema.String,
  /** What the field should name: `person`, `audit programme area`, `audit`, ... */
  expected: Schema.String
}) {
  static readonly problem = problem("unknown_reference", "Unknown reference", 422)
  readonly problemType = UnknownReference.problem.problemType
  readonly title = UnknownReference.problem.title
  readonly status = UnknownReference.problem.status
  readonly code = UnknownReference.problem.code
  override get message() {
    const id = this.id.length > 80 ? `${this.id.slice(0, 79)}…` : this.id
    return `${this.field}: ${id} is not a known ${this.expected} of this organisation`
  }
}

/**
 * The `ValidationFailed` for a Schema decoding failure.
 * @since 0.1.0
 * @category constructors
 */
export const fromParseError = (error: ParseResult.ParseError, prefix = ""): ValidationFailed =>
  new ValidationFailed({ issues: fieldIssues(error, prefix) })
