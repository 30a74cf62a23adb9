// Training on every database target: requirements, an event planned → delivered → assessed with
// evidence → recorded, training records written and renewed, the recurrent due list and its
// tasks, and an actor without the permission or in another tenant refused.
import { type Actor, Errors } from "@airworthy/core"
import { Records } from "@airworthy/records"
import type { Storage } from "@airworthy/storage"
import { Tasks } from "@airworthy/tasks"
import type { TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { assert } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import { type Qms, Training } from "../src/index.js"
import { documentStaff, technician } from "./documents.js"
import { as, freshTenant, people, sha } from "./layers.js"

const codes = (e: Either.Either<unknown, unknown>): ReadonlyArray<string> =>
  Either.isLeft(e) && e.left instanceof Errors.GuardsFailed
    ? e.left.unmet.map((u) => u.code)
    : [`not GuardsFailed: ${Either.isLeft(e) ? String((e.left as { _tag?: string })._tag) : "success"}`]

const tagOf = (e: Either.Either<unknown, unknown>): string =>
  Either.isLeft(e) ? String((e.left as { _tag?: string })._tag) : "success"

const lines = (due: ReadonlyArray<Training.DueLine>) => due.map((l) => `${l.personId} ${l.code} ${l.status}`)

export const trainingSuite = (it: TestKit.It<Qms.Services | Storage.Storage | SqlClient.SqlClient>) => {
  it.effect("an event's passed attendees get training records; renewals, expiry and the due list follow", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-03-02T08:00:00.000Z"))
      const tenant = freshTenant("training")
      const p = people(tenant)
      yield* documentStaff(tenant)
      const tara = technician(tenant, "u-tara")

      const hf = yield* Training.defineRequirement({
        code: "HF",
        title: "Human factors",
        kind: "human_factors",
        validityMonths: 24,
        roles: ["technician"]
      }).pipe(as(p.quality))
      const a320 = yield* Training.defineRequirement({
        code: "A320",
        title: "A320 family type training",
        kind: "type",
        roles: ["technician"]
      }).pipe(as(p.quality))
      assert.deepStrictEqual(
        codes(
          yield* Effect.either(
            Training.defineRequirement({ code: "hf", title: "x", kind: "other", roles: [] }).pipe(as(p.quality))
          )
        ),
        ["training.code_taken"]
      )
      assert.strictEqual(
        tagOf(
          yield* Effect.either(
            Training.defineRequirement({ code: "X", title: "x", kind: "other", roles: [] }).pipe(as(tara))
          )
        ),
        "Forbidden"
      )
      assert.deepStrictEqual(lines(yield* Training.trainingDueList().pipe(as(p.quality))), [
        "u-tara A320 missing",
        "u-tara HF missing",
        "u-theo A320 missing",
        "u-theo HF missing"
      ])

      // The event: planned, delivered, assessed with evidence, recorded.
      const event = yield* Training.planTrainingEvent({
        requirementId: hf.id,
        title: "Human factors refresher",
        plannedAt: "2026-03-10",
        trainerId: "u-quinn",
        attendees: ["u-tara", "u-theo"]
      }).pipe(as(p.quality))
      assert.strictEqual(event.type, "training_event")
      assert.strictEqual(
        tagOf(
          yield* Effect.either(
            Training.planTrainingEvent({
              requirementId: hf.id,
              title: "x",
              plannedAt: "2026-03-10",
              attendees: ["u-nobody"]
            }).pipe(as(p.quality))
          )
        ),
        "UnknownReference"
      )
      yield* TestClock.setTime(Date.parse("2026-03-10T09:00:00.000Z"))
      yield* Records.transition({ id: event.id, transition: "deliver" }).pipe(as(p.quality))
      assert.deepStrictEqual(
        codes(
          yield* Effect.either(
            Training.recordTrainingResults(event.id, [{ personId: "u-olive", result: "passed" }]).pipe(as(p.quality))
          )
        ),
        ["training.not_an_attendee"]
      )
      yield* Training.recordTrainingResults(event.id, [{ personId: "u-tara", result: "passed" }]).pipe(as(p.quality))
      assert.deepStrictEqual(
        [
          ...codes(yield* Effect.either(Records.transition({ id: event.id, transition: "assess" }).pipe(as(p.quality))))
        ].sort(),
        ["attachment.missing", "training.not_assessed"]
      )
      yield* Training.recordTrainingResults(event.id, [
        { personId: "u-tara", result: "passed" },
        { personId: "u-theo", result: "failed", note: "Retake" }
      ]).pipe(as(p.quality))
      yield* Records.attach({
        id: event.id,
        kind: "evidence",
        name: "attendance.pdf",
        mediaType: "application/pdf",
        size: 10,
        sha256: sha(7)
      }).pipe(as(p.quality))
      yield* Records.transition({ id: event.id, transition: "assess" }).pipe(as(p.quality))
      yield* TestClock.adjust(86_400_000)
      const recorded = yield* Records.transition({ id: event.id, transition: "record" }).pipe(as(p.quality))
      assert.strictEqual(recorded.state, "recorded")

      const taraTraining = yield* Training.personTraining("u-tara").pipe(as(p.quality))
      assert.deepStrictEqual(
        taraTraining.records.map((r) => [
          (r.data as Training.RecordData).requirementCode,
          (r.data as Training.RecordData).completedAt,
          r.dueAt
        ]),
        [["HF", "2026-03-10T09:00:00.000Z", "2028-03-10T09:00:00.000Z"]]
      )
      const hfRecord = taraTraining.records[0]!
      assert.strictEqual(hfRecord.ownerId, "u-tara")
      const trainedBy = yield* Records.links(hfRecord.id, { kind: "trained_by", direction: "out" }).pipe(as(p.quality))
      assert.deepStrictEqual(
        trainedBy.map((l) => l.other.id),
        [event.id]
      )
      assert.deepStrictEqual(
        (yield* Tasks.byRecord({ type: "training_record", id: hfRecord.id }).pipe(as(p.quality))).map((t) => [
          t.kind,
          t.assigneeId,
          t.status,
          t.dueAt
        ]),
        [["training_recurrent", "u-tara", "open", "2028-03-10T09:00:00.000Z"]]
      )
      // Theo failed: no record; he is still missing it.
      assert.deepStrictEqual(lines(yield* Training.trainingDueList().pipe(as(p.quality))), [
        "u-tara A320 missing",
        "u-theo A320 missing",
        "u-theo HF missing"
      ])

      // Type training done elsewhere does not expire and has no recurrent task.
      const typeRecord = yield* Training.recordTraining({
        personId: "u-tara",
        requirementId: a320.id,
        completedAt: "2026-02-01",
        evidence: "Certificate 147-0042"
      }).pipe(as(p.quality))
      assert.strictEqual(typeRecord.dueAt, null)
      assert.deepStrictEqual(
        yield* Tasks.byRecord({ type: "training_record", id: typeRecord.id }).pipe(as(p.quality)),
        []
      )
      assert.strictEqual(
        tagOf(
          yield* Effect.either(
            Training.recordTraining({ personId: "u-tara", requirementId: a320.id, completedAt: "2026-02-01" }).pipe(
              as(tara)
            )
          )
        ),
        "Forbidden"
      )
      const stranger = { ...p.quality, tenantId: freshTenant("training-other") } as Actor.Actor
      assert.strictEqual(
        tagOf(
          yield* Effect.either(
            Training.recordTraining({ personId: "u-tara", requirementId: a320.id, completedAt: "2026-02-01" }).pipe(
              as(stranger)
            )
          )
        ),
        "UnknownReference"
      )

      // 23 months on, HF is due soon; after 24 months it has expired.
      yield* TestClock.setTime(Date.parse("2028-02-01T08:00:00.000Z"))
      assert.deepStrictEqual(lines(yield* Training.trainingDueList().pipe(as(p.quality))), [
        "u-theo A320 missing",
        "u-theo HF missing",
        "u-tara HF due_soon"
      ])
      yield* TestClock.setTime(Date.parse("2028-03-11T08:00:00.000Z"))
      const expired = yield* Training.trainingDueList({ personId: "u-tara" }).pipe(as(p.quality))
      assert.deepStrictEqual(
        expired.map((l) => [l.code, l.status, l.expiresAt, l.recordId]),
        [["HF", "expired", "2028-03-10T09:00:00.000Z", hfRecord.id]]
      )

      // Renewal: the same record, a new expiry, the old recurrent task done and a new one open.
      const renewed = yield* Training.recordTraining({
        personId: "u-tara",
        requirementId: hf.id,
        completedAt: "2028-03-11"
      }).pipe(as(p.quality))
      assert.strictEqual(renewed.id, hfRecord.id)
      assert.strictEqual(renewed.dueAt, "2030-03-11T00:00:00.000Z")
      assert.deepStrictEqual(
        (yield* Tasks.byRecord({ type: "training_record", id: hfRecord.id }).pipe(as(p.quality)))
          .map((t) => [t.status, t.dueAt])
          .sort(),
        [
          ["done", "2028-03-10T09:00:00.000Z"],
          ["open", "2030-03-11T00:00:00.000Z"]
        ]
      )
      // An older completion changes nothing.
      const older = yield* Training.recordTraining({
        personId: "u-tara",
        requirementId: hf.id,
        completedAt: "2027-01-01"
      }).pipe(as(p.quality))
      assert.strictEqual(older.version, renewed.version)
      assert.deepStrictEqual(lines(yield* Training.trainingDueList({ personId: "u-tara" }).pipe(as(p.quality))), [])
    })
  )
}
