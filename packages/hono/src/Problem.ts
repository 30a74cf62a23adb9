/**
 * RFC 7807 `application/problem+json` bodies built from the problem metadata Airworthy's errors
 * carry (`problemType`, `title`, `status`, `code`). Anything else, and every defect, is a 500 with
 * a generic detail: no stack trace, SQL or message of an unknown error leaves the server.
 *
 * @since 0.1.0
 */
import { Errors } from "@airworthy/core"
import { Cause, Option, Schema } from "effect"
import type { Context } from "hono"
import type { ContentfulStatusCode } from "hono/utils/http-status"

/**
 * A problem body as sent.
 * @since 0.1.0
 * @category models
 */
export const Problem = Schema.Struct({
  type: Schema.String,
  title: Schema.String,
  status: Schema.Int,
  code: Schema.String,
  detail: Schema.optional(Schema.String),
  trace_id: Schema.String,
  missing_permission: Schema.optional(Schema.String),
  unmet: Schema.optional(Schema.Array(Errors.UnmetRequirement)),
  issues: Schema.optional(Schema.Array(Errors.FieldIssue))
}).annotations({ identifier: "Problem" })
/** @since 0.1.0 @category models */
export type Problem = typeof Problem.Type

/**
 * The media type of problem bodies.
 * @since 0.1.0
 * @category constants
 */
export const contentType = "application/problem+json"

/**
 * A problem from its parts.
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly traceId: string
  readonly detail?: string
  readonly extra?: Partial<Pick<Problem, "missing_permission" | "unmet" | "issues">>
}): Problem => ({
  type: `${Errors.problemBase}${options.code.replace(/_/g, "-")}`,
  title: options.title,
  status: options.status,
  code: options.code,
  ...(options.detail === undefined ? {} : { detail: options.detail }),
  trace_id: options.traceId,
  ...options.extra
})

const internal = (traceId: string): Problem =>
  make({
    status: 500,
    code: "internal",
    title: "Internal error",
    detail: "An unexpected error occurred; quote the trace id when reporting it",
    traceId
  })

const fromProblemError = (e: Errors.Problem & { readonly message: string }, traceId: string): Problem => {
  // 5xx errors (storage, integrity) may carry driver messages or SQL: only their code goes out.
  if (e.status >= 500) {
    return {
      type: e.problemType,
      title: e.title,
      status: e.status,
      code: e.code,
      detail: "The service could not complete the request; quote the trace id when reporting it",
      trace_id: traceId
    }
  }
  const fields = e as unknown as Record<string, unknown>
  // An error's own `extensions` (a refused tool's due date, ...) come first; the standard members win.
  const own = fields.extensions
  const extra: Record<string, unknown> =
    typeof own === "object" && own !== null && !Array.isArray(own) ? { ...(own as Record<string, unknown>) } : {}
  if (typeof fields.missing_permission === "string") extra.missing_permission = fields.missing_permission
  if (Array.isArray(fields.unmet)) extra.unmet = fields.unmet
  if (Array.isArray(fields.issues)) extra.issues = fields.issues
  // An error about one field of the input names it the way a 400 does.
  if (typeof fields.field === "string") extra.issues = [{ path: fields.field, message: e.message }]
  return {
    ...extra,
    type: e.problemType,
    title: e.title,
    status: e.status,
    code: e.code,
    detail: e.message,
    trace_id: traceId
  }
}

/**
 * The problem for a failed effect's cause: the first expected failure carrying problem metadata,
 * else 500. Interruption (the client went away) is a 499-style 500 as well; it is never sent.
 * @since 0.1.0
 * @category constructors
 */
export const fromCause = (cause: Cause.Cause<unknown>, traceId: string): Problem => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && Errors.isProblem(failure.value)) return fromProblemError(failure.value, traceId)
  return internal(traceId)
}

/**
 * The problem for any thrown value (a host's `authenticate` throwing, say).
 * @since 0.1.0
 * @category constructors
 */
export const fromUnknown = (u: unknown, traceId: string): Problem =>
  Errors.isProblem(u) ? fromProblemError(u, traceId) : internal(traceId)

/**
 * A problem as a `Response`.
 * @since 0.1.0
 * @category constructors
 */
export const response = (problem: Problem, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": contentType, ...headers }
  })

/**
 * A problem as the context's response, keeping headers middleware set before (trace id, CORS).
 * @since 0.1.0
 * @category constructors
 */
export const respond = (c: Context, problem: Problem, headers: Record<string, string> = {}): Response =>
  c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, { "content-type": contentType, ...headers })
