// Grants limited to the actor's relation to the record (`finding.update@owner`), and changing a
// finding's level, on every database target.
import { AuditLog } from "@airworthy/audit"
import { Records } from "@airworthy/records"
import type { Storage } from "@airworthy/storage"
import { Tasks } from "@airworthy/tasks"
import type { TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { assert } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import { Capa, Findings, type Qms } from "../src/index.js"
import { as, freshTenant, people, staff } from "./layers.js"

const start = Date.parse("2026-03-02T08:00:00.000Z")
const hour = 3_600_000

const failure = <A, E extends { readonly _tag: string }>(either: Either.Either<A, E>) =>
  Either.isLeft(either) ? either.left : undefined

export const ownershipSuite = (it: TestKit.It<Qms.Services | Storage.Storage | SqlClient.SqlClient>) => {
  it.effect("a CAPA owner edits only the findings and CAPAs they own", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("own")
      yield* staff(tenant)
      const p = people(tenant)
      const olives = yield* Findings.raiseFinding({
        title: "Torque wrench overdue",
        level: "1",
        requirement: "145.A.40",
        ownerId: "u-olive"
      }).pipe(as(p.auditor))

      // Sasha (capa_owner too) may read Olive's finding, not change it, respond to it or attach to it.
      yield* Records.get(olives.id).pipe(as(p.stores))
      const edit = failure(
        yield* Effect.either(Records.update({ id: olives.id, data: { title: "Nothing to see" } }).pipe(as(p.stores)))
      )
      assert.strictEqual(edit?._tag, "Forbidden")
      assert.match(edit?.message ?? "", /finding\.update.*only on records where you are its owner/)
      const respond = failure(
        yield* Effect.either(Records.transition({ id: olives.id, transition: "submit_response" }).pipe(as(p.stores)))
      )
      assert.strictEqual(respond?._tag, "Forbidden")
      const attach = failure(
        yield* Effect.either(
          Findings.attachEvidence(olives.id, {
            name: "photo.jpg",
            mediaType: "image/jpeg",
            size: 10,
            sha256: "a".repeat(64)
          }).pipe(as(p.stores))
        )
      )
      assert.strictEqual(attach?._tag, "Forbidden")
      const unchanged = yield* Records.get(olives.id).pipe(as(p.quality))
      assert.strictEqual(unchanged.version, 1)
      assert.strictEqual(unchanged.title, "Torque wrench overdue")
      assert.deepStrictEqual(yield* Records.attachments(olives.id).pipe(as(p.quality)), [])

      // Olive, its owner, may.
      const edited = yield* Records.update({
        id: olives.id,
        data: { response: "Recalled the wrench; root cause: no recall reminder" }
      }).pipe(as(p.owner))
      assert.strictEqual(edited.version, 2)
      const responded = yield* Records.transition({ id: olives.id, transition: "submit_response" }).pipe(as(p.owner))
      assert.strictEqual(responded.state, "response_submitted")

      // The same on CAPAs: Sasha may not plan Olive's CAPA or record its effectiveness check.
      yield* Records.transition({ id: olives.id, transition: "accept_response" }).pipe(as(p.auditor))
      const { capa } = yield* Capa.raiseCapaFromFinding(olives.id).pipe(as(p.quality))
      assert.strictEqual(capa.ownerId, "u-olive")
      const plan = failure(
        yield* Effect.either(
          Records.update({ id: capa.id, data: { rootCause: { method: "5-why", text: "x" } } }).pipe(as(p.stores))
        )
      )
      assert.strictEqual(plan?._tag, "Forbidden")
      const check = failure(
        yield* Effect.either(Capa.recordEffectiveness(capa.id, { result: "effective" }).pipe(as(p.stores)))
      )
      assert.strictEqual(check?._tag, "Forbidden")
      const planned = yield* Records.update({
        id: capa.id,
        data: { rootCause: { method: "5-why", text: "No recall reminder for torque tools" } }
      }).pipe(as(p.owner))
      assert.strictEqual(planned.version, capa.version + 1)
      const history = yield* AuditLog.query({ record: { type: "capa", id: capa.id } }).pipe(as(p.quality))
      assert.isAbove(history.events.length, 1)
      assert.isTrue(history.events.every((e) => e.actor.id !== "u-sasha"))
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )

  it.effect("changing a finding's level needs a reason, derives the due date again and moves the response task", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(start)
      const tenant = freshTenant("level")
      yield* staff(tenant)
      const p = people(tenant)
      const finding = yield* Findings.raiseFinding({
        title: "Expired sealant in use",
        level: "1",
        requirement: "145.A.42",
        ownerId: "u-olive"
      }).pipe(as(p.auditor))
      assert.strictEqual(finding.dueAt, new Date(start + 24 * hour).toISOString())
      yield* TestClock.adjust(2 * hour)

      // Not through the generic edit, not by the finding's owner, not without a reason.
      const generic = failure(
        yield* Effect.either(Records.update({ id: finding.id, data: { level: "2" } }).pipe(as(p.quality)))
      )
      assert.strictEqual(generic?._tag, "ValidationFailed")
      const byOwner = failure(
        yield* Effect.either(Findings.reclassifyFinding(finding.id, { level: "2", reason: "minor" }).pipe(as(p.owner)))
      )
      assert.strictEqual(byOwner?._tag, "Forbidden")
      const noReason = failure(
        yield* Effect.either(Findings.reclassifyFinding(finding.id, { level: "2", reason: " " }).pipe(as(p.auditor)))
      )
      assert.strictEqual(noReason?._tag, "ValidationFailed")
      assert.strictEqual((yield* Records.get(finding.id).pipe(as(p.quality))).version, 1)

      const reason = "Sealant was not used on a release; level 2 per MOE 2.18"
      const after = yield* Findings.reclassifyFinding(finding.id, { level: "2", reason }).pipe(as(p.auditor))
      assert.strictEqual((after.data as { level: string }).level, "2")
      // 90 days from when it was raised, not from now.
      const due = new Date(start + 90 * 24 * hour).toISOString()
      assert.strictEqual(after.dueAt, due)
      assert.strictEqual((after.data as { dueAt: string }).dueAt, due)

      const events = (yield* AuditLog.query({ record: { type: "finding", id: finding.id } }).pipe(as(p.quality))).events
      const changed = events.filter((e) => e.action === "finding.updated")
      assert.strictEqual(changed.length, 1)
      assert.strictEqual(changed[0]?.reason, reason)
      assert.strictEqual(changed[0]?.actor.id, "u-avery")
      const diff = changed[0]?.diff ?? []
      assert.isTrue(
        diff.some((c) => c.path.endsWith("level") && c.from === "1" && c.to === "2"),
        JSON.stringify(diff)
      )
      assert.isTrue(
        diff.some((c) => c.path.endsWith("dueAt") && c.to === due),
        JSON.stringify(diff)
      )

      const tasks = yield* Tasks.byRecord({ type: "finding", id: finding.id }).pipe(as(p.quality))
      const byKind = Object.fromEntries(tasks.map((t) => [t.kind, t]))
      assert.strictEqual(byKind.finding_level_1?.status, "cancelled")
      assert.strictEqual(byKind.finding_level_2?.status, "open")
      assert.strictEqual(byKind.finding_level_2?.assigneeId, "u-olive")
      assert.strictEqual(byKind.finding_level_2?.dueAt, due)
      assert.strictEqual(byKind.finding_level_2?.priority, "normal")

      // The same level again changes nothing; a closed finding cannot be reclassified.
      const same = yield* Findings.reclassifyFinding(finding.id, { level: "2", reason }).pipe(as(p.auditor))
      assert.strictEqual(same.version, after.version)
      const observation = yield* Findings.reclassifyFinding(finding.id, {
        level: "observation",
        reason: "Advice only"
      }).pipe(as(p.quality))
      assert.strictEqual(observation.dueAt, null)
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )
}
