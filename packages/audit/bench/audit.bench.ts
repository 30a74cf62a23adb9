// Audit log rates, each beside a raw baseline measured in the same run on the same database:
// - one audited append per transaction vs a raw insert of the same row in its own transaction;
// - a bulk appendMany vs the raw multi-row insert of the same rows;
// - verify (hashes, links, columns, checkpoint root and signature) vs a bare SHA-256 chain over the same bytes.
import { createHash } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Actor, Ids } from "@airworthy/core"
import { Migrations, Query, type Storage } from "@airworthy/storage"
import { Postgres } from "@airworthy/storage/pg"
import { Sqlite } from "@airworthy/storage/sqlite"
import { Bench, TestDatabase } from "@airworthy/testing"
import { SqlClient } from "@effect/sql"
import BetterSqlite from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import pg from "pg"
import { type AuditEvent, AuditLog, AuditMigrations, TreeHead } from "../src/index.js"

type Dialect = Storage.Dialect
type Runtime = ManagedRuntime.ManagedRuntime<
  AuditLog.AuditLog | Ids.Ids | Storage.Storage | SqlClient.SqlClient,
  unknown
>

const counts: Record<Dialect, { single: number; bulk: number }> = {
  sqlite: { single: 5_000, bulk: 100_000 },
  pg: { single: 2_000, bulk: 100_000 }
}
const warmup: Record<Dialect, number> = { sqlite: 3_000, pg: 500 }
const bulkBatch = 10_000
const rawBatch = 500

const input = (i: number): AuditEvent.AppendInputEncoded => ({
  action: "finding.updated",
  recordType: "finding",
  recordId: `f-${i % 997}`,
  before: { state: "open", title: "Torque wrench calibration overdue", owner: "u-17", due: "2026-04-01", n: i - 1 },
  after: { state: "in_progress", title: "Torque wrench calibration overdue", owner: "u-17", due: "2026-04-01", n: i },
  reason: "Owner accepted the finding",
  correlationId: `req-${i}`
})

const actor = (tenantId: string) =>
  Actor.make({
    tenantId,
    actorId: "u-17",
    displayName: "Quinn Quality",
    roles: ["quality_manager"],
    traceId: "bench-trace",
    source: "api"
  })

const rawTable = `CREATE TABLE bench_raw_events (
  tenant_id TEXT NOT NULL, sequence BIGINT NOT NULL, id TEXT NOT NULL, occurred_at TEXT NOT NULL,
  actor_id TEXT NOT NULL, action TEXT NOT NULL, record_type TEXT NOT NULL, record_id TEXT NOT NULL,
  severity TEXT NOT NULL, correlation_id TEXT, envelope TEXT NOT NULL, hash TEXT NOT NULL,
  PRIMARY KEY (tenant_id, sequence))`
// The same indexes as aw_audit_events (primary key, time, record), no more and no fewer.
const rawIndexes = [
  "CREATE INDEX bench_raw_events_time ON bench_raw_events (tenant_id, occurred_at DESC, sequence DESC)",
  "CREATE INDEX bench_raw_events_record ON bench_raw_events (tenant_id, record_type, record_id, sequence)"
]

/** The stored rows of a tenant (exactly what the audit log wrote), to replay as raw inserts. */
const storedRows = (runtime: Runtime, dialect: Dialect, tenantId: string, afterSequence = 0) =>
  runtime.runPromise(
    Query.unsafe<Record<string, unknown>>(
      `SELECT tenant_id, sequence, id, occurred_at, actor_id, action, record_type, record_id, severity, correlation_id, envelope, hash
       FROM aw_audit_events WHERE tenant_id = ${dialect === "pg" ? "$1" : "?"} AND sequence > ${dialect === "pg" ? "$2" : "?"} ORDER BY sequence`,
      [tenantId, afterSequence]
    )
  )

/** Milliseconds one call takes. */
const elapsed = async (body: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await body()
  return performance.now() - start
}

// Both sides of a comparison run in alternating rounds (ours, then the baseline over the rows ours just
// wrote), so a change in the machine's load during the run falls on both alike.
const rounds = 10

const columns = 12
const placeholders = (dialect: Dialect, rows: number) =>
  Array.from(
    { length: rows },
    (_, r) =>
      `(${Array.from({ length: columns }, (_, c) => (dialect === "pg" ? `$${r * columns + c + 1}` : "?")).join(", ")})`
  ).join(", ")

const rowParams = (row: Record<string, unknown>, tag: string) => [
  `${tag}${String(row.tenant_id)}`,
  Number(row.sequence),
  `${tag}${String(row.id)}`,
  row.occurred_at,
  row.actor_id,
  row.action,
  row.record_type,
  row.record_id,
  row.severity,
  row.correlation_id,
  row.envelope,
  row.hash
]

const open = async (dialect: Dialect, storage: Layer.Layer<Storage.Storage | SqlClient.SqlClient, unknown>) => {
  const runtime: Runtime = ManagedRuntime.make(
    AuditLog.layer({ signingKey: TreeHead.generateKey() }).pipe(
      Layer.provideMerge(Ids.layer),
      Layer.provideMerge(storage)
    )
  )
  await runtime.runPromise(Migrations.run([AuditMigrations.migrations]))
  await runtime.runPromise(
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.forEach([rawTable, ...rawIndexes], (s) => sql.unsafe(s), { discard: true })
    )
  )
  return { runtime, dialect }
}

const singleAppends = async ({ runtime, dialect }: { runtime: Runtime; dialect: Dialect }) => {
  const n = counts[dialect].single
  const tenant = "bench-single"
  const appendAll = (count: number, t: string) =>
    runtime.runPromise(
      Effect.forEach(
        Array.from({ length: count }, (_, i) => i),
        (i) => AuditLog.append(input(i)),
        { discard: true }
      ).pipe(Actor.withActor(actor(t)))
    )
  const one = `INSERT INTO bench_raw_events VALUES ${placeholders(dialect, 1)}`
  const rawInserts = (rows: ReadonlyArray<Record<string, unknown>>, tag: string) =>
    runtime.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.forEach(rows, (row) => sql.withTransaction(sql.unsafe(one, rowParams(row, tag) as never)), {
          discard: true
        })
      )
    )
  // Both paths are warmed until the JIT has settled, so the figures compare steady states.
  await appendAll(warmup[dialect], "warm")
  await rawInserts(await storedRows(runtime, dialect, "warm"), "w")
  const per = n / rounds
  let ours = 0
  let raw = 0
  for (let r = 0; r < rounds; r++) {
    ours += await elapsed(() => appendAll(per, tenant))
    const rows = await storedRows(runtime, dialect, tenant, r * per)
    raw += await elapsed(() => rawInserts(rows, "s"))
  }
  return { value: n / (ours / 1000), baseline_value: n / (raw / 1000) }
}

const bulkAppends = async ({ runtime, dialect }: { runtime: Runtime; dialect: Dialect }) => {
  const n = counts[dialect].bulk
  const tenant = "bench-bulk"
  const inputs = Array.from({ length: n }, (_, i) => input(i))
  for (let w = 0; w < 2; w++) {
    await runtime.runPromise(
      AuditLog.appendMany(inputs.slice(0, bulkBatch)).pipe(Actor.withActor(actor(`warm-bulk-${w}`)))
    )
  }
  const many = `INSERT INTO bench_raw_events VALUES ${placeholders(dialect, rawBatch)}`
  const rawBatchInsert = (rows: ReadonlyArray<Record<string, unknown>>) =>
    runtime.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql.withTransaction(
          Effect.forEach(
            Array.from({ length: rows.length / rawBatch }, (_, k) => k * rawBatch),
            (start) => sql.unsafe(many, rows.slice(start, start + rawBatch).flatMap((r) => rowParams(r, "b")) as never),
            { discard: true }
          )
        )
      )
    )
  let ours = 0
  let raw = 0
  const written: Array<Record<string, unknown>> = []
  for (let b = 0; b < n / bulkBatch; b++) {
    const batch = inputs.slice(b * bulkBatch, (b + 1) * bulkBatch)
    ours += await elapsed(() => runtime.runPromise(AuditLog.appendMany(batch).pipe(Actor.withActor(actor(tenant)))))
    const rows = await storedRows(runtime, dialect, tenant, b * bulkBatch)
    written.push(...rows)
    raw += await elapsed(() => rawBatchInsert(rows))
  }
  return { value: n / (ours / 1000), baseline_value: n / (raw / 1000), tenant, rows: written }
}

/**
 * The bare driver (better-sqlite3 / node-postgres, no Effect) inserting the same rows the same way
 * (500-row statements, 10 000 per transaction) into a table shaped and indexed like the event table:
 * the most any append path can reach on this machine, beside the bulk goal.
 */
const driverCeiling = async (dialect: Dialect, rows: ReadonlyArray<Record<string, unknown>>, url?: string) => {
  const ddl = [
    rawTable.replace("bench_raw_events", "bench_driver_events"),
    ...rawIndexes.map((i) => i.replaceAll("bench_raw_events", "bench_driver_events"))
  ]
  const many = `INSERT INTO bench_driver_events VALUES ${placeholders(dialect, rawBatch)}`
  const batches = Array.from({ length: rows.length / bulkBatch }, (_, b) =>
    rows.slice(b * bulkBatch, (b + 1) * bulkBatch)
  )
  if (dialect === "sqlite") {
    return withTempDir(async (dir) => {
      const db = new BetterSqlite(join(dir, "driver.db"))
      try {
        db.pragma("journal_mode = WAL")
        db.pragma("synchronous = NORMAL")
        for (const statement of ddl) db.exec(statement)
        const insert = db.prepare(many)
        return await Bench.throughput(rows.length, () => {
          for (const batch of batches) {
            db.exec("BEGIN")
            for (let k = 0; k < batch.length; k += rawBatch)
              insert.run(...batch.slice(k, k + rawBatch).flatMap((r) => rowParams(r, "d")))
            db.exec("COMMIT")
          }
        })
      } finally {
        db.close()
      }
    })
  }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const statement of ddl) await client.query(statement)
    return await Bench.throughput(rows.length, async () => {
      for (const batch of batches) {
        await client.query("BEGIN")
        for (let k = 0; k < batch.length; k += rawBatch)
          await client.query(
            many,
            batch.slice(k, k + rawBatch).flatMap((r) => rowParams(r, "d"))
          )
        await client.query("COMMIT")
      }
    })
  } finally {
    await client.end()
  }
}

const verifyRate = async ({ runtime, dialect }: { runtime: Runtime; dialect: Dialect }, tenant: string) => {
  await runtime.runPromise(AuditLog.checkpoint(tenant))
  const rows = await storedRows(runtime, dialect, tenant)
  const n = rows.length
  let result: AuditLog.VerifyResult | undefined
  const value = await Bench.throughput(n, async () => {
    result = await runtime.runPromise(AuditLog.verify(tenant))
  })
  if (!result?.ok) throw new Error(`verify failed: ${JSON.stringify(result)}`)
  const envelopes = rows.map((r) => r.envelope as string)
  const hashes = rows.map((r) => r.hash as string)
  const baseline_value = await Bench.throughput(n, () => {
    for (let i = 0; i < n; i++) {
      if (createHash("sha256").update(envelopes[i]!, "utf8").digest("hex") !== hashes[i]) throw new Error("bad chain")
    }
  })
  return { value, baseline_value }
}

/**
 * The ceiling for verify: only reading the rows verify reads (the same columns and 5000-row pages,
 * in sequence order), with no hashing or checks. Measured beside verify on the same database.
 */
const readOnlyRate = async ({ runtime, dialect }: { runtime: Runtime; dialect: Dialect }, tenant: string) => {
  await runtime.runPromise(AuditLog.checkpoint(tenant))
  const page = 5000
  const text =
    dialect === "pg"
      ? `SELECT tenant_id, sequence, id, occurred_at, actor_id, action, record_type, record_id, severity, correlation_id, envelope, hash FROM aw_audit_events WHERE tenant_id = $1 AND sequence >= $2 ORDER BY sequence LIMIT ${page}`
      : `SELECT tenant_id, sequence, id, occurred_at, actor_id, action, record_type, record_id, severity, correlation_id, envelope, hash FROM aw_audit_events WHERE tenant_id = ? AND sequence >= ? ORDER BY sequence LIMIT ${page}`
  const readAll = () =>
    runtime.runPromise(
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.gen(function* () {
          let read = 0
          let cursor = 1
          for (;;) {
            const rows = yield* sql.unsafe<{ sequence: unknown }>(text, [tenant, cursor] as never)
            read += rows.length
            if (rows.length < page) return read
            cursor = Number(rows[rows.length - 1]!.sequence) + 1
          }
        })
      )
    )
  const n = await readAll() // warm-up, and the count
  const value = await Bench.throughput(n, readAll)
  const baseline_value = await Bench.throughput(n, () => runtime.runPromise(AuditLog.verify(tenant)))
  return { value, baseline_value }
}

const withTempDir = async <A>(body: (dir: string) => Promise<A>) => {
  const dir = mkdtempSync(join(tmpdir(), "aw-audit-bench-"))
  try {
    return await body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const withPg = <A>(body: (url: string) => Promise<A>) =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(TestDatabase.freshPostgresDatabase, (url) => Effect.promise(() => body(url))))
  )

const onDatabase = async <A>(
  dialect: Dialect,
  body: (db: { runtime: Runtime; dialect: Dialect; url?: string }) => Promise<A>
) => {
  const run = async (storage: Layer.Layer<Storage.Storage | SqlClient.SqlClient, unknown>, url?: string) => {
    const db = await open(dialect, storage)
    try {
      return await body(url === undefined ? db : { ...db, url })
    } finally {
      await db.runtime.dispose()
    }
  }
  return dialect === "pg"
    ? withPg((url) => run(Postgres.layer({ url, maxConnections: 4 }), url))
    : withTempDir((dir) => run(Sqlite.layer({ filename: join(dir, "audit.db") })))
}

const label: Record<Dialect, string> = { sqlite: "SQLite WAL file", pg: "PostgreSQL" }

const scenariosFor = (dialect: Dialect): ReadonlyArray<Bench.Scenario> => [
  Bench.scenario(
    `audit.${dialect}.append.single`,
    () =>
      onDatabase(dialect, async (db) => ({
        unit: "events/s",
        ...(await singleAppends(db)),
        baseline: `raw insert of the same row, one transaction each (@effect/sql, ${label[dialect]})`,
        goal: "ratio >= 0.7"
      })),
    { postgres: dialect === "pg" }
  ),
  Bench.scenario(
    `audit.${dialect}.append.bulk`,
    () =>
      onDatabase(dialect, async (db) => {
        const { value, baseline_value } = await bulkAppends(db)
        return {
          unit: "events/s",
          value,
          baseline_value,
          baseline: `raw ${rawBatch}-row inserts of the same rows, ${bulkBatch} per transaction (${label[dialect]})`,
          goal: dialect === "pg" ? "value >= 40000 events/s" : "value >= 50000 events/s"
        }
      }),
    { postgres: dialect === "pg" }
  ),
  Bench.scenario(
    `audit.${dialect}.append.bulk.driver_ceiling`,
    () =>
      onDatabase(dialect, async (db) => {
        const { value: ours, rows } = await bulkAppends(db)
        return {
          unit: "events/s",
          value: await driverCeiling(dialect, rows, db.url),
          baseline_value: ours,
          baseline:
            "appendMany of the same events in the same run (value: the bare driver inserting the same rows, no sealing)",
          goal: `evidence: the bulk goal (${dialect === "pg" ? 40_000 : 50_000}/s) vs the bare driver's rate`
        }
      }),
    { postgres: dialect === "pg" }
  ),
  Bench.scenario(
    `audit.${dialect}.verify`,
    () =>
      onDatabase(dialect, async (db) => {
        const { tenant } = await bulkAppends({ ...db })
        const { value, baseline_value } = await verifyRate(db, tenant)
        return {
          unit: "events/s",
          value,
          baseline_value,
          baseline: "bare SHA-256 over the same envelopes, in memory",
          goal: "value >= 250000 events/s"
        }
      }),
    { postgres: dialect === "pg" }
  ),
  Bench.scenario(
    `audit.${dialect}.verify.read_only`,
    () =>
      onDatabase(dialect, async (db) => {
        const { tenant } = await bulkAppends({ ...db })
        const { value, baseline_value } = await readOnlyRate(db, tenant)
        return {
          unit: "events/s",
          value,
          baseline_value,
          baseline: "verify of the same rows in the same run (value: only reading the rows verify reads, its ceiling)",
          goal: "evidence: verify cannot exceed the read-only rate"
        }
      }),
    { postgres: dialect === "pg" }
  )
]

export const scenarios: ReadonlyArray<Bench.Scenario> = [...scenariosFor("sqlite"), ...scenariosFor("pg")]
