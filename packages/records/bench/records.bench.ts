// One workflow command (authorise + guards + record update + history + audit append, one transaction)
// beside the same statements written by hand with @effect/sql, in the same run, on SQLite and PostgreSQL.
import { createHash, randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AuditLog, AuditMigrations, TreeHead } from "@airworthy/audit"
import { Actor, Guard, Ids, Policy, Workflow } from "@airworthy/core"
import { Migrations, type Storage, type StorageError } from "@airworthy/storage"
import { Postgres } from "@airworthy/storage/pg"
import { Sqlite } from "@airworthy/storage/sqlite"
import { Bench, TestDatabase } from "@airworthy/testing"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import { RecordHooks, Records, RecordsMigrations, RecordType, SignerVerification } from "../src/index.js"

type Dialect = "sqlite" | "pg"

// A transition with two guards: a required field and attached evidence.
const workflow = Workflow.unsafeMake({
  name: "defect",
  states: { open: { editable: ["title"] }, closed: {} },
  initial: "open",
  terminal: ["closed"],
  transitions: [
    {
      name: "close",
      from: "open",
      to: "closed",
      permission: "defect.close",
      guards: [Guard.requiredFields(["title"]), Guard.attachment("evidence")]
    }
  ]
})

const defect = RecordType.make({
  name: "defect",
  prefix: "DEF",
  schema: Schema.Struct({ title: Schema.String }),
  workflow,
  title: (d) => d.title
})

const counts: Record<Dialect, number> = { sqlite: 2_000, pg: 1_000 }
const warm = 100

const actor = (tenantId: string) =>
  Actor.make({ tenantId, actorId: "u-bench", displayName: "Bench", roles: ["admin"], traceId: "bench", source: "api" })

const layerFor = (db: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError>) =>
  Records.layer({ types: [defect] }).pipe(
    Layer.provideMerge(Layer.mergeAll(RecordHooks.none, SignerVerification.acceptAll, Policy.layer())),
    Layer.provideMerge(AuditLog.layer({ signingKey: TreeHead.generateKey() })),
    Layer.provideMerge(
      Layer.effectDiscard(Effect.orDie(Migrations.run([AuditMigrations.migrations, RecordsMigrations.migrations])))
    ),
    Layer.provideMerge(Ids.layer),
    Layer.provideMerge(db)
  )

/** Open defects, each with its evidence attached (not timed). */
const seed = (tenantId: string, n: number) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    (i) =>
      Effect.gen(function* () {
        const r = yield* Records.create({ type: "defect", data: { title: `Chafed harness ${i}` } })
        yield* Records.attach({
          id: r.id,
          kind: "evidence",
          name: "photo.jpg",
          mediaType: "image/jpeg",
          size: 1000,
          sha256: "0".repeat(64)
        })
        return r.id
      }),
    { concurrency: 4 }
  ).pipe(Actor.withActor(actor(tenantId)))

const viaRecords = (tenantId: string, id: string) =>
  Records.transition({ id, transition: "close", expectedVersion: 1 }).pipe(Actor.withActor(actor(tenantId)))

/** The same statements by hand: lock (SQLite), load, guard read, guarded update, audit append, history. */
const byHand = (dialect: Dialect, tenantId: string, id: string) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const $ = (n: number) => (dialect === "pg" ? `$${n}` : "?")
    const roles = ["admin"]
    yield* sql.withTransaction(
      Effect.gen(function* () {
        if (!roles.includes("admin")) return yield* Effect.fail("forbidden")
        if (dialect === "sqlite") yield* sql.unsafe("UPDATE aw_record_refs SET last_number = last_number WHERE 0 = 1")
        const [row] = yield* sql.unsafe<{ version: number; state: string; data: string }>(
          `SELECT * FROM aw_records WHERE tenant_id = ${$(1)} AND id = ${$(2)}`,
          [tenantId, id]
        )
        if (row === undefined) return yield* Effect.fail("not found")
        const attachments = yield* sql.unsafe<{ kind: string }>(
          `SELECT id, kind FROM aw_record_attachments WHERE tenant_id = ${$(1)} AND record_id = ${$(2)}`,
          [tenantId, id]
        )
        const title = (JSON.parse(row.data) as { title?: string }).title
        if (!title || !attachments.some((a) => a.kind === "evidence")) return yield* Effect.fail("guards")
        const at = new Date().toISOString()
        const updated = yield* sql.unsafe(
          `UPDATE aw_records SET state = ${$(1)}, version = ${$(2)}, updated_at = ${$(3)}, closed_at = ${$(4)} ` +
            `WHERE tenant_id = ${$(5)} AND id = ${$(6)} AND version = ${$(7)} RETURNING version`,
          ["closed", Number(row.version) + 1, at, at, tenantId, id, Number(row.version)]
        )
        if (updated.length === 0) return yield* Effect.fail("stale")
        const [head] =
          dialect === "pg"
            ? yield* sql.unsafe<{ last_sequence: string; last_hash: string }>(
                "SELECT last_sequence, last_hash FROM aw_audit_heads WHERE tenant_id = $1 FOR UPDATE",
                [tenantId]
              )
            : yield* sql.unsafe<{ last_sequence: number; last_hash: string }>(
                "INSERT INTO aw_audit_heads (tenant_id, last_sequence, last_hash) VALUES (?, 0, ?) " +
                  "ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = aw_audit_heads.last_sequence " +
                  "RETURNING last_sequence, last_hash",
                [tenantId, "0".repeat(64)]
              )
        const sequence = Number(head!.last_sequence) + 1
        const envelope = JSON.stringify({ sequence, prev: head!.last_hash, record: id, before: row, state: "closed" })
        const hash = createHash("sha256").update(envelope).digest("hex")
        yield* sql.unsafe(
          `INSERT INTO aw_audit_events (tenant_id, sequence, id, occurred_at, actor_id, action, record_type, record_id, severity, correlation_id, envelope, hash) ` +
            `VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map($).join(", ")})`,
          [
            tenantId,
            sequence,
            randomUUID(),
            at,
            "u-bench",
            "defect.transition.close",
            "defect",
            id,
            "info",
            null,
            envelope,
            hash
          ]
        )
        yield* sql.unsafe(
          `UPDATE aw_audit_heads SET last_sequence = ${$(1)}, last_hash = ${$(2)} WHERE tenant_id = ${$(3)}`,
          [sequence, hash, tenantId]
        )
        yield* sql.unsafe(
          `INSERT INTO aw_record_history (tenant_id, id, record_id, kind, version, transition, from_state, to_state, actor_id, at) ` +
            `VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map($).join(", ")})`,
          [
            tenantId,
            randomUUID(),
            id,
            "transitioned",
            Number(row.version) + 1,
            "close",
            "open",
            "closed",
            "u-bench",
            at
          ]
        )
      })
    )
  })

const measure = async (
  dialect: Dialect,
  db: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError>
) => {
  const runtime = ManagedRuntime.make(layerFor(db))
  try {
    const n = counts[dialect]
    const ours = await runtime.runPromise(seed("bench-records", n + warm))
    const raw = await runtime.runPromise(seed("bench-raw", n + warm))
    for (let i = 0; i < warm; i++) {
      await runtime.runPromise(viaRecords("bench-records", ours[i]!))
      await runtime.runPromise(byHand(dialect, "bench-raw", raw[i]!))
    }
    const baseline_value = await Bench.opsPerSecond(n, (i) =>
      runtime.runPromise(byHand(dialect, "bench-raw", raw[warm + i]!))
    )
    const value = await Bench.opsPerSecond(n, (i) => runtime.runPromise(viaRecords("bench-records", ours[warm + i]!)))
    return {
      unit: "commands/s",
      value,
      baseline: `the same statements by hand with @effect/sql (${dialect === "pg" ? "PostgreSQL" : "SQLite WAL file"})`,
      baseline_value,
      goal: ">= 0.4"
    }
  } finally {
    await runtime.dispose()
  }
}

// Row-level security (PostgreSQL): the same Records calls on two databases owned by one role that is
// not a superuser, one with `rowLevelSecurity: true`, one without, measured in interleaved rounds so
// a burst of load from elsewhere hits both alike. The baseline is the same work without it.
const rlsRounds = 8
const rlsCounts = { create: 800, get: 4000 } as const

const compareRowLevelSecurity = (operation: "create" | "get") =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const role = yield* TestDatabase.freshPostgresRole
        const onUrl = role.urlOf(yield* TestDatabase.freshPostgresDatabaseOwnedBy(role.name))
        const offUrl = role.urlOf(yield* TestDatabase.freshPostgresDatabaseOwnedBy(role.name))
        return yield* Effect.promise(async () => {
          const on = ManagedRuntime.make(
            layerFor(Postgres.layer({ url: onUrl, maxConnections: 4, rowLevelSecurity: true }))
          )
          const off = ManagedRuntime.make(layerFor(Postgres.layer({ url: offUrl, maxConnections: 4 })))
          try {
            const n = rlsCounts[operation]
            const per = Math.floor(n / rlsRounds)
            // `get` reads a seeded record (not timed); `create` makes a new one each time.
            const ids = {
              on: operation === "get" ? await on.runPromise(seed("bench-rls", 50)) : [],
              off: operation === "get" ? await off.runPromise(seed("bench-rls", 50)) : []
            }
            const op = (side: "on" | "off", i: number) =>
              (side === "on" ? on : off).runPromise(
                operation === "create"
                  ? Records.create({ type: "defect", data: { title: `Chafed harness ${i}` } }).pipe(
                      Actor.withActor(actor("bench-rls"))
                    )
                  : Records.get(ids[side][i % 50]!).pipe(Actor.withActor(actor("bench-rls")))
              )
            for (let i = 0; i < warm; i++) {
              await op("on", i)
              await op("off", i)
            }
            const seconds = { on: 0, off: 0 }
            for (let round = 0; round < rlsRounds; round++) {
              for (const side of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
                const rate = await Bench.opsPerSecond(per, (i) => op(side, round * per + i))
                seconds[side] += per / rate
              }
            }
            return {
              unit: operation === "create" ? "creates/s" : "reads/s",
              value: (per * rlsRounds) / seconds.on,
              baseline: `the same Records.${operation} without row-level security (PostgreSQL, same non-superuser role, interleaved rounds)`,
              baseline_value: (per * rlsRounds) / seconds.off
            }
          } finally {
            await on.dispose()
            await off.dispose()
          }
        })
      })
    )
  )

export const scenarios: ReadonlyArray<Bench.Scenario> = [
  Bench.scenario("records.sqlite.transition", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aw-bench-records-"))
    try {
      return await measure("sqlite", Sqlite.layer({ filename: join(dir, "qms.db") }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }),
  Bench.scenario(
    "records.pg.transition",
    () =>
      Effect.runPromise(
        Effect.scoped(
          Effect.flatMap(TestDatabase.freshPostgresDatabase, (url) =>
            Effect.promise(() => measure("pg", Postgres.layer({ url, maxConnections: 4 })))
          )
        )
      ),
    { postgres: true }
  ),
  Bench.scenario("records.pg.create.rls", () => compareRowLevelSecurity("create"), { postgres: true }),
  Bench.scenario("records.pg.get.rls", () => compareRowLevelSecurity("get"), { postgres: true })
]
