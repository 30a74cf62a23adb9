// What every part of the dispatcher shares, built once per layer and passed to each part as a value:
// its settings and name, the transport, the dialect's statements, the breaker and how rounds run.
import { Ids } from "@airworthy/core"
import { Storage } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import { Context, Duration, Effect } from "effect"
import type { BreakerPolicy, RetryPolicy } from "../Dispatcher.js"
import { Transport } from "../Transport.js"
import * as CircuitBreaker from "./breaker.js"
import * as Store from "./store.js"

/** The services `Dispatcher.make` requires. */
export type LayerServices = Storage.Storage | SqlClient.SqlClient | Transport | Ids.Ids

/** The dispatcher's options with their defaults, checked. */
export interface Settings {
  readonly batchSize: number
  readonly concurrency: number
  readonly lease: Duration.Duration
  readonly sendTimeout: Duration.Duration
  readonly pollInterval: Duration.Duration
  readonly parallelRounds: number
  readonly retry: RetryPolicy
  readonly breaker: BreakerPolicy
}

export interface DispatcherContext {
  readonly settings: Settings
  /** Names this instance in `claimed_by`. */
  readonly instanceId: string
  readonly transport: Transport["Type"]
  readonly claimStatement: ReturnType<typeof Store.claim>
  readonly recordStatement: string
  readonly leaseMs: number
  readonly timeoutMs: number
  readonly breaker: CircuitBreaker.CircuitBreaker
  /** The delay before the next attempt after `failures` failed attempts, for a random `r` in [0, 1). */
  readonly retryDelay: (failures: number, r: number) => Duration.Duration
  /**
   * Runs with the layer's storage, outside any caller's transaction: claims and result updates must
   * commit on their own, and no transaction may stay open across a network call.
   */
  readonly standalone: <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, Exclude<R, Storage.Storage | SqlClient.SqlClient>>
}

/** Builds the context over the services in context; `instanceId` defaults to `dispatcher-<uuid>`. */
export const make = (
  settings: Settings,
  instanceId: string | undefined,
  retryDelay: (policy: RetryPolicy, failures: number, r: number) => Duration.Duration
): Effect.Effect<DispatcherContext, never, LayerServices> =>
  Effect.gen(function* () {
    const name = instanceId ?? `dispatcher-${yield* Ids.next}`
    const transport = yield* Transport
    const storage = yield* Storage.Storage
    // Only these two services: the whole context could hold the caller's open transaction.
    const context = Context.make(Storage.Storage, storage).pipe(
      Context.add(SqlClient.SqlClient, yield* SqlClient.SqlClient)
    )
    const standalone = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.mapInputContext(
        Effect.provide(self, context) as Effect.Effect<A, E, never>,
        (c: Context.Context<never>) => Context.omit(SqlClient.TransactionConnection)(c) as Context.Context<never>
      ) as Effect.Effect<A, E, Exclude<R, Storage.Storage | SqlClient.SqlClient>>
    return {
      settings,
      instanceId: name,
      transport,
      claimStatement: Store.claim(storage.dialect),
      recordStatement: Store.recordOutcomes(storage.dialect),
      leaseMs: Duration.toMillis(settings.lease),
      timeoutMs: Duration.toMillis(settings.sendTimeout),
      breaker: yield* CircuitBreaker.make(settings.breaker, transport.name),
      retryDelay: (failures, r) => retryDelay(settings.retry, failures, r),
      standalone
    } satisfies DispatcherContext
  })
