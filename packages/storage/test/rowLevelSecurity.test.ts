// Row-level security by tenant on PostgreSQL, seen from a role that is not a superuser: a statement
// that forgets its tenant filter sees only the tenant of its transaction, and nothing without one.
import { Actor } from "@airworthy/core"
import { TestDatabase } from "@airworthy/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import pg from "pg"
import { Migrations, Query, RowLevelSecurity, Storage, StorageError } from "../src/index.js"
import { Postgres } from "../src/pg/index.js"
import { Sqlite } from "../src/sqlite/index.js"

const migrations = Migrations.make("@test/rls", 1, [
  Migrations.sql("0001_create_things", {
    sqlite: "CREATE TABLE aw_things (tenant_id TEXT NOT NULL, id TEXT PRIMARY KEY, body TEXT NOT NULL)",
    pg: `CREATE TABLE aw_things (tenant_id TEXT NOT NULL, id TEXT PRIMARY KEY, body TEXT NOT NULL)
--;
CREATE TABLE aw_settings (id TEXT PRIMARY KEY, body TEXT NOT NULL)
--;
CREATE TABLE host_things (tenant_id TEXT NOT NULL, id TEXT PRIMARY KEY)`
  })
])

interface Tables {
  readonly aw_things: { readonly tenant_id: string; readonly id: string; readonly body: string }
}
const q = Query.make<Tables>()

/** The statement that forgot its tenant filter. */
const everything = q.rows((db) => db.selectFrom("aw_things").select(["tenant_id", "id"]).orderBy("id"))
const ids = Effect.map(everything, (rows) => rows.map((r) => `${r.tenant_id}/${r.id}`))
const tenantA = "tenant-a"
const tenantB = "tenant-b"
const odd = "o'brien\\north" // a quote and a backslash: the setting is a quoted literal

const actorOf = (tenantId: string) =>
  Actor.make({ tenantId, actorId: "u-1", displayName: "Quinn", roles: ["quality_manager"], traceId: "t-1" })

const insert = (tenant: string, id: string) =>
  q.exec((db) => db.insertInto("aw_things").values({ tenant_id: tenant, id, body: `${tenant} ${id}` }))

/** A plain pg client as `url`, outside every Airworthy layer. */
const raw = (url: string, statements: ReadonlyArray<string>) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      let last: ReadonlyArray<Record<string, unknown>> = []
      for (const s of statements) last = (await client.query(s)).rows
      return last
    } finally {
      await client.end()
    }
  })

const idsOf = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((r) => r.id)

const [postgres] = (await TestDatabase.targets({ sqliteFile: false })).filter((t) => t.dialect === "pg")

describe("row-level security", () => {
  it.effect("is PostgreSQL-only: asking for it on SQLite fails with a configuration StorageError", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.provide(Storage.Storage, Sqlite.layer({ filename: ":memory:", rowLevelSecurity: true as never }))
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.instanceOf(error, StorageError.StorageError)
        assert.strictEqual(error?.reason, "configuration")
        assert.strictEqual(error?.code, "storage_configuration")
        assert.match(error?.message ?? "", /PostgreSQL-only/)
      }
      // Without it, SQLite is as before and the helpers are inert.
      const fine = yield* Effect.gen(function* () {
        yield* Migrations.run([migrations])
        yield* RowLevelSecurity.withTenant(tenantA)(insert(tenantA, "1"))
        yield* insert(tenantB, "2")
        return { all: yield* RowLevelSecurity.withTenant(tenantA)(ids), tables: yield* RowLevelSecurity.tables }
      }).pipe(Effect.provide(Sqlite.layer({ filename: ":memory:" })))
      assert.deepStrictEqual(fine, { all: ["tenant-a/1", "tenant-b/2"], tables: [] })
    })
  )

  describe.skipIf(postgres?.skip ?? true)("postgres", () => {
    it.scoped("a non-superuser sees only the tenant of its transaction, and nothing without one", () =>
      Effect.gen(function* () {
        const role = yield* TestDatabase.freshPostgresRole
        const url = yield* TestDatabase.freshPostgresDatabase
        // The owner (the superuser of the test server) migrates with the option on.
        const owner = Postgres.layer({ url, maxConnections: 2, rowLevelSecurity: true })
        const covered = yield* Effect.gen(function* () {
          yield* Migrations.run([migrations])
          yield* Query.transaction(
            Effect.all([insert(tenantA, "a1"), insert(tenantA, "a2"), insert(tenantB, "b1"), insert(odd, "o1")])
          ).pipe(RowLevelSecurity.acrossTenants)
          return {
            tables: yield* RowLevelSecurity.tables,
            bypassed: yield* RowLevelSecurity.bypassed,
            second: yield* Migrations.run([migrations])
          }
        }).pipe(Effect.provide(owner))
        assert.deepStrictEqual(covered.tables, [{ table: "aw_things", enabled: true, forced: true, policy: true }])
        assert.isTrue(covered.bypassed, "the test server's own user is a superuser")
        assert.deepStrictEqual(covered.second, [])
        yield* raw(url, [
          `GRANT USAGE ON SCHEMA public TO ${role.name}`,
          `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role.name}`
        ])

        // The application role, through the storage layer with the option on.
        const app = Postgres.layer({ url: role.urlOf(url), maxConnections: 3, rowLevelSecurity: true })
        const seen = yield* Effect.gen(function* () {
          const inTransaction = yield* RowLevelSecurity.withTenant(tenantA)(Query.transaction(ids))
          const outside = yield* RowLevelSecurity.withTenant(tenantA)(ids)
          const asActorB = yield* Actor.withActor(ids, actorOf(tenantB))
          const oddOne = yield* RowLevelSecurity.withTenant(odd)(ids)
          const none = yield* ids
          const noneInTransaction = yield* Query.transaction(ids)
          const across = yield* RowLevelSecurity.acrossTenants(ids)
          // The explicit scope wins over the actor; inside one transaction each statement has the
          // innermost scope (a nested one, then the outer one again, even after a rolled-back savepoint).
          const scopeOverActor = yield* Actor.withActor(RowLevelSecurity.withTenant(tenantB)(ids), actorOf(tenantA))
          const nested = yield* RowLevelSecurity.withTenant(tenantA)(
            Query.transaction(
              Effect.gen(function* () {
                const outer = yield* ids
                const inner = yield* Query.transaction(RowLevelSecurity.withTenant(tenantB)(ids))
                const failed = yield* Effect.flip(
                  Query.transaction(RowLevelSecurity.acrossTenants(Effect.zipRight(ids, Effect.fail("undo" as const))))
                )
                return {
                  outer,
                  inner,
                  failed,
                  again: yield* ids,
                  acrossAgain: yield* RowLevelSecurity.acrossTenants(ids)
                }
              })
            )
          )
          // A transaction begun before the actor is known takes the actor's tenant for its statements.
          const begunBeforeActor = yield* Query.transaction(
            Effect.all([ids, Actor.withActor(ids, actorOf(tenantB)), ids])
          )
          // Writing another tenant's row is refused and leaves nothing; one's own goes in.
          const foreign = yield* Effect.exit(RowLevelSecurity.withTenant(tenantA)(insert(tenantB, "b2")))
          const unscoped = yield* Effect.exit(insert(tenantA, "a0"))
          yield* Actor.withActor(insert(tenantA, "a3"), actorOf(tenantA))
          // Updates and deletes without a filter touch only the tenant's rows.
          yield* RowLevelSecurity.withTenant(tenantB)(q.exec((db) => db.updateTable("aw_things").set({ body: "x" })))
          const bodies = yield* RowLevelSecurity.acrossTenants(
            q.rows((db) => db.selectFrom("aw_things").select(["id", "body"]).orderBy("id"))
          )
          return {
            inTransaction,
            outside,
            asActorB,
            oddOne,
            none,
            noneInTransaction,
            across,
            scopeOverActor,
            nested,
            begunBeforeActor,
            foreign,
            unscoped,
            bodies,
            bypassed: yield* RowLevelSecurity.bypassed
          }
        }).pipe(Effect.provide(app))
        assert.deepStrictEqual(seen.inTransaction, ["tenant-a/a1", "tenant-a/a2"])
        assert.deepStrictEqual(seen.outside, ["tenant-a/a1", "tenant-a/a2"])
        assert.deepStrictEqual(seen.asActorB, ["tenant-b/b1"])
        assert.deepStrictEqual(seen.oddOne, [`${odd}/o1`])
        assert.deepStrictEqual(seen.none, [])
        assert.deepStrictEqual(seen.noneInTransaction, [])
        assert.deepStrictEqual(seen.across, ["tenant-a/a1", "tenant-a/a2", "tenant-b/b1", `${odd}/o1`])
        assert.deepStrictEqual(seen.scopeOverActor, ["tenant-b/b1"])
        assert.deepStrictEqual(seen.nested, {
          outer: ["tenant-a/a1", "tenant-a/a2"],
          inner: ["tenant-b/b1"],
          failed: "undo",
          again: ["tenant-a/a1", "tenant-a/a2"],
          acrossAgain: ["tenant-a/a1", "tenant-a/a2", "tenant-b/b1", `${odd}/o1`]
        })
        // Before the actor: nothing; as the actor: its tenant; after it, the transaction keeps it.
        assert.deepStrictEqual(seen.begunBeforeActor, [[], ["tenant-b/b1"], ["tenant-b/b1"]])
        assert.isTrue(Exit.isFailure(seen.foreign))
        assert.match(String(Exit.isFailure(seen.foreign) ? seen.foreign.cause : ""), /row-level security/)
        assert.isTrue(Exit.isFailure(seen.unscoped))
        assert.deepStrictEqual(
          seen.bodies.map((r) => `${r.id}:${r.body}`),
          ["a1:tenant-a a1", "a2:tenant-a a2", "a3:tenant-a a3", "b1:x", `o1:${odd} o1`]
        )
        assert.isFalse(seen.bypassed)

        // The database holds it without our client: the same role with plain pg, no setting, then one.
        assert.deepStrictEqual(idsOf(yield* raw(role.urlOf(url), ["SELECT id FROM aw_things"])), [])
        assert.deepStrictEqual(
          idsOf(
            yield* raw(role.urlOf(url), [
              "BEGIN",
              `SELECT set_config('airworthy.tenant', '${tenantB}', true)`,
              "SELECT id FROM aw_things ORDER BY id"
            ])
          ),
          ["b1"]
        )
        // A tenant named like a wildcard is only a tenant.
        assert.deepStrictEqual(
          idsOf(
            yield* raw(role.urlOf(url), [
              "BEGIN",
              "SELECT set_config('airworthy.tenant', '*', true)",
              "SELECT id FROM aw_things ORDER BY id"
            ])
          ),
          []
        )
        // Tables without a tenant column, or not ours, are not covered.
        assert.deepStrictEqual((yield* raw(role.urlOf(url), ["SELECT count(*)::int AS n FROM aw_settings"]))[0], {
          n: 0
        })

        // FORCE: the owner of the tables is held to the policy too (only superusers escape it).
        yield* raw(url, [`ALTER TABLE aw_things OWNER TO ${role.name}`])
        assert.deepStrictEqual(idsOf(yield* raw(role.urlOf(url), ["SELECT id FROM aw_things"])), [])
        assert.deepStrictEqual(yield* RowLevelSecurity.withTenant(tenantA)(ids).pipe(Effect.provide(app)), [
          "tenant-a/a1",
          "tenant-a/a2",
          "tenant-a/a3"
        ])
        yield* raw(url, [`REASSIGN OWNED BY ${role.name} TO CURRENT_USER`, `DROP OWNED BY ${role.name}`])
      })
    )

    it.scoped("turned off, covered tables are refused at start until RowLevelSecurity.disable", () =>
      Effect.gen(function* () {
        const url = yield* TestDatabase.freshPostgresDatabase
        yield* Migrations.run([migrations]).pipe(
          Effect.provide(Postgres.layer({ url, maxConnections: 2, rowLevelSecurity: true }))
        )
        const off = Postgres.layer({ url, maxConnections: 2 })
        const refused = yield* Effect.flip(Migrations.run([migrations]).pipe(Effect.provide(off)))
        assert.strictEqual(refused.reason, "configuration")
        assert.match(refused.message, /aw_things/)
        const result = yield* Effect.gen(function* () {
          const removed = yield* RowLevelSecurity.disable
          yield* Migrations.run([migrations])
          return { removed, tables: yield* RowLevelSecurity.tables }
        }).pipe(Effect.provide(off))
        assert.deepStrictEqual(result, {
          removed: ["aw_things"],
          tables: [{ table: "aw_things", enabled: false, forced: false, policy: false }]
        })
      })
    )

    it.scoped("Postgres.layerFromPool takes the option too", () =>
      Effect.gen(function* () {
        const url = yield* TestDatabase.freshPostgresDatabase
        const pool = new pg.Pool({ connectionString: url, max: 2 })
        yield* Effect.addFinalizer(() => Effect.promise(() => pool.end()))
        const tables = yield* Effect.zipRight(Migrations.run([migrations]), RowLevelSecurity.tables).pipe(
          Effect.provide(Postgres.layerFromPool(pool, { rowLevelSecurity: true }))
        )
        assert.deepStrictEqual(tables, [{ table: "aw_things", enabled: true, forced: true, policy: true }])
      })
    )
  })
})
