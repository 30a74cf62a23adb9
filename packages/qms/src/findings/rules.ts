/**
 * What follows a finding's changes, in the same transaction: when it is raised, a response task for
 * its owner (due by the level's policy, urgent for level 1) and an email; when the response is
 * submitted, its response tasks are done; when its level changes, its open response task is cancelled
 * and a new one is due by the new level; when it closes, every open task of it is done.
 *
 * @since 0.1.0
 */
import { Guard } from "@airworthy/core"
import * as Rule from "../Rule.js"
import * as Finding from "./Finding.js"

const level = (data: unknown) => Guard.valueAt(data, "level") as Finding.Level

const isResponse = (kind: string) => kind.startsWith("finding_level_") || kind === "finding_observation"

const responseTask = Rule.task({
  kind: (change) => Finding.taskKind(level(change.record.data)),
  title: (r) => `Respond to ${r.ref}: ${r.title}`,
  assignee: Rule.owner,
  priority: (r) => (level(r.data) === "1" ? "urgent" : "normal"),
  dueAt: (r) => r.dueAt
})

/**
 * The finding rules.
 * @since 0.1.0
 * @category rules
 */
export const rules: ReadonlyArray<Rule.Rule> = [
  Rule.make({
    name: "finding_response",
    recordType: "finding",
    on: Rule.created,
    reactions: [
      responseTask,
      Rule.notify({
        template: Finding.raisedTemplate,
        to: Rule.owner,
        params: (r) => ({
          ref: r.ref,
          title: r.title,
          level: level(r.data),
          requirement: String(Guard.valueAt(r.data, "requirement") ?? ""),
          dueAt: r.dueAt
        })
      })
    ]
  }),
  // A new level is a new response task: the old one is cancelled, the new one due by the new level.
  Rule.make({
    name: "finding_reclassified",
    recordType: "finding",
    on: Rule.changes("level"),
    reactions: [Rule.closeTasks("cancel", isResponse), responseTask]
  }),
  Rule.make({
    name: "finding_response_done",
    recordType: "finding",
    on: Rule.transition("submit_response"),
    reactions: [Rule.closeTasks("complete", (kind) => kind.startsWith("finding_"))]
  }),
  Rule.make({
    name: "finding_closed",
    recordType: "finding",
    on: Rule.transition("close"),
    reactions: [Rule.closeTasks("complete")]
  })
]
