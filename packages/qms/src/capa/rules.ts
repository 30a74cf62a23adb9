/**
 * What follows a CAPA's changes, in the same transaction: when it opens, the owner gets the
 * root-cause task and an email; the root-cause task is done when the root cause is recorded
 * (`plan_actions`); when the plan is approved each corrective and preventive action becomes a task
 * for its owner, with an email (once, even when the plan is approved again after a failed
 * effectiveness check); the owner gets an effectiveness-check task when implementation is complete;
 * open CAPA tasks are completed when it closes and cancelled when it is cancelled.
 *
 * @since 0.1.0
 */
import { Guard } from "@airworthy/core"
import type { QmsRecord } from "@airworthy/records"
import { Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import * as Rule from "../Rule.js"
import * as Capa from "./Capa.js"

const actionsOf = (record: QmsRecord.QmsRecord): ReadonlyArray<Capa.Action> => {
  const decoded = Schema.decodeUnknownOption(Capa.CapaData)(record.data)
  return decoded._tag === "Some" ? (decoded.value.actions ?? []) : []
}

const text = (data: unknown, path: string): string | undefined => {
  const v = Guard.valueAt(data, path)
  return typeof v === "string" && v !== "" ? v : undefined
}

const actionTitle = (r: QmsRecord.QmsRecord, action: Capa.Action, n: number) =>
  `${action.kind === "corrective" ? "Corrective" : "Preventive"} action ${n} on ${r.ref}: ${action.text}`.slice(0, 500)

// Each planned action once: a plan approved again after a failed effectiveness check adds only new ones.
const actionTasks = Rule.run((change) =>
  Effect.gen(function* () {
    const tasks = yield* Tasks.Tasks
    const r = change.record
    const existing = new Set((yield* tasks.byRecord({ type: r.type, id: r.id })).map((t) => t.title))
    let n = 0
    for (const action of actionsOf(r)) {
      n++
      const title = actionTitle(r, action, n)
      if (existing.has(title)) continue
      yield* Rule.react(change, "capa_action", [
        Rule.task({
          kind: action.kind === "corrective" ? Capa.taskKinds.corrective : Capa.taskKinds.preventive,
          title: () => title,
          assignee: Rule.of(() => [action.ownerId]),
          dueAt: () => action.dueAt
        }),
        Rule.notify({
          template: Capa.actionTemplate,
          to: Rule.of(() => [action.ownerId]),
          params: () => ({ ref: r.ref, kind: action.kind, text: action.text, dueAt: action.dueAt })
        })
      ])
    }
  })
)

/**
 * The CAPA rules.
 * @since 0.1.0
 * @category rules
 */
export const rules: ReadonlyArray<Rule.Rule> = [
  Rule.make({
    name: "capa_root_cause",
    recordType: "capa",
    on: Rule.transition("open"),
    reactions: [
      Rule.task({
        kind: Capa.taskKinds.rootCause,
        title: (r) => `Find the root cause and plan actions for ${r.ref}`,
        assignee: Rule.owner,
        dueAt: (r) => r.dueAt,
        alsoLinks: (r) => {
          const finding = text(r.data, "findingId")
          return finding === undefined ? [] : [{ type: "finding", id: finding }]
        }
      }),
      Rule.notify({
        template: Capa.raisedTemplate,
        to: Rule.owner,
        params: (r) => ({ ref: r.ref, findingRef: text(r.data, "findingRef") ?? null, dueAt: r.dueAt })
      })
    ]
  }),
  Rule.make({
    name: "capa_root_cause_done",
    recordType: "capa",
    on: Rule.transition("plan_actions"),
    reactions: [Rule.closeTasks("complete", (kind) => kind === Capa.taskKinds.rootCause)]
  }),
  Rule.make({ name: "capa_action", recordType: "capa", on: Rule.transition("approve_plan"), reactions: [actionTasks] }),
  Rule.make({
    name: "capa_effectiveness",
    recordType: "capa",
    on: Rule.transition("complete_implementation"),
    reactions: [
      Rule.task({
        kind: Capa.taskKinds.effectiveness,
        title: (r) => `Check the effectiveness of ${r.ref}`,
        assignee: Rule.owner,
        dueAt: (r) => text(r.data, "effectiveness.plannedAt")
      })
    ]
  }),
  Rule.make({ name: "capa_ended", recordType: "capa", on: Rule.ends, reactions: [Rule.closeTasks("by_end_state")] })
]
