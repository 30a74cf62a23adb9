// The runs' clock: it stands still until the run ticks it, one second per command.
import { Clock, Effect } from "effect"

export const makeClock = (start: number) => {
  let now = start
  const base = Clock.make()
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => now,
    unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
    currentTimeMillis: Effect.sync(() => now),
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: (duration) => base.sleep(duration)
  }
  return {
    clock,
    tick: Effect.sync(() => {
      now += 1000
    })
  }
}
