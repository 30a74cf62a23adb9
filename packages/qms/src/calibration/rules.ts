/**
 * What follows a calibrated item's changes, in the same transaction: while it is in service it has
 * one open `calibration_due` task, due on its next due date, for its owner (else the first quality
 * manager), so the tasks sweeper reminds before it is due and escalates after (`Calibration.ladder`);
 * sending it out completes the task, coming back in service or a new due date replaces it, retiring
 * it cancels it.
 *
 * @since 0.1.0
 */
import { Guard } from "@airworthy/core"
import type { QmsRecord } from "@airworthy/records"
import { Effect } from "effect"
import * as Rule from "../Rule.js"
import * as Calibration from "./Calibration.js"

const isDue = (kind: string) => kind === Calibration.dueTaskKind

const toolOf = (r: QmsRecord.QmsRecord) => String(Guard.valueAt(r.data, "toolId") ?? r.ref)

const dueTask = (assignee: Rule.Who) =>
  Rule.task({
    kind: Calibration.dueTaskKind,
    title: (r) => `Calibrate ${toolOf(r)} (${r.ref}) by ${r.dueAt?.slice(0, 10) ?? "now"}`,
    assignee,
    dueAt: (r) => r.dueAt
  })

// The owner when the item has one, else the first quality manager of the directory.
const responsible = Rule.run((change) =>
  Rule.react(change, "calibration_due", [
    dueTask(change.record.ownerId === null ? Rule.role("quality_manager") : Rule.owner)
  ])
)

/**
 * The calibration rules.
 * @since 0.1.0
 * @category rules
 */
export const rules: ReadonlyArray<Rule.Rule> = [
  Rule.make({ name: "calibration_due", recordType: "calibrated_item", on: Rule.created, reactions: [responsible] }),
  Rule.make({
    name: "calibration_due_moved",
    recordType: "calibrated_item",
    on: Rule.changes("nextDueAt"),
    reactions: [
      Rule.closeTasks("cancel", isDue),
      Rule.run((change) =>
        change.record.state === "in_service"
          ? Rule.react(change, "calibration_due_moved", [
              dueTask(change.record.ownerId === null ? Rule.role("quality_manager") : Rule.owner)
            ])
          : Effect.void
      )
    ]
  }),
  Rule.make({
    name: "calibration_back_in_service",
    recordType: "calibrated_item",
    on: Rule.enters("in_service"),
    reactions: [Rule.closeTasks("cancel", isDue), responsible]
  }),
  Rule.make({
    name: "calibration_sent_out",
    recordType: "calibrated_item",
    on: Rule.transition("send_out"),
    reactions: [Rule.closeTasks("complete", isDue)]
  }),
  Rule.make({
    name: "calibration_retired",
    recordType: "calibrated_item",
    on: Rule.transition("retire"),
    reactions: [Rule.closeTasks("cancel")]
  })
]
