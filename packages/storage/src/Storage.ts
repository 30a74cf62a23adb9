/**
 * The storage service: which SQL dialect we are on, and a Kysely instance that only compiles SQL.
 *
 * Statements always run through `@effect/sql`, so the host's transactions, pool and spans apply.
 * Kysely never executes anything (it is built on `DummyDriver`).
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
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
import type pg from "pg"
import { fromCause, StorageError } from "./StorageError.js"

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
export const make: Effect.Effect<Storage["Type"], StorageError, SqlClient.SqlClient> = Effect.gen(function* () {
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
  return { dialect, compiler: makeCompiler(dialect) }
})

/**
 * Storage over any `SqlClient` the host already has (SQLite or PostgreSQL).
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Storage, StorageError, SqlClient.SqlClient> = Layer.effect(Storage, make)

/**
 * Options for the embedded SQLite layer.
 * @since 0.1.0
 * @category models
 */
export interface SqliteOptions {
  /** A file path, or `:memory:`. */
  readonly filename: string
  /** How long a writer waits for another process's lock before failing; default 5 s. */
  readonly busyTimeout?: Duration.DurationInput
}

/**
 * Embedded SQLite: WAL journal (for files), foreign keys on, a busy timeout.
 * @since 0.1.0
 * @category layers
 */
export const sqlite = (options: SqliteOptions): Layer.Layer<Storage | SqlClient.SqlClient, StorageError> => {
  const memory = options.filename === ":memory:" || options.filename === ""
  const busyMs = Duration.toMillis(options.busyTimeout ?? Duration.seconds(5))
  const pragmas = Layer.effectDiscard(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyMs))}`)
      yield* sql.unsafe("PRAGMA foreign_keys = ON")
      if (!memory) yield* sql.unsafe("PRAGMA synchronous = NORMAL")
    }).pipe(Effect.mapError((cause) => fromCause(cause, `SQLite ${options.filename}`)))
  )
  const client = SqliteClient.layer({ filename: options.filename, disableWAL: memory }).pipe(
    Layer.mapError((cause) => fromCause(cause, `SQLite ${options.filename}`))
  )
  return Layer.provideMerge(Layer.merge(layer, pragmas), client)
}

/**
 * Options for the PostgreSQL layer.
 * @since 0.1.0
 * @category models
 */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/database`; kept `Redacted` so it never reaches a log. */
  readonly url: string | Redacted.Redacted<string>
  readonly maxConnections?: number
  readonly connectTimeout?: Duration.DurationInput
  readonly applicationName?: string
}

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

const redact = (text: string, secret: string | undefined) =>
  secret ? text.split(secret).join("***").split(encodeURIComponent(secret)).join("***") : text

const passwordOf = (url: string): string | undefined => {
  try {
    const p = new URL(url).password
    return p ? decodeURIComponent(p) : undefined
  } catch {
    return undefined
  }
}

const connectionError = (url: string) => (cause: unknown) => {
  const error = fromCause(cause)
  return new StorageError({
    reason: "connection",
    message: redact(`Could not connect to PostgreSQL at ${describeUrl(url)}: ${error.message}`, passwordOf(url))
  })
}

/**
 * PostgreSQL through a pool this layer owns.
 * @since 0.1.0
 * @category layers
 */
export const postgres = (options: PostgresOptions): Layer.Layer<Storage | SqlClient.SqlClient, StorageError> => {
  const url = Redacted.isRedacted(options.url) ? options.url : Redacted.make(options.url)
  const client = PgClient.layer({
    url,
    connectTimeout: options.connectTimeout ?? Duration.seconds(10),
    applicationName: options.applicationName ?? "airworthy",
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {})
  }).pipe(Layer.mapError(connectionError(Redacted.value(url))))
  return Layer.provideMerge(layer, client)
}

/**
 * PostgreSQL through a `pg` pool the host already has; the host keeps ownership and ends it.
 * @since 0.1.0
 * @category layers
 */
export const postgresFromPool = (pool: pg.Pool): Layer.Layer<Storage | SqlClient.SqlClient, StorageError> => {
  const where = `${pool.options.host ?? "localhost"}:${pool.options.port ?? 5432}/${pool.options.database ?? ""}`
  const client = PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: "airworthy" }).pipe(
    Layer.mapError((cause) => connectionError(`postgres://${where}`)(cause))
  )
  return Layer.provideMerge(layer, client)
}
