// Test layers and helpers shared by the audit suites.
import { Actor, Ids } from "@airworthy/core"
import { Migrations, Query, type Storage, type StorageError } from "@airworthy/storage"
import { type TestDatabase, TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { AuditLog, AuditMigrations, TreeHead } from "../src/index.js"

export const signingKey = TreeHead.generateKey()

export const baseConfig: AuditLog.Config = {
  signingKey,
  sensitive: {
    "finding.*": ["before.reporter.email", "after.reporter.email"],
    capa: ["after.owner.licence"],
    "*": ["after.witnesses.*.email"]
  },
  retention: {
    default: { years: 5 },
    policies: [
      { recordType: "tool", minimum: { years: 3 } },
      { action: "finding.*", minimum: { years: 6 } }
    ]
  }
}

export const migrate: Layer.Layer<never, never, Db> = Layer.effectDiscard(
  Effect.orDie(Migrations.run([AuditMigrations.migrations]))
)

/** The audit log over a test database, migrated, with deterministic ids. */
type Db = Storage.Storage | SqlClient.SqlClient

export const auditLayer = (
  target: TestDatabase.Target,
  config: AuditLog.Config = baseConfig
): Layer.Layer<AuditLog.AuditLog | Ids.Ids | Db | TestDatabase.TestDatabaseInfo, StorageError.StorageError> =>
  AuditLog.layer(config).pipe(
    Layer.provideMerge(migrate),
    Layer.provideMerge(Ids.layerTest(7)),
    Layer.provideMerge(target.layer)
  )

/** A tenant no other test uses (the suites share one database per target). */
export const freshTenant = TestKit.freshTenant

export const actor = (tenantId: string, roles: ReadonlyArray<string> = ["quality_manager"], actorId = "u-quality") =>
  Actor.make({ tenantId, actorId, displayName: "Quinn Quality", roles, traceId: "trace-test-1", source: "api" })

export const technician = (tenantId: string) => actor(tenantId, ["technician"], "u-tech")

/** `$1` on PostgreSQL, `?` on SQLite. */
export const p = TestKit.param

export const rawEvents = (
  dialect: Storage.Dialect,
  tenantId: string
): Effect.Effect<
  Array<{ sequence: number; envelope: string; hash: string; action: string }>,
  StorageError.StorageError,
  Db
> =>
  Query.unsafe<{ sequence: number | string; envelope: string; hash: string; action: string }>(
    `SELECT sequence, envelope, hash, action FROM aw_audit_events WHERE tenant_id = ${p(dialect, 1)} ORDER BY sequence`,
    [tenantId]
  ).pipe(Effect.map((rows) => rows.map((r) => ({ ...r, sequence: Number(r.sequence) }))))

/** Removes the guard triggers, as an attacker with database access would. */
export const dropGuards = (dialect: Storage.Dialect): Effect.Effect<void, StorageError.StorageError, Db> =>
  Effect.gen(function* () {
    if (dialect === "pg") {
      for (const t of ["aw_audit_events", "aw_audit_sensitive", "aw_audit_checkpoints", "aw_audit_purges"]) {
        yield* Query.unsafe(`ALTER TABLE ${t} DISABLE TRIGGER USER`)
      }
      return
    }
    const triggers = yield* Query.unsafe<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'aw_audit_%' AND name <> 'aw_audit_events_move_head'"
    )
    for (const t of triggers) yield* Query.unsafe(`DROP TRIGGER ${t.name}`)
  })
