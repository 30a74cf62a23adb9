/**
 * Authorisation commands and the check a host's work-order system calls before a certification:
 * `Authorisations.check(personId, scope, at)` answers with the authorisation that covers it, or
 * refuses with one `GuardsFailed` naming everything missing or expired.
 *
 * @since 0.1.0
 */
import { type Actor, Errors, Guard } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Effect, Schema } from "effect"
import { IsoDate, toIso } from "../internal/dates.js"
import * as References from "../internal/references.js"
import { ExpectedVersion, Id, listAll, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Authorisation from "./Authorisation.js"

type Command<A> = QmsModule.Command<A>

const GrantInput = Schema.Struct({
  personId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  number: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  scope: Authorisation.Scope,
  validFrom: Schema.optional(IsoDate),
  expiresAt: IsoDate,
  prerequisites: Schema.optionalWith(Schema.Array(Schema.String).pipe(Schema.maxItems(50)), { default: () => [] })
})

/**
 * Drafts a certification authorisation for a person (`authorisation.issue`): its number, scope,
 * validity (from today unless given) and the training requirements it depends on. It is used once
 * issued (`issue`, which checks the prerequisites).
 * @since 0.1.0
 * @category operations
 */
export const grant = QmsModule.operation({
  name: "draft",
  operationId: "draftAuthorisation",
  summary: "Draft a certification authorisation (scope, validity, prerequisite training)",
  input: GrantInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("authorisation.issue"),
  errors: [Errors.UnknownReference, Errors.GuardsFailed, RecordHooks.HookFailed],
  http: { method: "post", path: "/authorisations", status: 201 },
  run: (value) =>
    Records.transaction(
      Effect.gen(function* () {
        yield* References.people("personId", [value.personId])
        for (const [i, id] of value.prerequisites.entries()) {
          yield* References.record(`prerequisites[${i}]`, id, "training_requirement", "training requirement")
        }
        const validFrom = toIso(value.validFrom ?? (yield* nowIso))
        const expiresAt = toIso(value.expiresAt)
        if (expiresAt <= validFrom) {
          return yield* new Errors.GuardsFailed({
            transition: "create",
            unmet: [{ guard: "validity", code: "authorisation.dates", message: "It must expire after it starts" }]
          })
        }
        return yield* Records.create({
          type: "authorisation",
          ownerId: value.personId,
          data: {
            personId: value.personId,
            number: value.number,
            scope: value.scope,
            validFrom,
            expiresAt,
            prerequisites: [...new Set(value.prerequisites)]
          }
        })
      })
    )
})

/**
 * Drafts an authorisation (the `draft` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const draftAuthorisation = (input: typeof GrantInput.Encoded): Command<QmsRecord.QmsRecord> =>
  QmsModule.invoke(grant)(input)

type Unmet = Errors.UnmetRequirement

/**
 * What the person's training lacks for the prerequisites at `at`: each requirement with no current
 * record, or a record expired by then.
 * @since 0.1.0
 * @category rules
 */
export const trainingGaps = (
  personId: string,
  prerequisites: ReadonlyArray<string>,
  at: string
): Effect.Effect<ReadonlyArray<Unmet>, Records.CommandError, Records.Records | Actor.CurrentActor> =>
  Effect.gen(function* () {
    if (prerequisites.length === 0) return []
    const records = yield* listAll({ type: "training_record", state: "current", ownerId: personId })
    const gaps: Array<Unmet> = []
    for (const requirementId of prerequisites) {
      const held = records.find((r) => Guard.valueAt(r.data, "requirementId") === requirementId)
      const requirement = yield* Effect.either(Records.get(requirementId))
      const code = requirement._tag === "Right" ? String(Guard.valueAt(requirement.right.data, "code")) : requirementId
      const title = requirement._tag === "Right" ? String(Guard.valueAt(requirement.right.data, "title")) : ""
      if (held === undefined) {
        gaps.push({
          guard: `training.${code}`,
          code: "training.missing",
          message: `${personId} has no training record for ${code}${title === "" ? "" : ` (${title})`}`
        })
      } else if (held.dueAt !== null && held.dueAt <= at) {
        gaps.push({
          guard: `training.${code}`,
          code: "training.expired",
          message: `${personId}'s ${code} training expired on ${held.dueAt}`
        })
      }
    }
    return gaps
  })

const covers = (scope: Authorisation.Scope, asked: Authorisation.Asked): ReadonlyArray<string> => {
  const missing: Array<string> = []
  if (asked.aircraftType !== undefined && !scope.aircraftTypes.includes(asked.aircraftType)) {
    missing.push(`aircraft type ${asked.aircraftType}`)
  }
  if (asked.category !== undefined && !scope.categories.includes(asked.category)) {
    missing.push(`category ${asked.category}`)
  }
  if (asked.task !== undefined && !scope.tasks.includes(asked.task)) missing.push(`task ${asked.task}`)
  return missing
}

/**
 * A successful check: the authorisation that covers the certification.
 * @since 0.1.0
 * @category models
 */
export const Authorised = Schema.Struct({
  authorised: Schema.Literal(true),
  personId: Schema.String,
  at: Schema.String,
  authorisationId: Schema.String,
  ref: Schema.String,
  number: Schema.String,
  expiresAt: Schema.String
})
/** @since 0.1.0 @category models */
export type Authorised = typeof Authorised.Type

const refuse = (unmet: ReadonlyArray<Unmet>) =>
  new Errors.GuardsFailed({ transition: "certify", unmet: unmet as [Unmet, ...Array<Unmet>] })

/**
 * Whether the person may certify what is asked at `at`: an issued (active) authorisation of theirs
 * covering every item asked, valid at `at`, with every prerequisite training valid at `at`. When
 * none, one `GuardsFailed` (`transition: "certify"`) lists what is missing or expired for the
 * nearest authorisation: `authorisation.missing`, `authorisation.scope_not_covered`,
 * `authorisation.not_issued`, `authorisation.suspended`, `authorisation.revoked`,
 * `authorisation.not_yet_valid`, `authorisation.expired`, `training.missing`, `training.expired`.
 * @since 0.1.0
 * @category rules
 */
export const evaluate = (
  personId: string,
  asked: Authorisation.Asked,
  at: string
): Effect.Effect<Authorised, Errors.GuardsFailed | Records.CommandError, Records.Records | Actor.CurrentActor> =>
  Effect.gen(function* () {
    const all = yield* listAll({ type: "authorisation", ownerId: personId, order: "asc" })
    const held = all.flatMap((r) => {
      const d = Schema.decodeUnknownOption(Authorisation.AuthorisationData)(r.data)
      return d._tag === "Some" && d.value.personId === personId ? [{ record: r, data: d.value }] : []
    })
    if (held.length === 0) {
      return yield* refuse([
        {
          guard: "authorisation",
          code: "authorisation.missing",
          message: `${personId} holds no certification authorisation`
        }
      ])
    }
    const covering = held.filter((h) => covers(h.data.scope, asked).length === 0)
    if (covering.length === 0) {
      const nearest = [...held].sort(
        (a, b) => covers(a.data.scope, asked).length - covers(b.data.scope, asked).length
      )[0]!
      return yield* refuse([
        {
          guard: "authorisation.scope",
          code: "authorisation.scope_not_covered",
          message: `No authorisation of ${personId} covers ${covers(nearest.data.scope, asked).join(", ")}`
        }
      ])
    }
    // The nearest to usable first: active, then suspended, then drafts, then revoked; latest expiry first.
    const rank = { active: 0, suspended: 1, draft: 2, revoked: 3 } as Record<string, number>
    const ordered = [...covering].sort(
      (a, b) =>
        (rank[a.record.state] ?? 9) - (rank[b.record.state] ?? 9) || b.data.expiresAt.localeCompare(a.data.expiresAt)
    )
    let best: ReadonlyArray<Unmet> | undefined
    for (const { record, data } of ordered) {
      const unmet: Array<Unmet> = []
      const label = `${data.number} (${record.ref})`
      if (record.state === "draft") {
        unmet.push({ guard: "authorisation", code: "authorisation.not_issued", message: `${label} is not issued yet` })
      } else if (record.state === "suspended") {
        unmet.push({ guard: "authorisation", code: "authorisation.suspended", message: `${label} is suspended` })
      } else if (record.state === "revoked") {
        unmet.push({ guard: "authorisation", code: "authorisation.revoked", message: `${label} is revoked` })
      }
      if (at < data.validFrom) {
        unmet.push({
          guard: "authorisation.validity",
          code: "authorisation.not_yet_valid",
          message: `${label} is valid from ${data.validFrom}`
        })
      } else if (at >= data.expiresAt) {
        unmet.push({
          guard: "authorisation.validity",
          code: "authorisation.expired",
          message: `${label} expired on ${data.expiresAt}`
        })
      }
      unmet.push(...(yield* trainingGaps(personId, data.prerequisites, at)))
      if (unmet.length === 0) {
        return {
          authorised: true as const,
          personId,
          at,
          authorisationId: record.id,
          ref: record.ref,
          number: data.number,
          expiresAt: data.expiresAt
        }
      }
      if (best === undefined) best = unmet
    }
    return yield* refuse(best ?? [])
  })

const CheckInput = Schema.Struct({
  personId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  scope: Authorisation.Asked,
  /** When the certification is made (default now). */
  at: Schema.optional(IsoDate)
})

/**
 * The check a work-order system makes before a person certifies (`authorisation.check`): 200 with
 * the authorisation that covers it, or 422 `guards_failed` listing everything missing or expired.
 * It writes nothing.
 * @since 0.1.0
 * @category operations
 */
export const checkOperation = QmsModule.operation({
  name: "check",
  operationId: "checkAuthorisation",
  kind: "query",
  summary: "May this person certify this scope at this time? (422 naming what is missing or expired)",
  input: CheckInput,
  output: Authorised,
  access: QmsModule.permission("authorisation.check"),
  errors: [Errors.GuardsFailed],
  http: { method: "post", path: "/authorisations/check" },
  run: ({ personId, scope, at }) =>
    Effect.gen(function* () {
      return yield* evaluate(personId, scope, toIso(at ?? (yield* nowIso)))
    })
})

/**
 * `Authorisations.check(personId, scope, at)`: the port a host's work-order system calls before a
 * certification (the `check` operation, for Effect callers). `at` defaults to now.
 * @since 0.1.0
 * @category actions
 */
export const check = (personId: string, scope: Authorisation.Asked, at?: string | Date): Command<Authorised> =>
  QmsModule.invoke(checkOperation)({
    personId,
    scope,
    ...(at === undefined ? {} : { at: typeof at === "string" ? at : at.toISOString() })
  })

const RenewInput = Schema.Struct({
  id: Id,
  expiresAt: IsoDate,
  /** Why it is renewed (kept in the audit event and the history). */
  reason: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(2000)),
  expectedVersion: ExpectedVersion
})

/**
 * Renews an issued or suspended authorisation to a later expiry (`authorisation.issue`), with a
 * reason; its prerequisite training must be valid now (422 naming each gap otherwise). A draft is
 * changed by editing it; a revoked one is refused (409).
 * @since 0.1.0
 * @category operations
 */
export const renew = QmsModule.operation({
  name: "renew",
  operationId: "renewAuthorisation",
  summary: "Renew an authorisation to a later expiry (prerequisite training must be valid now)",
  input: RenewInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("authorisation.issue"),
  errors: [Errors.NotFound, Errors.InvalidTransition, Errors.GuardsFailed, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/authorisations/:id/actions/renew" },
  run: ({ id, expiresAt, reason, expectedVersion }) =>
    Records.transaction(
      Effect.gen(function* () {
        const auth = yield* Records.get(id)
        if (auth.type !== "authorisation") return yield* new Errors.NotFound({ entity: "authorisation", id })
        if (auth.state !== "active" && auth.state !== "suspended") {
          return yield* new Errors.InvalidTransition({ transition: "renew", state: auth.state })
        }
        const data = Schema.decodeUnknownSync(Authorisation.AuthorisationData)(auth.data)
        const next = toIso(expiresAt)
        const unmet: Array<Unmet> = []
        if (next <= data.expiresAt) {
          unmet.push({
            guard: "authorisation.validity",
            code: "authorisation.not_later",
            message: `The new expiry must be after ${data.expiresAt}`
          })
        }
        unmet.push(...(yield* trainingGaps(data.personId, data.prerequisites, yield* nowIso)))
        if (unmet.length > 0)
          return yield* new Errors.GuardsFailed({ transition: "renew", unmet: unmet as [Unmet, ...Array<Unmet>] })
        return yield* Records.update({
          id,
          data: { expiresAt: next },
          reason,
          ...(expectedVersion === undefined ? {} : { expectedVersion })
        }).pipe(Records.unlocking(["expiresAt"]))
      })
    )
})

/**
 * Renews an authorisation (the `renew` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const renewAuthorisation = (
  authorisationId: string,
  change: { readonly expiresAt: string; readonly reason: string }
): Command<QmsRecord.QmsRecord> => QmsModule.invoke(renew)({ id: authorisationId, ...change })
