/**
 * The CAPA module: the CAPA record type and workflow, the link from a finding to its CAPA, its
 * permissions and who holds them (including the `capa_owner` role), its rules, and its operations
 * (record or skip the effectiveness check, overdue CAPAs). Raising a CAPA from a finding is an
 * operation of the findings module (`findings.raiseCapa`).
 *
 * @since 0.1.0
 */
import { Policy } from "@airworthy/core"
import { EvidenceProfile } from "@airworthy/evidence"
import { RecordType } from "@airworthy/records"
import * as QmsModule from "../QmsModule.js"
import { effectiveness, skipEffectiveness } from "./actions.js"
import * as Capa from "./Capa.js"
import { overdue } from "./queries.js"
import { rules } from "./rules.js"

const owned = (...permissions: ReadonlyArray<string>) => permissions.map((p) => Policy.onlyAs("owner", p))

const operations: readonly [typeof effectiveness, typeof skipEffectiveness, typeof overdue] = [
  effectiveness,
  skipEffectiveness,
  overdue
]

/**
 * The CAPA module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"capa", typeof operations> = QmsModule.make({
  name: "capa",
  label: "CAPA",
  recordTypes: [Capa.recordType],
  links: [RecordType.link({ kind: "corrective_action", label: "Corrective action", from: "finding", to: "capa" })],
  permissions: {
    "capa.read": "See corrective and preventive actions (CAPA)",
    "capa.create": "Draft a CAPA",
    "capa.update": "Edit a CAPA's details while its state allows it",
    "capa.assign": "Assign a CAPA to an owner",
    "capa.open": "Open a drafted CAPA",
    "capa.plan": "Record the root cause and submit the action plan",
    "capa.approve": "Approve a CAPA action plan",
    "capa.implement": "Report the CAPA actions as implemented",
    "capa.verify": "Check the effectiveness of CAPA actions, or send them back",
    "capa.close": "Close a CAPA",
    "capa.cancel": "Cancel a CAPA"
  },
  grants: {
    viewer: ["capa.read"],
    quality_manager: ["capa.*"],
    auditor: ["capa.read", "capa.verify"],
    // The people who own findings and CAPAs: they analyse, plan and carry out the actions, on the
    // CAPAs they own (`@owner`); they read every record and comment on any.
    capa_owner: [
      "capa.read",
      ...owned("capa.update", "capa.open", "capa.plan", "capa.implement"),
      "task.read",
      "task.create",
      "task.update",
      "task.complete",
      "record.read",
      "record.comment",
      ...owned("record.link", "record.attach", "record.sign"),
      "audit_trail.read"
    ],
    technician: ["capa.read"],
    accountable_manager: ["capa.read", "capa.approve"]
  },
  rules,
  operations,
  evidence: [
    EvidenceProfile.make({
      recordType: "capa",
      label: "CAPA",
      follow: ["corrective_action"],
      depth: 1,
      sections: [
        {
          title: "Corrective and preventive action",
          fields: [
            { label: "Description", path: "description" },
            { label: "Root cause method", path: "rootCause.method" },
            { label: "Root cause", path: "rootCause.text" },
            { label: "Actions", path: "actions" },
            { label: "Effectiveness", path: "effectiveness.result" },
            { label: "Effectiveness verified by", path: "effectiveness.verifiedBy" },
            { label: "Check skipped because", path: "effectivenessSkipRationale" }
          ]
        }
      ],
      path: "/capas/:id/evidence-pack"
    })
  ]
})
