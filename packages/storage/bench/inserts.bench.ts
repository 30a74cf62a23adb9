// Raw insert rates through @effect/sql, each beside the bare driver (better-sqlite3 / pg) in the same run.
// Later packages compare their own figures against these.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Bench, TestDatabase } from "@airworthy/testing"
import { SqlClient } from "@effect/sql"
import BetterSqlite from "better-sqlite3"
import { Effect, type Layer, ManagedRuntime } from "effect"
import pg from "pg"
import type { Storage } from "../src/index.js"
import { Postgres } from "../src/pg/index.js"
import { Sqlite } from "../src/sqlite/index.js"

const create = "CREATE TABLE bench_rows (id TEXT PRIMARY KEY, n INTEGER NOT NULL, payload TEXT NOT NULL)"
const payload = JSON.stringify({ kind: "finding", level: 2, text: "Torque wrench calibration overdue".repeat(2) })
const row = (i: number, tag: string) => [`${tag}-${i}`, i, payload] as const

type Shape = "autocommit" | "transaction" | "multirow"
const counts: Record<"sqlite" | "pg", Record<Shape, number>> = {
  sqlite: { autocommit: 5_000, transaction: 30_000, multirow: 60_000 },
  pg: { autocommit: 2_000, transaction: 10_000, multirow: 60_000 }
}
const batch = 500

const placeholders = (dialect: "sqlite" | "pg", rows: number) =>
  Array.from({ length: rows }, (_, r) =>
    dialect === "pg" ? `($${r * 3 + 1}, $${r * 3 + 2}, $${r * 3 + 3})` : "(?, ?, ?)"
  ).join(", ")

const effectSql = (dialect: "sqlite" | "pg", shape: Shape, n: number, tag: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const one =
      dialect === "pg" ? "INSERT INTO bench_rows VALUES ($1, $2, $3)" : "INSERT INTO bench_rows VALUES (?, ?, ?)"
    if (shape === "multirow") {
      const many = `INSERT INTO bench_rows VALUES ${placeholders(dialect, batch)}`
      for (let i = 0; i < n; i += batch) {
        yield* sql.unsafe(many, Array.from({ length: batch }, (_, j) => row(i + j, tag)).flat())
      }
      return
    }
    const loop = Effect.forEach(
      Array.from({ length: n }, (_, i) => i),
      (i) => sql.unsafe(one, [...row(i, tag)]),
      { discard: true }
    )
    yield* shape === "transaction" ? sql.withTransaction(loop) : loop
  })

const measureEffect = async (
  layer: Layer.Layer<SqlClient.SqlClient | Storage.Storage, unknown>,
  dialect: "sqlite" | "pg",
  shape: Shape
) => {
  const runtime = ManagedRuntime.make(layer)
  try {
    await runtime.runPromise(SqlClient.SqlClient.pipe(Effect.flatMap((sql) => sql.unsafe(create))))
    await runtime.runPromise(effectSql(dialect, shape, 200, "warm"))
    const n = counts[dialect][shape]
    return await Bench.throughput(n, () => runtime.runPromise(effectSql(dialect, shape, n, "m")))
  } finally {
    await runtime.dispose()
  }
}

const sqliteBaseline = (file: string, shape: Shape) => {
  const db = new BetterSqlite(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("foreign_keys = ON")
  db.exec(create)
  const one = db.prepare("INSERT INTO bench_rows VALUES (?, ?, ?)")
  const many = db.prepare(`INSERT INTO bench_rows VALUES ${placeholders("sqlite", batch)}`)
  const run = (n: number, tag: string) => {
    if (shape === "multirow") {
      for (let i = 0; i < n; i += batch) many.run(Array.from({ length: batch }, (_, j) => row(i + j, tag)).flat())
    } else if (shape === "transaction") {
      db.transaction(() => {
        for (let i = 0; i < n; i++) one.run(...row(i, tag))
      })()
    } else {
      for (let i = 0; i < n; i++) one.run(...row(i, tag))
    }
  }
  try {
    run(200, "warm")
    const n = counts.sqlite[shape]
    return n / timed(() => run(n, "m"))
  } finally {
    db.close()
  }
}

const timed = (body: () => void) => {
  const start = performance.now()
  body()
  return (performance.now() - start) / 1000
}

const pgBaseline = async (url: string, shape: Shape) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(create)
    const run = async (n: number, tag: string) => {
      if (shape === "multirow") {
        const text = `INSERT INTO bench_rows VALUES ${placeholders("pg", batch)}`
        for (let i = 0; i < n; i += batch) {
          await client.query(text, Array.from({ length: batch }, (_, j) => row(i + j, tag)).flat())
        }
        return
      }
      if (shape === "transaction") await client.query("BEGIN")
      for (let i = 0; i < n; i++) await client.query("INSERT INTO bench_rows VALUES ($1, $2, $3)", [...row(i, tag)])
      if (shape === "transaction") await client.query("COMMIT")
    }
    await run(200, "warm")
    const n = counts.pg[shape]
    return await Bench.throughput(n, () => run(n, "m"))
  } finally {
    await client.end()
  }
}

const withTempDir = async <A>(body: (dir: string) => Promise<A>) => {
  const dir = mkdtempSync(join(tmpdir(), "aw-bench-"))
  try {
    return await body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const withPgDatabase = <A>(body: (url: string) => Promise<A>) =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(TestDatabase.freshPostgresDatabase, (url) => Effect.promise(() => body(url))))
  )

const shapes: ReadonlyArray<Shape> = ["autocommit", "transaction", "multirow"]
const label: Record<Shape, string> = {
  autocommit: "single-row autocommit",
  transaction: "rows in one transaction",
  multirow: `multi-row insert (${batch} rows/statement)`
}

export const scenarios: ReadonlyArray<Bench.Scenario> = [
  ...shapes.map((shape) =>
    Bench.scenario(`storage.sqlite.insert.${shape}`, () =>
      withTempDir(async (dir) => {
        const baseline_value = sqliteBaseline(join(dir, "raw.db"), shape)
        const value = await measureEffect(Sqlite.layer({ filename: join(dir, "fx.db") }), "sqlite", shape)
        return {
          unit: "rows/s",
          value,
          baseline: `better-sqlite3 ${label[shape]} (WAL file)`,
          baseline_value
        }
      })
    )
  ),
  ...shapes.map((shape) =>
    Bench.scenario(
      `storage.pg.insert.${shape}`,
      () =>
        withPgDatabase(async (url) => {
          const baseline_value = await pgBaseline(url, shape)
          await pgClear(url)
          const value = await measureEffect(Postgres.layer({ url, maxConnections: 4 }), "pg", shape)
          return { unit: "rows/s", value, baseline: `node-postgres ${label[shape]}`, baseline_value }
        }),
      { postgres: true }
    )
  )
]

const pgClear = async (url: string) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  await client.query("DROP TABLE bench_rows")
  await client.end()
}
