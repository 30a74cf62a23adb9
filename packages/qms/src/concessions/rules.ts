/**
 * What follows a concession's changes, in the same transaction: when requested, the first quality
 * manager gets the decision task (due when its period would begin) and every quality manager an
 * email; the decision (approve, reject) completes the task and tells the requester; when it ends
 * (expired, closed) its open tasks close.
 *
 * @since 0.1.0
 */
import { Guard } from "@airworthy/core"
import type { QmsRecord } from "@airworthy/records"
import * as Rule from "../Rule.js"
import * as Concession from "./Concession.js"

const field = (r: QmsRecord.QmsRecord, path: string) => String(Guard.valueAt(r.data, path) ?? "")
const subject = (r: QmsRecord.QmsRecord) => field(r, "toolId") || field(r, "subjectRef") || field(r, "subjectId")

const decided = (decision: string) =>
  Rule.notify({
    template: Concession.decidedTemplate,
    to: Rule.field("createdBy"),
    params: (r) => ({ ref: r.ref, subject: subject(r), decision, validUntil: field(r, "validUntil") })
  })

/**
 * The concession rules.
 * @since 0.1.0
 * @category rules
 */
export const rules: ReadonlyArray<Rule.Rule> = [
  Rule.make({
    name: "concession_requested",
    recordType: "concession",
    on: Rule.created,
    reactions: [
      Rule.task({
        kind: Concession.approvalTaskKind,
        title: (r) => `Decide on concession ${r.ref} for ${subject(r)}`,
        assignee: Rule.role("quality_manager"),
        priority: () => "high",
        dueAt: (r) => field(r, "validFrom")
      }),
      Rule.notify({
        template: Concession.requestedTemplate,
        to: Rule.role("quality_manager"),
        params: (r) => {
          const orders = Guard.valueAt(r.data, "workOrders")
          return {
            ref: r.ref,
            subject: subject(r),
            requirement: field(r, "requirement"),
            validFrom: field(r, "validFrom"),
            validUntil: field(r, "validUntil"),
            workOrders: Array.isArray(orders) && orders.length > 0 ? orders.join(", ") : "any",
            justification: field(r, "justification")
          }
        }
      })
    ]
  }),
  Rule.make({
    name: "concession_approved",
    recordType: "concession",
    on: Rule.transition("approve"),
    reactions: [Rule.closeTasks("complete", (k) => k === Concession.approvalTaskKind), decided("approved")]
  }),
  Rule.make({
    name: "concession_rejected",
    recordType: "concession",
    on: Rule.transition("reject"),
    reactions: [Rule.closeTasks("complete", (k) => k === Concession.approvalTaskKind), decided("rejected")]
  }),
  Rule.make({
    name: "concession_ended",
    recordType: "concession",
    on: Rule.ends,
    reactions: [Rule.closeTasks("cancel")]
  })
]
