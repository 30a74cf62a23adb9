/**
 * The public model of a stored QMS record and of everything attached to it: links, comments,
 * attachments, verifications, approvals, electronic signatures and its history.
 *
 * `data` is the type's data in its encoded (JSON) form, exactly as stored; decode it with the type's
 * Schema (`RecordType.decodeData`) for typed access.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A record of any registered type (finding, CAPA, ...).
 * @since 0.1.0
 * @category models
 */
export class QmsRecord extends Schema.Class<QmsRecord>("@airworthy/records/QmsRecord")({
  id: Schema.String,
  type: Schema.String,
  /** Per tenant and type, sequential and gapless: `CAPA-2026-0001`. */
  ref: Schema.String,
  title: Schema.String,
  state: Schema.String,
  /** 1 on create, +1 on every change of the record itself. */
  version: Schema.Int,
  ownerId: Schema.NullOr(Schema.String),
  createdBy: Schema.String,
  createdAt: Schema.String,
  updatedAt: Schema.String,
  dueAt: Schema.NullOr(Schema.String),
  /** When the record entered a terminal state (null while it is open). */
  closedAt: Schema.NullOr(Schema.String),
  data: Schema.Unknown
}) {}

/**
 * A short view of a record, as lists of links show it.
 * @since 0.1.0
 * @category models
 */
export const RecordSummary = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  ref: Schema.String,
  title: Schema.String,
  state: Schema.String
})
/** @since 0.1.0 @category models */
export type RecordSummary = typeof RecordSummary.Type

/**
 * A typed link from one record to another (`corrective_action`: finding → CAPA).
 * @since 0.1.0
 * @category models
 */
export const Link = Schema.Struct({
  id: Schema.String,
  kind: Schema.String,
  fromId: Schema.String,
  toId: Schema.String,
  createdBy: Schema.String,
  createdAt: Schema.String,
  removedBy: Schema.NullOr(Schema.String),
  removedAt: Schema.NullOr(Schema.String)
})
/** @since 0.1.0 @category models */
export type Link = typeof Link.Type

/**
 * A link seen from one record: `out` when the record is its source, `in` when it is its target.
 * @since 0.1.0
 * @category models
 */
export const LinkView = Schema.Struct({
  link: Link,
  direction: Schema.Literal("out", "in"),
  other: RecordSummary
})
/** @since 0.1.0 @category models */
export type LinkView = typeof LinkView.Type

/**
 * A comment on a record.
 * @since 0.1.0
 * @category models
 */
export const Comment = Schema.Struct({
  id: Schema.String,
  recordId: Schema.String,
  body: Schema.String,
  authorId: Schema.String,
  authorName: Schema.String,
  createdAt: Schema.String
})
/** @since 0.1.0 @category models */
export type Comment = typeof Comment.Type

/**
 * A file attached to a record: its metadata, with `sha256` pinning the content. `hasContent` says the
 * bytes were uploaded (`Records.upload`) and can be downloaded; metadata-only attachments have none.
 * Attachments are immutable: a new version is a new attachment whose `supersedes` names the previous.
 * @since 0.1.0
 * @category models
 */
export const Attachment = Schema.Struct({
  id: Schema.String,
  recordId: Schema.String,
  kind: Schema.String,
  name: Schema.String,
  mediaType: Schema.String,
  size: Schema.Number,
  sha256: Schema.String,
  addedBy: Schema.String,
  addedAt: Schema.String,
  /** The attachment this one is a new version of. */
  supersedes: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  /** The content was uploaded and is stored. */
  hasContent: Schema.optionalWith(Schema.Boolean, { default: () => false })
})
/** @since 0.1.0 @category models */
export type Attachment = typeof Attachment.Type

/**
 * A verification recorded on a record, with its result (`effective`, `ineffective`, ...).
 * @since 0.1.0
 * @category models
 */
export const Verification = Schema.Struct({
  id: Schema.String,
  recordId: Schema.String,
  recordVersion: Schema.Int,
  result: Schema.String,
  note: Schema.NullOr(Schema.String),
  verifiedBy: Schema.String,
  verifiedAt: Schema.String
})
/** @since 0.1.0 @category models */
export type Verification = typeof Verification.Type

/**
 * An approval recorded on a record.
 * @since 0.1.0
 * @category models
 */
export const Approval = Schema.Struct({
  id: Schema.String,
  recordId: Schema.String,
  recordVersion: Schema.Int,
  note: Schema.NullOr(Schema.String),
  approvedBy: Schema.String,
  approvedAt: Schema.String
})
/** @since 0.1.0 @category models */
export type Approval = typeof Approval.Type

/**
 * An electronic signature (21 CFR Part 11 sense): who signed, their printed name, what the signature
 * means, when, and the record version it binds to through `contentHash`, the hex SHA-256 of the
 * RFC 8785 canonical JSON of the record at that version (kept in `content`).
 * @since 0.1.0
 * @category models
 */
export const Signature = Schema.Struct({
  id: Schema.String,
  recordId: Schema.String,
  recordVersion: Schema.Int,
  signerId: Schema.String,
  signerName: Schema.String,
  meaning: Schema.String,
  /** The transition this signature was given for, if any. */
  transition: Schema.NullOr(Schema.String),
  signedAt: Schema.String,
  contentHash: Schema.String
})
/** @since 0.1.0 @category models */
export type Signature = typeof Signature.Type

/**
 * What happened to a record, one entry per command.
 * @since 0.1.0
 * @category models
 */
export const HistoryKind = Schema.Literal(
  "created",
  "updated",
  "assigned",
  "transitioned",
  "linked",
  "unlinked",
  "commented",
  "attached",
  "verification_recorded",
  "approved",
  "signed"
)
/** @since 0.1.0 @category models */
export type HistoryKind = typeof HistoryKind.Type

/**
 * One entry of a record's history. `version` is the record's version after the command.
 * @since 0.1.0
 * @category models
 */
export const HistoryEntry = Schema.Struct({
  id: Schema.String,
  recordId: Schema.String,
  kind: HistoryKind,
  version: Schema.Int,
  transition: Schema.NullOr(Schema.String),
  fromState: Schema.NullOr(Schema.String),
  toState: Schema.NullOr(Schema.String),
  actorId: Schema.String,
  at: Schema.String,
  reason: Schema.NullOr(Schema.String),
  detail: Schema.Unknown
})
/** @since 0.1.0 @category models */
export type HistoryEntry = typeof HistoryEntry.Type

/**
 * A page of records; pass `nextCursor` back as `cursor` (with the same filters) for the next one.
 * @since 0.1.0
 * @category models
 */
export const Page = Schema.Struct({
  items: Schema.Array(QmsRecord),
  nextCursor: Schema.NullOr(Schema.String)
})
/** @since 0.1.0 @category models */
export type Page = typeof Page.Type
