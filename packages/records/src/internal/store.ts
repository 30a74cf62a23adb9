// Table shapes of the records runtime, the mapping from rows to the public models, and a record as plain JSON.

import type { AuditEvent } from "@airworthy/audit"
import type * as Model from "../QmsRecord.js"
import { QmsRecord } from "../QmsRecord.js"

type Int = number | string

export interface RecordRow {
  readonly tenant_id: string
  readonly id: string
  readonly type: string
  readonly ref: string
  readonly title: string
  readonly state: string
  readonly version: Int
  readonly owner_id: string | null
  readonly created_by: string
  readonly created_at: string
  readonly updated_at: string
  readonly due_at: string | null
  readonly closed_at: string | null
  readonly data: string
}

export interface LinkRow {
  readonly tenant_id: string
  readonly id: string
  readonly kind: string
  readonly from_id: string
  readonly to_id: string
  readonly created_by: string
  readonly created_at: string
  readonly removed_by: string | null
  readonly removed_at: string | null
}

export interface CommentRow {
  readonly tenant_id: string
  readonly id: string
  readonly record_id: string
  readonly body: string
  readonly author_id: string
  readonly author_name: string
  readonly created_at: string
}

export interface AttachmentRow {
  readonly tenant_id: string
  readonly id: string
  readonly record_id: string
  readonly kind: string
  readonly name: string
  readonly media_type: string
  readonly size_bytes: Int
  readonly sha256: string
  readonly added_by: string
  readonly added_at: string
  readonly supersedes: string | null
  readonly has_content: Int
}

export interface VerificationRow {
  readonly tenant_id: string
  readonly id: string
  readonly record_id: string
  readonly record_version: Int
  readonly result: string
  readonly note: string | null
  readonly verified_by: string
  readonly verified_at: string
}

export interface ApprovalRow {
  readonly tenant_id: string
  readonly id: string
  readonly record_id: string
  readonly record_version: Int
  readonly note: string | null
  readonly approved_by: string
  readonly approved_at: string
}

export interface SignatureRow {
  readonly tenant_id: string
  readonly id: string
  readonly record_id: string
  readonly record_version: Int
  readonly signer_id: string
  readonly signer_name: string
  readonly meaning: string
  readonly transition: string | null
  readonly signed_at: string
  readonly content_hash: string
  readonly content: string
}

export interface HistoryRow {
  readonly tenant_id: string
  readonly id: string
  readonly record_id: string
  readonly kind: string
  readonly version: Int
  readonly transition: string | null
  readonly from_state: string | null
  readonly to_state: string | null
  readonly actor_id: string
  readonly at: string
  readonly reason: string | null
  readonly detail: string | null
}

export interface Tables {
  readonly aw_records: RecordRow
  readonly aw_record_refs: {
    readonly tenant_id: string
    readonly type: string
    readonly year: number
    readonly last_number: Int
  }
  readonly aw_record_links: LinkRow
  readonly aw_record_comments: CommentRow
  readonly aw_record_attachments: AttachmentRow
  readonly aw_record_verifications: VerificationRow
  readonly aw_record_approvals: ApprovalRow
  readonly aw_record_signatures: SignatureRow
  readonly aw_record_history: HistoryRow
  readonly aw_record_idempotency: {
    readonly tenant_id: string
    readonly idempotency_key: string
    readonly operation: string
    readonly request_hash: string
    readonly response: string | null
    readonly created_at: string
  }
}

const int = (n: Int): number => (typeof n === "number" ? n : Number(n))

/** PostgreSQL may hand TEXT JSON back parsed if a host maps it; accept both. */
const json = (text: string | null): unknown =>
  text === null ? null : typeof text === "string" ? JSON.parse(text) : text

export const toRecord = (r: RecordRow): QmsRecord =>
  new QmsRecord(
    {
      id: r.id,
      type: r.type,
      ref: r.ref,
      title: r.title,
      state: r.state,
      version: int(r.version),
      ownerId: r.owner_id,
      createdBy: r.created_by,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      dueAt: r.due_at,
      closedAt: r.closed_at,
      data: json(r.data)
    },
    { disableValidation: true }
  )

export const fromRecord = (tenantId: string, r: QmsRecord): RecordRow => ({
  tenant_id: tenantId,
  id: r.id,
  type: r.type,
  ref: r.ref,
  title: r.title,
  state: r.state,
  version: r.version,
  owner_id: r.ownerId,
  created_by: r.createdBy,
  created_at: r.createdAt,
  updated_at: r.updatedAt,
  due_at: r.dueAt,
  closed_at: r.closedAt,
  data: JSON.stringify(r.data)
})

/** The record as plain JSON (what audit events, signatures and idempotent responses hold). */
export const recordJson = (r: QmsRecord) => ({
  id: r.id,
  type: r.type,
  ref: r.ref,
  title: r.title,
  state: r.state,
  version: r.version,
  ownerId: r.ownerId,
  createdBy: r.createdBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  dueAt: r.dueAt,
  closedAt: r.closedAt,
  data: r.data as AuditEvent.Json
})

export const toLink = (r: LinkRow): Model.Link => ({
  id: r.id,
  kind: r.kind,
  fromId: r.from_id,
  toId: r.to_id,
  createdBy: r.created_by,
  createdAt: r.created_at,
  removedBy: r.removed_by,
  removedAt: r.removed_at
})

export const toComment = (r: CommentRow): Model.Comment => ({
  id: r.id,
  recordId: r.record_id,
  body: r.body,
  authorId: r.author_id,
  authorName: r.author_name,
  createdAt: r.created_at
})

export const toAttachment = (r: AttachmentRow): Model.Attachment => ({
  id: r.id,
  recordId: r.record_id,
  kind: r.kind,
  name: r.name,
  mediaType: r.media_type,
  size: int(r.size_bytes),
  sha256: r.sha256,
  addedBy: r.added_by,
  addedAt: r.added_at,
  supersedes: r.supersedes ?? null,
  hasContent: int(r.has_content ?? 0) === 1
})

export const toVerification = (r: VerificationRow): Model.Verification => ({
  id: r.id,
  recordId: r.record_id,
  recordVersion: int(r.record_version),
  result: r.result,
  note: r.note,
  verifiedBy: r.verified_by,
  verifiedAt: r.verified_at
})

export const toApproval = (r: ApprovalRow): Model.Approval => ({
  id: r.id,
  recordId: r.record_id,
  recordVersion: int(r.record_version),
  note: r.note,
  approvedBy: r.approved_by,
  approvedAt: r.approved_at
})

export const toSignature = (r: SignatureRow): Model.Signature => ({
  id: r.id,
  recordId: r.record_id,
  recordVersion: int(r.record_version),
  signerId: r.signer_id,
  signerName: r.signer_name,
  meaning: r.meaning,
  transition: r.transition,
  signedAt: r.signed_at,
  contentHash: r.content_hash
})

export const toHistory = (r: HistoryRow): Model.HistoryEntry => ({
  id: r.id,
  recordId: r.record_id,
  kind: r.kind as Model.HistoryKind,
  version: int(r.version),
  transition: r.transition,
  fromState: r.from_state,
  toState: r.to_state,
  actorId: r.actor_id,
  at: r.at,
  reason: r.reason,
  detail: json(r.detail)
})
