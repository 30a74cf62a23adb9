/**
 * The tasks tables, for `Migrations.run` (package order 40).
 *
 * - `aw_tasks`: one row per task (kind, title, status, priority, owner, assignee, due date,
 *   escalation level, the rule that made it, who created and closed it and when).
 * - `aw_task_links`: the records a task concerns (several per task).
 * - `aw_task_escalations`: the ladder steps of each task, one row per step, primary key
 *   `(tenant_id, task_id, step_index)`: a step exists once and is performed once.
 * - `aw_task_directory`: staff for the SQL `Directory` (standalone use).
 * - `aw_task_due_policies`: per-tenant overrides of the regulatory due-date defaults.
 *
 * @since 0.1.0
 */
import { Migrations } from "@airworthy/storage"

const script = `
CREATE TABLE aw_tasks (
  tenant_id TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
  priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  owner_id TEXT,
  assignee_id TEXT,
  due_at TEXT,
  escalation_level INTEGER NOT NULL DEFAULT 0,
  rule TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  closed_by TEXT,
  closed_at TEXT,
  PRIMARY KEY (tenant_id, id)
)
--;
CREATE INDEX aw_tasks_assignee ON aw_tasks (tenant_id, assignee_id, status, due_at)
--;
CREATE INDEX aw_tasks_kind ON aw_tasks (tenant_id, kind, status, created_at)
--;
CREATE TABLE aw_task_links (
  tenant_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  record_type TEXT NOT NULL,
  record_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, task_id, record_type, record_id),
  FOREIGN KEY (tenant_id, task_id) REFERENCES aw_tasks (tenant_id, id)
)
--;
CREATE INDEX aw_task_links_record ON aw_task_links (tenant_id, record_type, record_id)
--;
CREATE TABLE aw_task_escalations (
  tenant_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  step_index INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('reminder', 'due', 'escalation')),
  recipients TEXT NOT NULL,
  level INTEGER NOT NULL,
  due_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'done', 'skipped')),
  claimed_by TEXT,
  lease_until TEXT,
  done_at TEXT,
  PRIMARY KEY (tenant_id, task_id, step_index),
  FOREIGN KEY (tenant_id, task_id) REFERENCES aw_tasks (tenant_id, id)
)
--;
CREATE INDEX aw_task_escalations_due ON aw_task_escalations (due_at) WHERE state IN ('pending', 'claimed')
--;
CREATE INDEX aw_task_escalations_claim ON aw_task_escalations (claimed_by) WHERE state = 'claimed'
--;
CREATE TABLE aw_task_directory (
  tenant_id TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL,
  roles TEXT NOT NULL,
  supervisor_id TEXT,
  PRIMARY KEY (tenant_id, actor_id)
)
--;
CREATE TABLE aw_task_due_policies (
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  due_hours INTEGER NOT NULL CHECK (due_hours > 0),
  source TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind)
)
`

// The sweeper finds a claim's rows by key and checks the token, so `claimed_by` needs no index (one
// index fewer to write on every claim).
const dropClaimIndex = `DROP INDEX aw_task_escalations_claim`

// PostgreSQL: room on every heap page so that a claim (`claimed_by`, `lease_until`) and a task's level
// raise (`escalation_level`, `updated_at`), which change no indexed column, stay on their page as HOT
// updates (no new index entries). Applies to pages written from now on; SQLite has no fillfactor.
const fillfactor = `ALTER TABLE aw_task_escalations SET (fillfactor = 60)
--;
ALTER TABLE aw_tasks SET (fillfactor = 85)`

/**
 * The tasks package's migrations.
 * @since 0.1.0
 * @category migrations
 */
export const migrations: Migrations.PackageMigrations = Migrations.make("@airworthy/tasks", 40, [
  Migrations.sql("0001_create_tasks", { sqlite: script, pg: script }),
  Migrations.sql("0002_drop_claim_index", { sqlite: dropClaimIndex, pg: dropClaimIndex }),
  Migrations.sql("0003_fillfactor", { sqlite: "", pg: fillfactor })
])
