/**
 * The findings module: the finding record type and workflow, its permissions and who holds them,
 * its rules, and its operations (raise, attach evidence, record verification, close, open findings,
 * timeline).
 *
 * @since 0.1.0
 */
import { Policy } from "@airworthy/core"
import { EvidenceProfile } from "@airworthy/evidence"
import { RecordType } from "@airworthy/records"
import { raiseCapa } from "../capa/actions.js"
import * as QmsModule from "../QmsModule.js"
import { attach, close, raise, reclassify, verify } from "./actions.js"
import * as Finding from "./Finding.js"
import { open, timeline } from "./queries.js"
import { rules } from "./rules.js"

const operations: readonly [
  typeof raise,
  typeof reclassify,
  typeof attach,
  typeof verify,
  typeof raiseCapa,
  typeof close,
  typeof open,
  typeof timeline
] = [raise, reclassify, attach, verify, raiseCapa, close, open, timeline]

/**
 * The findings module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"findings", typeof operations> = QmsModule.make({
  name: "findings",
  label: "Findings",
  recordTypes: [Finding.recordType],
  links: [RecordType.link({ kind: "raised_in", label: "Raised in audit", from: "finding", to: "internal_audit" })],
  permissions: {
    "finding.read": "See findings",
    "finding.create": "Raise a finding",
    "finding.update": "Edit a finding's details while its state allows it",
    "finding.reclassify": "Change a finding's level (its due date is derived again; needs a reason)",
    "finding.assign": "Assign a finding to an owner",
    "finding.respond": "Respond to a finding and report its corrective action as done",
    "finding.review": "Accept or reject the response to a finding",
    "finding.verify": "Verify the corrective action of a finding, or send it back",
    "finding.close": "Close a finding"
  },
  grants: {
    viewer: ["finding.read"],
    quality_manager: ["finding.*"],
    auditor: [
      "finding.read",
      "finding.create",
      "finding.update",
      "finding.reclassify",
      "finding.review",
      "finding.verify",
      "finding.close"
    ],
    // The finding's owner writes the response into the finding they own (`@owner`); the workflow
    // limits which fields change in which state.
    capa_owner: ["finding.read", Policy.onlyAs("owner", "finding.respond"), Policy.onlyAs("owner", "finding.update")],
    technician: ["finding.read"],
    accountable_manager: ["finding.read"]
  },
  rules,
  operations,
  evidence: [
    EvidenceProfile.make({
      recordType: "finding",
      label: "Finding",
      follow: ["corrective_action", "raised_in"],
      depth: 1,
      sections: [
        {
          title: "Finding",
          fields: [
            { label: "Level", path: "level" },
            { label: "Requirement", path: "requirement" },
            { label: "Description", path: "description" },
            { label: "Objective evidence", path: "evidence" },
            { label: "Response", path: "response" }
          ]
        }
      ],
      path: "/findings/:id/evidence-pack"
    })
  ]
})
