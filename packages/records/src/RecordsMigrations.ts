/**
 * The records runtime's tables, for `Migrations.run` (package order 30, after the audit log).
 *
 * One generic table holds every record type (`aw_records`, data as JSON text validated by the type's
 * Schema), so hosts add record types and workflows without writing migrations. Every other table
 * hangs off a record through a `(tenant_id, record_id)` foreign key, so a row can never point into
 * another tenant.
 *
 * @since 0.1.0
 */
import { Migrations } from "@airworthy/storage"

const tables = (big: string) => `
CREATE TABLE aw_records (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  ref TEXT NOT NULL,
  title TEXT NOT NULL,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  owner_id TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  due_at TEXT,
  closed_at TEXT,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
)
--;
CREATE UNIQUE INDEX aw_records_ref ON aw_records (tenant_id, ref)
--;
CREATE INDEX aw_records_type_state ON aw_records (tenant_id, type, state, id)
--;
CREATE INDEX aw_records_state ON aw_records (tenant_id, state, id)
--;
CREATE INDEX aw_records_owner ON aw_records (tenant_id, owner_id, id)
--;
CREATE INDEX aw_records_due ON aw_records (tenant_id, due_at, id)
--;
CREATE TABLE aw_record_refs (
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  year INTEGER NOT NULL,
  last_number INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, type, year)
)
--;
CREATE TABLE aw_record_links (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  from_id TEXT NOT NULL,
  to_id TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  removed_by TEXT,
  removed_at TEXT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, from_id) REFERENCES aw_records (tenant_id, id),
  FOREIGN KEY (tenant_id, to_id) REFERENCES aw_records (tenant_id, id)
)
--;
CREATE UNIQUE INDEX aw_record_links_active ON aw_record_links (tenant_id, from_id, kind, to_id) WHERE removed_at IS NULL
--;
CREATE INDEX aw_record_links_to ON aw_record_links (tenant_id, to_id, kind)
--;
CREATE TABLE aw_record_comments (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  body TEXT NOT NULL,
  author_id TEXT NOT NULL,
  author_name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, record_id) REFERENCES aw_records (tenant_id, id)
)
--;
CREATE INDEX aw_record_comments_record ON aw_record_comments (tenant_id, record_id, id)
--;
CREATE TABLE aw_record_attachments (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size_bytes ${big} NOT NULL,
  sha256 TEXT NOT NULL,
  added_by TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, record_id) REFERENCES aw_records (tenant_id, id)
)
--;
CREATE INDEX aw_record_attachments_record ON aw_record_attachments (tenant_id, record_id, id)
--;
CREATE TABLE aw_record_verifications (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  record_version INTEGER NOT NULL,
  result TEXT NOT NULL,
  note TEXT,
  verified_by TEXT NOT NULL,
  verified_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, record_id) REFERENCES aw_records (tenant_id, id)
)
--;
CREATE INDEX aw_record_verifications_record ON aw_record_verifications (tenant_id, record_id, id)
--;
CREATE TABLE aw_record_approvals (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  record_version INTEGER NOT NULL,
  note TEXT,
  approved_by TEXT NOT NULL,
  approved_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, record_id) REFERENCES aw_records (tenant_id, id)
)
--;
CREATE INDEX aw_record_approvals_record ON aw_record_approvals (tenant_id, record_id, id)
--;
CREATE TABLE aw_record_signatures (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  record_version INTEGER NOT NULL,
  signer_id TEXT NOT NULL,
  signer_name TEXT NOT NULL,
  meaning TEXT NOT NULL,
  transition TEXT,
  signed_at TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, record_id) REFERENCES aw_records (tenant_id, id)
)
--;
CREATE INDEX aw_record_signatures_record ON aw_record_signatures (tenant_id, record_id, id)
--;
CREATE TABLE aw_record_history (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  record_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  transition TEXT,
  from_state TEXT,
  to_state TEXT,
  actor_id TEXT NOT NULL,
  at TEXT NOT NULL,
  reason TEXT,
  detail TEXT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, record_id) REFERENCES aw_records (tenant_id, id)
)
--;
CREATE INDEX aw_record_history_record ON aw_record_history (tenant_id, record_id, kind, id)
--;
CREATE TABLE aw_record_idempotency (
  tenant_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  operation TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, idempotency_key)
)
`

// Attachments are immutable: a new version is a new attachment naming the one it supersedes (at
// most one successor each, so versions form a chain). `has_content` is 1 when the bytes were uploaded
// and are in the BlobStore; metadata-only attachments keep 0.
const attachmentContent = `
ALTER TABLE aw_record_attachments ADD COLUMN supersedes TEXT
--;
ALTER TABLE aw_record_attachments ADD COLUMN has_content INTEGER NOT NULL DEFAULT 0
--;
CREATE UNIQUE INDEX aw_record_attachments_successor ON aw_record_attachments (tenant_id, supersedes) WHERE supersedes IS NOT NULL
`

/**
 * Every migration of `@airworthy/records`; add it to the host's `Migrations.run([...])` list after
 * the audit log's.
 * @since 0.1.0
 * @category migrations
 */
export const migrations: Migrations.PackageMigrations = Migrations.make("@airworthy/records", 30, [
  Migrations.sql("0001_create_record_tables", { sqlite: tables("INTEGER"), pg: tables("BIGINT") }),
  Migrations.sql("0002_attachment_content", { sqlite: attachmentContent, pg: attachmentContent })
])
