// Per-send timeouts from one timer fiber per round. `Effect.timeout` forks a racer and a timer per
// call, which costs more than a send to an in-memory transport; here each send costs one fork.
import { Clock, Duration, Effect, type Exit, Fiber, Queue } from "effect"

export interface Watchdog {
  /** Runs `self` in its own fiber; `undefined` when it was interrupted for running past the timeout. */
  readonly guard: <A, E>(self: Effect.Effect<A, E>) => Effect.Effect<Exit.Exit<A, E> | undefined>
  readonly stop: Effect.Effect<void>
}

export const make = (timeoutMs: number): Effect.Effect<Watchdog> =>
  Effect.gen(function* () {
    // Every guarded effect has the same timeout, so deadlines come in start order: the oldest entry
    // (Map keeps insertion order) is always the next to expire.
    const inFlight = new Map<Fiber.RuntimeFiber<unknown, unknown>, number>()
    const expired = new Set<Fiber.RuntimeFiber<unknown, unknown>>()
    const wake = yield* Queue.sliding<void>(1)
    const watch = Effect.gen(function* () {
      const next = inFlight.entries().next()
      if (next.done === true) return yield* Queue.take(wake)
      const [fiber, deadline] = next.value
      const now = yield* Clock.currentTimeMillis
      if (deadline > now) return yield* Effect.sleep(Duration.millis(deadline - now))
      inFlight.delete(fiber)
      expired.add(fiber)
      yield* Fiber.interruptFork(fiber)
    })
    const watcher = yield* Effect.fork(Effect.forever(watch))
    const guard = <A, E>(self: Effect.Effect<A, E>) =>
      Effect.gen(function* () {
        const start = yield* Clock.currentTimeMillis
        const fiber = yield* Effect.fork(self)
        inFlight.set(fiber as Fiber.RuntimeFiber<unknown, unknown>, start + timeoutMs)
        if (inFlight.size === 1) yield* Queue.offer(wake, undefined)
        const exit = yield* Fiber.await(fiber)
        inFlight.delete(fiber as Fiber.RuntimeFiber<unknown, unknown>)
        return expired.delete(fiber as Fiber.RuntimeFiber<unknown, unknown>) ? undefined : exit
      })
    return { guard, stop: Fiber.interrupt(watcher).pipe(Effect.asVoid) }
  })
