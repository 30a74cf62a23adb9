// The records suite, written once; Records.test.ts runs it on every database in TestDatabase.targets().

import { createHash } from "node:crypto"
import { AuditLog, CanonicalJson } from "@airworthy/audit"
import { Actor, Errors } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import type { TestDatabase, TestKit } from "@airworthy/testing"
import { assert } from "@effect/vitest"
import { Effect, Exit, type Layer, Option, Queue, Ref, TestClock } from "effect"
import { type QmsRecord, RecordHooks, Records } from "../src/index.js"
import { as, auditActions, count, freshTenant, people, type recordsLayer, seen, sha } from "./layers.js"

type It = TestKit.It<Layer.Layer.Success<ReturnType<typeof recordsLayer>>>

const march2026 = Date.parse("2026-03-04T05:06:07.000Z")

const findingData = (extra: Record<string, unknown> = {}) => ({
  title: "Torque wrench calibration overdue",
  level: "2",
  requirement: "145.A.40(b)",
  ...extra
})

const raiseFinding = (
  actor: Actor.Actor,
  extra: Record<string, unknown> = {},
  options: { idempotencyKey?: string } = {}
) => Records.create({ type: "finding", data: findingData(extra), ...options }).pipe(as(actor))

const failure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(self), (exit) =>
    Exit.isFailure(exit) && exit.cause._tag === "Fail"
      ? Effect.succeed(exit.cause.error)
      : Effect.dieMessage(`expected a failure, got ${Exit.isSuccess(exit) ? "success" : String(exit.cause)}`)
  )

/** A finding taken to `verification` by the usual people; returns it and the cast. */
const findingInVerification = (tenant: string) =>
  Effect.gen(function* () {
    const cast = people(tenant)
    const f = yield* raiseFinding(cast.auditor)
    yield* Records.assign({ id: f.id, ownerId: "u-owner", expectedVersion: 1 }).pipe(as(cast.quality))
    yield* Records.update({
      id: f.id,
      expectedVersion: 2,
      data: { response: "Tool recalled; procedure amended" }
    }).pipe(as(cast.quality))
    yield* Records.transition({ id: f.id, transition: "submit_response", expectedVersion: 3 }).pipe(as(cast.owner))
    yield* Records.transition({ id: f.id, transition: "accept_response", expectedVersion: 4 }).pipe(as(cast.auditor))
    const inVerification = yield* Records.transition({
      id: f.id,
      transition: "submit_for_verification",
      expectedVersion: 5
    }).pipe(as(cast.owner))
    return { cast, finding: inVerification }
  })

/** A CAPA taken from draft to closed. */
const closedCapa = (tenant: string) =>
  Effect.gen(function* () {
    const cast = people(tenant)
    const c = yield* Records.create({
      type: "capa",
      data: { title: "Calibration recall process" },
      ownerId: "u-owner"
    }).pipe(as(cast.quality))
    yield* Records.transition({ id: c.id, transition: "open" }).pipe(as(cast.owner))
    yield* Records.update({
      id: c.id,
      data: {
        rootCause: { method: "5-why", text: "No recall list for loan tools" },
        actions: [{ text: "Add loan tools to recall list" }]
      }
    }).pipe(as(cast.owner))
    yield* Records.transition({ id: c.id, transition: "plan_actions" }).pipe(as(cast.owner))
    yield* Records.transition({
      id: c.id,
      transition: "approve_plan",
      signature: { meaning: "approved", credential: "pin-1234" }
    }).pipe(as(cast.manager))
    yield* Records.transition({ id: c.id, transition: "complete_implementation" }).pipe(as(cast.owner))
    yield* Records.update({ id: c.id, data: { effectiveness: { result: "effective", verifiedBy: "u-auditor" } } }).pipe(
      as(cast.owner)
    )
    return yield* Records.transition({ id: c.id, transition: "close" }).pipe(as(cast.quality))
  })

export const recordsSuite = (it: It, target: TestDatabase.Target) => {
  const d = target.dialect

  // ------------------------------------------------------------------ create, get, references

  it.effect("creates a record in its initial state with a reference, audit event and history", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("create")
      const { auditor } = people(tenant)
      yield* TestClock.setTime(march2026)
      const f = yield* raiseFinding(auditor, { dueAt: "2026-04-01T00:00:00+02:00" })
      assert.strictEqual(f.type, "finding")
      assert.strictEqual(f.ref, "FND-2026-0001")
      assert.strictEqual(f.title, "Torque wrench calibration overdue")
      assert.strictEqual(f.state, "open")
      assert.strictEqual(f.version, 1)
      assert.strictEqual(f.createdBy, "u-auditor")
      assert.strictEqual(f.ownerId, null)
      assert.strictEqual(f.createdAt, "2026-03-04T05:06:07.000Z")
      assert.strictEqual(f.dueAt, "2026-03-31T22:00:00.000Z")
      assert.strictEqual(f.closedAt, null)
      assert.deepStrictEqual(f.data, findingData({ dueAt: "2026-04-01T00:00:00+02:00" }))
      assert.match(f.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/)
      const again = yield* Records.get(f.id).pipe(as(auditor))
      assert.deepStrictEqual(again, f)
      const page = yield* AuditLog.query({ record: { type: "finding", id: f.id } }).pipe(as(people(tenant).quality))
      assert.deepStrictEqual(
        page.events.map((e) => e.action),
        ["finding.created"]
      )
      assert.strictEqual((page.events[0]!.after as { ref: string }).ref, "FND-2026-0001")
      const history = yield* Records.history(f.id).pipe(as(auditor))
      assert.deepStrictEqual(
        history.map((h) => [h.kind, h.version, h.actorId]),
        [["created", 1, "u-auditor"]]
      )
    })
  )

  it.effect("references are sequential per tenant, type and year, and a rolled-back create leaves no gap", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("refs")
      const other = freshTenant("refs-other")
      const { auditor, quality } = people(tenant)
      yield* TestClock.setTime(march2026)
      const a = yield* raiseFinding(auditor)
      const capa = yield* Records.create({ type: "capa", data: {} }).pipe(as(quality))
      // A hook fails after the record, its reference and its audit event were written: all roll back.
      const error = yield* failure(raiseFinding(auditor, { title: "hook:fail" }))
      assert.instanceOf(error, RecordHooks.HookFailed)
      const b = yield* raiseFinding(auditor)
      const elsewhere = yield* raiseFinding(people(other).auditor)
      yield* TestClock.setTime(Date.parse("2027-01-01T00:00:00.000Z"))
      const nextYear = yield* raiseFinding(auditor)
      assert.deepStrictEqual(
        [a.ref, capa.ref, b.ref, elsewhere.ref, nextYear.ref],
        ["FND-2026-0001", "CAPA-2026-0001", "FND-2026-0002", "FND-2026-0001", "FND-2027-0001"]
      )
      const page = yield* Records.list({ type: "finding" }).pipe(as(auditor))
      assert.deepStrictEqual(
        page.items.map((r) => r.ref),
        ["FND-2027-0001", "FND-2026-0002", "FND-2026-0001"]
      )
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), 4)
    })
  )

  it.effect("bad input is ValidationFailed with field paths, and nothing is written", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("invalid")
      const { auditor } = people(tenant)
      const bad = yield* failure(
        Records.create({ type: "finding", data: { title: " ", level: "9", colour: "red" } }).pipe(as(auditor))
      )
      assert.instanceOf(bad, Errors.ValidationFailed)
      const paths = (bad as Errors.ValidationFailed).issues.map((i) => i.path).sort()
      assert.deepStrictEqual(paths, ["data.colour", "data.level", "data.title"])
      const unknownType = yield* failure(Records.create({ type: "kangaroo", data: {} }).pipe(as(auditor)))
      assert.deepStrictEqual(
        (unknownType as Errors.ValidationFailed).issues.map((i) => i.path),
        ["type"]
      )
      const shape = yield* failure(Records.create({ type: 7, data: {} } as never).pipe(as(auditor)))
      assert.deepStrictEqual(
        (shape as Errors.ValidationFailed).issues.map((i) => i.path),
        ["type"]
      )
      assert.strictEqual(yield* count(d, "aw_records", tenant), 0)
      assert.strictEqual(yield* count(d, "aw_record_refs", tenant), 0)
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), 0)
    })
  )

  it.effect("get needs the type's read permission and sees the caller's open transaction", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("get")
      const { auditor } = people(tenant)
      const f = yield* raiseFinding(auditor)
      const nobody = Actor.make({
        tenantId: tenant,
        actorId: "u-none",
        displayName: "No Roles",
        roles: [],
        traceId: "t"
      })
      const denied = yield* failure(Records.get(f.id).pipe(as(nobody)))
      assert.instanceOf(denied, Errors.Forbidden)
      assert.strictEqual((denied as Errors.Forbidden).missing_permission, "finding.read")
      const missing = yield* failure(Records.get("no-such-record").pipe(as(auditor)))
      assert.instanceOf(missing, Errors.NotFound)
      // Created and read in one transaction that then rolls back: the read joins it, nothing remains.
      const rolledBack = yield* Effect.exit(
        Query.transaction(
          Effect.gen(function* () {
            const created = yield* raiseFinding(auditor)
            const read = yield* Records.get(created.id).pipe(as(auditor))
            assert.deepStrictEqual(read, created)
            return yield* Effect.fail(created.id)
          })
        )
      )
      assert.isTrue(Exit.isFailure(rolledBack))
      const id = Exit.isFailure(rolledBack) && rolledBack.cause._tag === "Fail" ? rolledBack.cause.error : ""
      assert.instanceOf(yield* failure(Records.get(String(id)).pipe(as(auditor))), Errors.NotFound)
    })
  )

  it.effect("commands are authorised with the type's permissions", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("forbidden")
      const { technician, auditor } = people(tenant)
      const denied = yield* failure(raiseFinding(technician))
      assert.instanceOf(denied, Errors.Forbidden)
      assert.strictEqual((denied as Errors.Forbidden).missing_permission, "finding.create")
      const f = yield* raiseFinding(auditor)
      const verify = yield* failure(Records.recordVerification({ id: f.id, result: "effective" }).pipe(as(technician)))
      assert.strictEqual((verify as Errors.Forbidden).missing_permission, "finding.verify")
      const respond = yield* failure(Records.transition({ id: f.id, transition: "submit_response" }).pipe(as(auditor)))
      assert.strictEqual((respond as Errors.Forbidden).missing_permission, "finding.respond")
      // A technician may comment and attach.
      yield* Records.comment({ id: f.id, body: "Seen on the line" }).pipe(as(technician))
      assert.strictEqual(yield* count(d, "aw_records", tenant), 1)
    })
  )

  it.effect("a grant limited to a relation the record type declares counts only for whom it holds", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("relation")
      const { quality, technician } = people(tenant)
      const permit = yield* Records.create({
        type: "work_permit",
        data: { title: "Hot work, hangar 2", holderId: "u-someone-else" }
      }).pipe(as(quality))
      // Not the holder: no edit, no issue, and available() says which permission is missing.
      const edit = yield* failure(Records.update({ id: permit.id, data: { title: "x" } }).pipe(as(technician)))
      assert.strictEqual((edit as Errors.Forbidden).missing_permission, "work_permit.update")
      assert.include((edit as Errors.Forbidden).detail, "only on records where you are its holder")
      const issue = yield* failure(Records.transition({ id: permit.id, transition: "issue" }).pipe(as(technician)))
      assert.strictEqual((issue as Errors.Forbidden).missing_permission, "work_permit.issue")
      const before = yield* Records.available(permit.id).pipe(as(technician))
      assert.deepStrictEqual(
        before.map((a) => [a.transition, a.allowed, a.missingPermission]),
        [["issue", false, "work_permit.issue"]]
      )
      // Made the holder, the same actor may do both.
      yield* Records.update({ id: permit.id, data: { holderId: "u-tech" } }).pipe(as(quality))
      const after = yield* Records.available(permit.id).pipe(as(technician))
      assert.deepStrictEqual(
        after.map((a) => [a.transition, a.allowed]),
        [["issue", true]]
      )
      const edited = yield* Records.update({ id: permit.id, data: { title: "Hot work, hangar 3" } }).pipe(
        as(technician)
      )
      assert.strictEqual(edited.version, 3)
      const issued = yield* Records.transition({ id: permit.id, transition: "issue" }).pipe(as(technician))
      assert.strictEqual(issued.state, "issued")
      const actors = yield* Effect.map(
        AuditLog.query({ record: { type: "work_permit", id: permit.id }, order: "asc" }).pipe(as(quality)),
        (page) => page.events.map((e) => `${e.action} ${e.actor.id}`)
      )
      assert.deepStrictEqual(actors, [
        "work_permit.created u-quality",
        "work_permit.updated u-quality",
        "work_permit.updated u-tech",
        "work_permit.transition.issue u-tech"
      ])
    })
  )

  // ------------------------------------------------------------------ list

  it.effect("lists with filters on type, state, owner, due date and text, in keyset pages", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("list")
      const { auditor, quality } = people(tenant)
      yield* TestClock.setTime(march2026)
      const f1 = yield* raiseFinding(auditor, { title: "Torque wrench overdue", dueAt: "2026-03-10T00:00:00Z" })
      const f2 = yield* raiseFinding(auditor, { title: "Expired sealant in stores", dueAt: "2026-05-01T00:00:00Z" })
      const f3 = yield* raiseFinding(auditor, { title: "Missing TORQUE values on task card" })
      const c1 = yield* Records.create({ type: "capa", data: { title: "Tool control" }, ownerId: "u-owner" }).pipe(
        as(quality)
      )
      yield* Records.assign({ id: f2.id, ownerId: "u-owner" }).pipe(as(quality))
      yield* Records.transition({ id: c1.id, transition: "open" }).pipe(as(quality))
      const refs = (page: QmsRecord.Page) => page.items.map((r) => r.ref)
      const listed = (filter: Records.ListFilter) => Effect.map(Records.list(filter).pipe(as(quality)), refs)
      assert.deepStrictEqual(yield* listed({}), ["CAPA-2026-0001", "FND-2026-0003", "FND-2026-0002", "FND-2026-0001"])
      assert.deepStrictEqual(yield* listed({ type: "capa" }), ["CAPA-2026-0001"])
      assert.deepStrictEqual(yield* listed({ state: "open", type: ["finding", "capa"] }), [
        "CAPA-2026-0001",
        "FND-2026-0003",
        "FND-2026-0002",
        "FND-2026-0001"
      ])
      assert.deepStrictEqual(yield* listed({ state: "draft" }), [])
      assert.deepStrictEqual(yield* listed({ ownerId: "u-owner" }), ["CAPA-2026-0001", "FND-2026-0002"])
      assert.deepStrictEqual(yield* listed({ dueBefore: "2026-04-01T00:00:00Z" }), ["FND-2026-0001"])
      assert.deepStrictEqual(yield* listed({ text: "torque" }), ["FND-2026-0003", "FND-2026-0001"])
      assert.deepStrictEqual(yield* listed({ text: "cApA-2026" }), ["CAPA-2026-0001"])
      assert.deepStrictEqual(yield* listed({ text: "100%_" }), [])
      assert.deepStrictEqual(yield* listed({ order: "asc", type: "finding" }), [f1.ref, f2.ref, f3.ref])
      // Pages of two: every record exactly once, then no cursor.
      const first = yield* Records.list({ limit: 2 }).pipe(as(quality))
      assert.deepStrictEqual(refs(first), ["CAPA-2026-0001", "FND-2026-0003"])
      assert.isNotNull(first.nextCursor)
      const second = yield* Records.list({ limit: 2, cursor: first.nextCursor! }).pipe(as(quality))
      assert.deepStrictEqual(refs(second), ["FND-2026-0002", "FND-2026-0001"])
      assert.isNull(second.nextCursor)
      const badCursor = yield* failure(Records.list({ cursor: "not-a-cursor" }).pipe(as(quality)))
      assert.deepStrictEqual(
        (badCursor as Errors.ValidationFailed).issues.map((i) => i.path),
        ["cursor"]
      )
      const badLimit = yield* failure(Records.list({ limit: 0 }).pipe(as(quality)))
      assert.instanceOf(badLimit, Errors.ValidationFailed)
    })
  )

  // ------------------------------------------------------------------ update

  it.effect("updates only the fields the state allows, re-validates the data and audits the diff", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("update")
      const { auditor, quality, owner } = people(tenant)
      const f = yield* raiseFinding(auditor, { description: "Found during audit A-12" })
      const updated = yield* Records.update({
        id: f.id,
        expectedVersion: 1,
        data: { title: "Torque wrench TW-7 calibration overdue", description: null, response: "Recalled" },
        reason: "Clarified"
      }).pipe(as(auditor))
      assert.strictEqual(updated.version, 2)
      assert.strictEqual(updated.title, "Torque wrench TW-7 calibration overdue")
      assert.deepStrictEqual(updated.data, {
        title: "Torque wrench TW-7 calibration overdue",
        level: "2",
        requirement: "145.A.40(b)",
        response: "Recalled"
      })
      const page = yield* AuditLog.query({ record: { type: "finding", id: f.id }, order: "asc" }).pipe(as(quality))
      const event = page.events[1]!
      assert.strictEqual(event.action, "finding.updated")
      assert.strictEqual(event.reason, "Clarified")
      assert.deepStrictEqual(
        event.diff.map((x) => x.path),
        ["data.description", "data.response", "data.title", "title", "version"]
      )
      // Schema re-validation: the merged data must still be a finding.
      const invalid = yield* failure(Records.update({ id: f.id, data: { level: "9" } }).pipe(as(auditor)))
      assert.deepStrictEqual(
        (invalid as Errors.ValidationFailed).issues.map((i) => i.path),
        ["data.level"]
      )
      // A patch that changes nothing writes nothing.
      const same = yield* Records.update({ id: f.id, data: { level: "2" } }).pipe(as(auditor))
      assert.strictEqual(same.version, 2)
      // Once the response is submitted, nothing is editable.
      yield* Records.transition({ id: f.id, transition: "submit_response" }).pipe(as(owner))
      const locked = yield* failure(
        Records.update({ id: f.id, data: { title: "Changed", requirement: "145.A.45" } }).pipe(as(auditor))
      )
      assert.instanceOf(locked, Errors.ValidationFailed)
      assert.deepStrictEqual(
        (locked as Errors.ValidationFailed).issues.map((i) => i.path),
        ["data.requirement", "data.title"]
      )
      const now = yield* Records.get(f.id).pipe(as(auditor))
      assert.strictEqual(now.version, 3)
      assert.strictEqual(now.title, "Torque wrench TW-7 calibration overdue")
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), 3)
    })
  )

  // ------------------------------------------------------------------ transitions and guards

  it.effect("a transition lists every unmet guard at once, and passes once they are met", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("guards")
      yield* TestClock.setTime(march2026)
      const { cast, finding } = yield* findingInVerification(tenant)
      assert.strictEqual(finding.state, "verification")
      assert.strictEqual(finding.version, 6)
      const blocked = yield* failure(Records.transition({ id: finding.id, transition: "close" }).pipe(as(cast.auditor)))
      assert.instanceOf(blocked, Errors.GuardsFailed)
      assert.deepStrictEqual(
        (blocked as Errors.GuardsFailed).unmet.map((u) => u.code),
        ["attachment.missing", "verification.missing", "link.missing"]
      )
      // The owner verifying their own action does not count; the evidence and the CAPA are still missing.
      yield* Records.attach({
        id: finding.id,
        kind: "evidence",
        name: "calibration-certificate.pdf",
        mediaType: "application/pdf",
        size: 48213,
        sha256: sha(1)
      }).pipe(as(cast.owner))
      yield* Records.recordVerification({ id: finding.id, result: "effective" }).pipe(as(people(tenant).quality))
      const capa = yield* closedCapa(tenant)
      yield* Records.link({ from: finding.id, to: capa.id, kind: "corrective_action" }).pipe(as(cast.auditor))
      const available = yield* Records.available(finding.id).pipe(as(cast.auditor))
      assert.deepStrictEqual(
        available.map((a) => [a.transition, a.allowed, a.reasonRequired]),
        [
          ["reject_verification", true, true],
          ["close", true, false]
        ]
      )
      const closed = yield* Records.transition({ id: finding.id, transition: "close", expectedVersion: 6 }).pipe(
        as(cast.auditor)
      )
      assert.strictEqual(closed.state, "closed")
      assert.strictEqual(closed.version, 7)
      assert.strictEqual(closed.closedAt, "2026-03-04T05:06:07.000Z")
      assert.deepStrictEqual(yield* Records.available(finding.id).pipe(as(cast.auditor)), [])
      const history = yield* Records.history(finding.id).pipe(as(cast.auditor))
      assert.deepStrictEqual(
        history.filter((h) => h.kind === "transitioned").map((h) => `${h.fromState}->${h.toState}`),
        [
          "open->response_submitted",
          "response_submitted->action_in_progress",
          "action_in_progress->verification",
          "verification->closed"
        ]
      )
      const actions = yield* auditActions(d, tenant)
      assert.includeMembers(actions, ["finding.transition.close", "capa.transition.approve_plan", "finding.linked"])
      const verified = yield* AuditLog.verify(tenant)
      assert.isTrue(verified.ok)
    })
  )

  it.effect("a verification by the owner is not independent; available() says what blocks each step", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("available")
      const { cast, finding } = yield* findingInVerification(tenant)
      // Give the owner the verify permission through the quality manager role for this check.
      const ownerAsQuality = Actor.make({ ...people(tenant).quality, actorId: "u-owner" })
      yield* Records.recordVerification({ id: finding.id, result: "effective" }).pipe(as(ownerAsQuality))
      const [reject, close] = yield* Records.available(finding.id).pipe(as(cast.technician))
      assert.strictEqual(reject!.allowed, false)
      assert.strictEqual(reject!.missingPermission, "finding.verify")
      assert.strictEqual(close!.allowed, false)
      assert.deepStrictEqual(
        close!.unmet.map((u) => u.code),
        ["attachment.missing", "verification.not_independent", "link.missing"]
      )
    })
  )

  it.effect("an invalid transition, a missing reason and a missing signature are refused without writing", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("invalid-transition")
      const { auditor, quality, owner } = people(tenant)
      const f = yield* raiseFinding(auditor, { response: "Done" })
      const wrong = yield* failure(Records.transition({ id: f.id, transition: "close" }).pipe(as(auditor)))
      assert.instanceOf(wrong, Errors.InvalidTransition)
      yield* Records.transition({ id: f.id, transition: "submit_response" }).pipe(as(owner))
      const noReason = yield* failure(Records.transition({ id: f.id, transition: "reject_response" }).pipe(as(auditor)))
      assert.deepStrictEqual(
        (noReason as Errors.ValidationFailed).issues.map((i) => i.path),
        ["reason"]
      )
      const rejected = yield* Records.transition({
        id: f.id,
        transition: "reject_response",
        reason: "Root cause not addressed"
      }).pipe(as(auditor))
      assert.strictEqual(rejected.state, "open")
      const c = yield* Records.create({
        type: "capa",
        data: { title: "T", rootCause: { method: "other", text: "x" } }
      }).pipe(as(quality))
      yield* Records.transition({ id: c.id, transition: "open" }).pipe(as(quality))
      yield* Records.update({ id: c.id, data: { actions: [{ text: "Fix" }] } }).pipe(as(quality))
      yield* Records.transition({ id: c.id, transition: "plan_actions" }).pipe(as(quality))
      const unsigned = yield* failure(Records.transition({ id: c.id, transition: "approve_plan" }).pipe(as(quality)))
      assert.deepStrictEqual(
        (unsigned as Errors.ValidationFailed).issues.map((i) => i.path),
        ["signature"]
      )
      const before = yield* count(d, "aw_audit_events", tenant)
      const badPin = yield* failure(
        Records.transition({
          id: c.id,
          transition: "approve_plan",
          signature: { meaning: "approved", credential: "0000" }
        }).pipe(as(quality))
      )
      assert.instanceOf(badPin, Errors.Unauthenticated)
      assert.strictEqual((yield* Records.get(c.id).pipe(as(quality))).state, "action_plan")
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), before)
      assert.strictEqual(yield* count(d, "aw_record_signatures", tenant), 0)
    })
  )

  it.effect("a stale version is refused with StaleVersion and nothing is written", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("stale")
      const { auditor, owner, quality } = people(tenant)
      const f = yield* raiseFinding(auditor, { response: "Done" })
      yield* Records.update({ id: f.id, expectedVersion: 1, data: { description: "More detail" } }).pipe(as(auditor))
      const events = yield* count(d, "aw_audit_events", tenant)
      const history = yield* count(d, "aw_record_history", tenant)
      const stale = yield* failure(
        Records.transition({ id: f.id, transition: "submit_response", expectedVersion: 1 }).pipe(as(owner))
      )
      assert.instanceOf(stale, Errors.StaleVersion)
      assert.deepStrictEqual([(stale as Errors.StaleVersion).expected, (stale as Errors.StaleVersion).actual], [1, 2])
      assert.strictEqual((stale as Errors.StaleVersion).status, 409)
      const staleUpdate = yield* failure(
        Records.update({ id: f.id, expectedVersion: 1, data: { description: "Mine" } }).pipe(as(auditor))
      )
      assert.instanceOf(staleUpdate, Errors.StaleVersion)
      const staleSign = yield* failure(
        Records.sign({ id: f.id, meaning: "reviewed", credential: "pin-1234", expectedVersion: 1 }).pipe(as(quality))
      )
      assert.instanceOf(staleSign, Errors.StaleVersion)
      const now = yield* Records.get(f.id).pipe(as(auditor))
      assert.strictEqual(now.version, 2)
      assert.strictEqual(now.state, "open")
      assert.strictEqual((now.data as { description: string }).description, "More detail")
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), events)
      assert.strictEqual(yield* count(d, "aw_record_history", tenant), history)
      assert.strictEqual(yield* count(d, "aw_record_signatures", tenant), 0)
    })
  )

  it.effect("two commands racing on the same version: one wins, the other is StaleVersion", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("race")
      const { auditor, quality } = people(tenant)
      const f = yield* raiseFinding(auditor)
      const exits = yield* Effect.all(
        [
          Records.update({ id: f.id, expectedVersion: 1, data: { description: "A" } }).pipe(as(auditor)),
          Records.update({ id: f.id, expectedVersion: 1, data: { description: "B" } }).pipe(as(quality))
        ],
        { concurrency: "unbounded", mode: "either" }
      )
      const wins = exits.filter((e) => e._tag === "Right")
      const losses = exits.flatMap((e) => (e._tag === "Left" ? [e.left] : []))
      assert.strictEqual(wins.length, 1)
      assert.strictEqual(losses.length, 1)
      assert.instanceOf(losses[0], Errors.StaleVersion)
      const now = yield* Records.get(f.id).pipe(as(auditor))
      assert.strictEqual(now.version, 2)
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), 2)
    })
  )

  // ------------------------------------------------------------------ idempotency

  it.effect("an idempotency key replays the first result without writing; another request with it conflicts", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("idempotency")
      const other = freshTenant("idempotency-other")
      const { auditor, owner } = people(tenant)
      const first = yield* raiseFinding(auditor, {}, { idempotencyKey: "create-1" })
      const replay = yield* raiseFinding(auditor, {}, { idempotencyKey: "create-1" })
      assert.deepStrictEqual(replay, first)
      assert.strictEqual(yield* count(d, "aw_records", tenant), 1)
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), 1)
      const conflict = yield* failure(raiseFinding(auditor, { level: "1" }, { idempotencyKey: "create-1" }))
      assert.instanceOf(conflict, Errors.IdempotencyConflict)
      assert.strictEqual((conflict as Errors.IdempotencyConflict).status, 409)
      // Keys are per tenant.
      const elsewhere = yield* raiseFinding(people(other).auditor, {}, { idempotencyKey: "create-1" })
      assert.notStrictEqual(elsewhere.id, first.id)
      // A failed command does not use its key up.
      const blocked = yield* failure(
        Records.transition({ id: first.id, transition: "submit_response", idempotencyKey: "submit-1" }).pipe(as(owner))
      )
      assert.instanceOf(blocked, Errors.GuardsFailed)
      yield* Records.update({ id: first.id, data: { response: "Recalled" } }).pipe(as(auditor))
      const moved = yield* Records.transition({
        id: first.id,
        transition: "submit_response",
        idempotencyKey: "submit-1"
      }).pipe(as(owner))
      const events = yield* count(d, "aw_audit_events", tenant)
      // The replay returns the first result even though the record has moved on.
      const again = yield* Records.transition({
        id: first.id,
        transition: "submit_response",
        idempotencyKey: "submit-1"
      }).pipe(as(owner))
      assert.deepStrictEqual(again, moved)
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), events)
      const c1 = yield* Records.comment({ id: first.id, body: "Once", idempotencyKey: "c-1" }).pipe(as(auditor))
      const c2 = yield* Records.comment({ id: first.id, body: "Once", idempotencyKey: "c-1" }).pipe(as(auditor))
      assert.deepStrictEqual(c2, c1)
      assert.strictEqual(yield* count(d, "aw_record_comments", tenant), 1)
    })
  )

  it.effect("the same idempotency key sent twice at once creates one record", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("idempotency-race")
      const { auditor } = people(tenant)
      const [one, two] = yield* Effect.all(
        [raiseFinding(auditor, {}, { idempotencyKey: "dup" }), raiseFinding(auditor, {}, { idempotencyKey: "dup" })],
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(one, two)
      assert.strictEqual(yield* count(d, "aw_records", tenant), 1)
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), 1)
      assert.strictEqual(yield* count(d, "aw_record_idempotency", tenant), 1)
    })
  )

  // ------------------------------------------------------------------ hooks and the bus

  it.scoped("a failing hook rolls back the record, its audit events and the hooks' writes; nothing is published", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("hook-fail")
      const { auditor, owner } = people(tenant)
      const queue = yield* Records.subscribe
      const error = yield* failure(raiseFinding(auditor, { title: "hook:comment hook:fail" }))
      assert.instanceOf(error, RecordHooks.HookFailed)
      for (const table of [
        "aw_records",
        "aw_record_comments",
        "aw_record_history",
        "aw_record_refs",
        "aw_audit_events"
      ]) {
        assert.strictEqual(yield* count(d, table, tenant), 0, table)
      }
      // A transition hook failing leaves the record where it was.
      const f = yield* raiseFinding(auditor, { response: "Done", description: "hook:fail" })
      yield* Records.transition({ id: f.id, transition: "submit_response" }).pipe(as(owner))
      const events = yield* count(d, "aw_audit_events", tenant)
      const refused = yield* failure(Records.transition({ id: f.id, transition: "accept_response" }).pipe(as(auditor)))
      assert.instanceOf(refused, RecordHooks.HookFailed)
      const now = yield* Records.get(f.id).pipe(as(auditor))
      assert.deepStrictEqual([now.state, now.version], ["response_submitted", 2])
      assert.strictEqual(yield* count(d, "aw_audit_events", tenant), events)
      const published = (yield* Queue.takeAll(queue)).pipe((c) => [...c].filter((x) => x.tenantId === tenant))
      assert.deepStrictEqual(
        published.map((x) => `${x.kind}@${x.version}`),
        ["created@1", "transitioned@2"]
      )
      assert.strictEqual((yield* AuditLog.verify(tenant)).ok, true)
    })
  )

  it.scoped("hooks write in the same transaction; the bus publishes committed changes after the commit", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("hook-ok")
      const { auditor, owner } = people(tenant)
      const queue = yield* Records.subscribe
      const f = yield* raiseFinding(auditor, { title: "hook:comment Loose fastener" })
      const comments = yield* Records.comments(f.id).pipe(as(auditor))
      assert.deepStrictEqual(
        comments.map((c) => [c.body, c.authorId]),
        [["Raised automatically by a hook", "u-auditor"]]
      )
      const events = [...(yield* Queue.takeAll(queue))].filter((x) => x.tenantId === tenant)
      assert.deepStrictEqual(
        events.map((x) => [x.kind, x.recordId, x.version, x.type]),
        [
          ["created", f.id, 1, "finding"],
          ["commented", f.id, 1, "finding"]
        ]
      )
      const sequences = events.map((x) => x.auditSequence)
      assert.deepStrictEqual(sequences, [1, 2])
      // Several commands in one Records.transaction: nothing is published until it commits.
      const sizeInside = yield* Records.transaction(
        Effect.gen(function* () {
          yield* Records.update({ id: f.id, data: { response: "Replaced" } }).pipe(as(auditor))
          yield* Records.transition({ id: f.id, transition: "submit_response" }).pipe(as(owner))
          return yield* Queue.size(queue)
        })
      )
      assert.strictEqual(sizeInside, 0)
      const after = [...(yield* Queue.takeAll(queue))].filter((x) => x.tenantId === tenant)
      assert.deepStrictEqual(
        after.map((x) => [x.kind, x.version, x.state, x.transition]),
        [
          ["updated", 2, "open", undefined],
          ["transitioned", 3, "response_submitted", "submit_response"]
        ]
      )
      // A Records.transaction that rolls back publishes nothing and leaves nothing.
      const rolledBack = yield* Effect.exit(
        Records.transaction(
          Effect.gen(function* () {
            yield* Records.comment({ id: f.id, body: "Will vanish" }).pipe(as(auditor))
            return yield* Effect.fail("abort" as const)
          })
        )
      )
      assert.isTrue(Exit.isFailure(rolledBack))
      assert.strictEqual(yield* count(d, "aw_record_comments", tenant), 1)
      assert.strictEqual([...(yield* Queue.takeAll(queue))].filter((x) => x.tenantId === tenant).length, 0)
      // The hook saw the transition with its name and the record before and after.
      const changes = (yield* Ref.get(seen))
        .filter((s) => s.tenantId === tenant && s.change.kind === "transitioned")
        .map((s) => s.change)
      assert.strictEqual(changes.length, 1)
      assert.deepStrictEqual(changes[0]!.transition, {
        name: "submit_response",
        from: "open",
        to: "response_submitted"
      })
      assert.strictEqual(changes[0]!.before?.version, 2)
      assert.strictEqual(changes[0]!.record.version, 3)
    })
  )

  // ------------------------------------------------------------------ links and sidecar entries

  it.effect("links are typed, queryable in both directions, and removable", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("links")
      const { auditor, quality, technician } = people(tenant)
      const f = yield* raiseFinding(auditor)
      const c = yield* Records.create({ type: "capa", data: { title: "Tool control" } }).pipe(as(quality))
      const l = yield* Records.link({ from: f.id, to: c.id, kind: "corrective_action" }).pipe(as(auditor))
      const again = yield* Records.link({ from: f.id, to: c.id, kind: "corrective_action" }).pipe(as(auditor))
      assert.deepStrictEqual(again, l)
      const out = yield* Records.links(f.id).pipe(as(technician))
      assert.deepStrictEqual(
        out.map((v) => [v.direction, v.link.kind, v.other.ref, v.other.state]),
        [["out", "corrective_action", c.ref, "draft"]]
      )
      const inbound = yield* Records.links(c.id, { direction: "in" }).pipe(as(technician))
      assert.deepStrictEqual(
        inbound.map((v) => [v.direction, v.other.id]),
        [["in", f.id]]
      )
      assert.deepStrictEqual(yield* Records.links(c.id, { direction: "out" }).pipe(as(technician)), [])
      const backwards = yield* failure(
        Records.link({ from: c.id, to: f.id, kind: "corrective_action" }).pipe(as(auditor))
      )
      assert.deepStrictEqual(
        (backwards as Errors.ValidationFailed).issues.map((i) => i.path),
        ["from"]
      )
      const unknownKind = yield* failure(Records.link({ from: f.id, to: c.id, kind: "blames" }).pipe(as(auditor)))
      assert.deepStrictEqual(
        (unknownKind as Errors.ValidationFailed).issues.map((i) => i.path),
        ["kind"]
      )
      const self = yield* failure(Records.link({ from: f.id, to: f.id, kind: "related" }).pipe(as(auditor)))
      assert.instanceOf(self, Errors.ValidationFailed)
      const denied = yield* failure(Records.link({ from: f.id, to: c.id, kind: "related" }).pipe(as(technician)))
      assert.strictEqual((denied as Errors.Forbidden).missing_permission, "record.link")
      const removed = yield* Records.unlink({ from: f.id, to: c.id, kind: "corrective_action" }).pipe(as(auditor))
      assert.strictEqual(removed.removedBy, "u-auditor")
      assert.deepStrictEqual(yield* Records.links(f.id).pipe(as(auditor)), [])
      const gone = yield* failure(Records.unlink({ from: f.id, to: c.id, kind: "corrective_action" }).pipe(as(auditor)))
      assert.instanceOf(gone, Errors.NotFound)
      // Relinking after removal is a new link.
      const relinked = yield* Records.link({ from: f.id, to: c.id, kind: "corrective_action" }).pipe(as(auditor))
      assert.notStrictEqual(relinked.id, l.id)
      const actions = yield* auditActions(d, tenant)
      assert.deepStrictEqual(
        actions.filter((a) => a.endsWith("linked")),
        ["finding.linked", "capa.linked", "finding.unlinked", "capa.unlinked", "finding.linked", "capa.linked"]
      )
    })
  )

  it.effect("comments, attachments, verifications and approvals are recorded, listed and audited", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("sidecar")
      const { auditor, quality, technician, manager } = people(tenant)
      yield* TestClock.setTime(march2026)
      const f = yield* raiseFinding(auditor)
      const comment = yield* Records.comment({ id: f.id, body: "Checked the tool store" }).pipe(as(technician))
      assert.deepStrictEqual([comment.authorId, comment.authorName], ["u-tech", "Toni Technician"])
      const attachment = yield* Records.attach({
        id: f.id,
        kind: "photo",
        name: "tw-7.jpg",
        mediaType: "image/jpeg",
        size: 5_000_000_000,
        sha256: sha(255)
      }).pipe(as(technician))
      assert.strictEqual(attachment.size, 5_000_000_000)
      const badAttachment = yield* failure(
        Records.attach({ id: f.id, kind: "photo", name: "x", mediaType: "jpeg", size: -1, sha256: "XYZ" }).pipe(
          as(technician)
        )
      )
      assert.deepStrictEqual((badAttachment as Errors.ValidationFailed).issues.map((i) => i.path).sort(), [
        "mediaType",
        "sha256",
        "size"
      ])
      const verification = yield* Records.recordVerification({
        id: f.id,
        result: "effective",
        note: "Sampled 5 tools",
        expectedVersion: 1
      }).pipe(as(auditor))
      assert.strictEqual(verification.recordVersion, 1)
      const c = yield* Records.create({ type: "capa", data: { title: "Plan" } }).pipe(as(quality))
      const approval = yield* Records.approve({ id: c.id, note: "Resources agreed" }).pipe(as(manager))
      assert.strictEqual(approval.approvedBy, "u-manager")
      const noApprove = yield* failure(Records.approve({ id: f.id }).pipe(as(manager)))
      assert.strictEqual((noApprove as Errors.Forbidden).missing_permission, "finding.approve")
      assert.deepStrictEqual(yield* Records.comments(f.id).pipe(as(auditor)), [comment])
      assert.deepStrictEqual(yield* Records.attachments(f.id).pipe(as(auditor)), [attachment])
      assert.deepStrictEqual(yield* Records.verifications(f.id).pipe(as(auditor)), [verification])
      assert.deepStrictEqual(yield* Records.approvals(c.id).pipe(as(auditor)), [approval])
      // Sidecar entries do not change the record's version.
      assert.strictEqual((yield* Records.get(f.id).pipe(as(auditor))).version, 1)
      assert.deepStrictEqual(
        (yield* Records.history(f.id).pipe(as(auditor))).map((h) => h.kind),
        ["created", "commented", "attached", "verification_recorded"]
      )
      assert.deepStrictEqual(yield* auditActions(d, tenant), [
        "finding.created",
        "finding.commented",
        "finding.attached",
        "finding.verification_recorded",
        "capa.created",
        "capa.approved"
      ])
    })
  )

  // ------------------------------------------------------------------ signatures

  it.effect("a signature binds signer, meaning, time and version by SHA-256 of the canonical record", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("sign")
      const { auditor, quality } = people(tenant)
      yield* TestClock.setTime(march2026)
      const f = yield* raiseFinding(auditor)
      const refused = yield* failure(
        Records.sign({ id: f.id, meaning: "reviewed", credential: "1111" }).pipe(as(quality))
      )
      assert.instanceOf(refused, Errors.Unauthenticated)
      assert.strictEqual((refused as Errors.Unauthenticated).status, 401)
      const missing = yield* failure(Records.sign({ id: f.id, meaning: "reviewed" }).pipe(as(quality)))
      assert.instanceOf(missing, Errors.Unauthenticated)
      assert.strictEqual(yield* count(d, "aw_record_signatures", tenant), 0)
      const s = yield* Records.sign({ id: f.id, meaning: "reviewed", credential: "pin-1234", expectedVersion: 1 }).pipe(
        as(quality)
      )
      assert.deepStrictEqual(
        [s.signerId, s.signerName, s.meaning, s.recordVersion, s.signedAt, s.transition],
        ["u-quality", "Quinn Quality", "reviewed", 1, "2026-03-04T05:06:07.000Z", null]
      )
      const { id, type, ref, title, state, version, ownerId, createdBy, createdAt, updatedAt, dueAt, closedAt, data } =
        f
      const canonical = CanonicalJson.canonicalize({
        id,
        type,
        ref,
        title,
        state,
        version,
        ownerId,
        createdBy,
        createdAt,
        updatedAt,
        dueAt,
        closedAt,
        data
      })
      assert.strictEqual(s.contentHash, createHash("sha256").update(canonical).digest("hex"))
      const checks = yield* Records.verifySignatures(f.id).pipe(as(auditor))
      assert.deepStrictEqual(
        checks.map((c) => [c.intact, c.current]),
        [[true, true]]
      )
      yield* Records.update({ id: f.id, data: { description: "Changed after signing" } }).pipe(as(auditor))
      const later = yield* Records.verifySignatures(f.id).pipe(as(auditor))
      assert.deepStrictEqual(
        later.map((c) => [c.intact, c.current]),
        [[true, false]]
      )
      // The credential never reaches the audit trail.
      const page = yield* AuditLog.query({ record: { type: "finding", id: f.id } }).pipe(as(quality))
      assert.notInclude(JSON.stringify(page.events), "pin-1234")
      assert.include(
        page.events.map((e) => e.action),
        "finding.signed"
      )
    })
  )

  it.effect("a transition that requires a signature stores it, bound to the version the signer approved", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("sign-transition")
      const capa = yield* closedCapa(tenant)
      const signatures = yield* Records.signatures(capa.id).pipe(as(people(tenant).auditor))
      assert.strictEqual(signatures.length, 1)
      assert.deepStrictEqual(
        [signatures[0]!.transition, signatures[0]!.meaning, signatures[0]!.signerId, signatures[0]!.recordVersion],
        ["approve_plan", "approved", "u-manager", 4]
      )
      const history = yield* Records.history(capa.id).pipe(as(people(tenant).auditor))
      const approved = history.find((h) => h.transition === "approve_plan")!
      assert.deepStrictEqual(
        [approved.version, approved.fromState, approved.toState],
        [5, "action_plan", "implementation"]
      )
      assert.deepStrictEqual(approved.detail, { signatureId: signatures[0]!.id, meaning: "approved" })
      assert.strictEqual(capa.state, "closed")
    })
  )

  // ------------------------------------------------------------------ tenants

  it.effect("no operation reads or changes another tenant's record", () =>
    Effect.gen(function* () {
      const tenantA = freshTenant("tenant-a")
      const tenantB = freshTenant("tenant-b")
      const a = people(tenantA)
      const b = people(tenantB)
      const f = yield* raiseFinding(a.auditor, { response: "Done" })
      const c = yield* Records.create({ type: "capa", data: { title: "A's CAPA" } }).pipe(as(a.quality))
      const bFinding = yield* raiseFinding(b.auditor)
      const eventsA = yield* count(d, "aw_audit_events", tenantA)
      const eventsB = yield* count(d, "aw_audit_events", tenantB)
      const attempts: ReadonlyArray<Effect.Effect<unknown, unknown, Records.Records | Actor.CurrentActor>> = [
        Records.get(f.id),
        Records.update({ id: f.id, data: { title: "Hijacked" } }),
        Records.assign({ id: f.id, ownerId: "u-b" }),
        Records.transition({ id: f.id, transition: "submit_response" }),
        Records.link({ from: bFinding.id, to: c.id, kind: "corrective_action" }),
        Records.link({ from: f.id, to: c.id, kind: "corrective_action" }),
        Records.comment({ id: f.id, body: "Hello from B" }),
        Records.attach({
          id: f.id,
          kind: "evidence",
          name: "x.pdf",
          mediaType: "application/pdf",
          size: 1,
          sha256: sha(2)
        }),
        Records.recordVerification({ id: f.id, result: "effective" }),
        Records.approve({ id: c.id }),
        Records.sign({ id: f.id, meaning: "reviewed", credential: "pin-1234" }),
        Records.history(f.id),
        Records.available(f.id),
        Records.links(f.id),
        Records.comments(f.id),
        Records.signatures(f.id)
      ]
      for (const op of attempts) {
        const error = yield* failure(op.pipe(as(b.quality)))
        assert.instanceOf(error, Errors.NotFound)
      }
      const listed = yield* Records.list({}).pipe(as(b.quality))
      assert.deepStrictEqual(
        listed.items.map((r) => r.id),
        [bFinding.id]
      )
      const searched = yield* Records.list({ text: "A's CAPA" }).pipe(as(b.quality))
      assert.deepStrictEqual(
        searched.items.map((r) => r.id),
        []
      )
      const unchanged = yield* Records.get(f.id).pipe(as(a.auditor))
      assert.deepStrictEqual([unchanged.version, unchanged.state, unchanged.title], [1, "open", f.title])
      assert.strictEqual(yield* count(d, "aw_audit_events", tenantA), eventsA)
      assert.strictEqual(yield* count(d, "aw_audit_events", tenantB), eventsB)
      for (const table of ["aw_record_comments", "aw_record_links", "aw_record_attachments", "aw_record_signatures"]) {
        assert.strictEqual(yield* count(d, table, tenantA), 0, table)
        assert.strictEqual(yield* count(d, table, tenantB), 0, table)
      }
    })
  )

  it.effect("the CAPA workflow runs end to end with its custom effectiveness guard", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("capa")
      const { owner, quality } = people(tenant)
      const c = yield* Records.create({ type: "capa", data: { title: "Recurring FOD" }, ownerId: "u-owner" }).pipe(
        as(quality)
      )
      assert.strictEqual(c.state, "draft")
      yield* Records.transition({ id: c.id, transition: "open" }).pipe(as(owner))
      const noRootCause = yield* failure(Records.transition({ id: c.id, transition: "plan_actions" }).pipe(as(owner)))
      assert.deepStrictEqual(
        (noRootCause as Errors.GuardsFailed).unmet.map((u) => u.message),
        ["Root cause analysis method must be filled in", "Root cause must be filled in"]
      )
      yield* Records.update({
        id: c.id,
        data: { rootCause: { method: "fishbone", text: "No FOD walk" }, actions: [{ text: "Daily FOD walk" }] }
      }).pipe(as(owner))
      yield* Records.transition({ id: c.id, transition: "plan_actions" }).pipe(as(owner))
      yield* Records.transition({
        id: c.id,
        transition: "approve_plan",
        signature: { meaning: "approved", credential: "pin-1234" }
      }).pipe(as(people(tenant).manager))
      yield* Records.transition({ id: c.id, transition: "complete_implementation" }).pipe(as(owner))
      const unconfirmed = yield* failure(Records.transition({ id: c.id, transition: "close" }).pipe(as(quality)))
      assert.deepStrictEqual(
        (unconfirmed as Errors.GuardsFailed).unmet.map((u) => u.code),
        ["effectiveness.missing"]
      )
      yield* Records.update({ id: c.id, data: { effectiveness: { result: "ineffective" } } }).pipe(as(owner))
      const ineffective = yield* failure(Records.transition({ id: c.id, transition: "close" }).pipe(as(quality)))
      assert.deepStrictEqual(
        (ineffective as Errors.GuardsFailed).unmet.map((u) => u.code),
        ["effectiveness.ineffective"]
      )
      const back = yield* Records.transition({
        id: c.id,
        transition: "reject_effectiveness",
        reason: "FOD found again in week 2"
      }).pipe(as(quality))
      assert.strictEqual(back.state, "action_plan")
      const cancelled = yield* Records.transition({ id: c.id, transition: "cancel", reason: "Superseded" }).pipe(
        as(quality)
      )
      assert.deepStrictEqual([cancelled.state, cancelled.closedAt !== null], ["cancelled", true])
      const listed = yield* Records.list({ state: "cancelled" }).pipe(as(quality))
      assert.deepStrictEqual(
        listed.items.map((r) => r.id),
        [c.id]
      )
      assert.isTrue(Option.isSome(Option.fromNullable(cancelled.closedAt)))
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )
}
