// The email log's row type and the dialect-specific statements of the queue it holds.
import type { Storage } from "@airworthy/storage"
import * as EmailLog from "../EmailLog.js"

export interface EmailLogRow {
  readonly id: string
  readonly tenant_id: string
  readonly notification_id: string
  readonly recipient: string
  readonly recipient_name: string | null
  readonly subject: string
  readonly template: string
  readonly status: string
  readonly attempts: number
  readonly last_error: string | null
  readonly provider_message_id: string | null
  readonly message_id: string
  readonly record_type: string | null
  readonly record_id: string | null
  readonly queued_at: string
  readonly sent_at: string | null
  readonly last_attempt_at: string | null
  readonly next_attempt_at: string | null
  readonly body_text: string
  readonly body_html: string
  readonly claimed_by: string | null
  readonly claimed_until: string | null
}

export interface Tables {
  readonly aw_notify_email_log: EmailLogRow
}

/** The columns of an `EmailLog.Entry` (not the bodies or the lease). */
export const entryColumns = [
  "id",
  "tenant_id",
  "notification_id",
  "recipient",
  "recipient_name",
  "subject",
  "template",
  "status",
  "attempts",
  "last_error",
  "provider_message_id",
  "message_id",
  "record_type",
  "record_id",
  "queued_at",
  "sent_at",
  "last_attempt_at",
  "next_attempt_at"
] as const

const startEmpty: ReadonlySet<string> = new Set([
  "attempts",
  "last_error",
  "provider_message_id",
  "sent_at",
  "last_attempt_at"
])

/**
 * The columns `enqueueMany` writes, in VALUES order: the entry's, less those a new message leaves
 * at their defaults (no attempt, error, provider id or send yet), then the bodies. The lease starts empty.
 */
export const insertColumns = [...entryColumns.filter((c) => !startEmpty.has(c)), "body_text", "body_html"] as const

/** Statuses of messages still to send: the queue is the log's rows in these. */
export const pendingStatuses = "('queued', 'failed')"

/** What a claim returns: enough to send. */
export interface ClaimedRow {
  readonly id: string
  readonly tenant_id: string
  readonly recipient: string
  readonly recipient_name: string | null
  readonly subject: string
  readonly body_text: string
  readonly body_html: string
  readonly message_id: string
  readonly attempts: number | string
  readonly claimed_until: string
}

const claimColumns =
  "id, tenant_id, recipient, recipient_name, subject, body_text, body_html, message_id, attempts, claimed_until"

/**
 * Claims up to `limit` due rows whose lease is free or expired, in one statement.
 * Params: [claimedBy, claimedUntil, now, limit]. PostgreSQL skips rows another claimer holds locked.
 */
export const claim = (
  dialect: Storage.Dialect
): { readonly sql: string; readonly params: (p: ClaimParams) => Array<unknown> } =>
  dialect === "pg"
    ? {
        // A MATERIALIZED CTE runs the locking LIMIT query once; `id IN (subquery)` may be planned as a
        // nested loop that re-runs it per outer row and claims more rows than the limit.
        sql: `WITH due AS MATERIALIZED (
  SELECT id FROM aw_notify_email_log
  WHERE status IN ${pendingStatuses} AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)
  ORDER BY next_attempt_at, id
  LIMIT $4
  FOR UPDATE SKIP LOCKED
)
UPDATE aw_notify_email_log AS o SET claimed_by = $1, claimed_until = $2
FROM due WHERE o.id = due.id
RETURNING ${claimColumns
          .split(", ")
          .map((c) => `o.${c}`)
          .join(", ")}`,
        params: (p) => [p.claimedBy, p.claimedUntil, p.now, p.limit]
      }
    : {
        sql: `UPDATE aw_notify_email_log SET claimed_by = ?, claimed_until = ?
WHERE id IN (
  SELECT id FROM aw_notify_email_log
  WHERE status IN ${pendingStatuses} AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
  ORDER BY next_attempt_at, id
  LIMIT ?
)
RETURNING ${claimColumns}`,
        params: (p) => [p.claimedBy, p.claimedUntil, p.now, p.now, p.limit]
      }

export interface ClaimParams {
  readonly claimedBy: string
  readonly claimedUntil: string
  readonly now: string
  readonly limit: number
}

/**
 * One claimed message's outcome: `status` `null` hands it back unsent (no attempt used, still due
 * when it was); otherwise the attempt is counted and the status, error, provider id and times set.
 */
export interface Outcome {
  readonly id: string
  readonly status: "sent" | "failed" | "dead" | null
  readonly attempted: number
  readonly last_error: string | null
  readonly provider_message_id: string | null
  readonly sent_at: string | null
  readonly last_attempt_at: string | null
  readonly next_attempt_at: string | null
}

const outcomeColumns = [
  "id",
  "status",
  "attempted",
  "last_error",
  "provider_message_id",
  "sent_at",
  "last_attempt_at",
  "next_attempt_at"
] as const

const sqliteRecordset = (columns: ReadonlyArray<string>) =>
  `(SELECT ${columns.map((c) => `json_extract(value, '$.${c}') AS ${c}`).join(", ")} FROM json_each(?))`

/**
 * Records many outcomes in one statement, only on rows this claimer still holds (another instance
 * may have taken over an expired lease), and releases their lease. Params: [json, claimedBy].
 */
export const recordOutcomes = (dialect: Storage.Dialect): string => {
  const set = `status = COALESCE(v.status, l.status),
  attempts = l.attempts + v.attempted,
  last_error = COALESCE(v.last_error, l.last_error),
  provider_message_id = COALESCE(v.provider_message_id, l.provider_message_id),
  sent_at = COALESCE(v.sent_at, l.sent_at),
  last_attempt_at = COALESCE(v.last_attempt_at, l.last_attempt_at),
  next_attempt_at = CASE WHEN v.status IS NULL THEN l.next_attempt_at ELSE v.next_attempt_at END,
  claimed_by = NULL,
  claimed_until = NULL`
  return dialect === "pg"
    ? // The recordset is parsed once (MATERIALIZED) and drives primary-key lookups; without it the
      // planner, misled by the partial index, may re-scan the function once per log row.
      `WITH v AS MATERIALIZED (
  SELECT * FROM json_to_recordset($1::json) AS r(id text, status text, attempted integer, last_error text, provider_message_id text, sent_at text, last_attempt_at text, next_attempt_at text)
)
UPDATE aw_notify_email_log AS l SET ${set}
FROM v
WHERE l.id = v.id AND l.claimed_by = $2`
    : `UPDATE aw_notify_email_log AS l SET ${set}
FROM ${sqliteRecordset(outcomeColumns)} AS v
WHERE l.id = v.id AND l.claimed_by = ?`
}

/** Maps a stored row to an email-log entry. */
export const fromRow = (row: Pick<EmailLogRow, (typeof entryColumns)[number]>): EmailLog.Entry =>
  new EmailLog.Entry(
    {
      id: row.id,
      tenantId: row.tenant_id,
      notificationId: row.notification_id,
      recipient: row.recipient,
      recipientName: row.recipient_name,
      subject: row.subject,
      template: row.template,
      status: row.status as EmailLog.Status,
      attempts: Number(row.attempts),
      lastError: row.last_error,
      providerMessageId: row.provider_message_id,
      messageId: row.message_id,
      recordType: row.record_type,
      recordId: row.record_id,
      queuedAt: row.queued_at,
      sentAt: row.sent_at,
      lastAttemptAt: row.last_attempt_at,
      nextAttemptAt: row.next_attempt_at
    },
    { disableValidation: true }
  )
