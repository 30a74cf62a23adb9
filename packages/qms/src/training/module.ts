/**
 * The training module (145.A.30/35): training requirements, training events and each person's
 * training records, the recurrent-training due list, and the evidence pack of a training record.
 *
 * @since 0.1.0
 */
import { EvidenceProfile } from "@airworthy/evidence"
import { RecordType } from "@airworthy/records"
import * as QmsModule from "../QmsModule.js"
import { define, plan, record, results } from "./actions.js"
import { dueList, person } from "./queries.js"
import { rules } from "./rules.js"
import * as Training from "./Training.js"

const operations: readonly [typeof define, typeof plan, typeof results, typeof record, typeof dueList, typeof person] =
  [define, plan, results, record, dueList, person]

/**
 * The training module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"training", typeof operations> = QmsModule.make({
  name: "training",
  label: "Training",
  recordTypes: [Training.requirementType, Training.eventType, Training.recordType],
  links: [
    RecordType.link({
      kind: "training_for",
      label: "Training for",
      from: "training_event",
      to: "training_requirement"
    }),
    RecordType.link({ kind: "trained_by", label: "Trained by", from: "training_record", to: "training_event" })
  ],
  permissions: {
    "training.read": "See training requirements, events, records and the due list",
    "training.manage": "Define training requirements; cancel events; withdraw training records",
    "training.deliver": "Plan and deliver training events, and record their results and evidence",
    "training.record": "Record completed training into people's training records"
  },
  grants: {
    viewer: ["training.read"],
    quality_manager: ["training.*"],
    auditor: ["training.read"],
    capa_owner: ["training.read"],
    technician: ["training.read"],
    accountable_manager: ["training.read"]
  },
  rules,
  operations,
  evidence: [
    EvidenceProfile.make({
      recordType: "training_record",
      label: "Training record",
      follow: ["trained_by"],
      depth: 1,
      sections: [
        {
          title: "Training record",
          fields: [
            { label: "Person", path: "personId" },
            { label: "Requirement", path: "requirementCode" },
            { label: "Title", path: "requirementTitle" },
            { label: "Completed", path: "completedAt" },
            { label: "Expires", path: "expiresAt" },
            { label: "Evidence", path: "evidence" }
          ]
        }
      ],
      path: "/training/records/:id/evidence-pack"
    })
  ]
})
