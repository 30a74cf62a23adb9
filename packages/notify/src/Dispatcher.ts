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
import { Ids } from "@airworthy/core"
import { Query, Storage, type StorageError } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import {
  Cause,
  Chunk,
  Clock,
  Context,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Queue,
  Random,
  Ref,
  Schedule
} from "effect"
import * as Store from "./internal/store.js"
import * as Watchdog from "./internal/watchdog.js"
import { TransportError } from "./NotifyError.js"
import { type Message, Transport } from "./Transport.js"

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

type Outcome =
  | { readonly _tag: "sent"; readonly at: number; readonly providerMessageId: string }
  | { readonly _tag: "failed"; readonly at: number; readonly error: string; readonly nextAt: number }
  | { readonly _tag: "dead"; readonly at: number; readonly error: string }
  | { readonly _tag: "released" }

interface Done {
  readonly row: Store.ClaimedRow
  readonly outcome: Outcome
}

type Breaker =
  | { readonly state: "closed"; readonly failures: number }
  | { readonly state: "open"; readonly failures: number; readonly retryAt: number }
  | { readonly state: "half_open"; readonly failures: number }

const iso = (millis: number) => new Date(millis).toISOString()

const positive = (name: string, n: number) => {
  if (!Number.isFinite(n) || n <= 0) throw new Error(`Dispatcher: ${name} must be a positive number, got ${n}`)
  return n
}

const resolve = (options: Options) => {
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
    const config = yield* Effect.sync(() => resolve(options))
    const instanceId = options.instanceId ?? `dispatcher-${yield* Ids.next}`
    const transport = yield* Transport
    const { dialect } = yield* Storage.Storage

    // Only these two services: the whole context could hold the caller's open transaction.
    const context = Context.make(Storage.Storage, yield* Storage.Storage).pipe(
      Context.add(SqlClient.SqlClient, yield* SqlClient.SqlClient)
    )
    const claimStatement = Store.claim(dialect)
    const recordStatement = Store.recordOutcomes(dialect)
    const leaseMs = Duration.toMillis(config.lease)
    const timeoutMs = Duration.toMillis(config.sendTimeout)
    const coolDownMs = Duration.toMillis(config.breaker.coolDown)
    const breaker = yield* Ref.make<Breaker>({ state: "closed", failures: 0 })

    // Claims and result updates must commit on their own: never join a caller's transaction, and
    // never hold one open across a network call.
    const standalone = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.mapInputContext(
        Effect.provide(self, context) as Effect.Effect<A, E, never>,
        (c: Context.Context<never>) => Context.omit(SqlClient.TransactionConnection)(c) as Context.Context<never>
      ) as Effect.Effect<A, E, Exclude<R, Storage.Storage | SqlClient.SqlClient>>

    const onSuccess = Ref.set(breaker, { state: "closed", failures: 0 })
    const onFailure = (at: number) =>
      Ref.update(breaker, (b): Breaker => {
        const failures = b.failures + 1
        if (b.state === "open") return { ...b, failures }
        if (b.state === "half_open" || failures >= config.breaker.failureThreshold) {
          return { state: "open", failures, retryAt: at + coolDownMs }
        }
        return { state: "closed", failures }
      })

    const sendOne = (watchdog: Watchdog.Watchdog, row: Store.ClaimedRow): Effect.Effect<Outcome> =>
      Effect.gen(function* () {
        const before = yield* Clock.currentTimeMillis
        const b = yield* Ref.get(breaker)
        // The breaker opened during this round, or the lease would run out mid-send: hand back.
        if (b.state === "open" || before + timeoutMs > Date.parse(row.claimed_until)) {
          return { _tag: "released" } as const
        }
        const message: Message = {
          id: row.id,
          messageId: row.message_id,
          to:
            row.recipient_name === null
              ? { address: row.recipient }
              : { address: row.recipient, name: row.recipient_name },
          subject: row.subject,
          text: row.body_text,
          html: row.body_html
        }
        const guarded = yield* watchdog.guard(transport.send(message))
        const exit =
          guarded ??
          Exit.fail(
            new TransportError({
              transport: transport.name,
              reason: "timeout",
              permanent: false,
              detail: `no answer within ${Duration.format(config.sendTimeout)}`
            })
          )
        const at = yield* Clock.currentTimeMillis
        if (Exit.isSuccess(exit)) {
          yield* onSuccess
          return { _tag: "sent", at, providerMessageId: exit.value.providerMessageId } as const
        }
        const failure = Cause.failureOption(exit.cause)
        // A defect in a transport is treated like a transient failure of the provider.
        const error = failure._tag === "Some" ? failure.value : undefined
        const transportError =
          error instanceof TransportError
            ? error
            : new TransportError({
                transport: transport.name,
                reason: "protocol",
                permanent: false,
                detail: Cause.pretty(exit.cause).slice(0, 500)
              })
        const attempts = Number(row.attempts) + 1
        const text = transportError.message.slice(0, 1000)
        if (transportError.permanent) {
          yield* onSuccess // the provider answered: it is up, it just refuses this message
          return { _tag: "dead", at, error: text } as const
        }
        yield* onFailure(at)
        if (attempts >= config.retry.maxAttempts) return { _tag: "dead", at, error: text } as const
        const r = yield* Random.next
        const delay = retryDelay(config.retry, attempts, r)
        return { _tag: "failed", at, error: text, nextAt: at + Duration.toMillis(delay) } as const
      })

    const record = (done: ReadonlyArray<Done>) =>
      Effect.suspend(() => {
        const outcomes: Array<Store.Outcome> = new Array(done.length)
        for (let i = 0; i < done.length; i++) {
          const { row, outcome: o } = done[i]!
          outcomes[i] =
            o._tag === "released"
              ? {
                  id: row.id,
                  status: null,
                  attempted: 0,
                  last_error: null,
                  provider_message_id: null,
                  sent_at: null,
                  last_attempt_at: null,
                  next_attempt_at: null
                }
              : {
                  id: row.id,
                  status: o._tag,
                  attempted: 1,
                  last_error: o._tag === "sent" ? null : o.error,
                  provider_message_id: o._tag === "sent" ? o.providerMessageId : null,
                  sent_at: o._tag === "sent" ? iso(o.at) : null,
                  last_attempt_at: iso(o.at),
                  next_attempt_at: o._tag === "failed" ? iso(o.nextAt) : null
                }
        }
        // One statement: atomic on its own, and it only touches rows this instance still holds.
        return Query.unsafe(recordStatement, [JSON.stringify(outcomes), instanceId])
      })

    const runOnce: Effect.Effect<Summary, StorageError.StorageError> = standalone(
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        // Closed: a full batch. Open: nothing until the cool-down ends, then one trial message
        // (half-open); while the trial is out, other rounds claim nothing.
        const [limit, trial] = yield* Ref.modify(breaker, (b): [readonly [number, boolean], Breaker] =>
          b.state === "closed"
            ? [[config.batchSize, false], b]
            : b.state === "open" && now >= b.retryAt
              ? [[1, true], { state: "half_open", failures: b.failures }]
              : [[0, false], b]
        )
        if (limit === 0) return summary([], new Map(), (yield* Ref.get(breaker)).state)
        // A trial that sent nothing (no row due, handed back, interrupted) lets the next round try again.
        const endTrial = trial
          ? Ref.update(
              breaker,
              (b): Breaker => (b.state === "half_open" ? { state: "open", failures: b.failures, retryAt: now } : b)
            )
          : Effect.void
        return yield* round(now, limit).pipe(Effect.scoped, Effect.ensuring(endTrial))
      })
    )

    const round = (now: number, limit: number) =>
      Effect.gen(function* () {
        const claimed = yield* Query.unsafe<Store.ClaimedRow>(
          claimStatement.sql,
          claimStatement.params({ claimedBy: instanceId, claimedUntil: iso(now + leaseMs), now: iso(now), limit })
        )
        if (claimed.length === 0) return summary([], new Map(), (yield* Ref.get(breaker)).state)
        const watchdog = yield* Watchdog.make(timeoutMs)
        yield* Effect.addFinalizer(() => watchdog.stop)
        const outcomes = new Map<string, Outcome>()
        const recorded = new Set<string>()
        // Group commit: each outcome is recorded as soon as the recorder is free, together with
        // whatever else finished meanwhile. A slow provider gets one short transaction per message
        // (so a crash re-sends at most what was in flight); a fast one gets a few per round.
        const finished = yield* Queue.unbounded<Done>()
        const recordNow = (items: ReadonlyArray<Done>) =>
          Effect.zipRight(
            record(items),
            Effect.sync(() => {
              for (const item of items) recorded.add(item.row.id)
            })
          )
        const recorder = yield* Effect.fork(
          Effect.whileLoop({
            while: () => recorded.size < claimed.length,
            body: () =>
              Effect.flatMap(Queue.takeBetween(finished, 1, claimed.length), (c) =>
                recordNow(Chunk.toReadonlyArray(c))
              ),
            step: () => undefined
          })
        )
        const sendAll = Effect.forEach(
          claimed,
          (row) =>
            Effect.flatMap(sendOne(watchdog, row), (outcome) => {
              outcomes.set(row.id, outcome)
              return Queue.offer(finished, { row, outcome })
            }),
          { concurrency: config.concurrency, discard: true }
        )
        yield* Effect.zipRight(sendAll, Fiber.join(recorder)).pipe(
          // Interrupted mid-round: record what was sent, hand the rest back at once.
          Effect.onInterrupt(() =>
            Effect.gen(function* () {
              yield* Fiber.interrupt(recorder)
              const rest = claimed
                .filter((row) => !recorded.has(row.id))
                .map((row): Done => ({ row, outcome: outcomes.get(row.id) ?? { _tag: "released" } }))
              // Recording twice is harmless: the update only touches rows this instance still holds.
              if (rest.length > 0) yield* record(rest)
            }).pipe(
              Effect.catchAllCause((cause) => Effect.logWarning("notify: could not record an interrupted round", cause))
            )
          )
        )
        return summary(claimed, outcomes, (yield* Ref.get(breaker)).state)
      })

    const drain: Effect.Effect<Summary, StorageError.StorageError> = Effect.gen(function* () {
      const total = { claimed: 0, sent: 0, failed: 0, dead: 0, released: 0 }
      const lane = Effect.gen(function* () {
        let last: Summary
        do {
          last = yield* runOnce
          total.claimed += last.claimed
          total.sent += last.sent
          total.failed += last.failed
          total.dead += last.dead
          total.released += last.released
        } while (last.claimed > 0 && last.released < last.claimed)
      })
      yield* Effect.all(
        Array.from({ length: config.parallelRounds }, () => lane),
        {
          concurrency: "unbounded",
          discard: true
        }
      )
      return { ...total, breaker: (yield* Ref.get(breaker)).state }
    })

    const breakerState = Effect.map(
      Ref.get(breaker),
      (b): BreakerState => ({
        transport: transport.name,
        state: b.state,
        consecutiveFailures: b.failures,
        ...(b.state === "open" ? { retryAt: iso(b.retryAt) } : {})
      })
    )

    return { instanceId, runOnce, drain, breaker: breakerState }
  })

const summary = (
  claimed: ReadonlyArray<Store.ClaimedRow>,
  outcomes: ReadonlyMap<string, Outcome>,
  breaker: BreakerState["state"]
): Summary => {
  const s = { claimed: claimed.length, sent: 0, failed: 0, dead: 0, released: 0, breaker }
  for (const row of claimed) s[outcomes.get(row.id)?._tag ?? "released"]++
  return s
}

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

/**
 * One round of the dispatcher in context.
 * @since 0.1.0
 * @category accessors
 */
export const runOnce: Effect.Effect<Summary, StorageError.StorageError, Dispatcher> = Effect.flatMap(
  Dispatcher,
  (d) => d.runOnce
)

/**
 * Rounds until one claims nothing.
 * @since 0.1.0
 * @category accessors
 */
export const drain: Effect.Effect<Summary, StorageError.StorageError, Dispatcher> = Effect.flatMap(
  Dispatcher,
  (d) => d.drain
)

/**
 * The breaker of the dispatcher in context.
 * @since 0.1.0
 * @category accessors
 */
export const breaker: Effect.Effect<BreakerState, never, Dispatcher> = Effect.flatMap(Dispatcher, (d) => d.breaker)
