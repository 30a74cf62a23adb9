/**
 * The notification tables, for `Migrations.run` (package order 40).
 *
 * - `aw_notify_outbox`: the work queue. One row per recipient with the rendered message, the retry
 *   state (`attempts`, `next_attempt_at`) and the claim lease (`claimed_by`, `claimed_until`).
 *   `done_at` is set once the message is sent or dead; the partial index only covers pending rows,
 *   so claims stay fast however long the history grows.
 * - `aw_notify_email_log`: the evidence. Same id as the outbox row; recipient, subject, template,
 *   status (`queued`, `sent`, `failed`, `dead`), attempts, last error, provider message id,
 *   timestamps, the record it concerns and the tenant.
 *
 * Times are ISO-8601 TEXT (from `Clock`), which sorts as time on both dialects.
 *
 * @since 0.1.0
 */
import { Migrations } from "@airworthy/storage"

const tables = (integer: string) => `
CREATE TABLE aw_notify_outbox (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  notification_id TEXT NOT NULL,
  template TEXT NOT NULL,
  to_address TEXT NOT NULL,
  to_name TEXT,
  subject TEXT NOT NULL,
  body_text TEXT NOT NULL,
  body_html TEXT NOT NULL,
  message_id TEXT NOT NULL,
  attempts ${integer} NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_by TEXT,
  claimed_until TEXT,
  created_at TEXT NOT NULL,
  done_at TEXT
)
--;
CREATE INDEX aw_notify_outbox_due ON aw_notify_outbox (next_attempt_at, id) WHERE done_at IS NULL
--;
CREATE TABLE aw_notify_email_log (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  notification_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  recipient_name TEXT,
  subject TEXT NOT NULL,
  template TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'dead')),
  attempts ${integer} NOT NULL DEFAULT 0,
  last_error TEXT,
  provider_message_id TEXT,
  message_id TEXT NOT NULL,
  record_type TEXT,
  record_id TEXT,
  queued_at TEXT NOT NULL,
  sent_at TEXT,
  last_attempt_at TEXT,
  next_attempt_at TEXT
)
--;
CREATE INDEX aw_notify_email_log_record ON aw_notify_email_log (tenant_id, record_type, record_id, queued_at)
--;
CREATE INDEX aw_notify_email_log_status ON aw_notify_email_log (tenant_id, status, queued_at)
--;
CREATE INDEX aw_notify_email_log_notification ON aw_notify_email_log (tenant_id, notification_id)
`

/**
 * The notify package's migrations.
 * @since 0.1.0
 * @category migrations
 */
export const migrations: Migrations.PackageMigrations = Migrations.make("@airworthy/notify", 40, [
  Migrations.sql("0001_create_outbox_and_email_log", { sqlite: tables("INTEGER"), pg: tables("INTEGER") })
])
