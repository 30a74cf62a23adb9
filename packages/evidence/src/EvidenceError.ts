/**
 * Why an evidence pack could not be made.
 *
 * @since 0.1.0
 */
import { Errors } from "@airworthy/core"
import { Schema } from "effect"

/**
 * The pack's content is larger than the configured limit (413): `size` and `limit` in bytes.
 * @since 0.1.0
 * @category errors
 */
export class PackTooLarge extends Schema.TaggedError<PackTooLarge>()("PackTooLarge", {
  size: Schema.Number,
  limit: Schema.Number
}) {
  static readonly problem: Errors.Problem = {
    problemType: `${Errors.problemBase}evidence-pack-too-large`,
    title: "Evidence pack too large",
    status: 413,
    code: "evidence_pack_too_large"
  }
  readonly problemType = PackTooLarge.problem.problemType
  readonly title = PackTooLarge.problem.title
  readonly status = PackTooLarge.problem.status
  readonly code = PackTooLarge.problem.code
  override get message() {
    return `The evidence pack would hold ${this.size} bytes, more than the limit of ${this.limit} bytes`
  }
}

/**
 * An attachment's stored content is missing or no longer hashes to the SHA-256 recorded when it was
 * attached (422): the pack is refused, naming the attachment, and nothing is stored.
 * @since 0.1.0
 * @category errors
 */
export class AttachmentCorrupted extends Schema.TaggedError<AttachmentCorrupted>()("AttachmentCorrupted", {
  recordId: Schema.String,
  attachmentId: Schema.String,
  name: Schema.String,
  expectedSha256: Schema.String,
  /** What was found: the content's hash, or `missing`. */
  found: Schema.String
}) {
  static readonly problem: Errors.Problem = {
    problemType: `${Errors.problemBase}evidence-attachment-corrupted`,
    title: "Attachment content corrupted",
    status: 422,
    code: "evidence_attachment_corrupted"
  }
  readonly problemType = AttachmentCorrupted.problem.problemType
  readonly title = AttachmentCorrupted.problem.title
  readonly status = AttachmentCorrupted.problem.status
  readonly code = AttachmentCorrupted.problem.code
  override get message() {
    return this.found === "missing"
      ? `Attachment "${this.name}" (${this.attachmentId}) has no stored content`
      : `Attachment "${this.name}" (${this.attachmentId}) is corrupted: its content hashes to ${this.found}, not ${this.expectedSha256}`
  }
}

/**
 * Writing the pack failed (the output or the store failed): 500.
 * @since 0.1.0
 * @category errors
 */
export class PackWriteFailed extends Schema.TaggedError<PackWriteFailed>()("PackWriteFailed", {
  detail: Schema.String
}) {
  static readonly problem: Errors.Problem = {
    problemType: `${Errors.problemBase}evidence-pack-write-failed`,
    title: "Evidence pack could not be written",
    status: 500,
    code: "evidence_pack_write_failed"
  }
  readonly problemType = PackWriteFailed.problem.problemType
  readonly title = PackWriteFailed.problem.title
  readonly status = PackWriteFailed.problem.status
  readonly code = PackWriteFailed.problem.code
  override get message() {
    return this.detail
  }
}
