// Sending one claimed message: the breaker and the lease decide whether it goes at all; the
// transport's answer (or its silence past the timeout) becomes the message's outcome.
import { Cause, Clock, Duration, Effect, Exit, Random } from "effect"
import { TransportError } from "../NotifyError.js"
import type { Message } from "../Transport.js"
import type { DispatcherContext } from "./dispatcherContext.js"
import type * as Store from "./store.js"
import type * as Watchdog from "./watchdog.js"

export type Outcome =
  | { readonly _tag: "sent"; readonly at: number; readonly providerMessageId: string }
  | { readonly _tag: "failed"; readonly at: number; readonly error: string; readonly nextAt: number }
  | { readonly _tag: "dead"; readonly at: number; readonly error: string }
  | { readonly _tag: "released" }

export const sendOne = (
  dispatch: DispatcherContext,
  watchdog: Watchdog.Watchdog,
  row: Store.ClaimedRow
): Effect.Effect<Outcome> =>
  Effect.gen(function* () {
    const { breaker, settings, transport } = dispatch
    const before = yield* Clock.currentTimeMillis
    const b = yield* breaker.current
    // The breaker opened during this round, or the lease would run out mid-send: hand back.
    if (b.state === "open" || before + dispatch.timeoutMs > Date.parse(row.claimed_until)) {
      return { _tag: "released" } as const
    }
    const message: Message = {
      id: row.id,
      messageId: row.message_id,
      to:
        row.recipient_name === null ? { address: row.recipient } : { address: row.recipient, name: row.recipient_name },
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
          detail: `no answer within ${Duration.format(settings.sendTimeout)}`
        })
      )
    const at = yield* Clock.currentTimeMillis
    if (Exit.isSuccess(exit)) {
      yield* breaker.succeeded
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
      yield* breaker.succeeded // the provider answered: it is up, it just refuses this message
      return { _tag: "dead", at, error: text } as const
    }
    yield* breaker.failed(at)
    if (attempts >= settings.retry.maxAttempts) return { _tag: "dead", at, error: text } as const
    const r = yield* Random.next
    const delay = dispatch.retryDelay(attempts, r)
    return { _tag: "failed", at, error: text, nextAt: at + Duration.toMillis(delay) } as const
  })
