/**
 * What follows training changes, in the same transaction: recording a training event writes or
 * renews the training record of each attendee who passed; a training record written or renewed
 * with an expiry gives its person a recurrent-training task due at the expiry (the previous one
 * done); a withdrawn record's open tasks are cancelled.
 *
 * @since 0.1.0
 */
import { Guard } from "@airworthy/core"
import { type RecordHooks, Records } from "@airworthy/records"
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
    name: "training_record_withdrawn",
    recordType: "training_record",
    on: Rule.transition("withdraw"),
    reactions: [Rule.closeTasks("cancel")]
  })
]
