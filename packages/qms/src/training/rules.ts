/**
 * What follows training changes, in the same transaction: recording a training event writes or
 * renews the training record of each attendee who passed; a training record written or renewed
 * with an expiry gives its person a recurrent-training task due at the expiry (the previous one
 * done); a training record written or renewed completes the person's `document_training` tasks for
 * its requirement; a withdrawn record's open tasks are cancelled.
 *
 * @since 0.1.0
 */
import { Guard } from "@airworthy/core"
import { type RecordHooks, Records } from "@airworthy/records"
import { Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import * as Rule from "../Rule.js"
import { writeRecord } from "./actions.js"
import * as Training from "./Training.js"

const recorded = (change: RecordHooks.Change): Effect.Effect<void, Rule.Failure, Rule.Needs> =>
  Effect.gen(function* () {
    const event = change.record
    const data = Schema.decodeUnknownSync(Training.EventData)(event.data)
    const requirement = yield* Records.get(data.requirementId)
    // Completed when it was delivered: the time of its `deliver` step, unless the trainer gave one.
    const delivered = (yield* Records.history(event.id)).filter((h) => h.transition === "deliver").at(-1)?.at
    const completedAt = data.deliveredAt ?? delivered ?? data.plannedAt
    for (const r of data.results ?? []) {
      if (r.result !== "passed") continue
      yield* writeRecord({
        personId: r.personId,
        requirement,
        completedAt,
        eventId: event.id,
        correlationId: `qms.training-event:${event.id}`
      })
    }
  })

const recurrentTask = Rule.task({
  kind: Training.recurrentTaskKind,
  title: (r) => `Recurrent training due: ${String(Guard.valueAt(r.data, "requirementTitle"))}`,
  assignee: Rule.owner,
  dueAt: (r) => r.dueAt
})

// The training a published revision asked of this person for this requirement is done.
const documentTrainingDone = (change: RecordHooks.Change): Effect.Effect<void, Rule.Failure, Rule.Needs> =>
  Effect.gen(function* () {
    const tasks = yield* Tasks.Tasks
    const personId = Guard.valueAt(change.record.data, "personId")
    const requirementId = Guard.valueAt(change.record.data, "requirementId")
    if (typeof requirementId !== "string") return
    for (const t of yield* tasks.byRecord({ type: "training_requirement", id: requirementId })) {
      if (t.kind !== "document_training" || t.assigneeId !== personId) continue
      if (t.status !== "open" && t.status !== "in_progress") continue
      yield* tasks.closeByRule({ id: t.id }, "complete", "training_completed")
    }
  })

const expires = (change: RecordHooks.Change) => typeof Guard.valueAt(change.record.data, "expiresAt") === "string"

/**
 * The training rules.
 * @since 0.1.0
 * @category rules
 */
export const rules: ReadonlyArray<Rule.Rule> = [
  Rule.make({
    name: "training_recorded",
    recordType: "training_event",
    on: Rule.transition("record"),
    reactions: [Rule.run(recorded)]
  }),
  Rule.make({
    name: "training_recurrent",
    recordType: "training_record",
    on: Rule.created,
    reactions: [
      Rule.run((change) => (expires(change) ? Rule.react(change, "training_recurrent", [recurrentTask]) : Effect.void))
    ]
  }),
  Rule.make({
    name: "training_renewed",
    recordType: "training_record",
    on: Rule.changes("expiresAt"),
    reactions: [
      Rule.closeTasks("complete", (kind) => kind === Training.recurrentTaskKind),
      Rule.run((change) => (expires(change) ? Rule.react(change, "training_renewed", [recurrentTask]) : Effect.void))
    ]
  }),
  Rule.make({
    name: "training_completed",
    recordType: "training_record",
    on: Rule.created,
    reactions: [Rule.run(documentTrainingDone)]
  }),
  Rule.make({
    name: "training_completed_again",
    recordType: "training_record",
    on: Rule.changes("completedAt"),
    reactions: [Rule.run(documentTrainingDone)]
  }),
  Rule.make({
    name: "training_record_withdrawn",
    recordType: "training_record",
    on: Rule.transition("withdraw"),
    reactions: [Rule.closeTasks("cancel")]
  })
]
