/**
 * The errors only notifications fail with. Like core's errors, each carries its RFC 7807 problem
 * metadata (`problemType`, `title`, `status`, `code`).
 *
 * Bad template parameters or recipients fail with core's `Errors.ValidationFailed`; storage problems
 * with `StorageError`.
 *
 * @since 0.1.0
 */
import { Errors } from "@airworthy/core"
import { Schema } from "effect"

const problem = (code: string, title: string, status: number): Errors.Problem => ({
  problemType: `${Errors.problemBase}${code.replace(/_/g, "-")}`,
  title,
  status,
  code
})

/**
 * Why a transport could not hand a message over.
 * - `connection`: the provider could not be reached (refused, reset, DNS)
 * - `timeout`: the send took longer than the dispatcher's per-send timeout
 * - `rejected`: the provider answered with an error (SMTP 4xx is transient, 5xx permanent)
 * - `auth`: the provider refused our credentials
 * - `protocol`: anything else the provider or the client library reported
 * @since 0.1.0
 * @category models
 */
export const TransportFailure = Schema.Literal("connection", "timeout", "rejected", "auth", "protocol")
/** @since 0.1.0 @category models */
export type TransportFailure = typeof TransportFailure.Type

/**
 * A transport failed to send one message. `permanent` failures (an SMTP 5xx answer to the
 * recipient or the data) are dead-lettered at once; the others are retried with backoff and count
 * towards the transport's circuit breaker.
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  transport: Schema.String,
  reason: TransportFailure,
  permanent: Schema.Boolean,
  responseCode: Schema.optional(Schema.Number),
  detail: Schema.String
}) {
  static readonly problem = problem("notify_transport_failed", "Mail transport failure", 502)
  readonly problemType = TransportError.problem.problemType
  readonly title = TransportError.problem.title
  readonly status = TransportError.problem.status
  readonly code = TransportError.problem.code
  override get message() {
    const code = this.responseCode !== undefined ? ` ${this.responseCode}` : ""
    return `${this.transport} ${this.reason}${code}: ${this.detail}`
  }
}
