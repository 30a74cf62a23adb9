// The recurrent-training due list over 5,000 people × 20 requirements (100,000 training records, a
// tenth of them expired or expiring soon, one in a hundred missing), through `Training.dueList`
// beside the same query written by hand with @effect/sql (the requirements, the people of their
// roles, the current records in one statement, joined in memory), in the same run, on a SQLite WAL
// file and on PostgreSQL. The seed is written with plain INSERTs and is not timed.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TreeHead } from "@airworthy/audit"
import { Actor } from "@airworthy/core"
import { BlobStore, type Storage, type StorageError } from "@airworthy/storage"
import { Postgres } from "@airworthy/storage/pg"
import { Sqlite } from "@airworthy/storage/sqlite"
import { Bench, TestDatabase } from "@airworthy/testing"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Qms, Training } from "../src/index.js"

type Dialect = "sqlite" | "pg"

const day = 86_400_000
const people = 5_000
const requirements = 20
const tenant = "bench-training"
// The seed is dated from when the bench starts; both sides ask "now" (whole days apart from the seed's dates).
const now = new Date(Math.floor(Date.now() / day) * day).toISOString()
const rounds = 5

const quality = Actor.make({
  tenantId: tenant,
  actorId: "u-quality",
  displayName: "Quinn",
  roles: ["quality_manager"],
  traceId: "bench",
  source: "api"
})

const iso = (ms: number) => new Date(ms).toISOString()

const seed = (dialect: Dialect) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const $ = (n: number) => (dialect === "pg" ? `$${n}` : "?")
    const values = (cols: number) => `(${Array.from({ length: cols }, (_, i) => $(i + 1)).join(", ")})`
    const reqIds: Array<string> = []
    for (let r = 0; r < requirements; r++) {
      const id = `req-${String(r).padStart(2, "0")}`
      reqIds.push(id)
      const data = {
        code: `R${r}`,
        title: `Requirement ${r}`,
        kind: "procedure",
        validityMonths: 24,
        roles: ["technician"]
      }
      yield* sql.unsafe(
        `INSERT INTO aw_records (tenant_id, id, type, ref, title, state, version, owner_id, created_by, created_at, updated_at, due_at, closed_at, data) VALUES ${values(14)}`,
        [
          tenant,
          id,
          "training_requirement",
          `TRQ-2026-${r + 1}`,
          `R${r}`,
          "active",
          1,
          null,
          "u-quality",
          now,
          now,
          null,
          null,
          JSON.stringify(data)
        ]
      )
    }
    yield* sql.withTransaction(
      Effect.forEach(
        Array.from({ length: people }, (_, p) => p),
        (p) =>
          sql.unsafe(
            `INSERT INTO aw_task_directory (tenant_id, actor_id, display_name, email, roles, supervisor_id) VALUES ${values(6)}`,
            [tenant, `u-${String(p).padStart(5, "0")}`, `Person ${p}`, `p${p}@mro.example`, " technician ", null]
          ),
        { discard: true }
      )
    )
    let n = 0
    for (let p = 0; p < people; p++) {
      const person = `u-${String(p).padStart(5, "0")}`
      yield* sql.withTransaction(
        Effect.forEach(
          reqIds,
          (requirementId, r): Effect.Effect<unknown, unknown> => {
            n++
            if (n % 100 === 0) return Effect.void // missing
            // One in ten expired or expiring within 60 days; the rest valid for over a year.
            const expires = n % 10 === 0 ? Date.parse(now) + ((n % 120) - 60) * day : Date.parse(now) + 400 * day
            const completed = iso(expires - 730 * day)
            const data = {
              personId: person,
              requirementId,
              requirementCode: `R${r}`,
              requirementTitle: `Requirement ${r}`,
              completedAt: completed,
              expiresAt: iso(expires)
            }
            return sql.unsafe(
              `INSERT INTO aw_records (tenant_id, id, type, ref, title, state, version, owner_id, created_by, created_at, updated_at, due_at, closed_at, data) VALUES ${values(14)}`,
              [
                tenant,
                `trn-${n}`,
                "training_record",
                `TRN-2026-${n}`,
                `R${r}: ${person}`,
                "current",
                1,
                person,
                "u-quality",
                completed,
                completed,
                iso(expires),
                null,
                JSON.stringify(data)
              ]
            )
          },
          { discard: true }
        )
      )
    }
    if (dialect === "pg") yield* sql.unsafe("VACUUM ANALYZE aw_records")
  })

// The same due list by hand: three statements and the join.
const byHand = (dialect: Dialect) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const $ = (n: number) => (dialect === "pg" ? `$${n}` : "?")
    const at = new Date().toISOString()
    const horizon = iso(Date.parse(at) + 60 * day)
    const reqs = yield* sql.unsafe<{ id: string; data: string }>(
      `SELECT id, data FROM aw_records WHERE tenant_id = ${$(1)} AND type = ${$(2)} AND state = ${$(3)} ORDER BY id`,
      [tenant, "training_requirement", "active"]
    )
    const staff = yield* sql.unsafe<{ actor_id: string; roles: string }>(
      `SELECT actor_id, roles FROM aw_task_directory WHERE tenant_id = ${$(1)} ORDER BY actor_id`,
      [tenant]
    )
    const rows = yield* sql.unsafe<{ id: string; owner_id: string; due_at: string | null; data: string }>(
      `SELECT id, owner_id, due_at, data FROM aw_records WHERE tenant_id = ${$(1)} AND type = ${$(2)} AND state = ${$(3)}`,
      [tenant, "training_record", "current"]
    )
    const held = new Map<string, { id: string; due: string | null; completed: string }>()
    for (const r of rows) {
      const d = JSON.parse(r.data) as { requirementId: string; completedAt: string }
      held.set(`${r.owner_id}|${d.requirementId}`, { id: r.id, due: r.due_at, completed: d.completedAt })
    }
    const lines: Array<{ personId: string; code: string; status: string; expiresAt: string | null }> = []
    for (const req of reqs) {
      const d = JSON.parse(req.data) as { code: string; roles: ReadonlyArray<string> }
      for (const s of staff) {
        if (!d.roles.some((role) => s.roles.includes(` ${role} `))) continue
        const h = held.get(`${s.actor_id}|${req.id}`)
        if (h === undefined) lines.push({ personId: s.actor_id, code: d.code, status: "missing", expiresAt: null })
        else if (h.due !== null && h.due < horizon) {
          lines.push({
            personId: s.actor_id,
            code: d.code,
            status: h.due < at ? "expired" : "due_soon",
            expiresAt: h.due
          })
        }
      }
    }
    const order: Record<string, number> = { expired: 0, missing: 1, due_soon: 2 }
    return lines.sort(
      (a, b) =>
        (order[a.status] ?? 0) - (order[b.status] ?? 0) ||
        (a.expiresAt ?? "").localeCompare(b.expiresAt ?? "") ||
        a.personId.localeCompare(b.personId) ||
        a.code.localeCompare(b.code)
    )
  })

const ours = Training.trainingDueList({ withinDays: 60 }).pipe(Actor.withActor(quality))

const measure = async (
  dialect: Dialect,
  db: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError>
) => {
  const qms = Qms.layer({ signingKey: TreeHead.generateKey(), blobs: BlobStore.database() }).pipe(
    Layer.provideMerge(db)
  )
  const runtime = ManagedRuntime.make(qms)
  try {
    await runtime.runPromise(seed(dialect))
    const oursAt = ours
    const [a, b] = await Promise.all([runtime.runPromise(oursAt), runtime.runPromise(byHand(dialect))])
    if (a.length !== b.length || a.length === 0) {
      throw new Error(`The due lists differ: ${a.length} lines through Training.dueList, ${b.length} by hand`)
    }
    // Interleaved rounds, so a burst of load from elsewhere hits both alike.
    let oursMs = 0
    let handMs = 0
    for (let i = 0; i < rounds; i++) {
      let t = performance.now()
      await runtime.runPromise(byHand(dialect))
      handMs += performance.now() - t
      t = performance.now()
      await runtime.runPromise(oursAt)
      oursMs += performance.now() - t
    }
    return {
      unit: "due lists/s",
      value: (rounds * 1000) / oursMs,
      baseline: `the same query by hand with @effect/sql (${dialect === "pg" ? "PostgreSQL" : "SQLite WAL file"}), ${a.length} lines`,
      baseline_value: (rounds * 1000) / handMs,
      goal: ">= 0.5"
    }
  } finally {
    await runtime.dispose()
  }
}

/**
 * The bench scenarios.
 */
export const scenarios: ReadonlyArray<Bench.Scenario> = [
  Bench.scenario("qms.training.due_list", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aw-training-bench-"))
    try {
      return await measure("sqlite", Sqlite.layer({ filename: join(dir, "qms.db") }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }),
  Bench.scenario(
    "qms.training.due_list.pg",
    () =>
      Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const url = yield* TestDatabase.freshPostgresDatabase
            return yield* Effect.promise(() => measure("pg", Postgres.layer({ url, maxConnections: 4 })))
          })
        )
      ),
    { postgres: true }
  )
]
