// Notify.enqueueMany on every database in TestDatabase.targets(): the same rows as one enqueue per
// request, nothing written on rollback or on bad input, batches above the parameter limits.
import { Errors } from "@airworthy/core"
import { Query, type Storage } from "@airworthy/storage"
import { TestDatabase } from "@airworthy/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Exit, Schema, TestClock } from "effect"
import { Notify, Template } from "../src/index.js"
import { as, count, findingRaised, freshTenant, notifyLayer, p, params, recipients } from "./layers.js"

const t0 = Date.parse("2026-03-04T05:06:07.000Z")

const reminder = Template.make(
  {
    kind: "test.reminder",
    subject: ({ params }) => `Reminder: ${params.what}`,
    text: ({ params, recipient }) => `Dear ${recipient.name ?? recipient.email}, ${params.what}.`,
    html: ({ params }) => Template.html`<p>${params.what}</p>`
  },
  Schema.Struct({ what: Schema.NonEmptyTrimmedString })
)

const requests = (): ReadonlyArray<Notify.AnyEnqueueInput> => [
  Notify.request({
    template: findingRaised,
    params: params(1),
    recipients: [...recipients(2), { email: "TECH2@mro.example" }],
    record: { type: "finding", id: "f-1" }
  }),
  Notify.request({ template: reminder, params: { what: "Calibrate the wrench" }, recipients: recipients(1) }),
  // The same parameters and recipients again: rendered once, still its own notification and rows.
  Notify.request({ template: reminder, params: { what: "Calibrate the wrench" }, recipients: recipients(1) }),
  Notify.request({
    template: findingRaised,
    params: params(2, `Sealant "B" \\ {NULL}, expired`),
    recipients: recipients(3, "insp"),
    record: { type: "finding", id: "f-2" },
    notBefore: "2026-03-05T00:00:00Z"
  })
]

const rowsOf = (dialect: Storage.Dialect, table: string, tenantId: string) =>
  Query.unsafe<Record<string, unknown>>(`SELECT * FROM ${table} WHERE tenant_id = ${p(dialect, 1)} ORDER BY id`, [
    tenantId
  ])

/** Rows without their generated ids, notification ids numbered by first appearance. */
const normalise = (rows: ReadonlyArray<Record<string, unknown>>) => {
  const notifications = new Map<unknown, number>()
  return rows.map((r) => {
    assert.strictEqual(r.message_id, `<${r.id}@airworthy>`)
    if (!notifications.has(r.notification_id)) notifications.set(r.notification_id, notifications.size)
    const { id: _id, tenant_id: _tenant, message_id: _message, notification_id, ...rest } = r
    return { ...rest, attempts: Number(rest.attempts), notification: notifications.get(notification_id) }
  })
}

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(notifyLayer(target), { timeout: 60_000 })("notify enqueueMany", (it) => {
      it.effect("writes the same rows as one enqueue per request", () =>
        Effect.gen(function* () {
          yield* TestClock.setTime(t0)
          const single = freshTenant("many-single")
          const batch = freshTenant("many-batch")
          const one = yield* Effect.forEach(requests(), (r) => Notify.enqueue(r)).pipe(as(single))
          const many = yield* Notify.enqueueMany(requests()).pipe(as(batch))
          assert.deepStrictEqual(
            many.map((e) => [e.template, e.deliveries.map((d) => d.recipient)]),
            one.map((e) => [e.template, e.deliveries.map((d) => d.recipient)])
          )
          for (const e of many) for (const d of e.deliveries) assert.strictEqual(d.messageId, `<${d.id}@airworthy>`)
          const expected = normalise(yield* rowsOf(target.dialect, "aw_notify_email_log", single))
          const actual = normalise(yield* rowsOf(target.dialect, "aw_notify_email_log", batch))
          assert.strictEqual(actual.length, 7)
          assert.deepStrictEqual(actual, expected)
          const ids = (yield* rowsOf(target.dialect, "aw_notify_email_log", batch)).map((r) => r.id)
          assert.deepStrictEqual(
            ids,
            many.flatMap((e) => e.deliveries.map((d) => d.id))
          )
          const log = yield* Notify.emailLog({ notificationId: many[3]!.notificationId }).pipe(as(batch))
          assert.deepStrictEqual(
            log.map((l) => [l.recipient, l.recordId, l.nextAttemptAt]),
            [1, 2, 3].map((i) => [`insp${i}@mro.example`, "f-2", "2026-03-05T00:00:00.000Z"])
          )
          assert.deepStrictEqual(yield* Notify.enqueueMany([]).pipe(as(batch)), [])
        })
      )

      it.effect("joins the caller's transaction: a rollback writes nothing", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("many-rollback")
          const exit = yield* Query.transaction(
            Effect.zipRight(Notify.enqueueMany(requests()), Effect.fail("command failed" as const))
          ).pipe(as(tenant), Effect.exit)
          assert.isTrue(Exit.isFailure(exit))
          assert.strictEqual(yield* count(target.dialect, "aw_notify_email_log", tenant), 0)
        })
      )

      it.effect("bad input fails with ValidationFailed naming each bad request and field; nothing written", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("many-invalid")
          const error = yield* Notify.enqueueMany([
            ...requests(),
            Notify.request({
              template: findingRaised,
              params: { ...params(), ref: "nope" },
              recipients: recipients(1)
            }),
            Notify.request({ template: reminder, params: { what: "x" }, recipients: [{ email: "not an address" }] }),
            Notify.request({ template: reminder, params: { what: "x" }, recipients: [], notBefore: "soon" })
          ]).pipe(as(tenant), Effect.flip)
          assert.instanceOf(error, Errors.ValidationFailed)
          const paths = (error as Errors.ValidationFailed).issues.map((i) => i.path)
          assert.deepStrictEqual(paths, [
            "requests.4.params.ref",
            "requests.5.recipients.0.email",
            "requests.6.recipients",
            "requests.6.notBefore"
          ])
          assert.strictEqual(yield* count(target.dialect, "aw_notify_email_log", tenant), 0)
        })
      )

      it.effect("splits large batches under the parameter limits", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("many-large")
          const n = 4_500 // 4,500 rows × 15 columns is above both limits (32766 and 65535)
          const result = yield* Notify.enqueueMany(
            Array.from({ length: n }, (_, i) =>
              Notify.request({
                template: reminder,
                params: { what: `Step ${i}` },
                recipients: [{ email: `r${i}@mro.example` }],
                record: { type: "task", id: `t-${i}` }
              })
            )
          ).pipe(as(tenant))
          assert.strictEqual(result.length, n)
          assert.strictEqual(yield* count(target.dialect, "aw_notify_email_log", tenant), n)
          const last = yield* Notify.emailLog({ recordType: "task", recordId: `t-${n - 1}` }).pipe(as(tenant))
          assert.deepStrictEqual(
            last.map((l) => [l.recipient, l.subject]),
            [[`r${n - 1}@mro.example`, `Reminder: Step ${n - 1}`]]
          )
        })
      )
    })
  })
}
