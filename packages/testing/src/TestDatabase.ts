/**
 * Real databases for tests: SQLite in memory, SQLite in a temporary file, and a fresh PostgreSQL
 * database per layer (`aw_test_<random>`, dropped afterwards).
 *
 * The PostgreSQL server is `AIRWORTHY_TEST_PG_URL` (default `postgres://root@127.0.0.1:5432/test`).
 * When it cannot be reached its tests are skipped with a loud warning, except under `CI=true`,
 * where that is a failure.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Storage, StorageError } from "@airworthy/storage"
import { Postgres } from "@airworthy/storage/pg"
import { Sqlite } from "@airworthy/storage/sqlite"
import type { SqlClient } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import pg from "pg"

/**
 * The server the PostgreSQL tests use.
 * @since 0.1.0
 * @category constants
 */
export const postgresServerUrl: string = process.env.AIRWORTHY_TEST_PG_URL ?? "postgres://root@127.0.0.1:5432/test"

/**
 * What a test database is, so a test can open a second, independent connection to it.
 * @since 0.1.0
 * @category tags
 */
export class TestDatabaseInfo extends Context.Tag("@airworthy/testing/TestDatabaseInfo")<
  TestDatabaseInfo,
  {
    readonly name: string
    readonly dialect: Storage.Dialect
    /** Another client on the same database (another pool or file handle); none for `:memory:`. */
    readonly connectAgain: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError> | undefined
  }
>() {}

/**
 * A layer every storage test can run on.
 * @since 0.1.0
 * @category models
 */
export type TestLayer = Layer.Layer<Storage.Storage | SqlClient.SqlClient | TestDatabaseInfo, StorageError.StorageError>

/**
 * SQLite in memory: one connection, gone when the layer is released.
 * @since 0.1.0
 * @category layers
 */
export const sqliteMemory: TestLayer = Layer.merge(
  Sqlite.layer({ filename: ":memory:" }),
  Layer.succeed(TestDatabaseInfo, { name: "sqlite-memory", dialect: "sqlite", connectAgain: undefined })
)

/**
 * SQLite in a WAL file inside a temporary directory that is removed afterwards.
 * @since 0.1.0
 * @category layers
 */
export const sqliteFile: TestLayer = Layer.unwrapScoped(
  Effect.gen(function* () {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "aw-test-"))),
      (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
    )
    const filename = join(dir, "qms.db")
    return Layer.merge(
      Sqlite.layer({ filename }),
      Layer.succeed(TestDatabaseInfo, {
        name: "sqlite-file",
        dialect: "sqlite",
        connectAgain: Sqlite.layer({ filename })
      })
    )
  })
)

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

const adminQuery = (statement: string) =>
  Effect.tryPromise({
    try: async () => {
      const client = new pg.Client({ connectionString: postgresServerUrl, connectionTimeoutMillis: 5000 })
      await client.connect()
      try {
        await client.query(statement)
      } finally {
        await client.end()
      }
    },
    catch: (cause) =>
      new StorageError.StorageError({
        reason: "connection",
        message: `PostgreSQL test server ${Storage.describeUrl(postgresServerUrl)}: ${String(cause)}`
      })
  })

/**
 * A fresh PostgreSQL database for the lifetime of the scope; returns its URL.
 * @since 0.1.0
 * @category constructors
 */
export const freshPostgresDatabase: Effect.Effect<string, StorageError.StorageError, import("effect").Scope.Scope> =
  Effect.acquireRelease(
    Effect.gen(function* () {
      const name = `aw_test_${randomBytes(6).toString("hex")}`
      yield* adminQuery(`CREATE DATABASE ${name}`)
      return name
    }),
    (name) => Effect.orDie(adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  ).pipe(Effect.map((name) => withDatabase(postgresServerUrl, name)))

/**
 * A fresh PostgreSQL database, dropped when the layer is released.
 * @since 0.1.0
 * @category layers
 */
export const postgres: TestLayer = Layer.unwrapScoped(
  Effect.map(freshPostgresDatabase, (url) =>
    Layer.merge(
      Postgres.layer({ url, maxConnections: 10 }),
      Layer.succeed(TestDatabaseInfo, {
        name: "postgres",
        dialect: "pg",
        connectAgain: Postgres.layer({ url, maxConnections: 10 })
      })
    )
  )
)

/**
 * A PostgreSQL login role that is neither a superuser nor `BYPASSRLS` (row-level security applies to
 * it), for the lifetime of the scope; `urlOf(databaseUrl)` connects as it. Release it after the
 * databases it owns or was granted (acquire it first).
 * @since 0.1.0
 * @category constructors
 */
export const freshPostgresRole: Effect.Effect<
  { readonly name: string; readonly urlOf: (databaseUrl: string) => string },
  StorageError.StorageError,
  import("effect").Scope.Scope
> = Effect.acquireRelease(
  Effect.gen(function* () {
    const name = `aw_rls_app_${randomBytes(6).toString("hex")}`
    yield* adminQuery(`CREATE ROLE ${name} LOGIN NOSUPERUSER NOBYPASSRLS`)
    return name
  }),
  (name) => Effect.orDie(adminQuery(`DROP ROLE IF EXISTS ${name}`))
).pipe(
  Effect.map((name) => ({
    name,
    urlOf: (databaseUrl: string) => {
      const u = new URL(databaseUrl)
      u.username = name
      u.password = ""
      return u.toString()
    }
  }))
)

/**
 * A fresh PostgreSQL database owned by `role` (it may create tables in its `public` schema), dropped
 * when the scope closes; returns its URL (as the test server's user: `urlOf` of the role connects as it).
 * @since 0.1.0
 * @category constructors
 */
export const freshPostgresDatabaseOwnedBy = (
  role: string
): Effect.Effect<string, StorageError.StorageError, import("effect").Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const name = `aw_test_${randomBytes(6).toString("hex")}`
      yield* adminQuery(`CREATE DATABASE ${name} OWNER ${role}`)
      return name
    }),
    (name) => Effect.orDie(adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  ).pipe(Effect.map((name) => withDatabase(postgresServerUrl, name)))

/**
 * PostgreSQL with row-level security on, as the application would run it: a fresh database owned
 * by a fresh role that is not a superuser, which runs the migrations (owning the tables, so `FORCE
 * ROW LEVEL SECURITY` is what holds it to the policies) and every statement.
 * @since 0.1.0
 * @category layers
 */
export const postgresRowLevelSecurity: TestLayer = Layer.unwrapScoped(
  Effect.gen(function* () {
    const role = yield* freshPostgresRole
    const url = role.urlOf(yield* freshPostgresDatabaseOwnedBy(role.name))
    return Layer.merge(
      Postgres.layer({ url, maxConnections: 10, rowLevelSecurity: true }),
      Layer.succeed(TestDatabaseInfo, {
        name: "postgres-rls",
        dialect: "pg",
        connectAgain: Postgres.layer({ url, maxConnections: 10, rowLevelSecurity: true })
      })
    )
  })
)

/**
 * Can the PostgreSQL test server be reached? Resolves to the reason when it cannot.
 * @since 0.1.0
 * @category utils
 */
export const probePostgres = async (): Promise<string | undefined> => {
  const client = new pg.Client({ connectionString: postgresServerUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query("SELECT 1")
    return undefined
  } catch (cause) {
    return cause instanceof Error ? cause.message : String(cause)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/**
 * One database a shared suite runs on; `skip` is set when PostgreSQL is unreachable outside CI.
 * @since 0.1.0
 * @category models
 */
export interface Target {
  readonly name: "sqlite-memory" | "sqlite-file" | "postgres" | "postgres-rls"
  readonly dialect: Storage.Dialect
  readonly layer: TestLayer
  readonly skip: boolean
}

let probed: Promise<string | undefined> | undefined

/**
 * Every database a shared storage suite must pass on. Under `CI=true` an unreachable PostgreSQL
 * rejects (failing the test file) instead of skipping. `AIRWORTHY_TEST_DATABASES=sqlite-memory`
 * skips every target but SQLite in memory (mutation testing sets it).
 * @since 0.1.0
 * @category constructors
 */
export const targets = async (options: { readonly sqliteFile?: boolean } = {}): Promise<ReadonlyArray<Target>> => {
  // Mutation testing (`pnpm mutate`) runs every mutant on SQLite in memory only: the other targets
  // are listed but skipped, so a suite names them all the same.
  if (process.env.AIRWORTHY_TEST_DATABASES === "sqlite-memory") {
    const list: Array<Target> = [{ name: "sqlite-memory", dialect: "sqlite", layer: sqliteMemory, skip: false }]
    if (options.sqliteFile !== false)
      list.push({ name: "sqlite-file", dialect: "sqlite", layer: sqliteFile, skip: true })
    list.push({ name: "postgres", dialect: "pg", layer: postgres, skip: true })
    return list
  }
  probed ??= probePostgres()
  const unreachable = await probed
  if (unreachable !== undefined) {
    const line = `PostgreSQL at ${Storage.describeUrl(postgresServerUrl)} is unreachable (${unreachable})`
    if (process.env.CI === "true") {
      throw new Error(`${line}. Under CI=true the PostgreSQL tests must run; start the server.`)
    }
    console.warn(`\n${"!".repeat(100)}\n!!! SKIPPING POSTGRESQL TESTS: ${line}\n${"!".repeat(100)}\n`)
  }
  const list: Array<Target> = [{ name: "sqlite-memory", dialect: "sqlite", layer: sqliteMemory, skip: false }]
  if (options.sqliteFile !== false)
    list.push({ name: "sqlite-file", dialect: "sqlite", layer: sqliteFile, skip: false })
  list.push({ name: "postgres", dialect: "pg", layer: postgres, skip: unreachable !== undefined })
  return list
}
