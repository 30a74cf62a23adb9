/**
 * The notification tables, for `Migrations.run` (package order 40).
 *
 * `aw_notify_email_log`: one row per message (one recipient of one notification), which is both
 * the evidence and the work queue. Recipient, subject, template, status (`queued`, `sent`,
 * `failed`, `dead`), attempts, last error, provider message id, `Message-ID`, the record it
 * concerns, the tenant, timestamps; the rendered text and HTML bodies; and the dispatcher's lease
 * (`claimed_by`, `claimed_until`). A partial index over `(next_attempt_at, id)` covers only the rows
 * still to send (`queued`, `failed`), so claims stay fast however long the log grows.
 *
 * Migration `0001` made two tables (an outbox and the log, one row each per message); `0002`
 * moves the outbox's bodies and leases into the log and drops the outbox: enqueuing writes one row
 * instead of two and the dispatcher records an outcome with one update.
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

// The log becomes the queue: bodies and leases move over from the outbox (whose rows share the
// log's ids), then the outbox goes. Both dialects run UPDATE ... FROM (SQLite since 3.33).
const oneRowPerMessage = `
ALTER TABLE aw_notify_email_log ADD COLUMN body_text TEXT NOT NULL DEFAULT ''
--;
ALTER TABLE aw_notify_email_log ADD COLUMN body_html TEXT NOT NULL DEFAULT ''
--;
ALTER TABLE aw_notify_email_log ADD COLUMN claimed_by TEXT
--;
ALTER TABLE aw_notify_email_log ADD COLUMN claimed_until TEXT
--;
UPDATE aw_notify_email_log
SET body_text = o.body_text, body_html = o.body_html, claimed_by = o.claimed_by, claimed_until = o.claimed_until
FROM aw_notify_outbox AS o
WHERE o.id = aw_notify_email_log.id
--;
CREATE INDEX aw_notify_email_log_due ON aw_notify_email_log (next_attempt_at, id) WHERE status IN ('queued', 'failed')
--;
DROP TABLE aw_notify_outbox
`

/**
 * The notify package's migrations.
 * @since 0.1.0
 * @category migrations
 */
export const migrations: Migrations.PackageMigrations = Migrations.make("@airworthy/notify", 40, [
  Migrations.sql("0001_create_outbox_and_email_log", { sqlite: tables("INTEGER"), pg: tables("INTEGER") }),
  Migrations.sql("0002_one_row_per_message", { sqlite: oneRowPerMessage, pg: oneRowPerMessage })
])
