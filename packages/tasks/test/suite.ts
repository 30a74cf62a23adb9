// The tasks suite, written once; tasks.test.ts runs it on every database in TestDatabase.targets().
import { AuditLog } from "@airworthy/audit"
import { Errors } from "@airworthy/core"
import { Query, type Storage } from "@airworthy/storage"
import { TestDatabase, type TestKit } from "@airworthy/testing"
import { assert } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import { DuePolicy, Ladder, Sweeper, Tasks } from "../src/index.js"
import { as, freshTenant, people, scalar, staff, sweeperLayer, type tasksLayer } from "./layers.js"

type It = TestKit.It<Layer.Layer.Success<ReturnType<typeof tasksLayer>>>

const base = Date.parse("2026-03-02T08:00:00.000Z")
const hours = (n: number) => n * 3_600_000
const at = (ms: number) => new Date(ms).toISOString()

export const tasksSuite = (it: It, target: TestDatabase.Target) => {
  const d: Storage.Dialect = target.dialect
  const count = (sql: string, ...params: ReadonlyArray<unknown>) => scalar(d, sql, params)
  const steps = (tenantId: string, state: string) =>
    count("SELECT count(*) AS n FROM aw_task_escalations WHERE tenant_id = ? AND state = ?", tenantId, state)
  const events = (tenantId: string, action: string) =>
    count("SELECT count(*) AS n FROM aw_audit_events WHERE tenant_id = ? AND action = ?", tenantId, action)
  const outbox = (tenantId: string) =>
    count("SELECT count(*) AS n FROM aw_notify_email_log WHERE tenant_id = ?", tenantId)

  it.effect("creates a task with its links, ladder steps and audit event; get, mine and byRecord find it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("create")
      const { quality, owner } = people(tenant)
      const task = yield* Tasks.create({
        kind: "capa_action",
        title: "Replace the torque wrench",
        records: [{ type: "finding", id: "f-1" }],
        assigneeId: "u-owner",
        dueAt: at(base + hours(72))
      }).pipe(as(quality))
      assert.strictEqual(task.status, "open")
      assert.strictEqual(task.ownerId, "u-quality")
      assert.strictEqual(task.assigneeId, "u-owner")
      assert.strictEqual(task.escalationLevel, 0)
      assert.deepStrictEqual(task.records, [{ type: "finding", id: "f-1" }])
      // Due in 72 h: every step of the default ladder (48 h and 24 h reminders, due, two escalations).
      assert.strictEqual(yield* steps(tenant, "pending"), Ladder.defaults.length)
      assert.strictEqual(yield* events(tenant, "task.created"), 1)
      const again = yield* Tasks.get(task.id).pipe(as(owner))
      assert.deepStrictEqual(again, task)
      const mine = yield* Tasks.mine().pipe(as(owner))
      assert.deepStrictEqual(
        mine.map((t) => t.id),
        [task.id]
      )
      const linked = yield* Tasks.byRecord({ type: "finding", id: "f-1" }).pipe(as(owner))
      assert.deepStrictEqual(
        linked.map((t) => t.id),
        [task.id]
      )
      // Another tenant's task is not found.
      const other = people(freshTenant("create-other")).quality
      const missing = yield* Effect.flip(Tasks.get(task.id).pipe(as(other)))
      assert.instanceOf(missing, Errors.NotFound)
    })
  )

  it.effect("assign, start and complete are audited; closed tasks refuse changes and skip their ladder", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("life")
      const { quality, owner, technician } = people(tenant)
      const task = yield* Tasks.create({
        kind: "capa_action",
        title: "Quarantine the lot",
        dueAt: at(base + hours(24))
      }).pipe(as(quality))
      const assigned = yield* Tasks.assign({ id: task.id, assigneeId: "u-tech", reason: "Toni is on shift" }).pipe(
        as(quality)
      )
      assert.strictEqual(assigned.assigneeId, "u-tech")
      const forbidden = yield* Effect.flip(Tasks.assign({ id: task.id, assigneeId: "u-owner" }).pipe(as(technician)))
      assert.instanceOf(forbidden, Errors.Forbidden)
      assert.strictEqual((forbidden as Errors.Forbidden).missing_permission, "task.assign")
      const started = yield* Tasks.start({ id: task.id }).pipe(as(technician))
      assert.strictEqual(started.status, "in_progress")
      yield* TestClock.adjust(hours(1))
      const done = yield* Tasks.complete({ id: task.id }).pipe(as(technician))
      assert.strictEqual(done.status, "done")
      assert.strictEqual(done.closedBy, "u-tech")
      assert.strictEqual(done.closedAt, at(base + hours(1)))
      const again = yield* Effect.flip(Tasks.complete({ id: task.id }).pipe(as(owner)))
      assert.instanceOf(again, Errors.InvalidTransition)
      const cancel = yield* Effect.flip(Tasks.cancel({ id: task.id }).pipe(as(quality)))
      assert.instanceOf(cancel, Errors.InvalidTransition)
      assert.strictEqual(yield* steps(tenant, "pending"), 0)
      const page = yield* AuditLog.query({ record: { type: "task", id: task.id }, order: "asc" }).pipe(as(quality))
      assert.deepStrictEqual(
        page.events.map((e) => e.action),
        ["task.created", "task.assigned", "task.started", "task.completed"]
      )
      // A closed task's steps never fire.
      yield* TestClock.adjust(hours(24 * 30))
      yield* Sweeper.runOnce()
      assert.strictEqual(yield* steps(tenant, "done"), 0)
      assert.strictEqual(yield* outbox(tenant), 0)
    })
  )

  it.effect("rejects bad input with every field path and a technician's create with Forbidden", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("invalid")
      const { quality, technician } = people(tenant)
      const bad = yield* Effect.flip(
        Tasks.create({ kind: "Not A Kind", title: " ", dueAt: "tomorrow" }).pipe(as(quality))
      )
      assert.instanceOf(bad, Errors.ValidationFailed)
      assert.includeMembers(
        (bad as Errors.ValidationFailed).issues.map((i) => i.path),
        ["kind", "title", "dueAt"]
      )
      const forbidden = yield* Effect.flip(Tasks.create({ kind: "capa_action", title: "x" }).pipe(as(technician)))
      assert.instanceOf(forbidden, Errors.Forbidden)
      assert.strictEqual(yield* count("SELECT count(*) AS n FROM aw_tasks WHERE tenant_id = ?", tenant), 0)
    })
  )

  it.effect("due dates come from the regulatory defaults unless the tenant overrides them", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("due")
      const { quality } = people(tenant)
      const report = yield* Tasks.create({ kind: "occurrence_report", title: "Report bird strike" }).pipe(as(quality))
      assert.strictEqual(report.dueAt, at(base + hours(72)))
      const level1 = yield* Tasks.create({ kind: "finding_level_1", title: "Stop using the stand" }).pipe(as(quality))
      assert.strictEqual(level1.dueAt, at(base + hours(24)))
      const level2 = yield* Tasks.create({ kind: "finding_level_2", title: "Fix the tool store" }).pipe(as(quality))
      assert.strictEqual(level2.dueAt, at(base + hours(90 * 24)))
      const none = yield* Tasks.create({ kind: "capa_action", title: "No policy" }).pipe(as(quality))
      assert.isNull(none.dueAt)
      yield* DuePolicy.set({ kind: "finding_level_2", hours: 60 * 24, source: "Exposition 2.18: 60 days" }).pipe(
        as(quality)
      )
      const shorter = yield* Tasks.create({ kind: "finding_level_2", title: "Fix the hangar door" }).pipe(as(quality))
      assert.strictEqual(shorter.dueAt, at(base + hours(60 * 24)))
      const resolved = yield* DuePolicy.resolve(tenant, "finding_level_2")
      assert.strictEqual(Option.getOrThrow(resolved).source, "Exposition 2.18: 60 days")
      // Another tenant keeps the default.
      const other = yield* DuePolicy.resolve(freshTenant("due-other"), "finding_level_2")
      assert.strictEqual(Option.getOrThrow(other).hours, 90 * 24)
      assert.strictEqual(yield* events(tenant, "task.due_policy_set"), 1)
      const forbidden = yield* Effect.flip(
        DuePolicy.set({ kind: "finding_level_2", hours: 1, source: "x" }).pipe(as(people(tenant).technician))
      )
      assert.instanceOf(forbidden, Errors.Forbidden)
    })
  )

  // On SQLite the open tasks are read after the claim (PostgreSQL joins them into it): a failure
  // there must stop the lease renewal, or the claims would be held for ever.
  if (d === "sqlite") {
    it.effect("a sweep that fails after claiming stops renewing its claims", () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(base)
        const tenant = freshTenant("leak")
        yield* Tasks.create({
          kind: "capa_action",
          title: "Lease",
          ownerId: "u-owner",
          dueAt: at(base + hours(1))
        }).pipe(as(people(tenant).quality))
        yield* TestClock.adjust(hours(2))
        const leases = () =>
          Query.unsafe<{ step_index: number; lease_until: string | null }>(
            "SELECT step_index, lease_until FROM aw_task_escalations WHERE tenant_id = ? AND claimed_by IS NOT NULL ORDER BY step_index",
            [tenant]
          )
        const failed = yield* Effect.exit(
          Effect.acquireUseRelease(
            Query.unsafe("ALTER TABLE aw_tasks RENAME TO aw_tasks_away"),
            () => Sweeper.runOnce({ leaseMillis: 3_000 }),
            () => Effect.orDie(Query.unsafe("ALTER TABLE aw_tasks_away RENAME TO aw_tasks"))
          )
        )
        assert.strictEqual(failed._tag, "Failure")
        const claimed = yield* leases()
        assert.isAbove(claimed.length, 0)
        // Renewal runs every lease/3: a leaked renewer would have moved lease_until by now.
        for (let i = 0; i < 5; i++) yield* TestClock.adjust(1_000)
        assert.deepStrictEqual(yield* leases(), claimed)
      })
    )
  }

  it.effect("update moves the steps not performed yet by the ladder's offsets, and audits it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("update")
      const { quality, owner } = people(tenant)
      yield* staff(tenant)
      const due = base + hours(72)
      const task = yield* Tasks.create({
        kind: "capa_action",
        title: "Calibrate the wrench",
        ownerId: "u-owner",
        dueAt: at(due)
      }).pipe(as(quality))
      yield* TestClock.adjust(hours(25)) // the 48 h reminder is performed
      yield* Sweeper.runOnce()
      assert.strictEqual(yield* steps(tenant, "done"), 1)
      // A sweeper holds a live claim on the due step: it keeps its time.
      yield* Query.unsafe(
        `UPDATE aw_task_escalations SET claimed_by = 'busy/1', lease_until = ${d === "pg" ? "$1" : "?"} WHERE tenant_id = ${d === "pg" ? "$2" : "?"} AND name = 'due'`,
        [at(base + hours(25) + 30_000), tenant]
      )
      const newDue = due + hours(24 * 10)
      const updated = yield* Tasks.update({
        id: task.id,
        dueAt: at(newDue),
        priority: "high",
        reason: "Spare wrench on back-order; extension agreed with the quality manager"
      }).pipe(as(quality))
      assert.strictEqual(updated.dueAt, at(newDue))
      assert.strictEqual(updated.priority, "high")
      assert.strictEqual(updated.title, "Calibrate the wrench")
      assert.strictEqual(updated.escalationLevel, 0)
      const ladder = yield* Query.unsafe<{ name: string; due_at: string; state: string; claimed_by: string | null }>(
        `SELECT name, due_at, state, claimed_by FROM aw_task_escalations WHERE tenant_id = ${d === "pg" ? "$1" : "?"} ORDER BY step_index`,
        [tenant]
      )
      assert.deepStrictEqual(
        ladder.map((r) => [r.name, r.due_at, r.state, r.claimed_by]),
        [
          ["reminder_48h", at(due - hours(48)), "done", ladder[0]!.claimed_by],
          ["reminder_24h", at(newDue - hours(24)), "pending", null],
          ["due", at(due), "pending", "busy/1"],
          ["supervisor", at(newDue + hours(48)), "pending", null],
          ["quality_manager", at(newDue + hours(7 * 24)), "pending", null]
        ]
      )
      const page = yield* AuditLog.query({ record: { type: "task", id: task.id }, order: "asc" }).pipe(as(quality))
      const event = page.events.find((e) => e.action === "task.updated")!
      assert.strictEqual(event.reason, "Spare wrench on back-order; extension agreed with the quality manager")
      const before = event.before as { dueAt: string; priority: string }
      const after = event.after as { dueAt: string; priority: string; ladder: ReadonlyArray<{ name: string }> }
      assert.deepStrictEqual([before.dueAt, before.priority], [at(due), "normal"])
      assert.deepStrictEqual([after.dueAt, after.priority], [at(newDue), "high"])
      assert.strictEqual(after.ladder.length, 5)
      // At the old supervisor time only the claimed due step (its lease long expired) is performed.
      yield* TestClock.setTime(due + hours(49))
      yield* Sweeper.runOnce()
      assert.strictEqual(yield* steps(tenant, "done"), 2)
      assert.strictEqual((yield* Tasks.get(task.id).pipe(as(owner))).escalationLevel, 1)
      // A title change needs no reason and leaves the ladder alone.
      const renamed = yield* Tasks.update({ id: task.id, title: "Calibrate both wrenches" }).pipe(as(quality))
      assert.strictEqual(renamed.title, "Calibrate both wrenches")
      assert.strictEqual(yield* events(tenant, "task.updated"), 2)
      assert.strictEqual(yield* steps(tenant, "pending"), 3)
    })
  )

  it.effect("update: moving the due date needs a reason; bad input and a technician are refused", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("update-reason")
      const { quality, technician } = people(tenant)
      const task = yield* Tasks.create({ kind: "capa_action", title: "Fix", dueAt: at(base + hours(72)) }).pipe(
        as(quality)
      )
      const dueStep = () =>
        count(
          "SELECT count(*) AS n FROM aw_task_escalations WHERE tenant_id = ? AND name = 'due' AND due_at = ?",
          tenant,
          at(base + hours(72))
        )
      const noReason = yield* Effect.flip(Tasks.update({ id: task.id, dueAt: at(base + hours(96)) }).pipe(as(quality)))
      assert.instanceOf(noReason, Errors.ValidationFailed)
      assert.deepStrictEqual(
        (noReason as Errors.ValidationFailed).issues.map((i) => i.path),
        ["reason"]
      )
      // Nothing was written: the due date, its steps and the audit trail are as they were.
      assert.strictEqual((yield* Tasks.get(task.id).pipe(as(quality))).dueAt, at(base + hours(72)))
      assert.strictEqual(yield* dueStep(), 1)
      assert.strictEqual(yield* events(tenant, "task.updated"), 0)
      // The same due date is no move: no reason needed.
      const same = yield* Tasks.update({ id: task.id, dueAt: at(base + hours(72)), priority: "low" }).pipe(as(quality))
      assert.strictEqual(same.priority, "low")
      const bad = yield* Effect.flip(
        Tasks.update({ id: task.id, priority: "asap" as never, dueAt: "soon", reason: " " }).pipe(as(quality))
      )
      assert.instanceOf(bad, Errors.ValidationFailed)
      assert.includeMembers(
        (bad as Errors.ValidationFailed).issues.map((i) => i.path),
        ["priority", "dueAt", "reason"]
      )
      const empty = yield* Effect.flip(Tasks.update({ id: task.id }).pipe(as(quality)))
      assert.instanceOf(empty, Errors.ValidationFailed)
      const forbidden = yield* Effect.flip(Tasks.update({ id: task.id, title: "Mine now" }).pipe(as(technician)))
      assert.instanceOf(forbidden, Errors.Forbidden)
      assert.strictEqual((forbidden as Errors.Forbidden).missing_permission, "task.update")
      assert.strictEqual(yield* events(tenant, "task.updated"), 1)
    })
  )

  it.effect("update refuses a closed task and another tenant's task, writing nothing", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("update-closed")
      const { quality } = people(tenant)
      const task = yield* Tasks.create({ kind: "capa_action", title: "Done soon", dueAt: at(base + hours(72)) }).pipe(
        as(quality)
      )
      yield* TestClock.adjust(hours(1))
      const done = yield* Tasks.complete({ id: task.id }).pipe(as(quality))
      const snapshot = () =>
        Query.unsafe<{ due_at: string; state: string }>(
          `SELECT due_at, state FROM aw_task_escalations WHERE tenant_id = ${d === "pg" ? "$1" : "?"} ORDER BY step_index`,
          [tenant]
        )
      const ladderBefore = yield* snapshot()
      yield* TestClock.adjust(hours(1))
      const closed = yield* Effect.flip(
        Tasks.update({ id: task.id, dueAt: at(base + hours(200)), title: "Reopened?", reason: "late" }).pipe(
          as(quality)
        )
      )
      assert.instanceOf(closed, Errors.InvalidTransition)
      assert.strictEqual((closed as Errors.InvalidTransition).state, "done")
      assert.deepStrictEqual(yield* Tasks.get(task.id).pipe(as(quality)), done)
      assert.deepStrictEqual(yield* snapshot(), ladderBefore)
      assert.strictEqual(yield* events(tenant, "task.updated"), 0)
      // Another tenant's quality manager does not find the task, and changes nothing.
      const open = yield* Tasks.create({ kind: "capa_action", title: "Open", dueAt: at(base + hours(72)) }).pipe(
        as(quality)
      )
      const other = people(freshTenant("update-other")).quality
      const missing = yield* Effect.flip(
        Tasks.update({ id: open.id, dueAt: at(base + hours(500)), reason: "mine" }).pipe(as(other))
      )
      assert.instanceOf(missing, Errors.NotFound)
      assert.deepStrictEqual(yield* Tasks.get(open.id).pipe(as(quality)), open)
      assert.strictEqual(
        yield* count(
          "SELECT count(*) AS n FROM aw_audit_events WHERE action = 'task.updated' AND record_id = ?",
          open.id
        ),
        0
      )
    })
  )

  it.effect(
    "Tasks.layer({ duePolicies }) sets the defaults DuePolicy.resolve and create use; tenants still override",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(base)
        const tenant = freshTenant("due-config")
        const { quality } = people(tenant)
        const configured = Tasks.layer({
          duePolicies: { capa_action: { kind: "capa_action", hours: 10 * 24, source: "Exposition 3.4: 10 days" } }
        })
        const program = Effect.gen(function* () {
          const resolved = yield* DuePolicy.resolve(tenant, "capa_action")
          assert.strictEqual(Option.getOrThrow(resolved).hours, 10 * 24)
          const capa = yield* Tasks.create({ kind: "capa_action", title: "Configured" }).pipe(as(quality))
          assert.strictEqual(capa.dueAt, at(base + hours(10 * 24)))
          // The regulatory defaults of the other kinds stay.
          const report = yield* Tasks.create({ kind: "occurrence_report", title: "Report" }).pipe(as(quality))
          assert.strictEqual(report.dueAt, at(base + hours(72)))
          yield* DuePolicy.set({ kind: "capa_action", hours: 5 * 24, source: "Tenant: 5 days" }).pipe(as(quality))
          const overridden = yield* Tasks.create({ kind: "capa_action", title: "Overridden" }).pipe(as(quality))
          assert.strictEqual(overridden.dueAt, at(base + hours(5 * 24)))
          assert.strictEqual(Option.getOrThrow(yield* DuePolicy.resolve(tenant, "capa_action")).hours, 5 * 24)
          const page = yield* AuditLog.query({ record: { type: "task_due_policy", id: "capa_action" } }).pipe(
            as(quality)
          )
          assert.deepStrictEqual(page.events[0]!.before, { hours: 10 * 24, source: "Exposition 3.4: 10 days" })
        })
        yield* Effect.provide(program, configured)
        // Without that configuration the kind has no policy.
        assert.isTrue(Option.isNone(yield* DuePolicy.resolve(freshTenant("due-config-none"), "capa_action")))
      })
  )

  it.effect("the sweeper performs each step at its time, once, to the right people", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("ladder")
      const { quality } = people(tenant)
      yield* staff(tenant)
      const task = yield* Tasks.create({
        kind: "capa_action",
        title: "Calibrate the wrench",
        ownerId: "u-owner",
        dueAt: at(base + hours(72))
      }).pipe(as(quality))
      const recipients = () =>
        Query.unsafe<{ to_address: string; template: string }>(
          `SELECT recipient AS to_address, template FROM aw_notify_email_log WHERE tenant_id = ${d === "pg" ? "$1" : "?"} ORDER BY queued_at, recipient`,
          [tenant]
        ).pipe(Effect.map((rows) => rows.map((r) => `${r.template}:${r.to_address}`)))
      yield* Sweeper.runOnce()
      assert.strictEqual(yield* steps(tenant, "done"), 0)
      yield* TestClock.adjust(hours(24)) // 48 h before due
      yield* Sweeper.runOnce()
      yield* Sweeper.runOnce()
      assert.strictEqual(yield* steps(tenant, "done"), 1)
      assert.deepStrictEqual(yield* recipients(), ["task.reminder:olive@mro.example"])
      yield* TestClock.adjust(hours(48)) // due: owner (and assignee, the same person) + the 24 h reminder
      yield* Sweeper.runOnce()
      assert.strictEqual(yield* steps(tenant, "done"), 3)
      assert.strictEqual((yield* Tasks.get(task.id).pipe(as(quality))).escalationLevel, 1)
      yield* TestClock.adjust(hours(48)) // 2 days overdue: the owner's supervisor
      yield* Sweeper.runOnce()
      assert.strictEqual((yield* Tasks.get(task.id).pipe(as(quality))).escalationLevel, 2)
      yield* TestClock.adjust(hours(24 * 5)) // 7 days overdue: the quality manager
      yield* Sweeper.runOnce()
      yield* Sweeper.runOnce()
      assert.strictEqual((yield* Tasks.get(task.id).pipe(as(quality))).escalationLevel, 3)
      assert.deepStrictEqual(yield* recipients(), [
        "task.reminder:olive@mro.example",
        "task.reminder:olive@mro.example",
        "task.reminder:olive@mro.example",
        "task.escalated:sam@mro.example",
        "task.escalated:quinn@mro.example"
      ])
      assert.strictEqual(yield* events(tenant, "task.reminded"), 3)
      assert.strictEqual(yield* events(tenant, "task.escalated"), 2)
      assert.strictEqual(yield* steps(tenant, "done"), 5)
    })
  )

  it.effect("after downtime one sweep catches up on every missed step, each once", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("catchup")
      const { quality } = people(tenant)
      yield* staff(tenant)
      const ids: Array<string> = []
      for (let i = 0; i < 7; i++)
        ids.push(
          (yield* Tasks.create({
            kind: "capa_action",
            title: `Action ${i}`,
            ownerId: "u-owner",
            dueAt: at(base + hours(72 + i))
          }).pipe(as(quality))).id
        )
      yield* TestClock.adjust(hours(24 * 30))
      yield* Sweeper.runOnce({ batchSize: 4 }) // several batches in one sweep
      assert.strictEqual(yield* steps(tenant, "done"), 7 * 5)
      assert.strictEqual(yield* steps(tenant, "pending"), 0)
      assert.strictEqual((yield* events(tenant, "task.reminded")) + (yield* events(tenant, "task.escalated")), 35)
      assert.strictEqual(yield* outbox(tenant), 35)
      for (const id of ids) assert.strictEqual((yield* Tasks.get(id).pipe(as(quality))).escalationLevel, 3)
      yield* TestClock.adjust(hours(24 * 30))
      yield* Sweeper.runOnce()
      assert.strictEqual(yield* outbox(tenant), 35)
    })
  )

  // A claim sets `claimed_by` and `lease_until` and leaves the step `pending`; rows claimed before
  // that (state `claimed`) are still honoured and taken over.
  for (const claimedState of ["pending", "claimed"] as const)
    it.effect(`a claim (state ${claimedState}) whose lease expired is taken over and performed once`, () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(base)
        const tenant = freshTenant(`lease-${claimedState}`)
        const { quality } = people(tenant)
        yield* staff(tenant)
        yield* Tasks.create({
          kind: "capa_action",
          title: "Crashed",
          ownerId: "u-owner",
          dueAt: at(base + hours(1))
        }).pipe(as(quality))
        yield* TestClock.adjust(hours(2))
        // A sweeper claimed the due step and crashed: its lease runs 30 s more.
        yield* Query.unsafe(
          `UPDATE aw_task_escalations SET state = '${claimedState}', claimed_by = 'dead-sweeper/1', lease_until = ${d === "pg" ? "$1" : "?"} WHERE tenant_id = ${d === "pg" ? "$2" : "?"} AND state = 'pending' AND due_at <= ${d === "pg" ? "$3" : "?"}`,
          [at(base + hours(2) + 30_000), tenant, at(base + hours(2))]
        )
        assert.strictEqual(
          yield* count(
            "SELECT count(*) AS n FROM aw_task_escalations WHERE tenant_id = ? AND claimed_by = 'dead-sweeper/1'",
            tenant
          ),
          1
        )
        yield* Sweeper.runOnce({ sweeperId: "alive" })
        assert.strictEqual(yield* steps(tenant, "done"), 0)
        yield* TestClock.adjust(31_000)
        yield* Sweeper.runOnce({ sweeperId: "alive" })
        assert.strictEqual(yield* steps(tenant, "done"), 1)
        assert.strictEqual(
          yield* count(
            "SELECT count(*) AS n FROM aw_task_escalations WHERE tenant_id = ? AND state = 'done' AND claimed_by LIKE 'alive/%'",
            tenant
          ),
          1
        )
        assert.strictEqual(yield* outbox(tenant), 1)
        yield* Sweeper.runOnce({ sweeperId: "alive" })
        assert.strictEqual(yield* outbox(tenant), 1)
      })
    )

  it.effect("SLA buckets count open tasks of a queue by age since creation", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(base)
      const tenant = freshTenant("sla")
      const { quality } = people(tenant)
      const make = (kind: string, assigneeId: string, recordType: string) =>
        Tasks.create({ kind, title: "t", assigneeId, records: [{ type: recordType, id: "r" }] }).pipe(as(quality))
      // Ages at the end: 120, 45, 31, 30, 8, 7, 0 days.
      for (const age of [120, 45, 31, 30, 8, 7, 0]) {
        yield* TestClock.setTime(base + hours(24 * (120 - age)))
        yield* make("capa_action", "u-owner", "finding")
      }
      yield* make("audit_prep", "u-tech", "audit")
      const closed = yield* make("capa_action", "u-owner", "finding")
      yield* Tasks.cancel({ id: closed.id }).pipe(as(quality))
      const byKind = yield* Tasks.slaBuckets({ queue: { kind: "capa_action" } }).pipe(as(quality))
      assert.deepStrictEqual(
        byKind.map((b) => [b.label, b.count]),
        [
          ["0-7", 2],
          ["8-30", 2],
          ["31-90", 2],
          [">90", 1]
        ]
      )
      const byAssignee = yield* Tasks.slaBuckets({ queue: { assigneeId: "u-tech" }, buckets: [1] }).pipe(as(quality))
      assert.deepStrictEqual(
        byAssignee.map((b) => [b.label, b.count]),
        [
          ["0-1", 1],
          [">1", 0]
        ]
      )
      const byRecordType = yield* Tasks.slaBuckets({ queue: { recordType: "finding" } }).pipe(as(quality))
      assert.strictEqual(
        byRecordType.reduce((n, b) => n + b.count, 0),
        7
      )
    })
  )

  {
    // PostgreSQL: two pools, truly concurrent. SQLite (one writer; better-sqlite3 blocks the thread
    // while it waits for a lock, so two clients in one process cannot overlap transactions): both
    // sweepers share the client and interleave transaction by transaction.
    const n = target.dialect === "pg" ? 1000 : 100
    it.effect(`two sweepers over ${n} overdue tasks perform every step exactly once`, () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(base)
        const info = yield* TestDatabase.TestDatabaseInfo
        const tenants = [freshTenant("race-a"), freshTenant("race-b")]
        for (const tenant of tenants) yield* staff(tenant)
        yield* Query.transaction(
          Effect.forEach(
            Array.from({ length: n }, (_, i) => i),
            (i) =>
              Tasks.create({
                kind: "capa_action",
                title: `Overdue ${i}`,
                ownerId: "u-owner",
                dueAt: at(base + hours(1))
              }).pipe(as(people(tenants[i % 2]!).quality)),
            { discard: true }
          )
        )
        const perTask = 3 // due, supervisor, quality manager (the reminders fell before creation)
        yield* TestClock.adjust(hours(24 * 10))
        const sweep = (id: string, seed: number) =>
          target.dialect === "pg"
            ? Sweeper.runOnce({ sweeperId: id, batchSize: 100 }).pipe(
                Effect.provide(sweeperLayer(info.connectAgain!, seed).pipe(Layer.orDie))
              )
            : Sweeper.runOnce({ sweeperId: id, batchSize: 10 })
        const [a, b] = yield* Effect.all([sweep("one", 101), sweep("two", 202)], { concurrency: "unbounded" })
        // Both took part, and between them did everything (plus anything older tests left due).
        assert.isAtLeast(a.performed + b.performed, n * perTask)
        assert.isAbove(a.performed, 0)
        assert.isAbove(b.performed, 0)
        let done = 0
        for (const tenant of tenants) {
          done += yield* steps(tenant, "done")
          assert.strictEqual(yield* steps(tenant, "pending"), 0)
          assert.strictEqual(yield* steps(tenant, "claimed"), 0)
        }
        assert.strictEqual(done, n * perTask)
        const [eventsPerStep, outboxPerStep] = [
          yield* count(
            `SELECT count(*) AS n FROM aw_audit_events WHERE tenant_id IN (?, ?) AND action IN ('task.reminded', 'task.escalated')`,
            ...tenants
          ),
          yield* count("SELECT count(*) AS n FROM aw_notify_email_log WHERE tenant_id IN (?, ?)", ...tenants)
        ]
        assert.strictEqual(eventsPerStep, n * perTask)
        assert.strictEqual(outboxPerStep, n * perTask)
        // No (task, step) pair was audited twice.
        const dupes = yield* Query.unsafe<{ record_id: string }>(
          `SELECT record_id FROM aw_audit_events WHERE tenant_id IN (${d === "pg" ? "$1, $2" : "?, ?"}) AND action IN ('task.reminded', 'task.escalated') GROUP BY record_id HAVING count(*) <> ${perTask}`,
          tenants
        )
        assert.strictEqual(dupes.length, 0)
        for (const tenant of tenants) {
          const verified = yield* AuditLog.verify(tenant)
          assert.isTrue(verified.ok)
        }
      })
    )
  }
}
