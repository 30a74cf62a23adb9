// Hosts that already have a database client: a pg.Pool they own, or any @effect/sql SqlClient.
import { TestDatabase } from "@airworthy/testing"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import pg from "pg"
import { Migrations, Query, Storage } from "../src/index.js"
import { Postgres } from "../src/pg/index.js"

const migrations = Migrations.make("@test/host", 1, [
  Migrations.sql("0001_create_host_rows", {
    sqlite: "CREATE TABLE host_rows (id TEXT PRIMARY KEY)",
    pg: "CREATE TABLE host_rows (id TEXT PRIMARY KEY)"
  })
])

const roundTrip = Effect.gen(function* () {
  yield* Migrations.run([migrations])
  yield* Query.unsafe("INSERT INTO host_rows (id) VALUES ('a')")
  const rows = yield* Query.unsafe<{ id: string }>("SELECT id FROM host_rows")
  return rows.map((r) => r.id)
})

const [postgres] = (await TestDatabase.targets({ sqliteFile: false })).filter((t) => t.dialect === "pg")

describe("host-provided clients", () => {
  it.effect("Storage.layer works over a host's own SqliteClient, whatever its name transforms", () =>
    Effect.gen(function* () {
      const storage = yield* Storage.Storage
      assert.strictEqual(storage.dialect, "sqlite")
      assert.deepStrictEqual(yield* roundTrip, ["a"])
    }).pipe(
      Effect.provide(
        Storage.layer.pipe(
          Layer.provideMerge(SqliteClient.layer({ filename: ":memory:", transformResultNames: (s) => s.toUpperCase() }))
        )
      )
    )
  )

  describe.skipIf(postgres?.skip ?? true)("postgres", () => {
    it.effect("Storage.layer works over a host's own PgClient", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* TestDatabase.freshPostgresDatabase
          const result = yield* roundTrip.pipe(
            Effect.provide(Storage.layer.pipe(Layer.provideMerge(PgClient.layer({ url: Redacted.make(url) }))))
          )
          assert.deepStrictEqual(result, ["a"])
        })
      )
    )

    it.effect("Postgres.layerFromPool uses the host's pool and leaves it open for the host", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* TestDatabase.freshPostgresDatabase
          const pool = new pg.Pool({ connectionString: url, max: 2 })
          const result = yield* Effect.scoped(
            Effect.gen(function* () {
              const ctx = yield* Layer.build(Postgres.layerFromPool(pool))
              const sql = yield* Effect.provide(SqlClient.SqlClient, ctx)
              assert.isDefined(sql)
              return yield* Effect.provide(roundTrip, ctx)
            })
          )
          assert.deepStrictEqual(result, ["a"])
          // The layer is released; the host's pool still answers.
          const still = yield* Effect.promise(() => pool.query("SELECT count(*)::int AS n FROM host_rows"))
          assert.strictEqual(still.rows[0].n, 1)
          yield* Effect.promise(() => pool.end())
        })
      )
    )
  })
})
