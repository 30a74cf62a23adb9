// Migration 0002 on a database that ran 0001 and holds messages in every state: the outbox's
// bodies and leases move into the email log, the outbox goes, and the dispatcher sends exactly the
// messages that were still pending, with their original bodies and Message-IDs.
import { Ids } from "@airworthy/core"
import { Migrations, Query } from "@airworthy/storage"
import { TestDatabase } from "@airworthy/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { Dispatcher, Notify, NotifyMigrations, Transport } from "../src/index.js"
import { as, p } from "./layers.js"

const t0 = Date.parse("2026-03-04T05:06:07.000Z")
const at = (offsetMs: number) => new Date(t0 + offsetMs).toISOString()
const tenant = "upgrade-mro"

const firstOnly = Migrations.make("@airworthy/notify", 40, [NotifyMigrations.migrations.migrations[0]!])

// [id, status, outbox done_at, claimed_by, claimed_until, attempts]
const legacy = [
  ["m-queued", "queued", null, null, null, 0],
  ["m-claimed", "queued", null, "crashed-instance", at(60_000), 0],
  ["m-failed", "failed", null, null, null, 2],
  ["m-sent", "sent", at(-5_000), null, null, 1],
  ["m-dead", "dead", at(-4_000), null, null, 8]
] as const

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(Notify.layer().pipe(Layer.provideMerge(Ids.layerTest(7)), Layer.provideMerge(target.layer)), {
      timeout: 60_000
    })("notify migration 0002_one_row_per_message", (it) => {
      it.effect("moves pending messages into the email log and the dispatcher sends exactly those", () =>
        Effect.gen(function* () {
          const d = target.dialect
          yield* TestClock.setTime(t0)
          yield* Migrations.run([firstOnly])
          for (const [id, status, doneAt, claimedBy, claimedUntil, attempts] of legacy) {
            yield* Query.unsafe(
              `INSERT INTO aw_notify_outbox (id, tenant_id, notification_id, template, to_address, to_name, subject, body_text, body_html, message_id, attempts, next_attempt_at, claimed_by, claimed_until, created_at, done_at)
               VALUES (${[...Array(16).keys()].map((i) => p(d, i + 1)).join(", ")})`,
              [
                id,
                tenant,
                "n-1",
                "finding.raised",
                `${id}@mro.example`,
                `Recipient ${id}`,
                `Subject ${id}`,
                `Text of ${id}`,
                `<p>HTML of ${id}</p>`,
                `<${id}@airworthy>`,
                attempts,
                at(-10_000),
                claimedBy,
                claimedUntil,
                at(-20_000),
                doneAt
              ]
            )
            yield* Query.unsafe(
              `INSERT INTO aw_notify_email_log (id, tenant_id, notification_id, recipient, recipient_name, subject, template, status, attempts, message_id, record_type, record_id, queued_at, sent_at, next_attempt_at)
               VALUES (${[...Array(15).keys()].map((i) => p(d, i + 1)).join(", ")})`,
              [
                id,
                tenant,
                "n-1",
                `${id}@mro.example`,
                `Recipient ${id}`,
                `Subject ${id}`,
                "finding.raised",
                status,
                attempts,
                `<${id}@airworthy>`,
                "finding",
                "f-1",
                at(-20_000),
                status === "sent" ? doneAt : null,
                doneAt === null ? at(-10_000) : null
              ]
            )
          }

          yield* Migrations.run([NotifyMigrations.migrations])

          // The outbox is gone; its bodies and leases are on the log rows.
          const gone = yield* Effect.flip(Query.unsafe("SELECT count(*) AS n FROM aw_notify_outbox"))
          assert.strictEqual(gone._tag, "StorageError")
          const moved = yield* Query.unsafe<{
            id: string
            body_text: string
            body_html: string
            claimed_by: string | null
            claimed_until: string | null
          }>("SELECT id, body_text, body_html, claimed_by, claimed_until FROM aw_notify_email_log ORDER BY id")
          assert.deepStrictEqual(
            moved.map((r) => [r.id, r.body_text, r.body_html, r.claimed_by, r.claimed_until]),
            [...legacy]
              .sort((a, b) => (a[0] < b[0] ? -1 : 1))
              .map(([id, , , by, until]) => [id, `Text of ${id}`, `<p>HTML of ${id}</p>`, by, until])
          )

          // Before the crashed instance's lease ends, only the unclaimed pending messages go.
          const capture = yield* Transport.capture()
          const dispatcher = yield* Dispatcher.make().pipe(Effect.provideService(Transport.Transport, capture))
          assert.strictEqual((yield* dispatcher.drain).sent, 2)
          yield* TestClock.adjust("61 seconds")
          assert.strictEqual((yield* dispatcher.drain).sent, 1)
          const sent = yield* capture.messages
          assert.deepStrictEqual(
            sent.map((m) => [m.messageId, m.to.address, m.subject, m.text, m.html]).sort(),
            ["m-claimed", "m-failed", "m-queued"].map((id) => [
              `<${id}@airworthy>`,
              `${id}@mro.example`,
              `Subject ${id}`,
              `Text of ${id}`,
              `<p>HTML of ${id}</p>`
            ])
          )
          const log = yield* Notify.emailLog({ recordType: "finding", recordId: "f-1" }).pipe(as(tenant))
          assert.deepStrictEqual(log.map((e) => [e.id, e.status, e.attempts]).sort(), [
            ["m-claimed", "sent", 1],
            ["m-dead", "dead", 8],
            ["m-failed", "sent", 3],
            ["m-queued", "sent", 1],
            ["m-sent", "sent", 1]
          ])
        })
      )
    })
  })
}
