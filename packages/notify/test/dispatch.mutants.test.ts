// What the dispatcher stores in the corners the main suite does not reach: a lease too short for
// another send, a recipient without a name, a transport that dies or answers at length, and a drain
// whose rounds hand messages back. Each checks the email-log row (status, attempts, error, times,
// provider id, lease), not only the round's summary (docs/mutation.md).

import { Query } from "@airworthy/storage"
import { TestDatabase } from "@airworthy/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Logger, TestClock } from "effect"
import { Dispatcher, Notify, NotifyError, Transport } from "../src/index.js"
import { as, findingRaised, freshTenant, notifyLayer, params, queueRows, recipients, resetQueue } from "./layers.js"

const t0 = Date.parse("2026-03-04T05:06:07.000Z")
const at = (offsetMs: number) => new Date(t0 + offsetMs).toISOString()

const dispatcherWith = (transport: Transport.Service, options: Dispatcher.Options = {}) =>
  Dispatcher.make(options).pipe(Effect.provideService(Transport.Transport, transport))

/**
 * Hangs on the first message it is given (until the send timeout), accepts every other one; `started`
 * is done once the first send has begun.
 */
const hangsOnFirst = (started: Deferred.Deferred<void>) => {
  const sent: Array<Transport.Message> = []
  let calls = 0
  const service: Transport.Service = {
    name: "first-hangs",
    send: (m) =>
      ++calls === 1
        ? Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)
        : Effect.sync(() => {
            sent.push(m)
            return { providerMessageId: `ok-${m.to.address}` }
          })
  }
  return { service, sent }
}

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(notifyLayer(target), { timeout: 60_000 })("dispatcher outcomes", (it) => {
      it.effect("a send is not started with less of the lease left than the send timeout: handed back unused", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("short-lease")
          yield* resetQueue
          yield* TestClock.setTime(t0)
          const { deliveries } = yield* Notify.enqueue({
            template: findingRaised,
            params: params(),
            recipients: recipients(2)
          }).pipe(as(tenant))
          const started = yield* Deferred.make<void>()
          const transport = hangsOnFirst(started)
          // Claimed until t0 + 30 s; the first send takes its whole 20 s, so the second would run past the lease.
          const dispatcher = yield* dispatcherWith(transport.service, {
            concurrency: 1,
            lease: "30 seconds",
            sendTimeout: "20 seconds",
            retry: { jitter: 0 }
          })
          const round = yield* Effect.fork(dispatcher.runOnce)
          yield* Deferred.await(started)
          yield* TestClock.adjust("20 seconds")
          const summary = yield* Fiber.join(round)
          assert.deepStrictEqual(summary, { claimed: 2, sent: 0, failed: 1, dead: 0, released: 1, breaker: "closed" })
          assert.deepStrictEqual(transport.sent, [])

          const log = new Map((yield* Notify.emailLog().pipe(as(tenant))).map((e) => [e.id, e]))
          const timedOut = log.get(deliveries[0]!.id)!
          assert.deepStrictEqual(
            [timedOut.status, timedOut.attempts, timedOut.lastAttemptAt, timedOut.nextAttemptAt, timedOut.sentAt],
            ["failed", 1, at(20_000), at(20_000 + 30_000), null]
          )
          assert.include(timedOut.lastError!, "first-hangs timeout")
          const handedBack = log.get(deliveries[1]!.id)!
          // No attempt used, nothing recorded, due as before.
          assert.deepStrictEqual(
            [
              handedBack.status,
              handedBack.attempts,
              handedBack.lastError,
              handedBack.lastAttemptAt,
              handedBack.nextAttemptAt,
              handedBack.sentAt,
              handedBack.providerMessageId
            ],
            ["queued", 0, null, null, at(0), null, null]
          )
          const rows = yield* queueRows(target.dialect, tenant)
          assert.deepStrictEqual(
            rows.map((r) => [r.claimed_by, r.claimed_until]),
            [
              [null, null],
              [null, null]
            ]
          )
          // Handed back at once: the next round sends it.
          const next = yield* dispatcher.runOnce
          assert.deepStrictEqual([next.claimed, next.sent], [1, 1])
          assert.deepStrictEqual(
            transport.sent.map((m) => m.id),
            [deliveries[1]!.id]
          )
        })
      )

      it.effect("a send that can finish exactly when the lease runs out still goes", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("lease-edge")
          yield* resetQueue
          yield* TestClock.setTime(t0)
          const { deliveries } = yield* Notify.enqueue({
            template: findingRaised,
            params: params(),
            recipients: recipients(2)
          }).pipe(as(tenant))
          const started = yield* Deferred.make<void>()
          const transport = hangsOnFirst(started)
          // Claimed until t0 + 40 s; the second send starts at t0 + 20 s and may take until t0 + 40 s.
          const dispatcher = yield* dispatcherWith(transport.service, {
            concurrency: 1,
            lease: "40 seconds",
            sendTimeout: "20 seconds",
            retry: { jitter: 0 }
          })
          const round = yield* Effect.fork(dispatcher.runOnce)
          yield* Deferred.await(started)
          yield* TestClock.adjust("20 seconds")
          const summary = yield* Fiber.join(round)
          assert.deepStrictEqual(summary, { claimed: 2, sent: 1, failed: 1, dead: 0, released: 0, breaker: "closed" })
          const sent = (yield* Notify.emailLog({ status: "sent" }).pipe(as(tenant)))[0]!
          assert.deepStrictEqual(
            [sent.id, sent.attempts, sent.sentAt, sent.providerMessageId],
            [deliveries[1]!.id, 1, at(20_000), "ok-tech2@mro.example"]
          )
        })
      )

      it.effect("a recipient without a name is given to the transport by address only", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("no-name")
          yield* resetQueue
          yield* TestClock.setTime(t0)
          const { deliveries } = yield* Notify.enqueue({
            template: findingRaised,
            params: params(),
            recipients: [{ email: "stores@mro.example" }]
          }).pipe(as(tenant))
          const capture = yield* Transport.capture()
          assert.strictEqual((yield* (yield* dispatcherWith(capture)).runOnce).sent, 1)
          const [message] = yield* capture.messages
          assert.deepStrictEqual(message!.to, { address: "stores@mro.example" })
          assert.isFalse(Object.hasOwn(message!.to, "name"))
          const [entry] = yield* Notify.emailLog().pipe(as(tenant))
          assert.deepStrictEqual(
            [entry!.id, entry!.recipientName, entry!.status, entry!.providerMessageId],
            [deliveries[0]!.id, null, "sent", "capture-1"]
          )
        })
      )

      it.effect(
        "a transport that dies is a transient protocol failure: retried later, the detail cut to 500 characters",
        () =>
          Effect.gen(function* () {
            const tenant = freshTenant("defect")
            yield* resetQueue
            yield* TestClock.setTime(t0)
            yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(1) }).pipe(
              as(tenant)
            )
            const dying: Transport.Service = {
              name: "dying",
              send: () => Effect.die(new Error(`socket exploded ${"x".repeat(2000)}`))
            }
            const dispatcher = yield* dispatcherWith(dying, {
              retry: { initialDelay: "10 seconds", jitter: 0 },
              breaker: { failureThreshold: 5 }
            })
            const summary = yield* dispatcher.runOnce
            assert.deepStrictEqual(summary, { claimed: 1, sent: 0, failed: 1, dead: 0, released: 0, breaker: "closed" })
            // A failure of the provider: the breaker counts it.
            assert.strictEqual((yield* dispatcher.breaker).consecutiveFailures, 1)
            const [e] = yield* Notify.emailLog().pipe(as(tenant))
            assert.deepStrictEqual(
              [e!.status, e!.attempts, e!.lastAttemptAt, e!.nextAttemptAt, e!.sentAt, e!.providerMessageId],
              ["failed", 1, at(0), at(10_000), null, null]
            )
            const prefix = "dying protocol: "
            assert.isTrue(e!.lastError!.startsWith(prefix), e!.lastError!)
            assert.include(e!.lastError!, "socket exploded")
            assert.strictEqual(e!.lastError!.length, prefix.length + 500)
          })
      )

      it.effect("a refusal longer than 1000 characters is stored cut to its first 1000", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("long-error")
          yield* resetQueue
          yield* TestClock.setTime(t0)
          yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(1) }).pipe(
            as(tenant)
          )
          const refusal = new NotifyError.TransportError({
            transport: "wordy",
            reason: "rejected",
            permanent: true,
            responseCode: 550,
            detail: `5.7.1 ${"policy ".repeat(400)}`
          })
          const wordy: Transport.Service = { name: "wordy", send: () => Effect.fail(refusal) }
          const summary = yield* (yield* dispatcherWith(wordy)).runOnce
          assert.strictEqual(summary.dead, 1)
          const [e] = yield* Notify.emailLog().pipe(as(tenant))
          assert.strictEqual(e!.status, "dead")
          assert.strictEqual(e!.lastError, refusal.message.slice(0, 1000))
          assert.strictEqual(e!.lastError!.length, 1000)
          assert.deepStrictEqual([e!.nextAttemptAt, e!.sentAt, e!.providerMessageId], [null, null, null])
        })
      )

      it.effect("an interrupted round that cannot record warns, and leaves its rows to the lease", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("interrupt-down")
          yield* resetQueue
          yield* TestClock.setTime(t0)
          const { deliveries } = yield* Notify.enqueue({
            template: findingRaised,
            params: params(),
            recipients: recipients(2)
          }).pipe(as(tenant))
          const started = yield* Deferred.make<void>()
          const transport = hangsOnFirst(started)
          const dispatcher = yield* dispatcherWith(transport.service, {
            concurrency: 1,
            instanceId: "instance-down",
            lease: "5 minutes"
          })
          const logs: Array<string> = []
          const logger = Logger.replace(
            Logger.defaultLogger,
            Logger.make(({ logLevel, message }) => {
              logs.push(`${logLevel.label}: ${[message].flat().join(" ")}`)
            })
          )
          const round = yield* Effect.fork(dispatcher.runOnce.pipe(Effect.provide(logger)))
          yield* Deferred.await(started)
          // The database goes away while the round is in flight: the table cannot be written.
          yield* Query.unsafe("ALTER TABLE aw_notify_email_log RENAME TO aw_notify_email_log_away")
          const exit = yield* Fiber.interrupt(round)
          yield* Query.unsafe("ALTER TABLE aw_notify_email_log_away RENAME TO aw_notify_email_log")
          // Interrupted, and nothing else: the failed recording is a warning, not a defect.
          assert.isTrue(Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause))
          assert.deepStrictEqual(logs, ["WARN: notify: could not record an interrupted round"])
          // Nothing recorded: both rows stay claimed until the lease runs out, no attempt used.
          const rows = yield* queueRows(target.dialect, tenant)
          assert.deepStrictEqual(
            rows.map((r) => [r.id, r.status, Number(r.attempts), r.claimed_by, r.claimed_until]),
            [
              [deliveries[0]!.id, "queued", 0, "instance-down", at(300_000)],
              [deliveries[1]!.id, "queued", 0, "instance-down", at(300_000)]
            ]
          )
        })
      )

      it.effect("drain goes on after a round that handed messages back, and counts them", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("drain-released")
          yield* resetQueue
          yield* TestClock.setTime(t0)
          const { deliveries } = yield* Notify.enqueue({
            template: findingRaised,
            params: params(),
            recipients: recipients(2)
          }).pipe(as(tenant))
          const started = yield* Deferred.make<void>()
          const transport = hangsOnFirst(started)
          const dispatcher = yield* dispatcherWith(transport.service, {
            concurrency: 1,
            lease: "30 seconds",
            sendTimeout: "20 seconds",
            retry: { jitter: 0 }
          })
          // Round 1: the first times out, the second is handed back; round 2 sends the second;
          // round 3 claims nothing (the first is due again only at t0 + 50 s).
          const drain = yield* Effect.fork(dispatcher.drain)
          yield* Deferred.await(started)
          yield* TestClock.adjust("20 seconds")
          const total = yield* Fiber.join(drain)
          assert.deepStrictEqual(total, { claimed: 3, sent: 1, failed: 1, dead: 0, released: 1, breaker: "closed" })
          const log = new Map((yield* Notify.emailLog().pipe(as(tenant))).map((e) => [e.id, e]))
          assert.deepStrictEqual(
            [log.get(deliveries[0]!.id)!.status, log.get(deliveries[0]!.id)!.attempts],
            ["failed", 1]
          )
          assert.deepStrictEqual(
            [log.get(deliveries[1]!.id)!.status, log.get(deliveries[1]!.id)!.attempts],
            ["sent", 1]
          )
        })
      )

      it.effect("drain stops when the breaker opens mid-round, with the handed-back messages in its totals", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("drain-breaker")
          yield* resetQueue
          yield* TestClock.setTime(t0)
          yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(5) }).pipe(
            as(tenant)
          )
          let calls = 0
          const down: Transport.Service = {
            name: "down",
            send: () =>
              Effect.suspend(() => {
                calls++
                return Effect.fail(
                  new NotifyError.TransportError({
                    transport: "down",
                    reason: "connection",
                    permanent: false,
                    detail: "refused"
                  })
                )
              })
          }
          const dispatcher = yield* dispatcherWith(down, {
            concurrency: 1,
            breaker: { failureThreshold: 3, coolDown: "1 minute" },
            retry: { jitter: 0 }
          })
          const total = yield* dispatcher.drain
          assert.deepStrictEqual(total, { claimed: 5, sent: 0, failed: 3, dead: 0, released: 2, breaker: "open" })
          assert.strictEqual(calls, 3)
          assert.deepStrictEqual(
            (yield* Notify.emailLog().pipe(as(tenant))).map((e) => [e.status, e.attempts]),
            [
              ["failed", 1],
              ["failed", 1],
              ["failed", 1],
              ["queued", 0],
              ["queued", 0]
            ]
          )
        })
      )
    })
  })
}
