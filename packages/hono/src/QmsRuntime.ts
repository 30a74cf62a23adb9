/**
 * The Effect runtime the routes run on: `Qms.layer` over the host's database, plus the realtime hub.
 *
 * ```ts
 * const runtime = QmsRuntime.make({ database: Postgres.layer({ url }), qms: { signingKey } })
 * app.route("/qms", qmsRoutes({ runtime, authenticate }))
 * ```
 *
 * @since 0.1.0
 */
import { Qms } from "@airworthy/qms"
import type { Storage, StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Layer, ManagedRuntime } from "effect"
import * as Realtime from "./Realtime.js"

/**
 * Everything the routes need from the runtime.
 * @since 0.1.0
 * @category models
 */
export type Services = Qms.Services | Storage.Storage | SqlClient.SqlClient | Realtime.Realtime

/**
 * The runtime `qmsRoutes` takes.
 * @since 0.1.0
 * @category models
 */
export type QmsRuntime = ManagedRuntime.ManagedRuntime<Services, StorageError.StorageError>

/**
 * Settings of {@link make}.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** The database: `Sqlite.layer(...)`, `Postgres.layer(...)` or a layer over the host's pool. */
  readonly database: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError>
  /** Settings of `Qms.layer` (signing key, policy, tasks, ...). */
  readonly qms: Qms.Config
}

/**
 * The layer behind {@link make}, for hosts that build their own runtime.
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config): Layer.Layer<Services, StorageError.StorageError> =>
  Realtime.layer.pipe(Layer.provideMerge(Qms.layer(config.qms)), Layer.provideMerge(config.database))

/**
 * A managed runtime over {@link layer}; `await runtime.dispose()` on shutdown.
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: Config): QmsRuntime => ManagedRuntime.make(layer(config))
