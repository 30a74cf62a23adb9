/**
 * The audits module: internal audits of programme areas (record type, workflow with the
 * independence guard, link to the area), the audit permissions (shared with the programme) and
 * who holds them, and its operations (plan an audit, record checklist results).
 *
 * @since 0.1.0
 */
import { EvidenceProfile } from "@airworthy/evidence"
import { RecordType } from "@airworthy/records"
import * as QmsModule from "../QmsModule.js"
import * as Audit from "./Audit.js"
import { checklist, plan } from "./actions.js"

const operations: readonly [typeof plan, typeof checklist] = [plan, checklist]

/**
 * The audits module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"audits", typeof operations> = QmsModule.make({
  name: "audits",
  label: "Audits",
  recordTypes: [Audit.recordType],
  links: [RecordType.link({ kind: "audits_area", label: "Audits area", from: "internal_audit", to: "audit_area" })],
  permissions: {
    "audit.read": "See the audit programme and audits",
    "audit.read_sensitive": "See sensitive audit content (interview notes, named individuals)",
    "audit.create": "Add an audit to the programme",
    "audit.update": "Edit an audit while its state allows it",
    "audit.plan": "Plan and schedule the audit programme",
    "audit.approve_programme": "Approve the audit programme",
    "audit.conduct": "Conduct an audit and record its results",
    "audit.close": "Close an audit"
  },
  grants: {
    viewer: ["audit.read"],
    quality_manager: ["audit.*"],
    auditor: ["audit.read", "audit.read_sensitive", "audit.create", "audit.update", "audit.conduct"],
    capa_owner: ["audit.read"],
    accountable_manager: ["audit.read", "audit.read_sensitive", "audit.approve_programme"]
  },
  operations,
  evidence: [
    EvidenceProfile.make({
      recordType: "internal_audit",
      label: "Internal audit",
      // The audit, its area and the findings raised in it; the findings' own profile reaches their CAPAs.
      follow: ["audits_area", "raised_in"],
      depth: 2,
      sections: [
        {
          title: "Audit",
          fields: [
            { label: "Scope", path: "scope" },
            { label: "Lead auditor", path: "leadAuditorId" },
            { label: "Team", path: "teamIds" },
            { label: "Planned", path: "plannedAt" },
            { label: "Checklist", path: "checklist" },
            { label: "Summary", path: "summary" }
          ]
        }
      ],
      path: "/audits/:id/evidence-pack"
    })
  ]
})
