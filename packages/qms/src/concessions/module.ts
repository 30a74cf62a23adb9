/**
 * The concessions module: the concession record type and workflow, its link to what it concerns, its
 * permissions and who holds them, its rules, its operations (request, approve, refresh) and its
 * evidence pack.
 *
 * @since 0.1.0
 */
import { EvidenceProfile } from "@airworthy/evidence"
import { RecordType } from "@airworthy/records"
import * as QmsModule from "../QmsModule.js"
import { approve, refresh, request } from "./actions.js"
import * as Concession from "./Concession.js"
import { rules } from "./rules.js"

const operations: readonly [typeof request, typeof approve, typeof refresh] = [request, approve, refresh]

/**
 * The concessions module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"concessions", typeof operations> = QmsModule.make({
  name: "concessions",
  label: "Concessions",
  recordTypes: [Concession.recordType],
  links: [RecordType.link({ kind: "concession_for", label: "Concession for", from: "concession" })],
  permissions: {
    "concession.read": "See concessions",
    "concession.create": "Request a concession",
    "concession.update": "Edit a concession request before the decision",
    "concession.assign": "Assign a concession to an owner",
    "concession.approve": "Approve (signed, with a reason) or reject a concession",
    "concession.expire": "Activate and expire concessions as their periods begin and end",
    "concession.close": "End a concession early, or withdraw a request (with a reason)"
  },
  grants: {
    viewer: ["concession.read"],
    quality_manager: ["concession.*"],
    auditor: ["concession.read"],
    technician: ["concession.read", "concession.create"],
    accountable_manager: ["concession.read"],
    tool_controller: [
      "concession.read",
      "concession.create",
      "concession.update",
      "concession.expire",
      "concession.close"
    ]
  },
  rules,
  operations,
  evidence: [
    EvidenceProfile.make({
      recordType: "concession",
      label: "Concession",
      follow: ["concession_for"],
      depth: 1,
      sections: [
        {
          title: "Concession",
          fields: [
            { label: "Requirement", path: "requirement" },
            { label: "Subject", path: "subjectRef" },
            { label: "Tool id", path: "toolId" },
            { label: "Work orders (none: any)", path: "workOrders" },
            { label: "Valid from", path: "validFrom" },
            { label: "Valid until", path: "validUntil" },
            { label: "Justification", path: "justification" },
            { label: "Conditions", path: "conditions" }
          ]
        }
      ],
      path: "/concessions/:id/evidence-pack"
    })
  ]
})
