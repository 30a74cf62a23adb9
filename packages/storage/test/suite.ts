// The storage suite, written once; storage.test.ts runs it on every database in TestDatabase.targets().
import { TestDatabase as TD, type TestDatabase, type TestKit } from "@airworthy/testing"
import { SqlClient } from "@effect/sql"
import { assert } from "@effect/vitest"
import { Effect, Exit, type Layer, Option } from "effect"
import { Migrations, Query, Storage, StorageError } from "../src/index.js"

type It = TestKit.It<Layer.Layer.Success<TestDatabase.TestLayer>>

interface Things {
  readonly things: {
    readonly id: string
    readonly flag: number | boolean
    readonly at: string
    readonly body: string | object
    readonly note: string | null
  }
}

const typed = Query.make<Things>()

const tableNames = (dialect: Storage.Dialect) =>
  Query.unsafe<{ name: string }>(
    dialect === "pg"
      ? "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
      : "SELECT name FROM sqlite_master WHERE type = 'table'"
  ).pipe(Effect.map((rs) => rs.map((r) => r.name).sort()))

const pkg = (name: string, order: number, tables: ReadonlyArray<string>, failAt?: number) =>
  Migrations.make(
    name,
    order,
    tables.map((t, i) => ({
      name: `${String(i + 1).padStart(4, "0")}_create_${t}`,
      up:
        failAt === i
          ? Query.unsafe("CREATE TABLE this is not sql").pipe(Effect.asVoid)
          : Query.unsafe(`CREATE TABLE ${t} (id TEXT PRIMARY KEY)`).pipe(Effect.asVoid)
    }))
  )

export const storageSuite = (it: It, target: TestDatabase.Target) => {
  it.effect("detects the dialect of the SqlClient", () =>
    Effect.gen(function* () {
      const storage = yield* Storage.Storage
      assert.strictEqual(storage.dialect, target.dialect)
    })
  )

  it.effect("compiles with Kysely, runs with @effect/sql, and encodes booleans, Dates, objects, undefined", () =>
    Effect.gen(function* () {
      yield* Query.unsafe(
        `CREATE TABLE things (id TEXT PRIMARY KEY, flag ${target.dialect === "pg" ? "BOOLEAN" : "INTEGER"} NOT NULL, at TEXT NOT NULL, body TEXT NOT NULL, note TEXT)`
      )
      const at = new Date("2026-03-04T05:06:07.000Z")
      yield* typed.exec((db) =>
        db
          .insertInto("things")
          .values({ id: "a", flag: true, at: at as never, body: { x: [1, 2] }, note: undefined as never })
      )
      const row = yield* typed.one((db) => db.selectFrom("things").selectAll().where("id", "=", "a"))
      assert.strictEqual(row.at, "2026-03-04T05:06:07.000Z")
      assert.deepStrictEqual(JSON.parse(row.body as string), { x: [1, 2] })
      assert.strictEqual(row.note, null)
      assert.strictEqual(Number(row.flag), 1)
      const none = yield* typed.maybe((db) => db.selectFrom("things").selectAll().where("id", "=", "zzz"))
      assert.isTrue(Option.isNone(none))
      const missing = yield* Effect.flip(typed.one((db) => db.selectFrom("things").selectAll().where("id", "=", "zzz")))
      assert.strictEqual(missing.reason, "no_row")
      const all = yield* typed.rows((db) => db.selectFrom("things").select("id"))
      assert.deepStrictEqual(
        all.map((r) => r.id),
        ["a"]
      )
    })
  )

  it.effect("classifies a unique violation as a constraint failure", () =>
    Effect.gen(function* () {
      yield* Query.unsafe("CREATE TABLE uniq (id TEXT PRIMARY KEY)")
      yield* Query.unsafe("INSERT INTO uniq (id) VALUES ('x')")
      const error = yield* Effect.flip(Query.unsafe("INSERT INTO uniq (id) VALUES ('x')"))
      assert.instanceOf(error, StorageError.StorageError)
      assert.strictEqual(error.reason, "constraint")
      assert.isTrue(StorageError.isConstraint(error))
    })
  )

  it.effect("a failure inside a transaction rolls every write back", () =>
    Effect.gen(function* () {
      yield* Query.unsafe("CREATE TABLE tx_rows (id TEXT PRIMARY KEY)")
      const exit = yield* Effect.exit(
        Query.transaction(
          Effect.gen(function* () {
            yield* Query.unsafe("INSERT INTO tx_rows (id) VALUES ('1')")
            yield* Query.unsafe("INSERT INTO tx_rows (id) VALUES ('2')")
            return yield* Effect.fail("boom" as const)
          })
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      const left = yield* Query.unsafe("SELECT id FROM tx_rows")
      assert.strictEqual(left.length, 0)
    })
  )

  it.effect("migrations run in package order, are recorded, and a second run applies nothing", () =>
    Effect.gen(function* () {
      // The lower-order package is listed last: its table must still be created first.
      const later = Migrations.make("@test/later", 20, [
        {
          name: "0001_child",
          up: Query.unsafe("CREATE TABLE m_child (id TEXT PRIMARY KEY, parent TEXT REFERENCES m_parent (id))").pipe(
            Effect.asVoid
          )
        }
      ])
      const first = pkg("@test/first", 10, ["m_parent", "m_other"])
      const applied = yield* Migrations.run([later, first])
      assert.deepStrictEqual(
        applied.map((a) => `${a.package}/${a.name}`),
        ["@test/first/0001_create_m_parent", "@test/first/0002_create_m_other", "@test/later/0001_child"]
      )
      const again = yield* Migrations.run([later, first])
      assert.deepStrictEqual(again, [])
      const recorded = yield* Migrations.applied
      assert.includeMembers(
        recorded.map((r) => `${r.package}/${r.name}`),
        ["@test/first/0001_create_m_parent", "@test/later/0001_child"]
      )
      // A new migration appended later is the only one applied.
      const grown = pkg("@test/first", 10, ["m_parent", "m_other", "m_third"])
      const third = yield* Migrations.run([later, grown])
      assert.deepStrictEqual(
        third.map((a) => a.name),
        ["0003_create_m_third"]
      )
    })
  )

  it.effect("a failing migration leaves its package's tables as they were and names the migration", () =>
    Effect.gen(function* () {
      const { dialect } = yield* Storage.Storage
      const before = yield* tableNames(dialect)
      const broken = pkg("@test/broken", 10, ["f_one", "f_two", "f_three"], 1)
      const error = yield* Effect.flip(Migrations.run([broken]))
      assert.strictEqual(error.reason, "migration")
      assert.strictEqual(error.migration, "@test/broken/0002_create_f_two")
      assert.include(error.message, "@test/broken/0002_create_f_two")
      const after = yield* tableNames(dialect)
      assert.deepStrictEqual(
        after.filter((t) => !before.includes(t) && !t.startsWith("aw_migrations")),
        []
      )
      const recorded = yield* Migrations.applied
      assert.isFalse(recorded.some((r) => r.package === "@test/broken"))
    })
  )

  it.effect("rejects badly named or out-of-order migrations when they are declared", () =>
    Effect.sync(() => {
      const up = Effect.void
      assert.throws(() => Migrations.make("@test/x", 1, [{ name: "create_things", up }]), /0001_create_tables/)
      assert.throws(
        () =>
          Migrations.make("@test/x", 1, [
            { name: "0002_b", up },
            { name: "0001_a", up }
          ]),
        /strictly increase/
      )
      assert.throws(() => Migrations.registry([pkg("@test/x", 1, []), pkg("@test/x", 2, [])]), /registered twice/)
    })
  )

  if (target.name !== "sqlite-memory") {
    it.effect("two clients migrating at once apply each migration once, without error", () =>
      Effect.gen(function* () {
        const info = yield* TD.TestDatabaseInfo
        const packages = [pkg("@test/race-a", 1, ["r_a1", "r_a2", "r_a3"]), pkg("@test/race-b", 2, ["r_b1", "r_b2"])]
        const runOn = (layer: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError>) =>
          Migrations.run(packages).pipe(Effect.provide(layer))
        const [one, two] = yield* Effect.all([runOn(info.connectAgain!), runOn(info.connectAgain!)], {
          concurrency: "unbounded"
        })
        assert.strictEqual(one.length + two.length, 5)
        const recorded = yield* Migrations.applied
        assert.strictEqual(recorded.filter((r) => r.package.startsWith("@test/race")).length, 5)
      })
    )
  }

  if (target.dialect === "sqlite") {
    it.effect("SQLite runs with foreign keys on, a busy timeout, and WAL for files", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const fk = yield* sql.unsafe<{ foreign_keys: number }>("PRAGMA foreign_keys")
        assert.strictEqual(fk[0]?.foreign_keys, 1)
        const busy = yield* sql.unsafe<{ timeout: number }>("PRAGMA busy_timeout")
        assert.strictEqual(busy[0]?.timeout, 5000)
        const mode = yield* sql.unsafe<{ journal_mode: string }>("PRAGMA journal_mode")
        assert.strictEqual(mode[0]?.journal_mode, target.name === "sqlite-file" ? "wal" : "memory")
      })
    )
  }
}
