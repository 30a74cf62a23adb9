// Authorisations on every database target: drafted, issued only on valid prerequisite training,
// checked before a certification (typed refusals naming what is missing or expired), suspended,
// reinstated and revoked; an actor without the permission refused.
import { Actor, Errors } from "@airworthy/core"
import { Records } from "@airworthy/records"
import type { Storage } from "@airworthy/storage"
import type { TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { assert } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import { Authorisations, type Qms, Training } from "../src/index.js"
import { documentStaff, technician } from "./documents.js"
import { as, freshTenant, people } from "./layers.js"

const codes = (e: Either.Either<unknown, unknown>): ReadonlyArray<string> =>
  Either.isLeft(e) && e.left instanceof Errors.GuardsFailed
    ? e.left.unmet.map((u) => u.code)
    : [`not GuardsFailed: ${Either.isLeft(e) ? String((e.left as { _tag?: string })._tag) : "success"}`]

const messages = (e: Either.Either<unknown, unknown>): ReadonlyArray<string> =>
  Either.isLeft(e) && e.left instanceof Errors.GuardsFailed ? e.left.unmet.map((u) => u.message) : []

export const authorisationsSuite = (it: TestKit.It<Qms.Services | Storage.Storage | SqlClient.SqlClient>) => {
  it.effect("an authorisation is issued on valid training, checked before certifying, suspended and revoked", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-03-02T08:00:00.000Z"))
      const tenant = freshTenant("authorisations")
      const p = people(tenant)
      yield* documentStaff(tenant)
      const tara = technician(tenant, "u-tara")
      const viewer = Actor.make({
        tenantId: tenant,
        actorId: "u-vic",
        displayName: "Vic",
        roles: ["viewer"],
        traceId: "trace-auth"
      })

      const hf = yield* Training.defineRequirement({
        code: "HF",
        title: "Human factors",
        kind: "human_factors",
        validityMonths: 24,
        roles: ["technician"]
      }).pipe(as(p.quality))
      const a320 = yield* Training.defineRequirement({
        code: "A320",
        title: "A320 type training",
        kind: "type",
        roles: []
      }).pipe(as(p.quality))
      yield* Training.recordTraining({ personId: "u-tara", requirementId: hf.id, completedAt: "2026-03-01" }).pipe(
        as(p.quality)
      )

      const auth = yield* Authorisations.draftAuthorisation({
        personId: "u-tara",
        number: "CS-042",
        scope: { aircraftTypes: ["A320"], categories: ["B1"], tasks: [] },
        expiresAt: "2028-03-01",
        prerequisites: [hf.id, a320.id]
      }).pipe(as(p.quality))
      assert.strictEqual(auth.state, "draft")
      assert.strictEqual(auth.ownerId, "u-tara")
      assert.strictEqual(auth.dueAt, "2028-03-01T00:00:00.000Z")
      const asked = { aircraftType: "A320", category: "B1" } as const

      const drafted = yield* Effect.either(Authorisations.check("u-tara", asked).pipe(as(p.quality)))
      assert.deepStrictEqual(codes(drafted), ["authorisation.not_issued", "training.missing"])
      assert.deepStrictEqual(messages(drafted), [
        `CS-042 (${auth.ref}) is not issued yet`,
        "u-tara has no training record for A320 (A320 type training)"
      ])

      // The guard: not issued while a prerequisite is missing; nothing is written.
      const early = yield* Effect.either(Records.transition({ id: auth.id, transition: "issue" }).pipe(as(p.quality)))
      assert.deepStrictEqual(codes(early), ["training.missing"])
      assert.strictEqual((yield* Records.get(auth.id).pipe(as(p.quality))).state, "draft")
      yield* Training.recordTraining({ personId: "u-tara", requirementId: a320.id, completedAt: "2026-02-20" }).pipe(
        as(p.quality)
      )
      const issued = yield* Records.transition({ id: auth.id, transition: "issue" }).pipe(as(p.quality))
      assert.strictEqual(issued.state, "active")

      // The host's work-order system checks before the sign-off.
      const ok = yield* Authorisations.check("u-tara", asked, "2026-06-01").pipe(as(tara))
      assert.deepStrictEqual(ok, {
        authorised: true,
        personId: "u-tara",
        at: "2026-06-01T00:00:00.000Z",
        authorisationId: auth.id,
        ref: auth.ref,
        number: "CS-042",
        expiresAt: "2028-03-01T00:00:00.000Z"
      })
      const otherType = yield* Effect.either(Authorisations.check("u-tara", { aircraftType: "A330" }).pipe(as(tara)))
      assert.deepStrictEqual(codes(otherType), ["authorisation.scope_not_covered"])
      assert.deepStrictEqual(messages(otherType), ["No authorisation of u-tara covers aircraft type A330"])
      assert.deepStrictEqual(codes(yield* Effect.either(Authorisations.check("u-theo", asked).pipe(as(tara)))), [
        "authorisation.missing"
      ])
      const late = yield* Effect.either(Authorisations.check("u-tara", asked, "2028-03-02").pipe(as(tara)))
      assert.deepStrictEqual(codes(late), ["authorisation.expired", "training.expired"])
      assert.deepStrictEqual(messages(late), [
        `CS-042 (${auth.ref}) expired on 2028-03-01T00:00:00.000Z`,
        "u-tara's HF training expired on 2028-03-01T00:00:00.000Z"
      ])
      // A viewer may not ask; another tenant sees no authorisation.
      const refused = yield* Effect.either(Authorisations.check("u-tara", asked).pipe(as(viewer)))
      assert.isTrue(Either.isLeft(refused) && (refused.left as { _tag?: string })._tag === "Forbidden")
      const stranger = { ...p.quality, tenantId: freshTenant("authorisations-other") } as Actor.Actor
      assert.deepStrictEqual(codes(yield* Effect.either(Authorisations.check("u-tara", asked).pipe(as(stranger)))), [
        "authorisation.missing"
      ])

      // Renewed to a later expiry, with a reason; its training still decides.
      assert.deepStrictEqual(
        codes(
          yield* Effect.either(
            Authorisations.renewAuthorisation(auth.id, { expiresAt: "2027-01-01", reason: "x" }).pipe(as(p.quality))
          )
        ),
        ["authorisation.not_later"]
      )
      const renewed = yield* Authorisations.renewAuthorisation(auth.id, {
        expiresAt: "2029-01-01",
        reason: "Annual competence assessment passed"
      }).pipe(as(p.quality))
      assert.strictEqual(renewed.dueAt, "2029-01-01T00:00:00.000Z")
      assert.deepStrictEqual(
        codes(yield* Effect.either(Authorisations.check("u-tara", asked, "2028-06-01").pipe(as(tara)))),
        ["training.expired"]
      )
      assert.strictEqual(
        (yield* Effect.either(
          Authorisations.renewAuthorisation(auth.id, { expiresAt: "2030-01-01", reason: "x" }).pipe(as(tara))
        )).pipe((e) => (Either.isLeft(e) ? (e.left as { _tag?: string })._tag : "success")),
        "Forbidden"
      )

      // Suspended with a reason: refused until reinstated; revoked for good.
      const noReason = yield* Effect.either(
        Records.transition({ id: auth.id, transition: "suspend" }).pipe(as(p.quality))
      )
      assert.isTrue(Either.isLeft(noReason))
      yield* Records.transition({ id: auth.id, transition: "suspend", reason: "Occurrence under investigation" }).pipe(
        as(p.quality)
      )
      assert.deepStrictEqual(codes(yield* Effect.either(Authorisations.check("u-tara", asked).pipe(as(tara)))), [
        "authorisation.suspended"
      ])
      yield* TestClock.setTime(Date.parse("2026-04-01T08:00:00.000Z"))
      yield* Records.transition({ id: auth.id, transition: "reinstate" }).pipe(as(p.quality))
      assert.strictEqual((yield* Authorisations.check("u-tara", asked).pipe(as(tara))).ref, auth.ref)
      yield* Records.transition({ id: auth.id, transition: "revoke", reason: "Left the company" }).pipe(as(p.quality))
      assert.deepStrictEqual(codes(yield* Effect.either(Authorisations.check("u-tara", asked).pipe(as(tara)))), [
        "authorisation.revoked"
      ])
    })
  )
}
