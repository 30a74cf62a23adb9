// The calibration register, concessions and the tool control port, on every database target: import
// from the host's tool store, a tool past its date refused, allowed under a signed concession, refused
// again when it expires; a calibration found out of tolerance opens the impact assessment and raises
// a finding; the due list is generated, stored and sent.
import { AuditLog } from "@airworthy/audit"
import { Actor, type Errors } from "@airworthy/core"
import { EvidencePack } from "@airworthy/evidence"
import { Notify } from "@airworthy/notify"
import { Records } from "@airworthy/records"
import type { Storage } from "@airworthy/storage"
import { DuePolicy, Sweeper, Tasks } from "@airworthy/tasks"
import type { TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { assert } from "@effect/vitest"
import { Chunk, Effect, Either, Stream, TestClock } from "effect"
import { Calibration, Concessions, type Qms } from "../src/index.js"
import { as, freshTenant, people, staff } from "./layers.js"

const start = Date.parse("2026-03-02T08:00:00.000Z")
const day = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()

const failure = <A, E>(either: Either.Either<A, E>): E | undefined => (Either.isLeft(either) ? either.left : undefined)

const pdf = new TextEncoder().encode("%PDF-1.4\n% calibration certificate TW-114\n%%EOF\n")

const actor = (tenantId: string, actorId: string, role: string) =>
  Actor.make({ tenantId, actorId, displayName: actorId, roles: [role], traceId: "trace-calibration" })

const hostTools = (today: number) => [
  {
    toolId: "TW-114",
    description: "Torque wrench 20-100 Nm",
    itemClass: "torque_wrench",
    calibrationDue: iso(today - 12 * day).slice(0, 10)
  },
  {
    toolId: "TW-120",
    description: "Torque wrench 5-25 Nm",
    itemClass: "torque_wrench",
    calibrationDue: iso(today + 150 * day).slice(0, 10),
    location: "Hangar 2"
  },
  {
    toolId: "PG-007",
    description: "Tyre pressure gauge",
    calibrationDue: iso(today + 20 * day).slice(0, 10),
    location: "Line stores"
  },
  { toolId: "", description: "A row without a tool id" }
]

// The host's tool store: its tools, and the issues of TW-114 to work orders.
const toolStore = (today: number) =>
  Calibration.ToolStore.layer({
    tools: () => Effect.succeed(hostTools(today)),
    usage: (_tenant, toolId, since, until) =>
      Effect.succeed(
        toolId !== "TW-114"
          ? []
          : [
              { workOrder: "WO-5521", issuedAt: iso(today - 30 * day), issuedTo: "u-olive" },
              { workOrder: "WO-5522", issuedAt: iso(today + day) },
              { workOrder: "WO-1000", issuedAt: "2020-01-01T00:00:00.000Z" }
            ].filter((u) => u.issuedAt >= since && u.issuedAt <= until)
      )
  })

export const calibrationSuite = (it: TestKit.It<Qms.Services | Storage.Storage | SqlClient.SqlClient>) => {
  it.effect("register and import, tool control refuses TW-114, a signed concession allows it until it expires", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("cal")
      yield* staff(tenant)
      const p = people(tenant)
      const controller = actor(tenant, "u-sasha", "tool_controller")
      const tech = actor(tenant, "u-olive", "technician")

      // Import needs the host's tool store; without it, a typed 409.
      const noPort = failure(yield* Effect.either(Calibration.importFromToolStore.pipe(as(controller))))
      assert.strictEqual(noPort?._tag, "ToolStoreUnavailable")
      assert.strictEqual((noPort as Calibration.ToolStoreUnavailable).status, 409)

      const imported = yield* Calibration.importFromToolStore.pipe(Effect.provide(toolStore(start)), as(controller))
      assert.deepStrictEqual(
        imported.created.map((i) => [(i.data as Calibration.ItemData).toolId, i.state, i.dueAt]),
        [
          ["TW-114", "in_service", "2026-02-18T00:00:00.000Z"],
          ["TW-120", "in_service", "2026-07-30T00:00:00.000Z"],
          ["PG-007", "in_service", "2026-03-22T00:00:00.000Z"]
        ]
      )
      assert.deepStrictEqual(
        imported.skipped.map((s) => s.toolId),
        [""]
      )
      assert.strictEqual((imported.created[0]?.data as Calibration.ItemData | undefined)?.source, "host")
      // Again: nothing new, each tool named as already registered.
      const again = yield* Calibration.importFromToolStore.pipe(Effect.provide(toolStore(start)), as(controller))
      assert.deepStrictEqual(again.created, [])
      assert.deepStrictEqual(
        again.existing.map((e) => e.toolId),
        ["TW-114", "TW-120", "PG-007"]
      )
      const tw114 = imported.created[0]!

      // Direct registration: the interval from the class policy, overridable per tenant.
      yield* DuePolicy.set({ kind: "calibration_pressure_gauge", hours: 180 * 24, source: "MOE 2.5" }).pipe(
        as(p.quality)
      )
      const gauge = yield* Calibration.registerItem({
        toolId: "PG-010",
        description: "Nitrogen charging gauge",
        itemClass: "pressure_gauge",
        ownerId: "u-sasha",
        location: "Line stores",
        lastCalibratedAt: "2026-01-01"
      }).pipe(as(controller))
      assert.strictEqual(gauge.dueAt, iso(Date.parse("2026-01-01T00:00:00.000Z") + 180 * day))
      const wrench = yield* Calibration.registerItem({
        toolId: "TW-200",
        description: "Torque wrench 40-200 Nm",
        itemClass: "torque_wrench",
        lastCalibratedAt: "2026-02-01T00:00:00.000Z"
      }).pipe(as(p.quality))
      assert.strictEqual(wrench.dueAt, "2027-02-01T00:00:00.000Z") // ISO 6789-2: 12 months
      // A due task for the owner (else the quality manager), reminded and escalated by the ladder.
      const dueTasks = yield* Tasks.byRecord({ type: "calibrated_item", id: gauge.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        dueTasks.map((t) => [t.kind, t.assigneeId, t.dueAt]),
        [["calibration_due", "u-sasha", gauge.dueAt]]
      )
      const tw114Tasks = yield* Tasks.byRecord({ type: "calibrated_item", id: tw114.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        tw114Tasks.map((t) => t.assigneeId),
        ["u-quinn"]
      )

      // Refusals: a tool id twice, a technician registering, another tenant asking.
      const before = (yield* Calibration.dueList({ withinDays: 3650 }).pipe(as(p.quality))).total
      const twice = failure(
        yield* Effect.either(Calibration.registerItem({ toolId: "TW-114", description: "Again" }).pipe(as(p.quality)))
      )
      assert.strictEqual(twice?._tag, "ToolAlreadyRegistered")
      assert.strictEqual((twice as Calibration.ToolAlreadyRegistered).itemRef, tw114.ref)
      const byTech = failure(
        yield* Effect.either(Calibration.registerItem({ toolId: "X-1", description: "Mine" }).pipe(as(tech)))
      )
      assert.strictEqual((byTech as Errors.Forbidden)?.missing_permission, "calibration.register")
      assert.strictEqual((yield* Calibration.dueList({ withinDays: 3650 }).pipe(as(p.quality))).total, before)
      const stranger = failure(
        yield* Effect.either(
          Calibration.checkUsable("TW-114").pipe(as(actor("other-tenant", "u-x", "quality_manager")))
        )
      )
      assert.strictEqual(stranger?._tag, "NotFound")

      // Tool control: TW-114 is 12 days past due; TW-120 is fine; PG-007 is due soon.
      const refused = failure(yield* Effect.either(Calibration.checkUsable("TW-114").pipe(as(tech))))
      assert.strictEqual(refused?._tag, "ToolOverdue")
      assert.strictEqual((refused as Calibration.ToolOverdue).dueAt, "2026-02-18T00:00:00.000Z")
      assert.strictEqual((refused as Calibration.ToolOverdue).status, 409)
      assert.strictEqual((refused as Calibration.ToolOverdue).reason, "due_date")
      const fine = yield* Calibration.checkUsable("TW-120").pipe(as(tech))
      assert.deepStrictEqual([fine.usable, fine.status, fine.concession], [true, "in_service", null])
      assert.strictEqual((yield* Calibration.checkUsable("PG-007").pipe(as(tech))).status, "due_soon")
      // Asked about an earlier instant, TW-114 was still in date.
      assert.strictEqual((yield* Calibration.checkUsable("TW-114", "2026-02-01").pipe(as(tech))).status, "due_soon")

      // The concession: requested by the technician for WO-5521 for two days.
      const requested = yield* Concessions.requestConcession({
        toolId: "TW-114",
        workOrders: ["WO-5521"],
        validUntil: iso(start + 2 * day),
        justification: "Only calibrated 20-100 Nm wrench on site; AOG; cross-checked against TW-120",
        conditions: "Cross-check against a calibrated wrench before each use"
      }).pipe(as(tech))
      assert.strictEqual(requested.state, "requested")
      assert.strictEqual(requested.dueAt, iso(start + 2 * day))
      const approvalTasks = yield* Tasks.byRecord({ type: "concession", id: requested.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        approvalTasks.map((t) => [t.kind, t.assigneeId, t.status]),
        [["concession_approval", "u-quinn", "open"]]
      )
      const asked = yield* Notify.emailLog({ recordType: "concession", recordId: requested.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        asked.map((m) => m.recipient),
        ["quinn@mro.example"]
      )
      assert.include(asked[0]?.subject ?? "", requested.ref)
      // Still refused while only requested.
      assert.strictEqual(
        failure(
          yield* Effect.either(Calibration.checkUsable("TW-114", undefined, { workOrder: "WO-5521" }).pipe(as(tech)))
        )?._tag,
        "ToolOverdue"
      )
      // The technician may not approve; the quality manager may not approve a request of their own.
      const techApproves = failure(
        yield* Effect.either(Concessions.approveConcession(requested.id, "ok").pipe(as(tech)))
      )
      assert.strictEqual(techApproves?._tag, "Forbidden")
      const own = yield* Concessions.requestConcession({
        toolId: "TW-114",
        validUntil: iso(start + day),
        justification: "Quality manager's own request"
      }).pipe(as(p.quality))
      const selfApproved = failure(
        yield* Effect.either(Concessions.approveConcession(own.id, "Looks fine").pipe(as(p.quality)))
      )
      assert.strictEqual(selfApproved?._tag, "GuardsFailed")
      yield* Records.transition({ id: own.id, transition: "close", reason: "Withdrawn" }).pipe(as(p.quality))

      const approved = yield* Concessions.approveConcession(
        requested.id,
        "Risk assessed: cross-check procedure adequate for two days"
      ).pipe(as(p.quality))
      assert.strictEqual(approved.state, "active")
      const signatures = yield* Records.signatures(requested.id).pipe(as(p.quality))
      assert.deepStrictEqual(
        signatures.map((s) => [s.signerId, s.meaning]),
        [["u-quinn", "approved"]]
      )
      const history = yield* Records.history(requested.id).pipe(as(p.quality))
      assert.deepStrictEqual(
        history.map((h) => h.transition).filter((t) => t !== null),
        ["approve", "activate"]
      )
      assert.strictEqual(
        history.find((h) => h.transition === "approve")?.reason,
        "Risk assessed: cross-check procedure adequate for two days"
      )
      const decidedTasks = yield* Tasks.byRecord({ type: "concession", id: requested.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        decidedTasks.map((t) => t.status),
        ["done"]
      )
      const told = yield* Notify.emailLog({ recordType: "concession", recordId: requested.id }).pipe(as(p.quality))
      assert.isTrue(told.some((m) => m.recipient === "olive@mro.example" && m.subject.includes("approved")))

      const allowed = yield* Calibration.checkUsable("TW-114", undefined, { workOrder: "WO-5521" }).pipe(as(tech))
      assert.deepStrictEqual([allowed.status, allowed.concession?.ref], ["overdue", requested.ref])
      // Not for another work order, nor without one.
      const otherWo = failure(
        yield* Effect.either(Calibration.checkUsable("TW-114", undefined, { workOrder: "WO-9999" }).pipe(as(tech)))
      )
      assert.strictEqual(otherWo?._tag, "ToolOverdue")

      // Two days on, the concession no longer covers it, even before it is marked expired.
      yield* TestClock.adjust(2 * day + 1000)
      const after = failure(
        yield* Effect.either(Calibration.checkUsable("TW-114", undefined, { workOrder: "WO-5521" }).pipe(as(tech)))
      )
      assert.strictEqual(after?._tag, "ToolOverdue")
      const refreshed = yield* Concessions.refreshConcessions.pipe(as(controller))
      assert.deepStrictEqual(refreshed, { activated: [], expired: [requested.ref] })
      assert.strictEqual((yield* Records.get(requested.id).pipe(as(p.quality))).state, "expired")
      assert.deepStrictEqual(yield* Concessions.refreshConcessions.pipe(as(controller)), { activated: [], expired: [] })

      // The gauge's due task follows the calibration ladder: the first reminder 14 days before.
      const gaugeTask = dueTasks[0] ?? assert.fail("no due task")
      yield* TestClock.setTime(Date.parse(gauge.dueAt ?? "") - 14 * day + 60_000)
      yield* Sweeper.runOnce()
      const reminders = yield* Notify.emailLog({ recordType: "task", recordId: gaugeTask.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        reminders.map((m) => [m.recipient, m.subject.startsWith("Task due")]),
        [["sasha@mro.example", true]]
      )
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )

  it.effect("send out, certificate, out-of-tolerance result: impact assessment, finding, back in service", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("calev")
      yield* staff(tenant)
      const p = people(tenant)
      const controller = actor(tenant, "u-sasha", "tool_controller")
      yield* Calibration.importFromToolStore.pipe(Effect.provide(toolStore(start)), as(controller))
      const item = (yield* Calibration.itemOfTool("TW-114").pipe(as(p.quality))).pipe((o) =>
        o._tag === "Some" ? o.value : assert.fail("TW-114 not registered")
      )
      // Who may not: a technician sends nothing out.
      const byTech = failure(
        yield* Effect.either(
          Calibration.sendOutForCalibration(item.id).pipe(as(actor(tenant, "u-olive", "technician")))
        )
      )
      assert.strictEqual(byTech?._tag, "Forbidden")

      yield* TestClock.adjust(day)
      const { item: out, event } = yield* Calibration.sendOutForCalibration(item.id, {
        lab: "Acme Calibration Ltd (UKAS 0001)"
      }).pipe(as(controller))
      assert.strictEqual(out.state, "out_for_calibration")
      assert.strictEqual(event.state, "sent_out")
      assert.strictEqual((event.data as Calibration.EventData).lab, "Acme Calibration Ltd (UKAS 0001)")
      const links = yield* Records.links(item.id, { kind: "calibration_of" }).pipe(as(p.quality))
      assert.deepStrictEqual(
        links.map((l) => l.other.ref),
        [event.ref]
      )
      const sentTasks = yield* Tasks.byRecord({ type: "calibrated_item", id: item.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        sentTasks.map((t) => t.status),
        ["done"]
      )
      const away = failure(yield* Effect.either(Calibration.checkUsable("TW-114").pipe(as(p.quality))))
      assert.strictEqual(away?._tag, "ToolQuarantined")
      assert.strictEqual((away as Calibration.ToolQuarantined).state, "out_for_calibration")
      const twice = failure(yield* Effect.either(Calibration.sendOutForCalibration(item.id).pipe(as(controller))))
      assert.strictEqual(twice?._tag, "InvalidTransition")

      // Without the certificate nothing is recorded.
      yield* TestClock.adjust(3 * day)
      const noCert = failure(
        yield* Effect.either(
          Calibration.recordCalibrationResult(item.id, { asFound: "out_of_tolerance", asLeft: "in_tolerance" }).pipe(
            Effect.provide(toolStore(start)),
            as(controller)
          )
        )
      )
      assert.strictEqual(noCert?._tag, "GuardsFailed")
      assert.deepStrictEqual(
        (noCert as Errors.GuardsFailed).unmet.map((u) => u.code),
        ["attachment.missing"]
      )
      const unchanged = yield* Records.get(item.id).pipe(as(p.quality))
      assert.deepStrictEqual([unchanged.state, unchanged.version], [out.state, out.version])
      assert.deepStrictEqual(yield* Records.links(item.id, { kind: "concerns_tool" }).pipe(as(p.quality)), [])

      const certificate = yield* Records.upload(
        { id: event.id, kind: "certificate", name: "TW-114 certificate 2026-0311.pdf", mediaType: "application/pdf" },
        Stream.make(pdf)
      ).pipe(as(controller))
      assert.isTrue(certificate.hasContent)
      const calibratedAt = iso(start + 4 * day)
      const recorded = yield* Calibration.recordCalibrationResult(item.id, {
        asFound: "out_of_tolerance",
        asLeft: "in_tolerance",
        certificateNumber: "ACME-2026-0311",
        note: "Read 6% high at 80 Nm; adjusted"
      }).pipe(Effect.provide(toolStore(start)), as(controller))

      assert.strictEqual(recorded.item.state, "in_service")
      assert.strictEqual(recorded.item.dueAt, iso(Date.parse(calibratedAt) + 365 * day))
      const data = recorded.item.data as Calibration.ItemData
      assert.strictEqual(data.lastCalibratedAt, calibratedAt)
      assert.strictEqual(data.openEventId, undefined)
      assert.deepStrictEqual(data.lastResult, {
        eventId: event.id,
        asFound: "out_of_tolerance",
        asLeft: "in_tolerance",
        calibratedAt
      })
      assert.strictEqual(recorded.event.state, "returned")
      const impact = (recorded.event.data as Calibration.EventData).impact
      assert.strictEqual(impact?.source, "host")
      // No good calibration on record: since the one its due date implies (a year before), until this one.
      assert.deepStrictEqual(
        impact?.workOrders.map((w) => w.workOrder),
        ["WO-5521", "WO-5522"]
      )
      const finding = recorded.finding ?? assert.fail("no finding raised")
      assert.strictEqual(finding.type, "finding")
      assert.strictEqual(finding.ownerId, "u-sasha")
      assert.strictEqual((finding.data as { requirement: string }).requirement, "145.A.40")
      assert.include((finding.data as { description: string }).description, "WO-5521, WO-5522")
      assert.strictEqual((recorded.event.data as Calibration.EventData).findingRef, finding.ref)
      const concerns = yield* Records.links(item.id, { kind: "concerns_tool" }).pipe(as(p.quality))
      assert.deepStrictEqual(
        concerns.map((l) => l.other.ref),
        [finding.ref]
      )
      const warned = yield* Notify.emailLog({ recordType: "calibrated_item", recordId: item.id }).pipe(as(p.quality))
      assert.deepStrictEqual(warned.map((m) => m.recipient).sort(), ["quinn@mro.example", "sasha@mro.example"])
      // A new due task for the new date.
      const tasks = yield* Tasks.byRecord({ type: "calibrated_item", id: item.id }).pipe(as(p.quality))
      assert.deepStrictEqual(
        tasks.filter((t) => t.status === "open").map((t) => [t.kind, t.dueAt]),
        [["calibration_due", recorded.item.dueAt]]
      )
      assert.strictEqual((yield* Calibration.checkUsable("TW-114").pipe(as(p.quality))).status, "in_service")

      // Left out of tolerance: quarantined, refused, released only after an in-tolerance calibration.
      const tw120 = yield* Calibration.itemOfTool("TW-120").pipe(as(p.quality))
      const id120 = tw120._tag === "Some" ? tw120.value.id : assert.fail("TW-120")
      const sent120 = yield* Calibration.sendOutForCalibration(id120).pipe(as(controller))
      yield* Records.upload(
        { id: sent120.event.id, kind: "certificate", name: "TW-120.pdf", mediaType: "application/pdf" },
        Stream.make(pdf)
      ).pipe(as(controller))
      const bad = yield* Calibration.recordCalibrationResult(id120, {
        asFound: "in_tolerance",
        asLeft: "out_of_tolerance"
      }).pipe(as(controller))
      assert.strictEqual(bad.item.state, "quarantined")
      assert.isNull(bad.finding)
      const quarantined = failure(yield* Effect.either(Calibration.checkUsable("TW-120").pipe(as(p.quality))))
      assert.strictEqual(quarantined?._tag, "ToolQuarantined")
      const release = failure(
        yield* Effect.either(
          Records.transition({ id: id120, transition: "release", reason: "Looks fine" }).pipe(as(p.quality))
        )
      )
      assert.deepStrictEqual(
        (release as Errors.GuardsFailed).unmet.map((u) => u.code),
        ["calibration.not_in_tolerance"]
      )

      // The item's evidence pack: its events (with the certificate), the finding, in one verifiable pack.
      const pack = yield* EvidencePack.prepare(item.id).pipe(as(p.quality))
      const refs = pack.manifest.records.map((r) => r.ref)
      assert.includeMembers(refs, [item.ref, event.ref, finding.ref])
      assert.isTrue(pack.manifest.entries.some((e) => e.sha256 === certificate.sha256))
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )

  it.effect("the due list by location, and one click: CSV stored with the audit trail and sent", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("caldue")
      yield* staff(tenant)
      const p = people(tenant)
      const controller = actor(tenant, "u-sasha", "tool_controller")
      yield* Calibration.importFromToolStore.pipe(Effect.provide(toolStore(start)), as(controller))
      yield* Calibration.registerItem({
        toolId: "=HYPERLINK(1)",
        description: 'Meter, "digital"',
        location: "Line stores"
      }).pipe(as(controller))

      const list = yield* Calibration.dueList({}).pipe(as(p.quality))
      assert.deepStrictEqual(
        list.lines.map((l) => [l.toolId, l.status, l.daysOverdue]),
        [
          ["TW-114", "overdue", 12],
          ["=HYPERLINK(1)", "overdue", 0],
          ["PG-007", "due_soon", -20]
        ]
      )
      assert.strictEqual(list.overdue, 2)
      const lineStores = yield* Calibration.dueList({ location: "line stores", withinDays: 10 }).pipe(as(p.quality))
      assert.deepStrictEqual(
        lineStores.lines.map((l) => l.toolId),
        ["=HYPERLINK(1)"]
      )
      assert.strictEqual((yield* Calibration.dueList({ withinDays: 200 }).pipe(as(p.quality))).total, 4)

      const unknown = failure(
        yield* Effect.either(Calibration.generateAndSendDueList({ recipients: ["u-nobody"] }).pipe(as(p.quality)))
      )
      assert.strictEqual((unknown as Errors.UnknownReference)?.field, "recipients.0")
      const byTech = failure(
        yield* Effect.either(Calibration.generateAndSendDueList({}).pipe(as(actor(tenant, "u-olive", "technician"))))
      )
      assert.strictEqual(byTech?._tag, "Forbidden")

      const sent = yield* Calibration.generateAndSendDueList({
        recipients: ["u-olive"],
        roles: ["quality_manager"]
      }).pipe(as(controller))
      assert.strictEqual(sent.dueList.type, "calibration_due_list")
      assert.strictEqual(sent.dueList.state, "sent")
      assert.deepStrictEqual([...sent.sentTo].sort(), ["olive@mro.example", "quinn@mro.example"])
      assert.strictEqual(sent.csv.kind, "due_list")
      assert.strictEqual(sent.csv.mediaType, "text/csv")
      const content = yield* Records.content(sent.dueList.id, sent.csv.id).pipe(as(p.quality))
      const text = new TextDecoder().decode(
        Chunk.toReadonlyArray(yield* Stream.runCollect(content.stream)).reduce((a, b) => {
          const out = new Uint8Array(a.length + b.length)
          out.set(a)
          out.set(b, a.length)
          return out
        }, new Uint8Array())
      )
      assert.strictEqual(text, Calibration.toCsv(list))
      // The PDF beside it, titled with the list's reference.
      assert.strictEqual(sent.pdf.mediaType, "application/pdf")
      const pdfContent = yield* Records.content(sent.dueList.id, sent.pdf.id).pipe(as(p.quality))
      const pdfText = Buffer.concat(
        Chunk.toReadonlyArray(yield* Stream.runCollect(pdfContent.stream)).map((c) => Buffer.from(c))
      ).toString("latin1")
      assert.isTrue(pdfText.startsWith("%PDF-"))
      assert.include(pdfText, `Calibration due list ${sent.dueList.ref}`)
      assert.include(text, "'=HYPERLINK(1)")
      assert.include(text, '"Meter, ""digital"""')
      const log = yield* Notify.emailLog({ recordType: "calibration_due_list", recordId: sent.dueList.id }).pipe(
        as(p.quality)
      )
      assert.deepStrictEqual(log.map((m) => m.recipient).sort(), ["olive@mro.example", "quinn@mro.example"])
      assert.include(log[0]?.subject ?? "", "2 overdue")
      const events = yield* AuditLog.query({
        record: { type: "calibration_due_list", id: sent.dueList.id },
        order: "asc"
      }).pipe(as(p.quality))
      assert.deepStrictEqual(
        events.events.map((e) => e.action),
        [
          "calibration_due_list.created",
          "calibration_due_list.attached",
          "calibration_due_list.attached",
          "calibration_due_list.transition.send"
        ]
      )
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )
}
