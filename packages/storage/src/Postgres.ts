/**
 * PostgreSQL storage (`@airworthy/storage/pg`): a pool this layer owns, or the host's own `pg.Pool`,
 * through `@effect/sql-pg`. A separate entry point so a SQLite-only host never loads, or installs,
 * `pg`.
 *
 * ```ts
 * import { Postgres } from "@airworthy/storage/pg"
 * const database = Postgres.layer({ url: process.env.DATABASE_URL! })
 * ```
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import type pg from "pg"
import * as TenantClient from "./internal/tenantClient.js"
import * as Storage from "./Storage.js"
import { fromCause, StorageError } from "./StorageError.js"

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
   * @since 0.1.0
   */
  readonly rowLevelSecurity?: boolean
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
    message: redact(`Could not connect to PostgreSQL at ${Storage.describeUrl(url)}: ${error.message}`, passwordOf(url))
  })
}

/**
 * PostgreSQL through a pool this layer owns.
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: PostgresOptions): Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError> => {
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
): Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError> => {
  if (!on) return Layer.provideMerge(Storage.layer, client)
  const wrapped = Layer.effectContext(
    Effect.gen(function* () {
      const pg = yield* PgClient.PgClient
      const tenantClient = yield* TenantClient.make(yield* SqlClient.SqlClient)
      return Context.make(PgClient.PgClient, pg).pipe(Context.add(SqlClient.SqlClient, tenantClient))
    })
  ).pipe(Layer.provide(client))
  const storage = Layer.effect(
    Storage.Storage,
    Effect.tap(Storage.makeWith({ rowLevelSecurity: true }), () =>
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
export const layerFromPool = (
  pool: pg.Pool,
  options: { readonly rowLevelSecurity?: boolean } = {}
): Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError> => {
  const where = `${pool.options.host ?? "localhost"}:${pool.options.port ?? 5432}/${pool.options.database ?? ""}`
  const client = PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: "airworthy" }).pipe(
    Layer.mapError((cause) => connectionError(`postgres://${where}`)(cause))
  )
  return withRowLevelSecurity(client, options.rowLevelSecurity === true)
}
