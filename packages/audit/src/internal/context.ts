// What every part of the log shares, built once per layer and passed to each part as a value: the
// layer's SQL client and services, the resolved settings, and the head this instance last wrote.
import type { KeyObject } from "node:crypto"
import { type Actor, Errors, Ids } from "@airworthy/core"
import { Storage, StorageError } from "@airworthy/storage"
import { SqlClient, SqlError } from "@effect/sql"
import { Context, Effect, Option, Redacted } from "effect"
import type { Config, MaskingMode } from "../AuditLog.js"
import * as Retention from "../Retention.js"
import * as Sensitive from "../Sensitive.js"
import * as TreeHead from "../TreeHead.js"

/** What statements compiled by Kysely (`Query`) run with. */
export type Database = Storage.Storage | SqlClient.SqlClient

/** The services `AuditLog.layer` requires. */
export type LayerServices = Storage.Storage | SqlClient.SqlClient | Ids.Ids

/** A tenant's chain head: its newest sequence and hash. */
export interface Head {
  readonly lastSequence: number
  readonly lastHash: string
}

/** Who may do what, resolved from the config and the host's `Policy`. */
export interface Access {
  readonly canReadSensitive: (actor: Actor.Actor) => boolean
  readonly canAdminister: (actor: Actor.Actor, permission: string) => boolean
}

export interface LogContext extends Access {
  readonly dialect: Storage.Dialect
  /** The layer's client, without the host's name transforms. */
  readonly sql: SqlClient.SqlClient
  readonly ids: Ids.Ids["Type"]
  readonly sensitive: Sensitive.SensitivePaths
  readonly retention: Retention.Config
  readonly key: TreeHead.SigningKey
  /** The signing key's public key and earlier keys, by key id. */
  readonly trustedKeys: { readonly [keyId: string]: KeyObject | string }
  readonly masking: MaskingMode
  /**
   * The last head this instance wrote per tenant: a guess (another instance, or a rolled-back
   * transaction, may have moved on). A right guess saves the locking read; a wrong one costs a retry.
   */
  readonly guesses: Map<string, Head>
  /** Runs with the layer's services, keeping the caller's context (and open transaction) on top. */
  readonly provided: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, LayerServices>>
  /** Runs a hand-built statement on the layer's client. */
  readonly run: <A extends object = Record<string, unknown>>(
    statement: string,
    params?: ReadonlyArray<unknown>
  ) => Effect.Effect<ReadonlyArray<A>, StorageError.StorageError>
  /** Joins the caller's transaction or opens one on the layer's own client. */
  readonly inTransaction: <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, Exclude<E, SqlError.SqlError> | StorageError.StorageError, R>
}

/** Builds the context over the services in context; throws on an invalid config (a defect). */
export const make = (config: Config, access: Access): Effect.Effect<LogContext, never, LayerServices> =>
  Effect.gen(function* () {
    const sensitive = config.sensitive ?? {}
    const retention = config.retention ?? {}
    Sensitive.validate(sensitive)
    Retention.validate(retention)
    const key =
      typeof config.signingKey === "string"
        ? TreeHead.keyFromConfig(config.signingKey)
        : Redacted.isRedacted(config.signingKey)
          ? TreeHead.keyFromConfig(Redacted.value(config.signingKey))
          : config.signingKey

    const context = yield* Effect.context<LayerServices>()
    const sql = Context.get(context, SqlClient.SqlClient).withoutTransforms()

    const provided = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.provide(self, context) as Effect.Effect<A, E, Exclude<R, LayerServices>>

    const run = <A extends object = Record<string, unknown>>(statement: string, params: ReadonlyArray<unknown> = []) =>
      sql.unsafe<A>(statement, params as never).pipe(Effect.mapError((e) => StorageError.fromCause(e)))

    // Needs no context of its own, so the append hot path provides nothing per call.
    const inTransaction = <A, E, R>(
      self: Effect.Effect<A, E, R>
    ): Effect.Effect<A, Exclude<E, SqlError.SqlError> | StorageError.StorageError, R> =>
      Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (tx) =>
        Option.isSome(tx)
          ? (self as Effect.Effect<A, Exclude<E, SqlError.SqlError>, R>)
          : sql.withTransaction(self).pipe(
              Effect.catchIf(
                (e): e is SqlError.SqlError => e instanceof SqlError.SqlError,
                (e) => Effect.fail(StorageError.fromCause(e))
              )
            )
      )

    return {
      ...access,
      dialect: Context.get(context, Storage.Storage).dialect,
      sql,
      ids: Context.get(context, Ids.Ids),
      sensitive,
      retention,
      key,
      trustedKeys: { ...config.verificationKeys, [key.keyId]: key.publicKey },
      masking: config.masking ?? "enforce",
      guesses: new Map(),
      provided,
      run,
      inTransaction
    } satisfies LogContext
  })

/** Fails with `Forbidden` unless the actor may administer the log under `permission`. */
export const requireAdmin = (log: LogContext, actor: Actor.Actor, permission: string) =>
  log.canAdminister(actor, permission)
    ? Effect.void
    : Effect.fail(new Errors.Forbidden({ missing_permission: permission }))

export const iso = (millis: number) => new Date(millis).toISOString()
