/**
 * Tenant isolation in depth on PostgreSQL: row-level security keyed by the transaction's tenant.
 *
 * With `Postgres.layer({ url, rowLevelSecurity: true })`, `Migrations.run` puts every `aw_` table
 * that has a `tenant_id` column under `ENABLE` + `FORCE ROW LEVEL SECURITY` with the policy
 * `aw_tenant_isolation`, and every statement runs in a transaction that first sets
 * `airworthy.tenant` with `set_config(..., true)` (transaction-local) to the tenant of the work:
 *
 * 1. the innermost explicit scope: `RowLevelSecurity.withTenant(tenantId)` or
 *    `RowLevelSecurity.acrossTenants` (background work over every tenant: migrations, the sweeper,
 *    the outbox dispatcher, scheduled checkpoints);
 * 2. otherwise the tenant of the `CurrentActor`;
 * 3. otherwise nothing: the statement sees no row of any `aw_` tenant table and cannot write one.
 *
 * So a statement that forgets its `tenant_id` filter still sees only its tenant's rows.
 *
 * ```ts
 * const verified = AuditLog.verify("tenant-a")               // scoped to tenant-a by the audit log
 * const mine = RowLevelSecurity.withTenant("tenant-a")(q.rows((db) => db.selectFrom("aw_records").selectAll()))
 * ```
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { allTenantsSetting, tenantSetting } from "./internal/scope.js"
import { unsafe } from "./Query.js"
import { Storage } from "./Storage.js"
import { StorageError } from "./StorageError.js"

export {
  acrossTenants,
  allTenantsSetting,
  current,
  literal,
  type Scope,
  setScopeSql,
  TenantScope,
  tenantSetting,
  withTenant
} from "./internal/scope.js"

/**
 * The name of the policy on every covered table.
 * @since 0.1.0
 * @category constants
 */
export const policyName = "aw_tenant_isolation"

const admitted = `(tenant_id = current_setting('${tenantSetting}', true) OR current_setting('${allTenantsSetting}', true) = 'on')`

/**
 * The row-level security state of one `aw_` table with a `tenant_id` column.
 * @since 0.1.0
 * @category models
 */
export interface TableState {
  readonly table: string
  readonly enabled: boolean
  readonly forced: boolean
  readonly policy: boolean
}

/**
 * Every `aw_` table with a `tenant_id` column in the current schema, and its row-level security.
 * PostgreSQL only (SQLite has no row-level security: an empty list).
 * @since 0.1.0
 * @category queries
 */
export const tables: Effect.Effect<ReadonlyArray<TableState>, StorageError, Storage | SqlClient.SqlClient> = Effect.gen(
  function* () {
    const { dialect } = yield* Storage
    if (dialect !== "pg") return []
    const rows = yield* unsafe<{ table: string; enabled: boolean; forced: boolean; policy: boolean }>(
      `SELECT c.relname AS "table", c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
              EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = $1) AS policy
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname LIKE 'aw\\_%'
          AND EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
        ORDER BY c.relname`,
      [policyName]
    )
    return rows.map((r) => ({ table: r.table, enabled: r.enabled, forced: r.forced, policy: r.policy }))
  }
)

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`

/**
 * Puts every `aw_` tenant table under row-level security (idempotent: tables already covered are
 * left alone, so a role that does not own the tables can run it once they are). Run by
 * `Migrations.run` when the storage layer has `rowLevelSecurity: true`.
 * @since 0.1.0
 * @category migrations
 */
export const enable: Effect.Effect<ReadonlyArray<string>, StorageError, Storage | SqlClient.SqlClient> = Effect.gen(
  function* () {
    const changed: Array<string> = []
    for (const t of yield* tables) {
      if (t.enabled && t.forced && t.policy) continue
      const table = quoteIdent(t.table)
      if (!t.enabled) yield* unsafe(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`)
      if (!t.forced) yield* unsafe(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`)
      if (!t.policy) yield* unsafe(`CREATE POLICY ${policyName} ON ${table} USING ${admitted} WITH CHECK ${admitted}`)
      changed.push(t.table)
    }
    return changed
  }
)

/**
 * Takes every `aw_` table out of row-level security again (drops the policy, `NO FORCE`, `DISABLE`).
 * The explicit way to turn the option off: `Migrations.run` without the option refuses to start
 * on tables that are still covered, rather than run statements that would see nothing.
 * @since 0.1.0
 * @category migrations
 */
export const disable: Effect.Effect<ReadonlyArray<string>, StorageError, Storage | SqlClient.SqlClient> = Effect.gen(
  function* () {
    const changed: Array<string> = []
    for (const t of yield* tables) {
      if (!t.enabled && !t.forced && !t.policy) continue
      const table = quoteIdent(t.table)
      if (t.policy) yield* unsafe(`DROP POLICY ${policyName} ON ${table}`)
      if (t.forced) yield* unsafe(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`)
      if (t.enabled) yield* unsafe(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`)
      changed.push(t.table)
    }
    return changed
  }
)

/**
 * Does the connected role bypass row-level security (a superuser, or a role with `BYPASSRLS`)?
 * Such a role sees every tenant whatever the policies say.
 * @since 0.1.0
 * @category queries
 */
export const bypassed: Effect.Effect<boolean, StorageError, Storage | SqlClient.SqlClient> = Effect.gen(function* () {
  const { dialect } = yield* Storage
  if (dialect !== "pg") return false
  const rows = yield* unsafe<{ bypass: boolean }>(
    "SELECT (rolsuper OR rolbypassrls) AS bypass FROM pg_roles WHERE rolname = current_user"
  )
  return rows[0]?.bypass === true
})

/**
 * The start-up check when the option is off: covered tables would hide every row from statements
 * that make no setting, so refuse plainly instead.
 * @since 0.1.0
 * @category migrations
 */
export const refuseIfCovered: Effect.Effect<void, StorageError, Storage | SqlClient.SqlClient> = Effect.gen(
  function* () {
    const covered = (yield* tables).filter((t) => t.policy)
    if (covered.length === 0) return
    return yield* new StorageError({
      reason: "configuration",
      message:
        `${covered.length} aw_ tables are under row-level security (${covered[0]?.table}, ...) but this storage layer ` +
        "has rowLevelSecurity off: start with rowLevelSecurity: true, or run RowLevelSecurity.disable once to turn it off"
    })
  }
)
