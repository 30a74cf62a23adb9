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
import * as TenantClient from "./internal/tenantClient.js"
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
    /**
     * PostgreSQL row-level security by tenant is on (see `RowLevelSecurity`): `Migrations.run` puts
     * the `aw_` tables under it and every statement runs with its tenant's settings.
     * @since 0.3.0
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
 * @since 0.3.0
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

const sqliteHasNoRowLevelSecurity = new StorageError({
  reason: "configuration",
  message:
    "rowLevelSecurity is PostgreSQL-only: SQLite has no row-level security. Remove the option, or use Storage.postgres"
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
  /**
   * Row-level security is PostgreSQL-only: `true` here fails the layer with a `StorageError`
   * (`reason: "configuration"`) rather than run without the isolation that was asked for.
   * @since 0.3.0
   */
  readonly rowLevelSecurity?: false
}

/**
 * Embedded SQLite: WAL journal (for files), foreign keys on, a busy timeout.
 * @since 0.1.0
 * @category layers
 */
export const sqlite = (options: SqliteOptions): Layer.Layer<Storage | SqlClient.SqlClient, StorageError> => {
  if ((options as { readonly rowLevelSecurity?: boolean }).rowLevelSecurity === true)
    return Layer.fail(sqliteHasNoRowLevelSecurity)
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
  /**
   * Tenant isolation in depth: every `aw_` tenant table under row-level security keyed by the
   * transaction's tenant (see `RowLevelSecurity`). Default off.
   * @since 0.3.0
   */
  readonly rowLevelSecurity?: boolean
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
  return withRowLevelSecurity(client, options.rowLevelSecurity === true)
}

/**
 * The storage layer over a PostgreSQL client layer, with the client wrapped when row-level security
 * is on (the `PgClient` tag stays the pool's own, for LISTEN/NOTIFY). A role that bypasses
 * row-level security (a superuser, `BYPASSRLS`) is warned about once at start.
 */
const withRowLevelSecurity = (
  client: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, StorageError>,
  on: boolean
): Layer.Layer<Storage | SqlClient.SqlClient, StorageError> => {
  if (!on) return Layer.provideMerge(layer, client)
  const wrapped = Layer.effectContext(
    Effect.gen(function* () {
      const pg = yield* PgClient.PgClient
      const tenantClient = yield* TenantClient.make(yield* SqlClient.SqlClient)
      return Context.make(PgClient.PgClient, pg).pipe(Context.add(SqlClient.SqlClient, tenantClient))
    })
  ).pipe(Layer.provide(client))
  const storage = Layer.effect(
    Storage,
    Effect.tap(makeWith({ rowLevelSecurity: true }), () =>
      Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ bypass: boolean }>`SELECT (rolsuper OR rolbypassrls) AS bypass, current_user AS role
                                   FROM pg_roles WHERE rolname = current_user`.pipe(
          Effect.flatMap((rows) =>
            rows[0]?.bypass === true
              ? Effect.logWarning(
                  `Row-level security is on, but the PostgreSQL role ${String((rows[0] as { role?: unknown }).role)} is a ` +
                    "superuser or has BYPASSRLS, so it sees every tenant anyway: connect as a role without them"
                )
              : Effect.void
          ),
          Effect.mapError((cause) => fromCause(cause))
        )
      )
    )
  )
  return Layer.provideMerge(storage, wrapped)
}

/**
 * PostgreSQL through a `pg` pool the host already has; the host keeps ownership and ends it.
 * @since 0.1.0
 * @category layers
 */
export const postgresFromPool = (
  pool: pg.Pool,
  options: { readonly rowLevelSecurity?: boolean } = {}
): Layer.Layer<Storage | SqlClient.SqlClient, StorageError> => {
  const where = `${pool.options.host ?? "localhost"}:${pool.options.port ?? 5432}/${pool.options.database ?? ""}`
  const client = PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: "airworthy" }).pipe(
    Layer.mapError((cause) => connectionError(`postgres://${where}`)(cause))
  )
  return withRowLevelSecurity(client, options.rowLevelSecurity === true)
}
