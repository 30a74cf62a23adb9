// The notify suite, written once; Notify.test.ts runs it on every database in TestDatabase.targets().
import { Errors } from "@airworthy/core"
import { Query, Storage } from "@airworthy/storage"
import { TestDatabase, type TestKit } from "@airworthy/testing"
import { assert } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Layer, Random, TestClock, TestServices } from "effect"
import { Dispatcher, Notify, Transport } from "../src/index.js"
import {
  as,
  count,
  findingRaised,
  freshTenant,
  type notifyLayer,
  p,
  params,
  queueRows,
  recipients,
  resetQueue,
  smtpOptions
} from "./layers.js"
import { smtpServer } from "./support/smtp.js"

type It = TestKit.It<Layer.Layer.Success<ReturnType<typeof notifyLayer>>>

const dispatcherWith = (transport: Transport.Service, options: Dispatcher.Options = {}) =>
  Dispatcher.make(options).pipe(Effect.provideService(Transport.Transport, transport))

const t0 = Date.parse("2026-03-04T05:06:07.000Z")
const at = (offsetMs: number) => new Date(t0 + offsetMs).toISOString()

const byId = <A extends { readonly id: string }>(xs: ReadonlyArray<A>) => new Map(xs.map((x) => [x.id, x]))

export const notifySuite = (it: It, target: TestDatabase.Target) => {
  // ------------------------------------------------------------------ enqueue and the outbox

  it.effect("enqueue writes one email-log row per recipient, queued, in the actor's tenant", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("enqueue")
      yield* TestClock.setTime(t0)
      const result = yield* Notify.enqueue({
        template: findingRaised,
        params: params(),
        // The same address twice (any case) is one recipient.
        recipients: [...recipients(2), { email: "TECH1@mro.example" }],
        record: { type: "finding", id: "f-1" }
      }).pipe(as(tenant))
      assert.strictEqual(result.template, "finding.raised")
      assert.deepStrictEqual(
        result.deliveries.map((d) => d.recipient),
        ["tech1@mro.example", "tech2@mro.example"]
      )
      for (const d of result.deliveries) assert.strictEqual(d.messageId, `<${d.id}@airworthy>`)
      assert.strictEqual(yield* count(target.dialect, "aw_notify_email_log", tenant), 2)

      const log = yield* Notify.emailLog({ recordType: "finding", recordId: "f-1" }).pipe(as(tenant))
      assert.strictEqual(log.length, 2)
      const first = log[0]!
      assert.strictEqual(first.id, result.deliveries[0]!.id)
      assert.strictEqual(first.tenantId, tenant)
      assert.strictEqual(first.notificationId, result.notificationId)
      assert.strictEqual(first.recipient, "tech1@mro.example")
      assert.strictEqual(first.recipientName, "Technician 1")
      assert.strictEqual(first.subject, "Finding FND-0042 raised: Torque wrench calibration overdue")
      assert.strictEqual(first.template, "finding.raised")
      assert.strictEqual(first.status, "queued")
      assert.strictEqual(first.attempts, 0)
      assert.strictEqual(first.lastError, null)
      assert.strictEqual(first.providerMessageId, null)
      assert.strictEqual(first.messageId, result.deliveries[0]!.messageId)
      assert.strictEqual(first.recordType, "finding")
      assert.strictEqual(first.recordId, "f-1")
      assert.strictEqual(first.queuedAt, at(0))
      assert.strictEqual(first.nextAttemptAt, at(0))
      assert.strictEqual(first.sentAt, null)
      // Another tenant sees none of it.
      assert.deepStrictEqual(
        yield* Notify.emailLog({ recordType: "finding", recordId: "f-1" }).pipe(as(`${tenant}-other`)),
        []
      )
    })
  )

  it.effect("the dispatcher sends after commit through the capture transport and records the result", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("dispatch")
      yield* resetQueue
      yield* TestClock.setTime(t0)
      const result = yield* Notify.enqueue({
        template: findingRaised,
        params: params(7, `Wrench <script>alert("x")</script> & co`),
        recipients: recipients(2),
        record: { type: "finding", id: "f-7" }
      }).pipe(as(tenant))
      const capture = yield* Transport.capture()
      const dispatcher = yield* dispatcherWith(capture)
      yield* TestClock.adjust("3 seconds")
      const summary = yield* dispatcher.runOnce
      assert.deepStrictEqual(summary, { claimed: 2, sent: 2, failed: 0, dead: 0, released: 0, breaker: "closed" })

      const messages = yield* capture.messages
      assert.deepStrictEqual(
        messages.map((m) => m.to),
        [
          { address: "tech1@mro.example", name: "Technician 1" },
          { address: "tech2@mro.example", name: "Technician 2" }
        ]
      )
      const m = messages[0]!
      assert.strictEqual(m.messageId, result.deliveries[0]!.messageId)
      assert.strictEqual(m.subject, `Finding FND-0007 raised: Wrench <script>alert("x")</script> & co`)
      assert.include(m.text, `was raised: Wrench <script>alert("x")</script> & co.`)
      assert.include(m.text, "Record: finding/f-7")
      assert.include(m.html, "was raised: Wrench &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co.")
      assert.include(m.html, "<li>Quarantine the wrench</li><li>Check tools calibrated by the same lab</li>")
      assert.notInclude(m.html, "<script>")

      const log = byId(yield* Notify.emailLog({ notificationId: result.notificationId }).pipe(as(tenant)))
      for (const [i, d] of result.deliveries.entries()) {
        const entry = log.get(d.id)!
        assert.strictEqual(entry.status, "sent")
        assert.strictEqual(entry.attempts, 1)
        assert.strictEqual(entry.sentAt, at(3000))
        assert.strictEqual(entry.lastAttemptAt, at(3000))
        assert.strictEqual(entry.nextAttemptAt, null)
        assert.strictEqual(entry.providerMessageId, `capture-${i + 1}`)
      }
      const rows = yield* queueRows(target.dialect, tenant)
      for (const row of rows) {
        assert.strictEqual(row.status, "sent")
        assert.strictEqual(row.claimed_by, null)
      }
      // Nothing is sent twice.
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 0)
      assert.strictEqual((yield* capture.messages).length, 2)
    })
  )

  it.effect(
    "message returns what was sent: the entry with the exact subject, text and HTML; other tenants' ids are not found",
    () =>
      Effect.gen(function* () {
        const tenant = freshTenant("message")
        yield* TestClock.setTime(t0)
        yield* resetQueue
        const result = yield* Notify.enqueue({
          template: findingRaised,
          params: params(9, "Sealant <B> expired"),
          recipients: recipients(2),
          record: { type: "finding", id: "f-9" }
        }).pipe(as(tenant))
        const capture = yield* Transport.capture()
        assert.strictEqual((yield* (yield* dispatcherWith(capture)).runOnce).sent, 2)
        const sent = yield* capture.messages
        for (const d of result.deliveries) {
          const message = yield* Notify.message(d.id).pipe(as(tenant))
          const wire = sent.find((m) => m.messageId === d.messageId)!
          assert.deepStrictEqual([message.subject, message.text, message.html], [wire.subject, wire.text, wire.html])
          assert.include(message.html, "Sealant &lt;B&gt; expired")
          assert.strictEqual(message.entry.id, d.id)
          assert.strictEqual(message.entry.recipient, d.recipient)
          assert.strictEqual(message.entry.status, "sent")
          assert.strictEqual(message.entry.recordId, "f-9")
        }
        const elsewhere = yield* Effect.flip(Notify.message(result.deliveries[0]!.id).pipe(as(freshTenant("other"))))
        assert.instanceOf(elsewhere, Errors.NotFound)
        const unknown = yield* Effect.flip(Notify.message("no-such-message").pipe(as(tenant)))
        assert.instanceOf(unknown, Errors.NotFound)
        assert.strictEqual(unknown.status, 404)
      })
  )

  it.effect("a rolled-back transaction leaves nothing to send; a committed one sends what it enqueued", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("rollback")
      yield* resetQueue
      const exit = yield* Effect.exit(
        Query.transaction(
          Effect.gen(function* () {
            yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(3) })
            // The enqueue joined this transaction: its rows are visible inside it ...
            assert.strictEqual(yield* count(target.dialect, "aw_notify_email_log", tenant), 3)
            return yield* Effect.fail("the command failed after enqueueing" as const)
          })
        ).pipe(as(tenant))
      )
      assert.isTrue(Exit.isFailure(exit))
      // ... and left with it.
      assert.strictEqual(yield* count(target.dialect, "aw_notify_email_log", tenant), 0)
      const capture = yield* Transport.capture()
      const dispatcher = yield* dispatcherWith(capture)
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 0)
      assert.deepStrictEqual(yield* capture.messages, [])

      yield* Query.transaction(
        Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(1) })
      ).pipe(as(tenant))
      assert.strictEqual((yield* dispatcher.runOnce).sent, 1)
      assert.strictEqual((yield* capture.messages).length, 1)
    })
  )

  it.effect("a round claims at most batchSize rows, oldest due first", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("batch")
      yield* resetQueue
      const { deliveries } = yield* Notify.enqueue({
        template: findingRaised,
        params: params(),
        recipients: recipients(5)
      }).pipe(as(tenant))
      const capture = yield* Transport.capture()
      const dispatcher = yield* dispatcherWith(capture, { batchSize: 2 })
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 2)
      assert.deepStrictEqual(
        (yield* capture.messages).map((m) => m.id),
        deliveries.slice(0, 2).map((d) => d.id)
      )
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 2)
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 1)
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 0)
    })
  )

  if (target.dialect === "pg") {
    it.effect("a dispatcher on another connection sees nothing until the enqueuing transaction commits", () =>
      Effect.gen(function* () {
        const tenant = freshTenant("uncommitted")
        yield* resetQueue
        const info = yield* TestDatabase.TestDatabaseInfo
        const capture = yield* Transport.capture()
        const elsewhere = dispatcherWith(capture).pipe(
          Effect.flatMap((d) => d.runOnce),
          Effect.provide(info.connectAgain!)
        )
        yield* Query.transaction(
          Effect.gen(function* () {
            yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(2) })
            assert.strictEqual((yield* elsewhere).claimed, 0)
          })
        ).pipe(as(tenant))
        assert.strictEqual((yield* elsewhere).sent, 2)
        assert.strictEqual((yield* capture.messages).length, 2)
      })
    )
  }

  it.effect(
    "bad parameters, recipients or record fail with ValidationFailed listing every field, and write nothing",
    () =>
      Effect.gen(function* () {
        const tenant = freshTenant("invalid")
        const error = yield* Effect.flip(
          Notify.enqueue({
            template: findingRaised,
            params: { ref: "F-1", title: "  ", level: "3", dueAt: "2026-05-01" } as never,
            recipients: [{ email: "quality@mro.example" }, { email: "not an address" }],
            record: { type: "", id: "f-1" },
            notBefore: "someday"
          }).pipe(as(tenant))
        )
        assert.instanceOf(error, Errors.ValidationFailed)
        assert.strictEqual(error._tag, "ValidationFailed")
        const paths = (error as Errors.ValidationFailed).issues.map((i) => i.path)
        assert.includeMembers(paths, [
          "params.ref",
          "params.title",
          "params.level",
          "recipients.1.email",
          "record.type",
          "notBefore"
        ])
        assert.notInclude(paths, "recipients.0.email")
        const none = yield* Effect.flip(
          Notify.enqueue({ template: findingRaised, params: params(), recipients: [] }).pipe(as(tenant))
        )
        assert.deepStrictEqual(
          (none as Errors.ValidationFailed).issues.map((i) => i.path),
          ["recipients"]
        )
        assert.strictEqual(yield* count(target.dialect, "aw_notify_email_log", tenant), 0)
      })
  )

  it.effect("notBefore holds a message back until it is due", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("later")
      yield* resetQueue
      yield* TestClock.setTime(t0)
      yield* Notify.enqueue({
        template: findingRaised,
        params: params(),
        recipients: recipients(1),
        notBefore: at(60_000)
      }).pipe(as(tenant))
      const capture = yield* Transport.capture()
      const dispatcher = yield* dispatcherWith(capture)
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 0)
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* dispatcher.runOnce).sent, 1)
    })
  )

  // ------------------------------------------------------------------ SMTP, end to end

  it.scoped(
    "a distribution over SMTP is one message and one log row per recipient, and the log answers per record and status",
    () =>
      Effect.gen(function* () {
        const tenant = freshTenant("smtp")
        yield* resetQueue
        yield* TestClock.setTime(t0)
        const server = yield* smtpServer({
          // The provider refuses one mailbox for good.
          rcpt: (address) =>
            address === "left@mro.example" ? { code: 550, message: "5.1.1 Mailbox unavailable" } : undefined
        })
        const crew = [...recipients(3), { email: "left@mro.example", name: "Former Employee" }]
        const finding = yield* Notify.enqueue({
          template: findingRaised,
          params: params(9, "Lockwire <missing> on P/N 123 & 456"),
          recipients: crew,
          record: { type: "finding", id: "f-9" }
        }).pipe(as(tenant))
        const other = yield* Notify.enqueue({
          template: findingRaised,
          params: params(10),
          recipients: recipients(1, "qm"),
          record: { type: "finding", id: "f-10" }
        }).pipe(as(tenant))
        const transport = yield* Transport.smtp(smtpOptions(server.port))
        const dispatcher = yield* dispatcherWith(transport, { concurrency: 2 })
        const summary = yield* dispatcher.drain
        assert.strictEqual(summary.sent, 4)
        assert.strictEqual(summary.dead, 1)
        assert.deepStrictEqual([summary.claimed, summary.failed, summary.released], [5, 0, 0])
        assert.strictEqual(summary.breaker, "closed")

        assert.strictEqual(server.received.length, 4)
        for (const message of server.received) assert.strictEqual(message.to.length, 1)
        const arrived = new Map(server.received.map((m) => [m.to[0]!, m]))
        const tech2 = arrived.get("tech2@mro.example")!
        const delivery = finding.deliveries.find((d) => d.recipient === "tech2@mro.example")!
        assert.strictEqual(tech2.messageId, delivery.messageId)
        assert.strictEqual(tech2.from, "qms@mro.example")
        assert.strictEqual(tech2.subject, "Finding FND-0009 raised: Lockwire <missing> on P/N 123 & 456")
        assert.include(tech2.text, "Dear Technician 2,")
        assert.include(tech2.text, "was raised: Lockwire <missing> on P/N 123 & 456.")
        assert.include(tech2.html, "was raised: Lockwire &lt;missing&gt; on P/N 123 &amp; 456.")
        assert.strictEqual(tech2.headers["auto-submitted"], "auto-generated")

        const log = yield* Notify.emailLog({ recordType: "finding", recordId: "f-9" }).pipe(as(tenant))
        assert.strictEqual(log.length, 4)
        assert.deepStrictEqual(
          log.map((e) => [e.recipient, e.status]),
          [
            ["tech1@mro.example", "sent"],
            ["tech2@mro.example", "sent"],
            ["tech3@mro.example", "sent"],
            ["left@mro.example", "dead"]
          ]
        )
        const dead = yield* Notify.emailLog({ status: "dead" }).pipe(as(tenant))
        assert.deepStrictEqual(
          dead.map((e) => e.recipient),
          ["left@mro.example"]
        )
        assert.strictEqual(dead[0]!.attempts, 1)
        // Refused for good: never sent, no provider id.
        assert.deepStrictEqual([dead[0]!.sentAt, dead[0]!.providerMessageId], [null, null])
        assert.include(dead[0]!.lastError!, "550")
        assert.include(dead[0]!.lastError!, "Mailbox unavailable")
        const sent = yield* Notify.emailLog({ status: ["sent"], recordId: "f-10" }).pipe(as(tenant))
        assert.deepStrictEqual(
          sent.map((e) => e.id),
          [other.deliveries[0]!.id]
        )
        // The set of Message-IDs the server received is the set of sent log rows.
        const sentIds = (yield* Notify.emailLog({ status: "sent" }).pipe(as(tenant))).map((e) => e.messageId).sort()
        assert.deepStrictEqual(server.received.map((m) => m.messageId).sort(), sentIds)
        for (const e of yield* Notify.emailLog({ status: "sent" }).pipe(as(tenant))) {
          assert.isNotNull(e.providerMessageId)
          assert.strictEqual(e.sentAt, at(0))
        }
      })
  )

  // ------------------------------------------------------------------ retries, dead letters, timeout, breaker

  it.scoped("a failed send is retried with exponential backoff and jitter, then succeeds", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("retry")
      yield* resetQueue
      yield* TestClock.setTime(t0)
      let refusals = 2
      const server = yield* smtpServer({
        data: () => (refusals-- > 0 ? { code: 451, message: "4.3.0 Try again later" } : undefined)
      })
      const [delivery] = (yield* Notify.enqueue({
        template: findingRaised,
        params: params(),
        recipients: recipients(1)
      }).pipe(as(tenant))).deliveries
      const transport = yield* Transport.smtp(smtpOptions(server.port))
      const dispatcher = yield* dispatcherWith(transport, {
        retry: { maxAttempts: 5, initialDelay: "10 seconds", factor: 2, maxDelay: "1 hour", jitter: 0.2 }
      })
      // Jitter comes from Effect's Random: 0 gives the low end (x0.8), 0.75 gives x1.1.
      const random = Random.fixed([0, 0.75])
      const round = dispatcher.runOnce.pipe(Effect.withRandom(random))
      const entry = Effect.map(
        Notify.emailLog({ status: ["queued", "failed", "sent", "dead"] }).pipe(as(tenant)),
        (l) => l[0]!
      )

      // A drain stops at the round that claims nothing; its totals are the first round's.
      const drained = yield* dispatcher.drain.pipe(Effect.withRandom(random))
      assert.deepStrictEqual(
        [drained.claimed, drained.sent, drained.failed, drained.dead, drained.released],
        [1, 0, 1, 0, 0]
      )
      let e = yield* entry
      assert.strictEqual(e.id, delivery!.id)
      assert.strictEqual(e.status, "failed")
      assert.strictEqual(e.attempts, 1)
      assert.include(e.lastError!, "451")
      assert.strictEqual(e.lastAttemptAt, at(0))
      assert.strictEqual(e.nextAttemptAt, at(8_000))

      assert.strictEqual((yield* round).claimed, 0)
      yield* TestClock.adjust("7999 millis")
      assert.strictEqual((yield* round).claimed, 0)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* round).failed, 1)
      e = yield* entry
      assert.strictEqual(e.attempts, 2)
      // Second failure: 10 s x 2 = 20 s, x1.1 = 22 s.
      assert.strictEqual(e.nextAttemptAt, at(8_000 + 22_000))

      yield* TestClock.adjust("22 seconds")
      assert.strictEqual((yield* round).sent, 1)
      e = yield* entry
      assert.strictEqual(e.status, "sent")
      assert.strictEqual(e.attempts, 3)
      assert.strictEqual(e.sentAt, at(30_000))
      assert.include(e.lastError!, "451") // the history of the last failure stays readable
      assert.strictEqual(server.stats.dataCommands, 3)
      assert.strictEqual(server.received.length, 1)
    })
  )

  it.scoped("after the maximum number of attempts a message is dead-lettered with the last error", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("dead")
      yield* resetQueue
      yield* TestClock.setTime(t0)
      let n = 0
      const server = yield* smtpServer({ data: () => ({ code: 452, message: `4.3.1 Insufficient storage (${++n})` }) })
      yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(1) }).pipe(as(tenant))
      const transport = yield* Transport.smtp(smtpOptions(server.port))
      const dispatcher = yield* dispatcherWith(transport, {
        retry: { maxAttempts: 3, initialDelay: "1 minute", jitter: 0 }
      })
      const statuses: Array<string> = []
      for (let i = 0; i < 3; i++) {
        yield* dispatcher.runOnce
        statuses.push((yield* Notify.emailLog().pipe(as(tenant)))[0]!.status)
        yield* TestClock.adjust("10 minutes")
      }
      assert.deepStrictEqual(statuses, ["failed", "failed", "dead"])
      const [e] = yield* Notify.emailLog({ status: "dead" }).pipe(as(tenant))
      assert.strictEqual(e!.attempts, 3)
      assert.include(e!.lastError!, "Insufficient storage (3)")
      assert.strictEqual(e!.nextAttemptAt, null)
      yield* TestClock.adjust("1 day")
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 0)
      assert.strictEqual(server.stats.dataCommands, 3)
      const [row] = yield* queueRows(target.dialect, tenant)
      assert.strictEqual(row!.status, "dead")
    })
  )

  it.scoped("a send that takes longer than the per-send timeout fails and is retried", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("timeout")
      yield* resetQueue
      yield* TestClock.setTime(t0)
      const arrived = yield* Deferred.make<void>()
      const held: Array<() => void> = []
      const server = yield* smtpServer({
        data: () => {
          Deferred.unsafeDone(arrived, Effect.void)
          // The provider never answers (until the test lets go, with a refusal).
          return new Promise((resolve) => held.push(() => resolve({ code: 451, message: "too late" })))
        }
      })
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          for (const release of held) release()
        })
      )
      yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(1) }).pipe(as(tenant))
      const transport = yield* Transport.smtp(smtpOptions(server.port))
      const dispatcher = yield* dispatcherWith(transport, { sendTimeout: "20 seconds", retry: { jitter: 0 } })
      const round = yield* Effect.fork(dispatcher.runOnce)
      yield* Deferred.await(arrived)
      yield* TestClock.adjust("20 seconds")
      const summary = yield* Fiber.join(round)
      assert.strictEqual(summary.failed, 1)
      const [e] = yield* Notify.emailLog().pipe(as(tenant))
      assert.strictEqual(e!.status, "failed")
      assert.include(e!.lastError!, "timeout")
      assert.include(e!.lastError!, "20s")
      assert.strictEqual(e!.nextAttemptAt, at(20_000 + 30_000))
      assert.strictEqual(server.received.length, 0)
    })
  )

  it.effect("only the sends that overrun the timeout fail; the others in the round are unaffected", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("overrun")
      yield* resetQueue
      yield* TestClock.setTime(t0)
      const { deliveries } = yield* Notify.enqueue({
        template: findingRaised,
        params: params(),
        recipients: recipients(4)
      }).pipe(as(tenant))
      const hung = yield* Deferred.make<void>()
      let hanging = 0
      const slow: Transport.Service = {
        name: "slow",
        // The 2nd and 4th recipients never get an answer; the others are accepted at once.
        send: (m) =>
          m.to.address === "tech2@mro.example" || m.to.address === "tech4@mro.example"
            ? Effect.zipRight(
                Effect.suspend(() => (++hanging === 2 ? Deferred.succeed(hung, undefined) : Effect.void)),
                Effect.never
              )
            : Effect.succeed({ providerMessageId: `ok-${m.to.address}` })
      }
      const dispatcher = yield* dispatcherWith(slow, {
        concurrency: 4,
        sendTimeout: "10 seconds",
        retry: { jitter: 0 }
      })
      const round = yield* Effect.fork(dispatcher.runOnce)
      yield* Deferred.await(hung)
      yield* TestClock.adjust("10 seconds")
      const summary = yield* Fiber.join(round)
      assert.deepStrictEqual([summary.sent, summary.failed], [2, 2])
      const log = byId(yield* Notify.emailLog().pipe(as(tenant)))
      assert.deepStrictEqual(
        deliveries.map((d) => log.get(d.id)!.status),
        ["sent", "failed", "sent", "failed"]
      )
      assert.include(log.get(deliveries[1]!.id)!.lastError!, "slow timeout")
    })
  )

  it.scoped(
    "the circuit breaker opens after consecutive failures, keeps messages queued, half-opens after the cool-down and closes on success",
    () =>
      Effect.gen(function* () {
        const tenant = freshTenant("breaker")
        yield* resetQueue
        yield* TestClock.setTime(t0)
        let down = true
        const server = yield* smtpServer({
          connect: () => (down ? { code: 421, message: "4.3.2 Service not available, closing channel" } : undefined)
        })
        const { deliveries } = yield* Notify.enqueue({
          template: findingRaised,
          params: params(),
          recipients: recipients(5)
        }).pipe(as(tenant))
        const transport = yield* Transport.smtp(smtpOptions(server.port))
        const dispatcher = yield* dispatcherWith(transport, {
          concurrency: 1,
          breaker: { failureThreshold: 3, coolDown: "1 minute" },
          retry: { initialDelay: "10 seconds", jitter: 0, maxAttempts: 10 }
        })
        const attempts = Effect.map(Notify.emailLog().pipe(as(tenant)), (l) => l.map((e) => e.attempts))

        const first = yield* dispatcher.runOnce
        assert.deepStrictEqual(first, { claimed: 5, sent: 0, failed: 3, dead: 0, released: 2, breaker: "open" })
        assert.deepStrictEqual(yield* dispatcher.breaker, {
          transport: `smtp://127.0.0.1:${server.port}`,
          state: "open",
          consecutiveFailures: 3,
          retryAt: at(60_000)
        })
        assert.strictEqual(server.stats.connections, 3)
        assert.deepStrictEqual(yield* attempts, [1, 1, 1, 0, 0])
        assert.deepStrictEqual(
          (yield* Notify.emailLog().pipe(as(tenant))).map((e) => e.status),
          ["failed", "failed", "failed", "queued", "queued"]
        )

        // Open: nothing is claimed, the provider is not called, no attempt is used.
        yield* TestClock.adjust("30 seconds")
        assert.deepStrictEqual(yield* dispatcher.runOnce, {
          claimed: 0,
          sent: 0,
          failed: 0,
          dead: 0,
          released: 0,
          breaker: "open"
        })
        assert.strictEqual(server.stats.connections, 3)
        assert.deepStrictEqual(yield* attempts, [1, 1, 1, 0, 0])

        // Half-open after the cool-down: one trial message; it fails, so the breaker opens again.
        yield* TestClock.adjust("30 seconds")
        const trial = yield* dispatcher.runOnce
        assert.deepStrictEqual(trial, { claimed: 1, sent: 0, failed: 1, dead: 0, released: 0, breaker: "open" })
        assert.strictEqual(server.stats.connections, 4)
        assert.strictEqual((yield* dispatcher.breaker).retryAt, at(120_000))

        // The provider recovers: the next trial succeeds and closes the breaker; the rest follows.
        down = false
        yield* TestClock.adjust("1 minute")
        const recovered = yield* dispatcher.runOnce
        assert.deepStrictEqual(recovered, { claimed: 1, sent: 1, failed: 0, dead: 0, released: 0, breaker: "closed" })
        assert.deepStrictEqual(yield* dispatcher.breaker, {
          transport: `smtp://127.0.0.1:${server.port}`,
          state: "closed",
          consecutiveFailures: 0
        })
        const rest = yield* dispatcher.drain
        assert.strictEqual(rest.sent, 4)
        const log = yield* Notify.emailLog().pipe(as(tenant))
        assert.deepStrictEqual(
          log.map((e) => e.status),
          ["sent", "sent", "sent", "sent", "sent"]
        )
        // 3 failures + 1 failed trial + 5 successes: the messages held back while open used no attempt.
        assert.strictEqual(
          log.reduce((n, e) => n + e.attempts, 0),
          9
        )
        assert.strictEqual(log.find((e) => e.id === deliveries[4]!.id)!.attempts, 1)
        assert.strictEqual(server.received.length, 5)
        assert.strictEqual(server.stats.connections, 9)
      })
  )

  it.scoped("parallel rounds share one breaker: after the cool-down only one trial message goes out", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("trial")
      yield* resetQueue
      yield* TestClock.setTime(t0)
      const server = yield* smtpServer({ connect: () => ({ code: 421, message: "4.3.2 Try again later" }) })
      yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(6) }).pipe(as(tenant))
      const transport = yield* Transport.smtp(smtpOptions(server.port))
      const dispatcher = yield* dispatcherWith(transport, {
        batchSize: 3,
        concurrency: 1,
        breaker: { failureThreshold: 2, coolDown: "1 minute" },
        retry: { initialDelay: "1 second", jitter: 0 }
      })
      const first = yield* dispatcher.runOnce
      assert.deepStrictEqual([first.failed, first.released, first.breaker], [2, 1, "open"])
      yield* TestClock.adjust("1 minute")
      const rounds = yield* Effect.all([dispatcher.runOnce, dispatcher.runOnce, dispatcher.runOnce], {
        concurrency: "unbounded"
      })
      assert.strictEqual(
        rounds.reduce((n, r) => n + r.claimed, 0),
        1
      )
      assert.strictEqual(server.stats.connections, 3)
      assert.strictEqual((yield* dispatcher.breaker).state, "open")
    })
  )

  it.effect("drain with parallel rounds sends every message exactly once", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("parallel")
      yield* resetQueue
      const { deliveries } = yield* Notify.enqueue({
        template: findingRaised,
        params: params(),
        recipients: recipients(95)
      }).pipe(as(tenant))
      const capture = yield* Transport.capture()
      const dispatcher = yield* dispatcherWith(capture, { batchSize: 10, concurrency: 3, parallelRounds: 3 })
      const total = yield* dispatcher.drain
      assert.strictEqual(total.sent, 95)
      const ids = (yield* capture.messages).map((m) => m.id).sort()
      assert.deepStrictEqual(ids, deliveries.map((d) => d.id).sort())
    })
  )

  // ------------------------------------------------------------------ leases and several dispatchers

  it.effect("rows a crashed instance claimed are sent by another only after the lease runs out", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("lease")
      yield* resetQueue
      yield* TestClock.setTime(t0)
      yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(2) }).pipe(as(tenant))
      // An instance claimed them for 5 minutes and died before sending.
      yield* Query.unsafe(
        `UPDATE aw_notify_email_log SET claimed_by = 'crashed-instance', claimed_until = ${p(target.dialect, 1)} WHERE tenant_id = ${p(target.dialect, 2)}`,
        [at(300_000), tenant]
      )
      const capture = yield* Transport.capture()
      const dispatcher = yield* dispatcherWith(capture, { lease: "5 minutes" })
      yield* TestClock.adjust("4 minutes")
      assert.strictEqual((yield* dispatcher.runOnce).claimed, 0)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* dispatcher.runOnce).sent, 2)
      const rows = yield* queueRows(target.dialect, tenant)
      assert.deepStrictEqual(
        rows.map((r) => r.claimed_by),
        [null, null]
      )
    })
  )

  if (target.name !== "sqlite-memory") {
    it.effect("several dispatchers on one database never send a message twice", () =>
      Effect.gen(function* () {
        const tenant = freshTenant("many")
        yield* resetQueue
        const info = yield* TestDatabase.TestDatabaseInfo
        const { deliveries } = yield* Notify.enqueue({
          template: findingRaised,
          params: params(),
          recipients: recipients(240)
        }).pipe(as(tenant))
        const capture = yield* Transport.capture()
        const instance = (n: number) =>
          dispatcherWith(capture, { batchSize: 20, concurrency: 4, instanceId: `instance-${n}` }).pipe(
            Effect.flatMap((d) => d.drain),
            Effect.provide(info.connectAgain!)
          )
        const summaries = yield* Effect.all([instance(1), instance(2), instance(3)], { concurrency: "unbounded" })
        assert.strictEqual(
          summaries.reduce((n, s) => n + s.sent, 0),
          240
        )
        const ids = (yield* capture.messages).map((m) => m.id)
        assert.strictEqual(ids.length, 240)
        assert.strictEqual(new Set(ids).size, 240)
        assert.deepStrictEqual(new Set(ids), new Set(deliveries.map((d) => d.id)))
        const log = yield* Notify.emailLog().pipe(as(tenant))
        assert.isTrue(log.every((e) => e.status === "sent" && e.attempts === 1))
      })
    )
  }

  it.effect("an interrupted round records what was sent and hands the rest back without using an attempt", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("interrupt")
      yield* resetQueue
      const { deliveries } = yield* Notify.enqueue({
        template: findingRaised,
        params: params(),
        recipients: recipients(3)
      }).pipe(as(tenant))
      const secondStarted = yield* Deferred.make<void>()
      let calls = 0
      // Accepts the first message, then hangs on the second.
      const hanging: Transport.Service = {
        name: "hanging",
        send: () =>
          ++calls === 1
            ? Effect.succeed({ providerMessageId: "first" })
            : Effect.zipRight(Deferred.succeed(secondStarted, undefined), Effect.never)
      }
      const dispatcher = yield* dispatcherWith(hanging, { concurrency: 1 })
      const round = yield* Effect.fork(dispatcher.runOnce)
      yield* Deferred.await(secondStarted)
      yield* Fiber.interrupt(round)
      const log = yield* Notify.emailLog().pipe(as(tenant))
      assert.deepStrictEqual(
        log.map((e) => [e.id, e.status, e.attempts]),
        [
          [deliveries[0]!.id, "sent", 1],
          [deliveries[1]!.id, "queued", 0],
          [deliveries[2]!.id, "queued", 0]
        ]
      )
      const rows = yield* queueRows(target.dialect, tenant)
      assert.deepStrictEqual(
        rows.map((r) => r.claimed_by),
        [null, null, null]
      )
      // Handed back: another round takes them at once.
      const capture = yield* Transport.capture()
      assert.strictEqual((yield* (yield* dispatcherWith(capture)).runOnce).sent, 2)
    })
  )

  // ------------------------------------------------------------------ the background fiber

  it.effect("Dispatcher.layer runs a background fiber that sends what is enqueued and stops with its scope", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("background")
      yield* resetQueue
      const capture = yield* Transport.capture()
      const sent = Effect.map(capture.messages, (m) => m.length)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(
            Dispatcher.layer({ pollInterval: "1 second" }).pipe(Layer.provide(Transport.layer(capture)))
          )
          yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(3) }).pipe(
            as(tenant)
          )
          // Let the fiber poll: advance the test clock, then give real I/O a moment.
          for (let i = 0; i < 200 && (yield* sent) < 3; i++) {
            yield* TestClock.adjust("1 second")
            yield* TestServices.provideLive(Effect.sleep(Duration.millis(10)))
          }
          assert.strictEqual(yield* sent, 3)
        })
      )
      // Stopped: a later notification stays in the outbox.
      yield* Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(1) }).pipe(as(tenant))
      yield* TestClock.adjust("5 seconds")
      yield* TestServices.provideLive(Effect.sleep(Duration.millis(50)))
      assert.strictEqual(yield* sent, 3)
      assert.strictEqual((yield* Notify.emailLog({ status: "queued" }).pipe(as(tenant))).length, 1)
    })
  )

  it.effect("storage reports the dialect the suite runs on", () =>
    Effect.map(Storage.Storage, (s) => assert.strictEqual(s.dialect, target.dialect))
  )
}
