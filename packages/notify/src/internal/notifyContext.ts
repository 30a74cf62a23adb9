// What every part of the notification service shares, built once per layer and passed to each part
// as a value: the Message-ID domain, the layer's services and how its methods run with them.
import { Ids } from "@airworthy/core"
import { Query, Storage, type StorageError } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import { Context, Effect, Option } from "effect"
import type { Config } from "../Notify.js"

/** The services `Notify.layer` requires. */
export type LayerServices = Storage.Storage | SqlClient.SqlClient | Ids.Ids

export interface NotifyContext {
  /** The right-hand side of generated `Message-ID`s, `<id@domain>`. */
  readonly domain: string
  readonly dialect: Storage.Dialect
  readonly ids: Ids.Ids["Type"]
  /**
   * Runs with the layer's services but keeps the caller's context on top, so a caller's open
   * transaction (SqlClient.TransactionConnection) is the one it writes in.
   */
  readonly provided: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, LayerServices>>
  /** Joins the caller's transaction or opens one. */
  readonly inTransaction: <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | StorageError.StorageError, R | SqlClient.SqlClient>
}

const domainPattern = /^[A-Za-z0-9.-]+$/

/** Builds the context over the services in context; dies on a `messageIdDomain` that is no host name. */
export const make = (config: Config): Effect.Effect<NotifyContext, never, LayerServices> =>
  Effect.gen(function* () {
    const domain = config.messageIdDomain ?? "airworthy"
    if (!domainPattern.test(domain)) {
      return yield* Effect.dieMessage(`Notify: messageIdDomain "${domain}" must be a host name`)
    }
    const ids = yield* Ids.Ids
    const storage = yield* Storage.Storage
    // Only these services: the whole context could hold a transaction open while the layer was built.
    const context = Context.make(Storage.Storage, storage).pipe(
      Context.add(SqlClient.SqlClient, yield* SqlClient.SqlClient),
      Context.add(Ids.Ids, ids)
    )

    const provided = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.provide(self, context) as Effect.Effect<A, E, Exclude<R, LayerServices>>

    const inTransaction = <A, E, R>(
      self: Effect.Effect<A, E, R>
    ): Effect.Effect<A, E | StorageError.StorageError, R | SqlClient.SqlClient> =>
      Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (tx) =>
        Option.isSome(tx) ? self : Query.transaction(self)
      )

    return { domain, dialect: storage.dialect, ids, provided, inTransaction } satisfies NotifyContext
  })
