/**
 * Embedded SQLite storage (`@airworthy/storage/sqlite`): a file or `:memory:` through
 * `@effect/sql-sqlite-node` (better-sqlite3). A separate entry point so a PostgreSQL-only host never
 * loads, or installs, the SQLite driver.
 *
 * ```ts
 * import { Sqlite } from "@airworthy/storage/sqlite"
 * const database = Sqlite.layer({ filename: "qms.db" })
 * ```
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Duration, Effect, Layer } from "effect"
import { sqliteHasNoRowLevelSecurity } from "./internal/sqliteRls.js"
import * as Storage from "./Storage.js"
import { fromCause, type StorageError } from "./StorageError.js"

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
   * @since 0.1.0
   */
  readonly rowLevelSecurity?: false
}

/**
 * Embedded SQLite: WAL journal (for files), foreign keys on, a busy timeout.
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: SqliteOptions): Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError> => {
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
  return Layer.provideMerge(Layer.merge(Storage.layer, pragmas), client)
}
