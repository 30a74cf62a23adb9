// The end-to-end suite, run on every database target: programme → audit → findings → CAPA →
// effectiveness check → closure, then the audit chain verifies.
import { AuditLog } from "@airworthy/audit"
import { Errors } from "@airworthy/core"
import { Dispatcher, type Transport } from "@airworthy/notify"
import { Records } from "@airworthy/records"
import type { Storage } from "@airworthy/storage"
import { Tasks } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { assert, type Vitest } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import { Audits, Capa, Findings, Programme, type Qms } from "../src/index.js"
import { as, freshTenant, people, sha, staff } from "./layers.js"

const start = Date.parse("2026-03-02T08:00:00.000Z")
const day = 86_400_000

const unmetCodes = (e: unknown) =>
  e instanceof Errors.GuardsFailed ? e.unmet.map((u) => u.code) : [`not GuardsFailed: ${String(e)}`]

type Services = Qms.Services | Storage.Storage | SqlClient.SqlClient | Dispatcher.Dispatcher
type It = Vitest.MethodsNonLive<Services>

export const suite = (it: It, capture: Transport.Capture) => {
  it.effect("programme → audit → findings → CAPA → effectiveness → closure, and the audit chain verifies", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("e2e")
      const p = people(tenant)
      yield* staff(tenant)

      // Programme: tool control, Sasha is responsible for it.
      const area = yield* Programme.defineArea({
        name: "Tool control",
        scope: "145.A.40",
        responsibleIds: ["u-sasha"]
      }).pipe(as(p.quality))
      assert.strictEqual(Programme.recordType.name, area.type)
      const sub = yield* Programme.defineArea({
        name: "NDT (subcontracted)",
        kind: "subcontracted",
        subcontractor: "NDT Ltd",
        responsibleIds: ["u-olive"],
        cycleMonths: 24
      }).pipe(as(p.quality))

      // Independence: Sasha may not audit her own area.
      const refused = yield* Effect.either(
        Audits.planAudit({ areaId: area.id, leadAuditorId: "u-sasha", plannedAt: "2026-03-10" }).pipe(as(p.quality))
      )
      assert.isTrue(Either.isLeft(refused))
      if (Either.isLeft(refused)) assert.deepStrictEqual(unmetCodes(refused.left), ["audit.not_independent"])

      const audit = yield* Audits.planAudit({
        areaId: area.id,
        leadAuditorId: "u-avery",
        plannedAt: "2026-03-10",
        checklist: [
          { item: "Tools calibrated and labelled", requirement: "145.A.40" },
          { item: "Tool boards complete" }
        ]
      }).pipe(as(p.quality))
      assert.strictEqual(audit.state, "planned")
      // Sasha starting the audit herself is refused by the workflow's guard too.
      const sashaStarts = yield* Effect.either(
        Records.transition({ id: audit.id, transition: "start" }).pipe(as(p.stores))
      )
      assert.isTrue(Either.isLeft(sashaStarts))

      yield* Records.transition({ id: audit.id, transition: "start" }).pipe(as(p.auditor))
      const notReady = yield* Effect.either(
        Records.transition({ id: audit.id, transition: "report" }).pipe(as(p.auditor))
      )
      assert.isTrue(Either.isLeft(notReady))
      if (Either.isLeft(notReady)) assert.deepStrictEqual(unmetCodes(notReady.left), ["checklist.incomplete"])
      yield* Audits.recordChecklist(audit.id, [
        { item: "Tools calibrated and labelled", requirement: "145.A.40", result: "finding", note: "TW-114 overdue" },
        { item: "Tool boards complete", result: "conforms" }
      ]).pipe(as(p.auditor))
      yield* TestClock.adjust(day)
      const reported = yield* Records.transition({ id: audit.id, transition: "report" }).pipe(as(p.auditor))
      assert.strictEqual(reported.state, "reported")

      // Due list: tool control audited today → due in 12 months; NDT never audited → due 24 months after it was added.
      const due = yield* Programme.dueList.pipe(as(p.quality))
      assert.strictEqual(due.length, 2)
      const tools = due.find((l) => l.areaId === area.id)
      const ndt = due.find((l) => l.areaId === sub.id)
      assert.strictEqual(tools?.lastAuditedAt, "2026-03-03T08:00:00.000Z")
      assert.strictEqual(tools?.nextDueAt, "2027-03-03T08:00:00.000Z")
      assert.strictEqual(ndt?.lastAuditedAt, null)
      assert.strictEqual(ndt?.nextDueAt, "2028-03-02T08:00:00.000Z")
      assert.strictEqual(ndt?.kind, "subcontracted")

      // Findings from the audit.
      const f2 = yield* Findings.raiseFinding({
        title: "Torque wrench TW-114 used past its calibration date",
        level: "2",
        requirement: "145.A.40",
        description: "Used on WO-5521",
        evidence: "Calibration label expired 2026-01-31",
        ownerId: "u-olive",
        auditId: audit.id
      }).pipe(as(p.auditor))
      assert.strictEqual(f2.dueAt, "2026-06-01T08:00:00.000Z") // 90 days (145.B.350)
      assert.strictEqual((f2.data as { areaId?: string }).areaId, area.id)
      const f1 = yield* Findings.raiseFinding({
        title: "Uncontrolled tool found on aircraft after release",
        level: "1",
        requirement: "145.A.40",
        ownerId: "u-sasha",
        auditId: audit.id
      }).pipe(as(p.auditor))
      assert.strictEqual(f1.dueAt, "2026-03-04T08:00:00.000Z") // 24 h
      const f2Tasks = yield* Tasks.byRecord({ type: "finding", id: f2.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        f2Tasks.map((t) => [t.kind, t.assigneeId, t.dueAt]),
        [["finding_level_2", "u-olive", "2026-06-01T08:00:00.000Z"]]
      )

      const open = yield* Findings.openFindings().pipe(as(p.quality))
      assert.strictEqual(open.total, 2)
      assert.deepStrictEqual(open.byLevel, { "1": 1, "2": 1 })
      assert.deepStrictEqual(open.byArea, { [area.id]: 2 })
      assert.deepStrictEqual(
        open.byAge.map((b) => b.count),
        [2, 0, 0, 0]
      )

      // One click: the CAPA for the level 2 finding.
      const auditBefore = (yield* AuditLog.query({ limit: 1000 }).pipe(as(p.quality))).events.length
      const raised = yield* Capa.raiseCapaFromFinding(f2.id).pipe(as(p.quality))
      assert.isTrue(raised.created)
      assert.strictEqual(raised.capa.state, "open")
      assert.strictEqual(raised.capa.ownerId, "u-olive")
      assert.strictEqual(raised.capa.dueAt, f2.dueAt)
      assert.strictEqual((raised.capa.data as { requirement?: string }).requirement, "145.A.40")
      const afterRaise = (yield* AuditLog.query({ limit: 1000 }).pipe(as(p.quality))).events
      assert.include(
        afterRaise.map((e) => e.action),
        "capa.raised_from_finding"
      )
      const tasksAfterRaise = yield* Tasks.byRecord({ type: "capa", id: raised.capa.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        tasksAfterRaise.map((t) => t.kind),
        ["capa_root_cause"]
      )
      // Idempotent: the same CAPA, nothing written.
      const again = yield* Capa.raiseCapaFromFinding(f2.id).pipe(as(p.quality))
      assert.isFalse(again.created)
      assert.strictEqual(again.capa.id, raised.capa.id)
      assert.strictEqual((yield* AuditLog.query({ limit: 1000 }).pipe(as(p.quality))).events.length, afterRaise.length)
      assert.isAbove(afterRaise.length, auditBefore)
      assert.strictEqual((yield* Tasks.byRecord({ type: "capa", id: raised.capa.id }).pipe(as(p.quality))).length, 1)

      // Closing too early lists everything that is missing.
      const early = yield* Effect.either(Findings.closeFinding(f2.id).pipe(as(p.auditor)))
      assert.isTrue(Either.isLeft(early))
      if (Either.isLeft(early)) {
        assert.strictEqual((early.left as Errors.GuardsFailed).status, 422)
        assert.deepStrictEqual(unmetCodes(early.left), [
          "state.not_in_verification",
          "attachment.missing",
          "verification.missing"
        ])
      }

      // CAPA: root cause, plan, approval (signed), implementation, effectiveness, closure.
      const capaId = raised.capa.id
      yield* Records.update({
        id: capaId,
        data: { rootCause: { method: "5-why", text: "Recall list not checked at issue" } }
      }).pipe(as(p.owner))
      yield* Records.transition({ id: capaId, transition: "plan_actions" }).pipe(as(p.owner))
      yield* Records.update({
        id: capaId,
        data: {
          actions: [
            { kind: "corrective", text: "Quarantine and recalibrate TW-114", ownerId: "u-sasha", dueAt: "2026-03-20" },
            {
              kind: "preventive",
              text: "Issue system blocks tools past calibration",
              ownerId: "u-olive",
              dueAt: "2026-05-01"
            }
          ],
          effectiveness: { plannedAt: "2026-08-01" }
        }
      }).pipe(as(p.owner))
      yield* Records.transition({ id: capaId, transition: "approve_plan", signature: { meaning: "approved" } }).pipe(
        as(p.manager)
      )
      const capaTasks = yield* Tasks.byRecord({ type: "capa", id: capaId }).pipe(as(p.quality))
      assert.deepStrictEqual(capaTasks.map((t) => [t.kind, t.assigneeId, t.status]).sort(), [
        ["capa_corrective_action", "u-sasha", "open"],
        ["capa_preventive_action", "u-olive", "open"],
        ["capa_root_cause", "u-olive", "done"]
      ])
      yield* Records.transition({ id: capaId, transition: "complete_implementation" }).pipe(as(p.owner))
      const noCheck = yield* Effect.either(Records.transition({ id: capaId, transition: "close" }).pipe(as(p.quality)))
      assert.isTrue(Either.isLeft(noCheck))
      if (Either.isLeft(noCheck)) assert.deepStrictEqual(unmetCodes(noCheck.left), ["effectiveness.missing"])
      yield* TestClock.adjust(30 * day)
      yield* Capa.recordEffectiveness(capaId, { result: "effective" }).pipe(as(p.quality))
      const closedCapa = yield* Records.transition({ id: capaId, transition: "close" }).pipe(as(p.quality))
      assert.strictEqual(closedCapa.state, "closed")
      assert.strictEqual(
        (closedCapa.data as { effectiveness?: { verifiedBy?: string } }).effectiveness?.verifiedBy,
        "u-quinn"
      )
      const afterClose = yield* Tasks.byRecord({ type: "capa", id: capaId }).pipe(as(p.quality))
      assert.isTrue(afterClose.every((t) => t.status === "done"))

      // Finding: response, action, verification by someone other than the owner, evidence, closure.
      yield* Records.update({ id: f2.id, data: { response: `See ${raised.capa.ref}` } }).pipe(as(p.owner))
      yield* Records.transition({ id: f2.id, transition: "submit_response" }).pipe(as(p.owner))
      yield* Records.transition({ id: f2.id, transition: "accept_response" }).pipe(as(p.auditor))
      yield* Records.transition({ id: f2.id, transition: "submit_for_verification" }).pipe(as(p.owner))
      const ownerVerifies = yield* Effect.either(Findings.recordVerification(f2.id).pipe(as(p.owner)))
      assert.isTrue(Either.isLeft(ownerVerifies)) // capa_owner lacks finding.verify
      const notYet = yield* Effect.either(Findings.closeFinding(f2.id).pipe(as(p.auditor)))
      if (Either.isLeft(notYet))
        assert.deepStrictEqual(unmetCodes(notYet.left), ["attachment.missing", "verification.missing"])
      else assert.fail("closed without evidence")
      yield* Findings.attachEvidence(f2.id, {
        name: "TW-114-cert.pdf",
        mediaType: "application/pdf",
        size: 1234,
        sha256: sha(1)
      }).pipe(as(p.owner))
      yield* Findings.recordVerification(f2.id, { note: "Certificate and issue-system block seen" }).pipe(as(p.auditor))
      const closed = yield* Findings.closeFinding(f2.id).pipe(as(p.auditor))
      assert.strictEqual(closed.state, "closed")
      const closedAgain = yield* Findings.closeFinding(f2.id).pipe(as(p.auditor))
      assert.strictEqual(closedAgain.version, closed.version)
      yield* Records.transition({ id: audit.id, transition: "close" }).pipe(as(p.quality))

      // The quality manager's view.
      const stillOpen = yield* Findings.openFindings().pipe(as(p.quality))
      assert.deepStrictEqual(stillOpen.byLevel, { "1": 1 })
      const timeline = yield* Findings.findingTimeline(f2.id).pipe(as(p.quality))
      const sources = new Set(timeline.map((e) => e.source))
      for (const s of ["history", "audit", "task", "email"] as const) assert.isTrue(sources.has(s), s)
      assert.deepStrictEqual(
        timeline.map((e) => e.at),
        [...timeline.map((e) => e.at)].sort()
      )
      assert.isTrue(timeline.some((e) => e.recordRef === raised.capa.ref))

      // The outbox sends after commit.
      yield* capture.clear
      yield* Dispatcher.drain
      const sent = yield* capture.messages
      assert.isTrue(sent.some((m) => m.to.address === "olive@mro.example" && m.subject.includes(f2.ref)))
      assert.isTrue(sent.some((m) => m.to.address === "olive@mro.example" && m.subject.includes(raised.capa.ref)))
      assert.isTrue(sent.some((m) => m.to.address === "sasha@mro.example" && m.subject.includes("corrective action")))

      const verified = yield* AuditLog.verify(tenant)
      assert.isTrue(verified.ok)
    })
  )

  it.effect("overdue CAPAs, finding age buckets and a cancelled CAPA", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("overdue")
      yield* staff(tenant)
      const p = people(tenant)
      const late = yield* Findings.raiseFinding({
        title: "Late one",
        level: "2",
        requirement: "145.A.45",
        ownerId: "u-olive",
        dueAt: "2026-03-20T00:00:00.000Z"
      }).pipe(as(p.auditor))
      const later = yield* Findings.raiseFinding({
        title: "Later one",
        level: "observation",
        requirement: "145.A.65",
        ownerId: "u-olive"
      }).pipe(as(p.auditor))
      assert.strictEqual(later.dueAt, null) // observations have no due policy
      const capa1 = (yield* Capa.raiseCapaFromFinding(late.id).pipe(as(p.quality))).capa
      yield* TestClock.adjust(40 * day)
      const overdue = yield* Capa.overdueCapas.pipe(as(p.quality))
      assert.deepStrictEqual(
        overdue.map((c) => c.id),
        [capa1.id]
      )
      const ages = yield* Findings.openFindings().pipe(as(p.quality))
      assert.deepStrictEqual(
        ages.byAge.map((b) => [b.label, b.count]),
        [
          ["0-30", 0],
          ["31-60", 2],
          ["61-90", 0],
          [">90", 0]
        ]
      )
      const noReason = yield* Effect.either(
        Records.transition({ id: capa1.id, transition: "cancel" }).pipe(as(p.quality))
      )
      assert.isTrue(Either.isLeft(noReason))
      yield* Records.transition({
        id: capa1.id,
        transition: "cancel",
        reason: "Raised against the wrong finding"
      }).pipe(as(p.quality))
      assert.deepStrictEqual(yield* Capa.overdueCapas.pipe(as(p.quality)), [])
      const cancelledTasks = yield* Tasks.byRecord({ type: "capa", id: capa1.id }).pipe(as(p.quality))
      assert.isTrue(cancelledTasks.every((t) => t.status === "cancelled"))
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )

  it.effect("raiseCapaFromFinding needs capa.create and writes nothing without it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("forbidden")
      yield* staff(tenant)
      const p = people(tenant)
      const f = yield* Findings.raiseFinding({
        title: "No permit",
        level: "2",
        requirement: "145.A.30",
        ownerId: "u-olive"
      }).pipe(as(p.auditor))
      const r = yield* Effect.either(Capa.raiseCapaFromFinding(f.id).pipe(as(p.auditor)))
      assert.isTrue(Either.isLeft(r) && r.left._tag === "Forbidden")
      assert.deepStrictEqual(yield* Records.links(f.id).pipe(as(p.quality)), [])
    })
  )
}
