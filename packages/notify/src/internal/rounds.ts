// The dispatcher's rounds: one round claims due rows under a lease, sends them and records each
// outcome (group commit); `drain` runs rounds until one claims nothing.
import { Query, type StorageError } from "@airworthy/storage"
import { Chunk, Clock, Effect, Fiber, Queue } from "effect"
import type { BreakerState, Summary } from "../Dispatcher.js"
import type { DispatcherContext } from "./dispatcherContext.js"
import { type Outcome, sendOne } from "./send.js"
import type * as Store from "./store.js"
import * as Watchdog from "./watchdog.js"

interface Done {
  readonly row: Store.ClaimedRow
  readonly outcome: Outcome
}

const iso = (millis: number) => new Date(millis).toISOString()

const summary = (
  claimed: ReadonlyArray<Store.ClaimedRow>,
  outcomes: ReadonlyMap<string, Outcome>,
  breaker: BreakerState["state"]
): Summary => {
  const s = { claimed: claimed.length, sent: 0, failed: 0, dead: 0, released: 0, breaker }
  for (const row of claimed) s[outcomes.get(row.id)?._tag ?? "released"]++
  return s
}

/** Records outcomes and releases their rows' lease. */
const record = (dispatch: DispatcherContext, done: ReadonlyArray<Done>) =>
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
    return Query.unsafe(dispatch.recordStatement, [JSON.stringify(outcomes), dispatch.instanceId])
  })

const round = (dispatch: DispatcherContext, now: number, limit: number) =>
  Effect.gen(function* () {
    const { breaker, claimStatement, instanceId } = dispatch
    const claimed = yield* Query.unsafe<Store.ClaimedRow>(
      claimStatement.sql,
      claimStatement.params({ claimedBy: instanceId, claimedUntil: iso(now + dispatch.leaseMs), now: iso(now), limit })
    )
    if (claimed.length === 0) return summary([], new Map(), (yield* breaker.current).state)
    const watchdog = yield* Watchdog.make(dispatch.timeoutMs)
    yield* Effect.addFinalizer(() => watchdog.stop)
    const outcomes = new Map<string, Outcome>()
    const recorded = new Set<string>()
    // Group commit: each outcome is recorded as soon as the recorder is free, together with
    // whatever else finished meanwhile. A slow provider gets one short transaction per message
    // (so a crash re-sends at most what was in flight); a fast one gets a few per round.
    const finished = yield* Queue.unbounded<Done>()
    const recordNow = (items: ReadonlyArray<Done>) =>
      Effect.zipRight(
        record(dispatch, items),
        Effect.sync(() => {
          for (const item of items) recorded.add(item.row.id)
        })
      )
    const recorder = yield* Effect.fork(
      Effect.whileLoop({
        while: () => recorded.size < claimed.length,
        body: () =>
          Effect.flatMap(Queue.takeBetween(finished, 1, claimed.length), (c) => recordNow(Chunk.toReadonlyArray(c))),
        step: () => undefined
      })
    )
    const sendAll = Effect.forEach(
      claimed,
      (row) =>
        Effect.flatMap(sendOne(dispatch, watchdog, row), (outcome) => {
          outcomes.set(row.id, outcome)
          return Queue.offer(finished, { row, outcome })
        }),
      { concurrency: dispatch.settings.concurrency, discard: true }
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
          if (rest.length > 0) yield* record(dispatch, rest)
        }).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("notify: could not record an interrupted round", cause))
        )
      )
    )
    return summary(claimed, outcomes, (yield* breaker.current).state)
  })

/** One round: claim, send, record. */
export const runOnce = (dispatch: DispatcherContext): Effect.Effect<Summary, StorageError.StorageError> =>
  dispatch.standalone(
    Effect.gen(function* () {
      const { breaker } = dispatch
      const now = yield* Clock.currentTimeMillis
      const [limit, trial] = yield* breaker.admit(now, dispatch.settings.batchSize)
      if (limit === 0) return summary([], new Map(), (yield* breaker.current).state)
      const endTrial = trial ? breaker.endTrial(now) : Effect.void
      return yield* round(dispatch, now, limit).pipe(Effect.scoped, Effect.ensuring(endTrial))
    })
  )

/** Rounds until one claims nothing (or hands everything back), `parallelRounds` at a time; the totals. */
export const drain = (
  dispatch: DispatcherContext,
  runOnce: Effect.Effect<Summary, StorageError.StorageError>
): Effect.Effect<Summary, StorageError.StorageError> =>
  Effect.gen(function* () {
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
      Array.from({ length: dispatch.settings.parallelRounds }, () => lane),
      {
        concurrency: "unbounded",
        discard: true
      }
    )
    return { ...total, breaker: (yield* dispatch.breaker.current).state }
  })
