/**
 * The documents module (145.A.45, the MOE): controlled documents and their revisions, the
 * one-click publication to the distribution, acknowledgements (read and understood), periodic
 * reviews, and the evidence pack of a revision.
 *
 * @since 0.1.0
 */
import { EvidenceProfile } from "@airworthy/evidence"
import { RecordType } from "@airworthy/records"
import * as QmsModule from "../QmsModule.js"
import { acknowledge, confirmReview, create, draft, publish } from "./actions.js"
import * as Document from "./Document.js"
import { outstanding, reviewsDue } from "./queries.js"
import { rules } from "./rules.js"

const operations: readonly [
  typeof create,
  typeof draft,
  typeof publish,
  typeof acknowledge,
  typeof confirmReview,
  typeof outstanding,
  typeof reviewsDue
] = [create, draft, publish, acknowledge, confirmReview, outstanding, reviewsDue]

/** Everyone who receives controlled documents reads and acknowledges them. */
const reader = ["document.read", "document.acknowledge"] as const

/**
 * The documents module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"documents", typeof operations> = QmsModule.make({
  name: "documents",
  label: "Documents",
  recordTypes: [Document.documentType, Document.revisionType],
  links: [
    RecordType.link({
      kind: "revision_of",
      label: "Revision of",
      from: "document_revision",
      to: "controlled_document"
    })
  ],
  permissions: {
    "document.read": "See controlled documents, their revisions and the acknowledgement report",
    "document.create": "Register a controlled document",
    "document.update": "Edit a document's details and distribution, and confirm its periodic review",
    "document.author": "Draft a revision, attach its content and submit it for review",
    "document.review": "Comment on a revision in review, or return it to draft",
    "document.approve": "Approve a revision (electronic signature meaning 'approved')",
    "document.publish": "Publish an approved revision and notify its distribution",
    "document.withdraw": "Withdraw a document or a revision",
    "document.acknowledge": "Acknowledge a published revision as read and understood"
  },
  grants: {
    viewer: [...reader],
    quality_manager: ["document.*"],
    auditor: [...reader, "document.review"],
    capa_owner: [...reader],
    technician: [...reader],
    accountable_manager: [...reader, "document.review", "document.approve"]
  },
  rules,
  operations,
  evidence: [
    EvidenceProfile.make({
      recordType: "document_revision",
      label: "Document revision",
      follow: ["revision_of"],
      depth: 1,
      sections: [
        {
          title: "Revision",
          fields: [
            { label: "Document", path: "documentNumber" },
            { label: "Title", path: "documentTitle" },
            { label: "Revision", path: "revision" },
            { label: "Change summary", path: "changeSummary" },
            { label: "Training required of", path: "trainingRequired.roles" }
          ]
        }
      ],
      path: "/document-revisions/:id/evidence-pack"
    })
  ]
})
