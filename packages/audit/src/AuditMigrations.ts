/**
 * The audit log's tables, indexes and guard triggers, for `Migrations.run` (package order 20).
 *
 * JSON is stored as TEXT on both dialects: the envelope column holds the exact bytes the hash covers.
 * Triggers make the event table append-only: UPDATE always fails, DELETE fails unless the retention
 * purge has put a permit for that tenant and sequence in `aw_audit_purge_permits` (in its own
 * transaction); sensitive values may only be erased; checkpoints and purge records never change.
 *
 * @since 0.1.0
 */
import { Migrations } from "@airworthy/storage"

const sqliteTables = `
CREATE TABLE aw_audit_events (
  tenant_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  id TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  record_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  severity TEXT NOT NULL,
  correlation_id TEXT,
  envelope TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, sequence)
)
--;
CREATE INDEX aw_audit_events_time ON aw_audit_events (tenant_id, occurred_at DESC, sequence DESC)
--;
CREATE INDEX aw_audit_events_record ON aw_audit_events (tenant_id, record_type, record_id, sequence)
--;
CREATE TABLE aw_audit_heads (
  tenant_id TEXT PRIMARY KEY,
  last_sequence INTEGER NOT NULL,
  last_hash TEXT NOT NULL
)
--;
CREATE TABLE aw_audit_sensitive (
  tenant_id TEXT NOT NULL,
  event_sequence INTEGER NOT NULL,
  path TEXT NOT NULL,
  salt TEXT,
  value TEXT,
  erased_at TEXT,
  erased_by TEXT,
  erase_reason TEXT,
  PRIMARY KEY (tenant_id, event_sequence, path)
)
--;
CREATE TABLE aw_audit_checkpoints (
  tenant_id TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  root_hash TEXT NOT NULL,
  signed_at TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (tenant_id, tree_size)
)
--;
CREATE TABLE aw_audit_purges (
  tenant_id TEXT NOT NULL,
  up_to_sequence INTEGER NOT NULL,
  from_sequence INTEGER NOT NULL,
  anchor_hash TEXT NOT NULL,
  event_hashes TEXT NOT NULL,
  purged_at TEXT NOT NULL,
  purged_by TEXT NOT NULL,
  PRIMARY KEY (tenant_id, up_to_sequence)
)
--;
CREATE TABLE aw_audit_purge_permits (
  tenant_id TEXT PRIMARY KEY,
  up_to_sequence INTEGER NOT NULL
)
--;
CREATE TABLE aw_audit_legal_holds (
  tenant_id TEXT NOT NULL,
  record_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  placed_at TEXT NOT NULL,
  placed_by TEXT NOT NULL,
  PRIMARY KEY (tenant_id, record_type, record_id)
)
`

const pgTables = sqliteTables
  .replace(/sequence INTEGER/g, "sequence BIGINT")
  .replace(/tree_size INTEGER/g, "tree_size BIGINT")

const reject = (table: string, op: "UPDATE" | "DELETE", when = "") => `
CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table}
${when ? `WHEN ${when}\n` : ""}BEGIN
  SELECT RAISE(ABORT, '${op} on ${table} is not allowed: the audit log is append-only');
END`

const permitted = (column: string) =>
  `EXISTS (SELECT 1 FROM aw_audit_purge_permits p WHERE p.tenant_id = OLD.tenant_id AND OLD.${column} <= p.up_to_sequence)`

const erasing =
  "NEW.value IS NULL AND NEW.salt IS NULL AND NEW.erased_at IS NOT NULL AND NEW.erased_by IS NOT NULL" +
  " AND OLD.erased_at IS NULL AND NEW.tenant_id = OLD.tenant_id" +
  " AND NEW.event_sequence = OLD.event_sequence AND NEW.path = OLD.path"

const sqliteTriggers = [
  reject("aw_audit_events", "UPDATE"),
  reject("aw_audit_events", "DELETE", `NOT ${permitted("sequence")}`),
  reject("aw_audit_sensitive", "UPDATE", `NOT (${erasing})`),
  reject("aw_audit_sensitive", "DELETE", `NOT ${permitted("event_sequence")}`),
  reject("aw_audit_checkpoints", "UPDATE"),
  reject("aw_audit_checkpoints", "DELETE"),
  reject("aw_audit_purges", "UPDATE"),
  reject("aw_audit_purges", "DELETE")
].join("\n--;\n")

const pgFunction = (name: string, body: string) => `
CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
${body}
  RAISE EXCEPTION '% on % is not allowed: the audit log is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END
$$`

const pgTrigger = (table: string, op: "UPDATE" | "DELETE" | "TRUNCATE", fn: string) =>
  `CREATE TRIGGER ${table}_no_${op.toLowerCase()} BEFORE ${op} ON ${table} FOR EACH ${op === "TRUNCATE" ? "STATEMENT" : "ROW"} EXECUTE FUNCTION ${fn}()`

const pgTriggers = [
  pgFunction("aw_audit_reject", ""),
  pgFunction(
    "aw_audit_events_guard",
    `  IF TG_OP = 'DELETE' AND ${permitted("sequence")} THEN\n    RETURN OLD;\n  END IF;`
  ),
  pgFunction(
    "aw_audit_sensitive_guard",
    `  IF TG_OP = 'DELETE' AND ${permitted("event_sequence")} THEN\n    RETURN OLD;\n  END IF;\n` +
      `  IF TG_OP = 'UPDATE' AND ${erasing} THEN\n    RETURN NEW;\n  END IF;`
  ),
  pgTrigger("aw_audit_events", "UPDATE", "aw_audit_reject"),
  pgTrigger("aw_audit_events", "DELETE", "aw_audit_events_guard"),
  pgTrigger("aw_audit_events", "TRUNCATE", "aw_audit_reject"),
  pgTrigger("aw_audit_sensitive", "UPDATE", "aw_audit_sensitive_guard"),
  pgTrigger("aw_audit_sensitive", "DELETE", "aw_audit_sensitive_guard"),
  pgTrigger("aw_audit_sensitive", "TRUNCATE", "aw_audit_reject"),
  ...(["aw_audit_checkpoints", "aw_audit_purges"] as const).flatMap((t) =>
    (["UPDATE", "DELETE", "TRUNCATE"] as const).map((op) => pgTrigger(t, op, "aw_audit_reject"))
  )
].join("\n--;\n")

// SQLite: an inserted event that links to its tenant's head (next sequence, prev_hash = head hash)
// moves the head, so a single append is one conditional INSERT (the head check) instead of a head
// UPDATE followed by the INSERT. Appends hold SQLite's write lock, so the head cannot move between
// the check and the insert. A row that does not link (a forgery inserted by hand) leaves the head
// where it was. PostgreSQL moves the head in the insert's own statement and needs no trigger.
const sqliteHeadTrigger = `
CREATE TRIGGER aw_audit_events_move_head AFTER INSERT ON aw_audit_events
BEGIN
  UPDATE aw_audit_heads SET last_sequence = NEW.sequence, last_hash = NEW.hash
  WHERE tenant_id = NEW.tenant_id AND last_sequence = NEW.sequence - 1
    AND last_hash = json_extract(NEW.envelope, '$.prev_hash');
END`

/**
 * Every migration of `@airworthy/audit`; add it to the host's `Migrations.run([...])` list.
 * @since 0.1.0
 * @category migrations
 */
export const migrations: Migrations.PackageMigrations = Migrations.make("@airworthy/audit", 20, [
  Migrations.sql("0001_create_audit_tables", { sqlite: sqliteTables, pg: pgTables }),
  Migrations.sql("0002_append_only_triggers", { sqlite: sqliteTriggers, pg: pgTriggers }),
  Migrations.sql("0003_sqlite_head_follows_inserts", { sqlite: sqliteHeadTrigger, pg: "" })
])
