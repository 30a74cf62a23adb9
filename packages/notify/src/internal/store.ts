// Table types and the dialect-specific statements of the outbox and the email log.
import type { Storage } from "@airworthy/storage"
import * as EmailLog from "../EmailLog.js"

export interface OutboxRow {
  readonly id: string
  readonly tenant_id: string
  readonly notification_id: string
  readonly template: string
  readonly to_address: string
  readonly to_name: string | null
  readonly subject: string
  readonly body_text: string
  readonly body_html: string
  readonly message_id: string
  readonly attempts: number
  readonly next_attempt_at: string
  readonly claimed_by: string | null
  readonly claimed_until: string | null
  readonly created_at: string
  readonly done_at: string | null
}

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
}

export interface Tables {
  readonly aw_notify_outbox: OutboxRow
  readonly aw_notify_email_log: EmailLogRow
}

/** What a claim returns: enough to send. */
export interface ClaimedRow {
  readonly id: string
  readonly tenant_id: string
  readonly to_address: string
  readonly to_name: string | null
  readonly subject: string
  readonly body_text: string
  readonly body_html: string
  readonly message_id: string
  readonly attempts: number | string
  readonly claimed_until: string
}

const claimColumns =
  "id, tenant_id, to_address, to_name, subject, body_text, body_html, message_id, attempts, claimed_until"

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
  SELECT id FROM aw_notify_outbox
  WHERE done_at IS NULL AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until <= $3)
  ORDER BY next_attempt_at, id
  LIMIT $4
  FOR UPDATE SKIP LOCKED
)
UPDATE aw_notify_outbox AS o SET claimed_by = $1, claimed_until = $2
FROM due WHERE o.id = due.id
RETURNING ${claimColumns
          .split(", ")
          .map((c) => `o.${c}`)
          .join(", ")}`,
        params: (p) => [p.claimedBy, p.claimedUntil, p.now, p.limit]
      }
    : {
        sql: `UPDATE aw_notify_outbox SET claimed_by = ?, claimed_until = ?
WHERE id IN (
  SELECT id FROM aw_notify_outbox
  WHERE done_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
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

/** One row's outcome for the outbox: attempts to add, and when it is due again or done. */
export interface OutboxUpdate {
  readonly id: string
  readonly attempted: number
  readonly next_attempt_at: string | null
  readonly done_at: string | null
}

/** One row's outcome for the email log. */
export interface LogUpdate {
  readonly id: string
  readonly status: "sent" | "failed" | "dead"
  readonly attempted: number
  readonly last_error: string | null
  readonly provider_message_id: string | null
  readonly sent_at: string | null
  readonly last_attempt_at: string
  readonly next_attempt_at: string | null
}

const sqliteRecordset = (columns: ReadonlyArray<string>) =>
  `(SELECT ${columns.map((c) => `json_extract(value, '$.${c}') AS ${c}`).join(", ")} FROM json_each(?))`

/**
 * Applies many outcomes to the outbox in one statement, only where this claimer still holds the
 * row; returns the ids it updated. Params: [json, claimedBy].
 */
export const updateOutbox = (dialect: Storage.Dialect): string => {
  const set = `attempts = o.attempts + v.attempted,
  next_attempt_at = COALESCE(v.next_attempt_at, o.next_attempt_at),
  done_at = v.done_at,
  claimed_by = NULL,
  claimed_until = NULL`
  return dialect === "pg"
    ? // The recordset is parsed once (MATERIALIZED) and drives primary-key lookups; without it the
      // planner, misled by the partial index, may re-scan the function once per outbox row.
      `WITH v AS MATERIALIZED (
  SELECT * FROM json_to_recordset($1::json) AS r(id text, attempted integer, next_attempt_at text, done_at text)
)
UPDATE aw_notify_outbox AS o SET ${set}
FROM v
WHERE o.id = v.id AND o.claimed_by = $2
RETURNING o.id`
    : `UPDATE aw_notify_outbox AS o SET ${set}
FROM ${sqliteRecordset(["id", "attempted", "next_attempt_at", "done_at"])} AS v
WHERE o.id = v.id AND o.claimed_by = ?
RETURNING id`
}

/** Applies many outcomes to the email log in one statement. Params: [json]. */
export const updateLog = (dialect: Storage.Dialect): string => {
  const set = `status = v.status,
  attempts = l.attempts + v.attempted,
  last_error = COALESCE(v.last_error, l.last_error),
  provider_message_id = COALESCE(v.provider_message_id, l.provider_message_id),
  sent_at = COALESCE(v.sent_at, l.sent_at),
  last_attempt_at = v.last_attempt_at,
  next_attempt_at = v.next_attempt_at`
  return dialect === "pg"
    ? `WITH v AS MATERIALIZED (
  SELECT * FROM json_to_recordset($1::json) AS r(id text, status text, attempted integer, last_error text, provider_message_id text, sent_at text, last_attempt_at text, next_attempt_at text)
)
UPDATE aw_notify_email_log AS l SET ${set}
FROM v
WHERE l.id = v.id`
    : `UPDATE aw_notify_email_log AS l SET ${set}
FROM ${sqliteRecordset(["id", "status", "attempted", "last_error", "provider_message_id", "sent_at", "last_attempt_at", "next_attempt_at"])} AS v
WHERE l.id = v.id`
}

/** Maps a stored row to an email-log entry. */
export const fromRow = (row: EmailLogRow): EmailLog.Entry =>
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
