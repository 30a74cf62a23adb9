/**
 * The storage service: which SQL dialect we are on, and a Kysely instance that only compiles SQL.
 *
 * Statements always run through `@effect/sql`, so the host's transactions, pool and spans apply.
 * Kysely never executes anything (it is built on `DummyDriver`).
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler
} from "kysely"
import { sqliteHasNoRowLevelSecurity } from "./internal/sqliteRls.js"
import { StorageError } from "./StorageError.js"

/**
 * The SQL dialects Airworthy runs on.
 * @since 0.1.0
 * @category models
 */
export type Dialect = "sqlite" | "pg"

/**
 * The storage service.
 * @since 0.1.0
 * @category tags
 */
export class Storage extends Context.Tag("@airworthy/storage/Storage")<
  Storage,
  {
    readonly dialect: Dialect
    /** A Kysely that compiles SQL for `dialect` and cannot run it. */
    // biome-ignore lint/suspicious/noExplicitAny: the schema is supplied per query by `Query.make<DB>()`.
    readonly compiler: Kysely<any>
    /**
     * PostgreSQL row-level security by tenant is on (see `RowLevelSecurity`): `Migrations.run` puts
     * the `aw_` tables under it and every statement runs with its tenant's settings.
     * @since 0.1.0
     */
    readonly rowLevelSecurity?: boolean
  }
>() {}

/**
 * A Kysely that compiles SQL for a dialect and never executes it.
 * @since 0.1.0
 * @category constructors
 */
export const makeCompiler = <DB>(dialect: Dialect): Kysely<DB> =>
  new Kysely<DB>({
    dialect:
      dialect === "pg"
        ? {
            createAdapter: () => new PostgresAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new PostgresIntrospector(db),
            createQueryCompiler: () => new PostgresQueryCompiler()
          }
        : {
            createAdapter: () => new SqliteAdapter(),
            createDriver: () => new DummyDriver(),
            createIntrospector: (db) => new SqliteIntrospector(db),
            createQueryCompiler: () => new SqliteQueryCompiler()
          }
  })

/**
 * Detects the dialect of the `SqlClient` in context.
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Storage["Type"], StorageError, SqlClient.SqlClient> = Effect.suspend(() =>
  makeWith({})
)

/**
 * Detects the dialect of the `SqlClient` in context, with options.
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (options: {
  readonly rowLevelSecurity?: boolean
}): Effect.Effect<Storage["Type"], StorageError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const dialect = sql.onDialectOrElse({
      pg: (): Dialect | undefined => "pg",
      sqlite: (): Dialect | undefined => "sqlite",
      orElse: () => undefined
    })
    if (dialect === undefined) {
      return yield* new StorageError({
        reason: "connection",
        message: "Airworthy runs on SQLite or PostgreSQL; the SqlClient provided is neither"
      })
    }
    if (options.rowLevelSecurity === true && dialect !== "pg") return yield* sqliteHasNoRowLevelSecurity
    return { dialect, compiler: makeCompiler(dialect), rowLevelSecurity: options.rowLevelSecurity === true }
  })

/**
 * Storage over any `SqlClient` the host already has (SQLite or PostgreSQL).
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Storage, StorageError, SqlClient.SqlClient> = Layer.effect(Storage, make)

/**
 * Where a PostgreSQL URL points, without its password.
 * @since 0.1.0
 * @category utils
 */
export const describeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || "(default database)"
    return `${u.hostname || "localhost"}:${u.port || "5432"}/${database}`
  } catch {
    return "(unparseable PostgreSQL URL)"
  }
}
