/**
 * The errors only the audit log fails with. Like core's errors, each carries its RFC 7807 problem
 * metadata (`problemType`, `title`, `status`, `code`).
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
 * A replay or paging cursor the log cannot continue from: `malformed` (not one of ours), `unknown`
 * (points past the newest event) or `purged` (the events after it were removed by retention).
 * The client should start again from a fresh read (SSE: `event: reset`).
 * @since 0.1.0
 * @category errors
 */
export class CursorExpired extends Schema.TaggedError<CursorExpired>()("CursorExpired", {
  cursor: Schema.String,
  reason: Schema.Literal("malformed", "unknown", "purged")
}) {
  static readonly problem = problem("cursor_expired", "Cursor expired", 410)
  readonly problemType = CursorExpired.problem.problemType
  readonly title = CursorExpired.problem.title
  readonly status = CursorExpired.problem.status
  readonly code = CursorExpired.problem.code
  override get message() {
    return this.reason === "purged"
      ? "The events after this cursor were removed by the retention purge; read again from the start"
      : this.reason === "unknown"
        ? "This cursor does not point to an event of this log; read again from the start"
        : "This is not an audit log cursor"
  }
}

/**
 * What `verify` found wrong, first bad event first.
 * - `hash_mismatch`: the stored hash is not SHA-256 of the stored envelope
 * - `not_canonical`: the stored envelope is not the RFC 8785 canonical JSON of its own fields (extra
 *   whitespace, a duplicated or unsorted key), even if its hash matches
 * - `field_mismatch`: a stored column disagrees with the envelope the hash covers
 * - `chain_broken`: the envelope's `prev_hash` is not the previous event's hash (or the purge anchor)
 * - `gap`: a sequence number is missing
 * - `reorder`: an event sits at a position its envelope does not name
 * - `tail_deleted`: events the head row or a signed checkpoint covers are missing
 * - `head_mismatch`: the head row does not match the newest event
 * - `bad_signature`: a checkpoint's signature does not verify (or its key is unknown)
 * - `checkpoint_mismatch`: the Merkle root recomputed from the events differs from a checkpoint's
 * - `sensitive_mismatch`: a sensitive value does not match its commitment, is missing without a
 *   tombstone, or was erased without an `audit.erased` event
 * - `anchor_mismatch`: the retention purge records do not line up with the chain
 * @since 0.1.0
 * @category models
 */
export const Fault = Schema.Literal(
  "hash_mismatch",
  "not_canonical",
  "field_mismatch",
  "chain_broken",
  "gap",
  "reorder",
  "tail_deleted",
  "head_mismatch",
  "bad_signature",
  "checkpoint_mismatch",
  "sensitive_mismatch",
  "anchor_mismatch"
)
/** @since 0.1.0 @category models */
export type Fault = typeof Fault.Type

/**
 * The log failed verification where an operation needed it to pass (signing a checkpoint, purging).
 * Nothing was written.
 * @since 0.1.0
 * @category errors
 */
export class IntegrityViolation extends Schema.TaggedError<IntegrityViolation>()("IntegrityViolation", {
  tenantId: Schema.String,
  fault: Fault,
  firstBadSequence: Schema.Number,
  detail: Schema.String
}) {
  static readonly problem = problem("audit_integrity_violation", "Audit log integrity violation", 500)
  readonly problemType = IntegrityViolation.problem.problemType
  readonly title = IntegrityViolation.problem.title
  readonly status = IntegrityViolation.problem.status
  readonly code = IntegrityViolation.problem.code
  override get message() {
    return `The audit log of tenant ${this.tenantId} fails verification at event ${this.firstBadSequence} (${this.fault}): ${this.detail}`
  }
}
