/**
 * Training commands: define a requirement, plan a training event, record its results, and record
 * training completed elsewhere. Recording an event (its `record` transition) writes or renews the
 * training record of each attendee who passed (the training rules). Each is one transaction.
 *
 * @since 0.1.0
 */
import { type Actor, Errors, Guard } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Effect, Schema } from "effect"
import { IsoDate, toIso } from "../internal/dates.js"
import * as References from "../internal/references.js"
import { addMonths, ExpectedVersion, Id, listAll } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Training from "./Training.js"

type Command<A> = QmsModule.Command<A>

/**
 * What `defineRequirement` takes.
 * @since 0.1.0
 * @category inputs
 */
export const RequirementInput = Schema.Struct({
  code: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(32)),
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  kind: Training.Kind,
  validityMonths: Schema.optional(Schema.Int.pipe(Schema.between(1, 240))),
  roles: Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64))).pipe(Schema.maxItems(50)),
  description: Schema.optional(Schema.String.pipe(Schema.maxLength(4000)))
})

/**
 * Defines a training requirement (`training.manage`); its code is unique per tenant.
 * @since 0.1.0
 * @category operations
 */
export const define = QmsModule.operation({
  name: "defineRequirement",
  operationId: "defineTrainingRequirement",
  summary: "Define a training requirement (code unique per tenant; validity; the roles that need it)",
  input: RequirementInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("training.manage"),
  errors: [Errors.GuardsFailed, RecordHooks.HookFailed],
  http: { method: "post", path: "/training/requirements", status: 201 },
  run: (value) =>
    Records.transaction(
      Effect.gen(function* () {
        const existing = yield* listAll({ type: "training_requirement", text: value.code })
        const taken = existing.find(
          (r) => String(Guard.valueAt(r.data, "code")).toLowerCase() === value.code.toLowerCase()
        )
        if (taken !== undefined) {
          return yield* new Errors.GuardsFailed({
            transition: "create",
            unmet: [
              {
                guard: "unique_code",
                code: "training.code_taken",
                message: `Training code ${value.code} is already used by ${taken.ref}`
              }
            ]
          })
        }
        return yield* Records.create({ type: "training_requirement", data: value })
      })
    )
})

/**
 * Defines a training requirement (the `defineRequirement` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const defineRequirement = (input: typeof RequirementInput.Encoded): Command<QmsRecord.QmsRecord> =>
  QmsModule.invoke(define)(input)

const PlanInput = Schema.Struct({
  requirementId: Id,
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  plannedAt: IsoDate,
  trainerId: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))),
  attendees: Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))).pipe(Schema.maxItems(500))
})

/**
 * Plans a training event for a requirement (`training.deliver`); trainer and attendees must be
 * known to the directory.
 * @since 0.1.0
 * @category operations
 */
export const plan = QmsModule.operation({
  name: "planEvent",
  operationId: "planTrainingEvent",
  summary: "Plan a training event for a requirement",
  input: PlanInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("training.deliver"),
  errors: [Errors.UnknownReference, RecordHooks.HookFailed],
  http: { method: "post", path: "/training/events", status: 201 },
  run: (value) =>
    Records.transaction(
      Effect.gen(function* () {
        const requirement = yield* References.record(
          "requirementId",
          value.requirementId,
          "training_requirement",
          "training requirement"
        )
        if (value.trainerId !== undefined) yield* References.people("trainerId", [value.trainerId])
        yield* References.people("attendees", value.attendees)
        const event = yield* Records.create({
          type: "training_event",
          ownerId: value.trainerId ?? null,
          data: {
            requirementId: requirement.id,
            requirementCode: String(Guard.valueAt(requirement.data, "code")),
            title: value.title,
            plannedAt: value.plannedAt,
            attendees: [...new Set(value.attendees)],
            ...(value.trainerId === undefined ? {} : { trainerId: value.trainerId })
          }
        })
        yield* Records.link({ from: event.id, to: requirement.id, kind: "training_for" })
        return event
      })
    )
})

/**
 * Plans a training event (the `planEvent` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const planTrainingEvent = (input: typeof PlanInput.Encoded): Command<QmsRecord.QmsRecord> =>
  QmsModule.invoke(plan)(input)

const ResultsInput = Schema.Struct({
  id: Id,
  results: Schema.NonEmptyArray(Training.Result),
  expectedVersion: ExpectedVersion
})

/**
 * Records the attendees' results of a delivered event (`training.deliver`); a result for someone
 * who did not attend is refused (422).
 * @since 0.1.0
 * @category operations
 */
export const results = QmsModule.operation({
  name: "recordResults",
  operationId: "recordTrainingResults",
  summary: "Record the attendees' results of a delivered training event",
  input: ResultsInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("training.deliver"),
  errors: [Errors.NotFound, Errors.GuardsFailed, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/training/events/:id/actions/record-results" },
  run: ({ id, results, expectedVersion }) =>
    Records.transaction(
      Effect.gen(function* () {
        const event = yield* Records.get(id)
        if (event.type !== "training_event") return yield* new Errors.NotFound({ entity: "training_event", id })
        const attendees = new Set(Guard.valueAt(event.data, "attendees") as ReadonlyArray<string>)
        const strangers = results.filter((r) => !attendees.has(r.personId)).map((r) => r.personId)
        if (strangers.length > 0) {
          return yield* new Errors.GuardsFailed({
            transition: "record_results",
            unmet: [
              {
                guard: "attendees",
                code: "training.not_an_attendee",
                message: `Not attendees of this event: ${strangers.join(", ")}`
              }
            ]
          })
        }
        return yield* Records.update({
          id,
          data: { results },
          ...(expectedVersion === undefined ? {} : { expectedVersion })
        })
      })
    )
})

/**
 * Records an event's results (the `recordResults` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const recordTrainingResults = (
  eventId: string,
  list: readonly [Training.Result, ...Array<Training.Result>]
): Command<QmsRecord.QmsRecord> => QmsModule.invoke(results)({ id: eventId, results: list })

/**
 * Writes a person's training record for a requirement, or renews it when they have one: completed
 * at `completedAt`, expiring `validityMonths` later (never, without a validity). A completion older
 * than the one recorded changes nothing.
 * @since 0.1.0
 * @category rules
 */
export const writeRecord = (input: {
  readonly personId: string
  readonly requirement: QmsRecord.QmsRecord
  readonly completedAt: string
  readonly eventId?: string
  readonly evidence?: string
  readonly correlationId?: string
}): Effect.Effect<QmsRecord.QmsRecord, Records.CommandError, Records.Records | Actor.CurrentActor> =>
  Effect.gen(function* () {
    const req = Schema.decodeUnknownSync(Training.RequirementData)(input.requirement.data)
    const completedAt = toIso(input.completedAt)
    const expiresAt = req.validityMonths === undefined ? null : addMonths(completedAt, req.validityMonths)
    const mine = yield* listAll({ type: "training_record", state: "current", ownerId: input.personId })
    const existing = mine.find((r) => Guard.valueAt(r.data, "requirementId") === input.requirement.id)
    const common = {
      completedAt,
      expiresAt,
      ...(input.eventId === undefined ? {} : { eventId: input.eventId }),
      ...(input.evidence === undefined ? {} : { evidence: input.evidence })
    }
    const written =
      existing === undefined
        ? yield* Records.create({
            type: "training_record",
            ownerId: input.personId,
            data: {
              personId: input.personId,
              requirementId: input.requirement.id,
              requirementCode: req.code,
              requirementTitle: req.title,
              ...common
            },
            ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId })
          })
        : String(Guard.valueAt(existing.data, "completedAt")) >= completedAt
          ? existing
          : yield* Records.update({
              id: existing.id,
              data: common,
              reason: "Training completed again",
              ...(input.correlationId === undefined ? {} : { correlationId: input.correlationId })
            }).pipe(Records.unlocking(["completedAt", "expiresAt", "eventId"]))
    if (input.eventId !== undefined && written.version >= 1) {
      const links = yield* Records.links(written.id, { kind: "trained_by", direction: "out" })
      if (!links.some((l) => l.other.id === input.eventId)) {
        yield* Records.link({ from: written.id, to: input.eventId, kind: "trained_by" })
      }
    }
    return written
  })

const RecordInput = Schema.Struct({
  personId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  requirementId: Id,
  completedAt: IsoDate,
  /** Where the evidence is (certificate number, external course). */
  evidence: Schema.optional(Schema.String.pipe(Schema.maxLength(2000)))
})

/**
 * Records training a person completed outside a planned event, e.g. type training at a Part-147
 * school (`training.record`): writes or renews their training record.
 * @since 0.1.0
 * @category operations
 */
export const record = QmsModule.operation({
  name: "recordTraining",
  operationId: "recordTraining",
  summary: "Record training a person completed (writes or renews their training record)",
  input: RecordInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("training.record"),
  errors: [Errors.UnknownReference, RecordHooks.HookFailed],
  http: { method: "post", path: "/training/records", status: 201 },
  run: (value) =>
    Records.transaction(
      Effect.gen(function* () {
        yield* References.people("personId", [value.personId])
        const requirement = yield* References.record(
          "requirementId",
          value.requirementId,
          "training_requirement",
          "training requirement"
        )
        return yield* writeRecord({
          personId: value.personId,
          requirement,
          completedAt: value.completedAt,
          ...(value.evidence === undefined ? {} : { evidence: value.evidence })
        })
      })
    )
})

/**
 * Records training a person completed (the `recordTraining` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const recordTraining = (input: typeof RecordInput.Encoded): Command<QmsRecord.QmsRecord> =>
  QmsModule.invoke(record)(input)
