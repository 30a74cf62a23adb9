// `qms.calibration.due_list`: the calibration due list (overdue and due within 30 days) over a register
// of 50,000 items of which 5,000 are due, through the operation (authorise, keyset pages of the
// records list, status per item, sort), beside the same query written by hand with @effect/sql, in the
// same run, on SQLite (WAL file) and PostgreSQL.
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
import { Calibration, Qms, QmsModule } from "../src/index.js"

type Dialect = "sqlite" | "pg"

const items = 50_000
const dueItems = 5_000
const runs = 20
const day = 86_400_000
const tenantId = "bench-calibration"
// The runtime reads the wall clock: the register is placed around the moment the bench runs.
const now = Date.now()

const actor = Actor.make({
  tenantId,
  actorId: "u-bench",
  displayName: "Bench",
  roles: ["quality_manager"],
  traceId: "bench",
  source: "api"
})

const iso = (ms: number) => new Date(ms).toISOString()

/** 50,000 items written straight into the records table (not timed): 5,000 due within 30 days or overdue. */
const seed = (dialect: Dialect) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const $ = (n: number) => (dialect === "pg" ? `$${n}` : "?")
    const columns = 14
    const batch = 500
    for (let start = 0; start < items; start += batch) {
      const values: Array<string | number | null> = []
      const rows: Array<string> = []
      for (let i = start; i < Math.min(items, start + batch); i++) {
        // Due items: between 30 days overdue and 29 days ahead; the rest 60 to 400 days ahead.
        const due = i < dueItems ? now + ((i % 60) - 30) * day : now + (60 + (i % 340)) * day
        const toolId = `T-${String(i).padStart(6, "0")}`
        const data = {
          toolId,
          description: `Torque wrench ${i}`,
          location: i % 2 === 0 ? "Line stores" : "Hangar 2",
          owner: "Tool store",
          itemClass: "torque_wrench",
          source: "host",
          nextDueAt: iso(due)
        }
        const base = rows.length * columns
        rows.push(`(${Array.from({ length: columns }, (_, k) => $(base + k + 1)).join(", ")})`)
        values.push(
          tenantId,
          `item-${String(i).padStart(6, "0")}`,
          "calibrated_item",
          `TOOL-2026-${String(i + 1).padStart(5, "0")}`,
          `${toolId} ${data.description}`,
          i % 97 === 0 ? "quarantined" : "in_service",
          1,
          null,
          "u-bench",
          iso(now - 400 * day),
          iso(now - 400 * day),
          iso(due),
          null,
          JSON.stringify(data)
        )
      }
      yield* sql.unsafe(
        `INSERT INTO aw_records (tenant_id, id, type, ref, title, state, version, owner_id, created_by, created_at, updated_at, due_at, closed_at, data) VALUES ${rows.join(", ")}`,
        values
      )
    }
  })

const ours = QmsModule.invoke(Calibration.due)({}).pipe(Actor.withActor(actor))

/** The same query by hand: the due items of the tenant, their status, earliest first. */
const byHand = (dialect: Dialect) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const $ = (n: number) => (dialect === "pg" ? `$${n}` : "?")
    const horizon = now + 30 * day
    const rows = yield* sql.unsafe<{ id: string; ref: string; state: string; due_at: string; data: string }>(
      `SELECT id, ref, state, due_at, data FROM aw_records WHERE tenant_id = ${$(1)} AND type = ${$(2)} ` +
        `AND state IN (${$(3)}, ${$(4)}) AND due_at < ${$(5)} ORDER BY due_at, ref`,
      [tenantId, "calibrated_item", "in_service", "quarantined", iso(horizon + 1)]
    )
    return rows.map((r) => {
      const data = JSON.parse(r.data) as { toolId: string; description: string; location?: string }
      const due = Date.parse(r.due_at)
      return {
        itemId: r.id,
        ref: r.ref,
        toolId: data.toolId,
        description: data.description,
        location: data.location ?? null,
        state: r.state,
        status: r.state !== "in_service" ? r.state : due <= now ? "overdue" : "due_soon",
        dueAt: r.due_at,
        daysOverdue: Math.floor((now - due) / day)
      }
    })
  })

const measure = async (
  dialect: Dialect,
  db: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError>
) => {
  const layer = Qms.layer({ signingKey: TreeHead.generateKey(), blobs: BlobStore.database() }).pipe(
    Layer.provideMerge(db)
  )
  const runtime = ManagedRuntime.make(layer)
  try {
    await runtime.runPromise(seed(dialect))
    const list = await runtime.runPromise(ours)
    const hand = await runtime.runPromise(byHand(dialect))
    if (list.total !== hand.length) throw new Error(`due list ${list.total} lines, by hand ${hand.length}`)
    // Interleaved rounds, so a burst of load from elsewhere on the machine hits both alike.
    let hands = 0
    let theirs = 0
    for (let round = 0; round < runs; round++) {
      hands += 1 / (await Bench.opsPerSecond(1, () => runtime.runPromise(byHand(dialect))))
      theirs += 1 / (await Bench.opsPerSecond(1, () => runtime.runPromise(ours)))
    }
    const baseline_value = runs / hands
    const value = runs / theirs
    return {
      unit: "due lists/s",
      value,
      baseline: `the same query by hand with @effect/sql, ${hand.length} of ${items} items due (${dialect === "pg" ? "PostgreSQL" : "SQLite WAL file"})`,
      baseline_value,
      goal: ">= 0.5"
    }
  } finally {
    await runtime.dispose()
  }
}

export const scenarios: ReadonlyArray<Bench.Scenario> = [
  Bench.scenario("qms.calibration.due_list.sqlite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aw-bench-calibration-"))
    try {
      return await measure("sqlite", Sqlite.layer({ filename: join(dir, "qms.db") }))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }),
  Bench.scenario(
    "qms.calibration.due_list.pg",
    () =>
      Effect.runPromise(
        Effect.scoped(
          Effect.flatMap(TestDatabase.freshPostgresDatabase, (url) =>
            Effect.promise(() => measure("pg", Postgres.layer({ url, maxConnections: 4 })))
          )
        )
      ),
    { postgres: true }
  )
]
