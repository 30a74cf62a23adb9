// Templates, actors and layers shared by the notify suites.
import { Actor, Ids } from "@airworthy/core"
import { Migrations, Query, type Storage, type StorageError } from "@airworthy/storage"
import { type TestDatabase, TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { Notify, NotifyMigrations, Template, type Transport } from "../src/index.js"

export const findingRaised = Template.make(
  {
    kind: "finding.raised",
    subject: ({ params }) => `Finding ${params.ref} raised: ${params.title}`,
    text: ({ params, recipient, record }) =>
      [
        `Dear ${recipient.name ?? recipient.email},`,
        "",
        `Finding ${params.ref} (level ${params.level}) was raised: ${params.title}.`,
        `Response due ${params.dueAt}.`,
        record ? `Record: ${record.type}/${record.id}` : ""
      ].join("\n"),
    html: ({ params, recipient }) =>
      Template.html`<p>Dear ${recipient.name ?? recipient.email},</p><p>Finding <b>${params.ref}</b> (level ${params.level}) was raised: ${params.title}.</p><ul>${params.actions.map((a) => Template.html`<li>${a}</li>`)}</ul>`
  },
  Schema.Struct({
    ref: Schema.String.pipe(Schema.pattern(/^FND-\d{4}$/)),
    title: Schema.NonEmptyTrimmedString,
    level: Schema.Literal("1", "2", "observation"),
    dueAt: Schema.String,
    actions: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] })
  })
)

export const params = (n = 42, title = "Torque wrench calibration overdue") => ({
  ref: `FND-${String(n).padStart(4, "0")}`,
  title,
  level: "2" as const,
  dueAt: "2026-05-01",
  actions: ["Quarantine the wrench", "Check tools calibrated by the same lab"]
})

export const migrate = Layer.effectDiscard(Effect.orDie(Migrations.run([NotifyMigrations.migrations])))

type Db = Storage.Storage | SqlClient.SqlClient

export const notifyLayer = (
  target: TestDatabase.Target
): Layer.Layer<Notify.Notify | Ids.Ids | Db | TestDatabase.TestDatabaseInfo, StorageError.StorageError> =>
  Notify.layer().pipe(
    Layer.provideMerge(migrate),
    Layer.provideMerge(Ids.layerTest(5)),
    Layer.provideMerge(target.layer)
  )

/** A tenant no other test uses (the suites share one database per target). */
export const freshTenant = TestKit.freshTenant

export const actor = (tenantId: string) =>
  Actor.make({
    tenantId,
    actorId: "u-quality",
    displayName: "Quinn Quality",
    roles: ["quality_manager"],
    traceId: "trace-notify-1"
  })

export const as =
  (tenantId: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Actor.withActor(self, actor(tenantId))

/** `$1` on PostgreSQL, `?` on SQLite. */
export const p = TestKit.param

export const count = TestKit.countRows

interface QueueState {
  readonly id: string
  readonly status: string
  readonly attempts: number | string
  readonly next_attempt_at: string
  readonly claimed_by: string | null
  readonly claimed_until: string | null
}

/** The queue columns of a tenant's email-log rows. */
export const queueRows = (
  dialect: Storage.Dialect,
  tenantId: string
): Effect.Effect<ReadonlyArray<QueueState>, StorageError.StorageError, Db> =>
  Query.unsafe<QueueState>(
    `SELECT id, status, attempts, next_attempt_at, claimed_by, claimed_until FROM aw_notify_email_log WHERE tenant_id = ${p(dialect, 1)} ORDER BY id`,
    [tenantId]
  )

/**
 * Puts off (to 9999) whatever other tests left pending, so a dispatcher only sees this test's rows (the
 * suites share one database per target, and each test has its own TestClock).
 */
export const resetQueue: Effect.Effect<unknown, StorageError.StorageError, Db> = Query.unsafe(
  "UPDATE aw_notify_email_log SET next_attempt_at = '9999-12-31T00:00:00.000Z', claimed_by = NULL, claimed_until = NULL WHERE status IN ('queued', 'failed')"
)

export const recipients = (n: number, label = "tech") =>
  Array.from({ length: n }, (_, i) => ({ email: `${label}${i + 1}@mro.example`, name: `Technician ${i + 1}` }))

export const smtpOptions = (port: number): Transport.SmtpOptions => ({
  host: "127.0.0.1",
  port,
  secure: false,
  from: "Airworthy QMS <qms@mro.example>",
  connectionTimeoutMs: 5_000,
  socketTimeoutMs: 10_000
})
