/**
 * The dispatcher sends the messages the email log holds as `queued` (or `failed` and due again), after
 * the enqueuing transaction committed.
 *
 * One round (`runOnce`): claim up to `batchSize` due rows in one short statement (PostgreSQL:
 * `FOR UPDATE SKIP LOCKED`, and on both dialects a lease `claimed_by` / `claimed_until`), send them
 * outside any transaction (`concurrency` at a time, each under `sendTimeout`), and record outcomes
 * as they arrive, each group in one set-based UPDATE (group commit). Rows of a crashed instance become
 * claimable again when their lease runs out; a send is never started when less than `sendTimeout`
 * of the lease is left, so a live instance's rows are never sent by another.
 *
 * Failures are retried with exponential backoff and jitter up to `retry.maxAttempts`, then the
 * message is dead-lettered (status `dead`, with the last error). A permanent rejection (SMTP 5xx)
 * is dead at once. A circuit breaker per transport opens after `breaker.failureThreshold`
 * consecutive failures: while open nothing is claimed or sent and queued messages keep their
 * attempts; after `breaker.coolDown` one trial message is sent (half-open); success closes it.
 *
 * ```ts
 * const live = Dispatcher.layer({ batchSize: 100, concurrency: 10 }).pipe(
 *   Layer.provide(Transport.layerSmtp({ host: "smtp.mro.example", port: 587, secure: false, from: "qms@mro.example" }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import type { Ids } from "@airworthy/core"
import { RowLevelSecurity, type Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Context, Duration, Effect, Layer, Schedule } from "effect"
import * as DispatcherContext from "./internal/dispatcherContext.js"
import * as Rounds from "./internal/rounds.js"
import type { Transport } from "./Transport.js"

/**
 * How failed sends are retried.
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy {
  /** Attempts in all, the first included; then the message is dead. Default 8. */
  readonly maxAttempts: number
  /** Delay after the first failure. Default 30 seconds. */
  readonly initialDelay: Duration.DurationInput
  /** Each further failure multiplies the delay by this. Default 2. */
  readonly factor: number
  /** The delay never exceeds this (before jitter). Default 1 hour. */
  readonly maxDelay: Duration.DurationInput
  /** Spread: the delay is multiplied by a random factor in [1 - jitter, 1 + jitter). Default 0.2. */
  readonly jitter: number
}

/**
 * When the circuit breaker opens and for how long.
 * @since 0.1.0
 * @category models
 */
export interface BreakerPolicy {
  /** Consecutive transient failures that open the breaker. Default 5. */
  readonly failureThreshold: number
  /** How long it stays open before one trial message is let through. Default 1 minute. */
  readonly coolDown: Duration.DurationInput
}

/**
 * Settings of the dispatcher.
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Rows claimed per round. Default 100. */
  readonly batchSize?: number
  /** Sends in flight at once within a round. Default 10. */
  readonly concurrency?: number
  /** How long a claim holds its rows. Default 5 minutes; must exceed `sendTimeout`. */
  readonly lease?: Duration.DurationInput
  /** Longest one send may take before it counts as a failure. Default 30 seconds. */
  readonly sendTimeout?: Duration.DurationInput
  /**
   * Rounds in flight at once in `drain` and the background fiber, each with its own batch, so one
   * round's database work overlaps another's sending. Default 1.
   */
  readonly parallelRounds?: number
  /** Pause between rounds when the outbox had nothing more (background fiber only). Default 1 second. */
  readonly pollInterval?: Duration.DurationInput
  readonly retry?: Partial<RetryPolicy>
  readonly breaker?: Partial<BreakerPolicy>
  /** Names this instance in `claimed_by`; default `dispatcher-<uuid>`. */
  readonly instanceId?: string
}

/**
 * The circuit breaker of the dispatcher's transport.
 * @since 0.1.0
 * @category models
 */
export interface BreakerState {
  readonly transport: string
  readonly state: "closed" | "open" | "half_open"
  readonly consecutiveFailures: number
  /** While open: when the trial message is let through (ISO-8601). */
  readonly retryAt?: string
}

/**
 * What one round did.
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly claimed: number
  readonly sent: number
  /** Failed and scheduled for another attempt. */
  readonly failed: number
  readonly dead: number
  /** Claimed but handed back unsent (breaker opened, lease too short, interrupted): no attempt used. */
  readonly released: number
  readonly breaker: BreakerState["state"]
}

/**
 * The dispatcher.
 * @since 0.1.0
 * @category tags
 */
export class Dispatcher extends Context.Tag("@airworthy/notify/Dispatcher")<
  Dispatcher,
  {
    readonly instanceId: string
    /** One round: claim, send, record. */
    readonly runOnce: Effect.Effect<Summary, StorageError.StorageError>
    /** Rounds until one claims nothing; returns the totals. */
    readonly drain: Effect.Effect<Summary, StorageError.StorageError>
    readonly breaker: Effect.Effect<BreakerState>
  }
>() {}

/**
 * The defaults.
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  batchSize: 100,
  concurrency: 10,
  lease: Duration.minutes(5),
  sendTimeout: Duration.seconds(30),
  pollInterval: Duration.seconds(1),
  retry: {
    maxAttempts: 8,
    initialDelay: Duration.seconds(30),
    factor: 2,
    maxDelay: Duration.hours(1),
    jitter: 0.2
  } satisfies RetryPolicy,
  breaker: { failureThreshold: 5, coolDown: Duration.minutes(1) } satisfies BreakerPolicy
} as const

/**
 * The delay before the next attempt after `failures` failed attempts, for a random `r` in [0, 1).
 * @since 0.1.0
 * @category retries
 */
export const retryDelay = (policy: RetryPolicy, failures: number, r: number): Duration.Duration => {
  const base = Duration.toMillis(policy.initialDelay) * policy.factor ** Math.max(0, failures - 1)
  const capped = Math.min(base, Duration.toMillis(policy.maxDelay))
  return Duration.millis(Math.round(capped * (1 - policy.jitter + 2 * policy.jitter * r)))
}

const positive = (name: string, n: number) => {
  if (!Number.isFinite(n) || n <= 0) throw new Error(`Dispatcher: ${name} must be a positive number, got ${n}`)
  return n
}

const resolve = (options: Options): DispatcherContext.Settings => {
  const retry: RetryPolicy = { ...defaults.retry, ...options.retry }
  const breaker: BreakerPolicy = { ...defaults.breaker, ...options.breaker }
  const resolved = {
    batchSize: Math.floor(positive("batchSize", options.batchSize ?? defaults.batchSize)),
    concurrency: Math.floor(positive("concurrency", options.concurrency ?? defaults.concurrency)),
    lease: Duration.decode(options.lease ?? defaults.lease),
    sendTimeout: Duration.decode(options.sendTimeout ?? defaults.sendTimeout),
    pollInterval: Duration.decode(options.pollInterval ?? defaults.pollInterval),
    parallelRounds: Math.floor(positive("parallelRounds", options.parallelRounds ?? 1)),
    retry,
    breaker
  }
  positive("retry.maxAttempts", retry.maxAttempts)
  positive("breaker.failureThreshold", breaker.failureThreshold)
  if (retry.jitter < 0 || retry.jitter >= 1) throw new Error("Dispatcher: retry.jitter must be in [0, 1)")
  if (Duration.lessThanOrEqualTo(resolved.lease, resolved.sendTimeout)) {
    throw new Error("Dispatcher: the lease must be longer than the send timeout")
  }
  return resolved
}

/**
 * Builds a dispatcher over the storage and transport in context (no background fiber).
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Dispatcher["Type"], never, Storage.Storage | SqlClient.SqlClient | Transport | Ids.Ids> =>
  Effect.gen(function* () {
    const settings = yield* Effect.sync(() => resolve(options))
    const dispatch = yield* DispatcherContext.make(settings, options.instanceId, retryDelay)
    // The outbox of every tenant: across tenants under row-level security (statements name theirs).
    const runOnce = RowLevelSecurity.acrossTenants(Rounds.runOnce(dispatch))
    return {
      instanceId: dispatch.instanceId,
      runOnce,
      drain: RowLevelSecurity.acrossTenants(Rounds.drain(dispatch, runOnce)),
      breaker: dispatch.breaker.snapshot
    }
  })

/**
 * The dispatcher without a background fiber: call `runOnce` / `drain` yourself (tests, cron jobs).
 * @since 0.1.0
 * @category layers
 */
export const layerManual = (
  options: Options = {}
): Layer.Layer<Dispatcher, never, Storage.Storage | SqlClient.SqlClient | Transport | Ids.Ids> =>
  Layer.effect(Dispatcher, make(options))

/**
 * The dispatcher with its background fiber: rounds back to back while the outbox is busy, one every
 * `pollInterval` when it is idle; a failing round is logged and retried. Stops when the layer's
 * scope closes (rows of an interrupted round are handed back).
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<Dispatcher, never, Storage.Storage | SqlClient.SqlClient | Transport | Ids.Ids> =>
  Layer.scoped(
    Dispatcher,
    Effect.gen(function* () {
      const dispatcher = yield* make(options)
      const batchSize = options.batchSize ?? defaults.batchSize
      const pause = Duration.decode(options.pollInterval ?? defaults.pollInterval)
      const round = dispatcher.runOnce.pipe(
        Effect.catchAllCause((cause) =>
          Effect.as(Effect.logWarning("notify: dispatcher round failed", cause), undefined)
        ),
        Effect.flatMap((s) =>
          s !== undefined && s.claimed >= batchSize && s.released === 0 ? Effect.yieldNow() : Effect.sleep(pause)
        )
      )
      const lanes = Math.max(1, Math.floor(options.parallelRounds ?? 1))
      for (let i = 0; i < lanes; i++) yield* Effect.forkScoped(Effect.repeat(round, Schedule.forever))
      return dispatcher
    })
  )

const accessors = Effect.serviceConstants(Dispatcher)

/**
 * One round of the dispatcher in context.
 * @since 0.1.0
 * @category accessors
 */
export const runOnce: Effect.Effect<Summary, StorageError.StorageError, Dispatcher> = accessors.runOnce

/**
 * Rounds until one claims nothing.
 * @since 0.1.0
 * @category accessors
 */
export const drain: Effect.Effect<Summary, StorageError.StorageError, Dispatcher> = accessors.drain

/**
 * The breaker of the dispatcher in context.
 * @since 0.1.0
 * @category accessors
 */
export const breaker: Effect.Effect<BreakerState, never, Dispatcher> = accessors.breaker
