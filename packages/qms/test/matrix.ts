// Every (role × operation) pair the modules declare, and every (role × workflow transition), is run
// against the running QMS and compared with what the declarations say: the module grants resolved
// by `Policy`, the operation's access, the record type's permissions and the actor's relation to
// the record (`@owner`). Both outcomes are checked: a refused call is `Forbidden` naming the
// permission the declarations predict, an allowed one is anything but `Forbidden`.
import { Actor, Policy } from "@airworthy/core"
import { Notify } from "@airworthy/notify"
import { Records, type RecordType } from "@airworthy/records"
import { Query, Storage } from "@airworthy/storage"
import { TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { assert } from "@effect/vitest"
import { Arbitrary, Effect, Either, FastCheck as fc, Schema, TestClock } from "effect"
import {
  Audits,
  Authorisations,
  Calibration,
  Capa,
  Concessions,
  Documents,
  Findings,
  Programme,
  Qms,
  QmsModule,
  Training
} from "../src/index.js"
import { as, freshTenant, people, staff } from "./layers.js"

type Op = QmsModule.AnyOperation

const rules = Policy.make(QmsModule.policyConfig(Qms.modules))
// Every declared role, and a role nobody granted anything (so every guarded operation is refused once).
const roles = [...Object.keys(rules.roles), "stranger"]
const types = new Map<string, RecordType.Any>(Qms.modules.flatMap((m) => m.recordTypes.map((t) => [t.name, t])))

/** A valid input of the operation, in wire form (what HTTP and the facade hand to `invoke`). */
const sampleInput = (op: Op, seed: number): Record<string, unknown> => {
  // The JSON arbitraries sometimes draw a value their own filter refuses (a `__proto__` key): draw again.
  for (let attempt = 0; ; attempt++) {
    const value = fc.sample(Arbitrary.make(op.input), { seed: seed + attempt * 100_003, numRuns: 1 })[0]
    const encoded = Schema.encodeEither(op.input)(value)
    if (Either.isRight(encoded) || attempt >= 20) return Schema.encodeSync(op.input)(value) as Record<string, unknown>
  }
}

/** Which record the `id` of a module operation names, by its path. */
const recordTypesOf = (op: Op): ReadonlyArray<string> => {
  const path = op.http.path
  if (path === "/records" && op.access._tag === "record") return [...types.keys()]
  if (path.startsWith("/records/")) return [...types.keys()]
  if (path.startsWith("/findings/") || path.startsWith("/notifications/")) return ["finding"]
  if (path.startsWith("/capas/")) return ["capa"]
  if (path.startsWith("/audits/")) return ["internal_audit"]
  if (path.startsWith("/areas/") || path.startsWith("/programme/")) return ["audit_area"]
  if (path.startsWith("/documents/")) return ["controlled_document"]
  if (path.startsWith("/document-revisions/")) return ["document_revision"]
  if (path.startsWith("/training/events/")) return ["training_event"]
  if (path.startsWith("/authorisations/")) return ["authorisation"]
  if (path.startsWith("/calibration/items/:id")) return ["calibrated_item"]
  if (path.startsWith("/concessions/:id")) return ["concession"]
  return []
}

type Outcome = "allowed" | `refused ${string}`

const refused = (permission: string): Outcome => `refused ${permission}`

/** What the declarations say: may `actor` do `permission` on a record of `type` it has `relations` to? */
const onRecord = (
  actor: Actor.Actor,
  type: RecordType.Any,
  relations: ReadonlyArray<string>,
  permission: string | undefined
): Outcome => {
  const readable = rules.can(actor, "record.read") || rules.canOn(actor, type.permissions.read, relations)
  if (!readable) return refused(type.permissions.read)
  if (permission === undefined) return "allowed"
  return rules.canOn(actor, permission, relations) ? "allowed" : refused(permission)
}

const expected = (
  op: Op,
  actor: Actor.Actor,
  type: RecordType.Any | undefined,
  relations: ReadonlyArray<string>
): Outcome => {
  const access = op.access
  switch (access._tag) {
    case "actor":
      return "allowed"
    case "permission": {
      const p = access.permission
      if (access.on === undefined || type === undefined || rules.can(actor, p)) {
        return rules.can(actor, p) ? "allowed" : refused(p)
      }
      if (rules.onlyOn(actor, p).length === 0) return refused(p)
      return onRecord(actor, type, relations, p)
    }
    case "record":
      if (type === undefined) return "allowed"
      if (access.action === "create") {
        return rules.can(actor, type.permissions.create) ? "allowed" : refused(type.permissions.create)
      }
      return onRecord(actor, type, relations, access.action === "read" ? undefined : type.permissions[access.action])
    case "transition":
      return "allowed"
  }
}

// What the last call failed with, to name it when the outcome differs from the declarations.
let lastFailure = ""

const outcomeOf = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<Outcome, never, R> =>
  Effect.map(Effect.either(effect), (result) => {
    lastFailure = Either.isRight(result) ? "" : String(result.left)
    if (Either.isRight(result)) return "allowed"
    const e = result.left as { readonly _tag?: string; readonly missing_permission?: string }
    return e._tag === "Forbidden" ? refused(e.missing_permission ?? "?") : "allowed"
  })

export const matrixSuite = (it: TestKit.It<Qms.Services | Storage.Storage | SqlClient.SqlClient>) => {
  it.effect(
    "every role × operation and role × transition does what the module declarations grant",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse("2026-03-02T08:00:00.000Z"))
        const tenant = freshTenant("matrix")
        yield* staff(tenant)
        const p = people(tenant)
        const { dialect } = yield* Storage.Storage
        const $ = (n: number) => TestKit.param(dialect, n)

        // One record of each type, owned by Olive; the actor under test is "u-actor".
        const area = yield* Programme.defineArea({ name: "Tool control", responsibleIds: ["u-sasha"] }).pipe(
          as(p.quality)
        )
        const audit = yield* Audits.planAudit({
          areaId: area.id,
          leadAuditorId: "u-avery",
          plannedAt: "2026-03-10"
        }).pipe(as(p.quality))
        const finding = yield* Findings.raiseFinding({
          title: "Torque wrench overdue",
          level: "2",
          requirement: "145.A.40",
          ownerId: "u-olive"
        }).pipe(as(p.quality))
        const { capa } = yield* Capa.raiseCapaFromFinding(finding.id).pipe(as(p.quality))
        const message = (yield* Notify.emailLog({ recordType: "finding", recordId: finding.id }).pipe(as(p.quality)))[0]
        assert.isDefined(message)
        const document = yield* Documents.createDocument({
          number: "QP-07",
          title: "Tool control",
          category: "procedure",
          ownerId: "u-olive"
        }).pipe(as(p.quality))
        const revision = yield* Documents.draftRevision(document.id, { changeSummary: "First issue" }).pipe(
          as(p.quality)
        )
        const requirement = yield* Training.defineRequirement({
          code: "HF",
          title: "Human factors",
          kind: "human_factors",
          validityMonths: 24,
          roles: ["capa_owner"]
        }).pipe(as(p.quality))
        const trainingEvent = yield* Training.planTrainingEvent({
          requirementId: requirement.id,
          title: "Human factors",
          plannedAt: "2026-03-10",
          attendees: ["u-olive"]
        }).pipe(as(p.quality))
        const trainingRecord = yield* Training.recordTraining({
          personId: "u-olive",
          requirementId: requirement.id,
          completedAt: "2026-03-01"
        }).pipe(as(p.quality))
        // Calibration: an item, its event, a due list and a concession on it.
        const tool = yield* Calibration.registerItem({ toolId: "TW-1", description: "Torque wrench" }).pipe(
          as(p.quality)
        )
        const { event } = yield* Calibration.sendOutForCalibration(tool.id).pipe(as(p.quality))
        const { dueList } = yield* Calibration.generateAndSendDueList({}).pipe(as(p.quality))
        const concession = yield* Concessions.requestConcession({
          itemId: tool.id,
          validUntil: "2026-03-09T08:00:00.000Z",
          justification: "Role matrix"
        }).pipe(as(p.quality))
        const records = new Map([
          ["audit_area", area],
          ["internal_audit", audit],
          ["finding", finding],
          ["capa", capa],
          ["controlled_document", document],
          ["document_revision", revision],
          ["training_requirement", requirement],
          ["training_event", trainingEvent],
          ["training_record", trainingRecord],
          ["calibrated_item", tool],
          ["calibration_event", event],
          ["calibration_due_list", dueList],
          ["concession", concession],
          [
            "authorisation",
            yield* Authorisations.draftAuthorisation({
              personId: "u-olive",
              number: "CS-001",
              scope: { aircraftTypes: ["A320"], categories: ["B1"], tasks: [] },
              expiresAt: "2028-03-01"
            }).pipe(as(p.quality))
          ]
        ])
        assert.deepStrictEqual([...records.keys()].sort(), [...types.keys()].sort())

        // Puts the record back as the case needs it: its state, and whether the actor owns it.
        const reset = (id: string, state: string, owner: string) =>
          Query.unsafe(
            `UPDATE aw_records SET state = ${$(1)}, owner_id = ${$(2)} WHERE tenant_id = ${$(3)} AND id = ${$(4)}`,
            [state, owner, tenant, id]
          )

        const mismatches: Array<string> = []
        const seen = new Map<string, Set<string>>()
        let cases = 0
        let seed = 1
        const check = (who: string, what: string, got: Outcome, want: Outcome) => {
          cases++
          const outcomes = seen.get(what) ?? new Set<string>()
          outcomes.add(got === "allowed" ? "allowed" : "refused")
          seen.set(what, outcomes)
          if (got !== want)
            mismatches.push(`${who} × ${what}: got ${got}, declared ${want} (${lastFailure.slice(0, 300)})`)
        }
        const open = new Set<string>()

        for (const role of roles) {
          // The owner variant matters only to roles with a grant limited to a relation.
          const limited = rules.roles[role]?.grants.some((g) => g.includes("@")) ?? false
          for (const owns of limited ? [false, true] : [false]) {
            const actor = Actor.make({
              tenantId: tenant,
              actorId: "u-actor",
              displayName: "Matrix Actor",
              roles: [role],
              traceId: "trace-matrix"
            })
            const owner = owns ? "u-actor" : "u-olive"
            const relations = owns ? ["owner"] : []
            const who = `${role}${owns ? " (owner)" : ""}`

            for (const m of Qms.modules) {
              for (const op of m.operations as ReadonlyArray<Op>) {
                if (op.access._tag === "transition") continue
                const onTypes = recordTypesOf(op)
                for (const typeName of onTypes.length === 0 ? [undefined] : onTypes) {
                  const type = typeName === undefined ? undefined : types.get(typeName)
                  const record = typeName === undefined ? undefined : records.get(typeName)
                  const input = sampleInput(op, seed++)
                  // Random idempotency keys repeat across cases ("key", "toString"), and a replayed key is
                  // answered before the permission is checked: each case gets a key of its own.
                  if ("idempotencyKey" in input) input.idempotencyKey = `matrix-${seed}`
                  if (record !== undefined) {
                    yield* reset(record.id, record.state, owner)
                    if ("id" in input) input.id = op.name === "message" ? message.id : record.id
                    if (op.name === "create") input.type = typeName
                  }
                  const got = yield* outcomeOf(QmsModule.invoke(op)(input)).pipe(as(actor))
                  const what = `${m.name}.${op.name}${typeName === undefined ? "" : ` on ${typeName}`}`
                  if (op.access._tag === "actor") open.add(what)
                  check(who, what, got, expected(op, actor, type, relations))
                }
              }
            }

            for (const [typeName, type] of types) {
              const record = records.get(typeName)!
              for (const t of type.workflow.transitions) {
                for (const from of t.from) {
                  yield* reset(record.id, from, owner)
                  const got = yield* outcomeOf(
                    Records.transition({
                      id: record.id,
                      transition: t.name,
                      reason: "Role matrix",
                      ...(t.signature === undefined ? {} : { signature: { meaning: t.signature.meaning } })
                    })
                  ).pipe(as(actor))
                  check(who, `${typeName}.${t.name} from ${from}`, got, onRecord(actor, type, relations, t.permission))
                }
              }
            }
          }
        }

        assert.deepStrictEqual(mismatches, [])
        // The matrix sees both sides of every operation and transition that a permission guards.
        const oneSided = [...seen].filter(([what, o]) => o.size < 2 && !open.has(what)).map(([what]) => what)
        assert.deepStrictEqual(oneSided, [])
        assert.isAbove(cases, 500)
      }),
    // Every role × every operation of every module, on PostgreSQL under a loaded machine: it grows with the modules.
    { timeout: 240_000 }
  )
}
