// The circuit breaker of a dispatcher's transport, shared by all its rounds: closed; open after
// `failureThreshold` consecutive failures until `coolDown` has passed; then half-open while one trial
// message is out.
import { Duration, Effect, Ref } from "effect"
import type { BreakerPolicy, BreakerState } from "../Dispatcher.js"

export type State =
  | { readonly state: "closed"; readonly failures: number }
  | { readonly state: "open"; readonly failures: number; readonly retryAt: number }
  | { readonly state: "half_open"; readonly failures: number }

export interface CircuitBreaker {
  readonly current: Effect.Effect<State>
  /**
   * Rows a round starting at `now` may claim, and whether they are the half-open trial. Closed: a
   * full batch. Open: nothing until the cool-down ends, then one trial message (half-open); while
   * the trial is out, other rounds claim nothing.
   */
  readonly admit: (now: number, batchSize: number) => Effect.Effect<readonly [number, boolean]>
  /** Ends a trial round: one that sent nothing (no row due, handed back, interrupted) lets the next round try again. */
  readonly endTrial: (now: number) => Effect.Effect<void>
  /** The provider answered (a permanent rejection too: it is up). */
  readonly succeeded: Effect.Effect<void>
  /** A transient failure at `at`. */
  readonly failed: (at: number) => Effect.Effect<void>
  /** What `Dispatcher.breaker` shows. */
  readonly snapshot: Effect.Effect<BreakerState>
}

const iso = (millis: number) => new Date(millis).toISOString()

export const make = (policy: BreakerPolicy, transport: string): Effect.Effect<CircuitBreaker> =>
  Effect.map(Ref.make<State>({ state: "closed", failures: 0 }), (ref) => {
    const coolDownMs = Duration.toMillis(policy.coolDown)
    return {
      current: Ref.get(ref),
      admit: (now, batchSize) =>
        Ref.modify(ref, (b): [readonly [number, boolean], State] =>
          b.state === "closed"
            ? [[batchSize, false], b]
            : b.state === "open" && now >= b.retryAt
              ? [[1, true], { state: "half_open", failures: b.failures }]
              : [[0, false], b]
        ),
      endTrial: (now) =>
        Ref.update(
          ref,
          (b): State => (b.state === "half_open" ? { state: "open", failures: b.failures, retryAt: now } : b)
        ),
      succeeded: Ref.set(ref, { state: "closed", failures: 0 }),
      failed: (at) =>
        Ref.update(ref, (b): State => {
          const failures = b.failures + 1
          if (b.state === "open") return { ...b, failures }
          if (b.state === "half_open" || failures >= policy.failureThreshold) {
            return { state: "open", failures, retryAt: at + coolDownMs }
          }
          return { state: "closed", failures }
        }),
      snapshot: Effect.map(
        Ref.get(ref),
        (b): BreakerState => ({
          transport,
          state: b.state,
          consecutiveFailures: b.failures,
          ...(b.state === "open" ? { retryAt: iso(b.retryAt) } : {})
        })
      )
    }
  })
