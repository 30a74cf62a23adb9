// The QMS on PostgreSQL with row-level security on, as a role that is neither a superuser nor the
// bypasser: commands, rules, the sweeper, the outbox dispatcher and checkpoints still work for two
// tenants, and a statement that forgets its tenant filter sees only the tenant of its transaction.
import { AuditLog, TreeHead } from "@airworthy/audit"
import { Actor, Ids } from "@airworthy/core"
import { Dispatcher, Transport } from "@airworthy/notify"
import { Records } from "@airworthy/records"
import { Query, RowLevelSecurity, Storage } from "@airworthy/storage"
import { Sweeper, Tasks } from "@airworthy/tasks"
import { TestDatabase } from "@airworthy/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Exit, Layer, TestClock } from "effect"
import { Capa, Findings, Qms } from "../src/index.js"
import { as, people, staff } from "./layers.js"

const start = Date.parse("2026-03-02T08:00:00.000Z")
const day = 86_400_000
const [postgres] = (await TestDatabase.targets({ sqliteFile: false })).filter((t) => t.dialect === "pg")
const capture = Effect.runSync(Transport.capture())
const qms = Qms.layer({ signingKey: TreeHead.generateKey(), ids: Ids.layerTest(41) }).pipe(
  Layer.provideMerge(TestDatabase.postgresRowLevelSecurity)
)
const services = Layer.merge(
  qms,
  Dispatcher.layerManual().pipe(Layer.provide(Transport.layer(capture)), Layer.provide(qms))
)

/** Unfiltered: every row the transaction's tenant may see, as `tenant_id` values. */
const tenantsIn = (table: string) =>
  Effect.map(Query.unsafe<{ tenant_id: string }>(`SELECT tenant_id FROM ${table}`), (rows) =>
    [...new Set(rows.map((r) => r.tenant_id))].sort()
  )
const count = (table: string) =>
  Effect.map(Query.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`), (rows) => rows[0]?.n ?? -1)

describe.skipIf(postgres?.skip ?? true)("postgres, row-level security on, as a non-superuser", () => {
  layer(services, { timeout: 60_000 })((it) => {
    it.effect("two tenants' findings, CAPAs, tasks, emails and audit chains; no statement crosses", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(start)
        assert.isFalse(yield* RowLevelSecurity.bypassed)
        assert.isTrue((yield* Storage.Storage).rowLevelSecurity)
        const tables = yield* RowLevelSecurity.tables
        assert.isAbove(tables.length, 15)
        assert.deepStrictEqual(
          tables.filter((t) => !(t.enabled && t.forced && t.policy)).map((t) => t.table),
          [],
          "every aw_ tenant table is covered"
        )

        const a = people("rls-tenant-a")
        const b = people("rls-tenant-b")
        yield* staff("rls-tenant-a")
        yield* staff("rls-tenant-b")
        const raise = (p: typeof a) =>
          Effect.gen(function* () {
            const finding = yield* Findings.raiseFinding({
              title: "TW-114 used past its calibration date",
              level: "2",
              requirement: "145.A.40",
              ownerId: "u-olive"
            }).pipe(as(p.auditor))
            const { capa } = yield* Capa.raiseCapaFromFinding(finding.id).pipe(as(p.quality))
            return { finding, capa }
          })
        const inA = yield* raise(a)
        const inB = yield* raise(b)

        // Each tenant reads its own, and another tenant's id is simply not found.
        assert.strictEqual((yield* Records.get(inA.finding.id).pipe(as(a.quality))).id, inA.finding.id)
        const crossed = yield* Effect.exit(Records.get(inB.finding.id).pipe(as(a.quality)))
        assert.isTrue(Exit.isFailure(crossed))
        assert.match(String(Exit.isFailure(crossed) ? crossed.cause : ""), /NotFound/)
        const tasksA = yield* Tasks.mine().pipe(as(a.owner))
        assert.isTrue(tasksA.length > 0 && tasksA.every((t) => t.tenantId === "rls-tenant-a"))

        // Background work over every tenant: the dispatcher sends both tenants' emails ...
        yield* capture.clear
        const sent = yield* Dispatcher.drain
        assert.isAtLeast(sent.sent, 2)
        const subjects = (yield* capture.messages).map((m) => m.subject)
        assert.isTrue(subjects.some((s) => s.includes(inA.finding.ref)))
        assert.isTrue(subjects.some((s) => s.includes(inB.finding.ref)))
        // ... the sweeper performs both tenants' overdue reminders ...
        yield* TestClock.adjust(100 * day)
        const swept = yield* Sweeper.runOnce()
        assert.isAbove(swept.performed, 1)
        const escalated = yield* RowLevelSecurity.acrossTenants(
          Query.unsafe<{ tenant_id: string }>(
            "SELECT DISTINCT tenant_id FROM aw_task_escalations WHERE state = 'done' ORDER BY tenant_id"
          )
        )
        assert.deepStrictEqual(
          escalated.map((r) => r.tenant_id),
          ["rls-tenant-a", "rls-tenant-b"]
        )
        // ... and checkpoints are signed for both; each chain verifies.
        const due = yield* AuditLog.checkpointDue()
        assert.deepStrictEqual([...due.signed].sort(), ["rls-tenant-a", "rls-tenant-b"])
        for (const tenant of ["rls-tenant-a", "rls-tenant-b"]) {
          const verified = yield* AuditLog.verify(tenant)
          assert.isTrue(verified.ok, tenant)
          assert.isAbove(verified.events, 3)
          assert.strictEqual(verified.checkpoints, 1)
        }

        // The statement that forgot its tenant filter, in a transaction of tenant A: A's rows only.
        const covered = ["aw_records", "aw_audit_events", "aw_tasks", "aw_notify_email_log", "aw_record_links"]
        const seenByA = yield* RowLevelSecurity.withTenant("rls-tenant-a")(
          Query.transaction(Effect.forEach(covered, tenantsIn))
        )
        assert.deepStrictEqual(
          seenByA,
          covered.map(() => ["rls-tenant-a"])
        )
        // As B's actor, outside any explicit transaction: B's rows only.
        const seenByB = yield* Actor.withActor(Effect.forEach(covered, tenantsIn), b.quality)
        assert.deepStrictEqual(
          seenByB,
          covered.map(() => ["rls-tenant-b"])
        )
        // No tenant at all: nothing.
        assert.deepStrictEqual(
          yield* Effect.forEach(covered, count),
          covered.map(() => 0)
        )
        // Every tenant (the background jobs' scope): both.
        assert.deepStrictEqual(yield* RowLevelSecurity.acrossTenants(tenantsIn("aw_records")), [
          "rls-tenant-a",
          "rls-tenant-b"
        ])
      })
    )
  })
})
