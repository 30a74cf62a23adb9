/**
 * The calibration module (EASA 145.A.40): the calibrated item, calibration event and due list record
 * types and workflows, their links, permissions and who holds them (including the `tool_controller`
 * role), the due-date task rules, the operations (register, import, send out, record the result, the
 * tool control check, the due list and its one-click export) and the item's evidence pack.
 *
 * @since 0.1.0
 */
import { EvidenceProfile } from "@airworthy/evidence"
import { RecordType } from "@airworthy/records"
import * as QmsModule from "../QmsModule.js"
import { importTools, recordResult, register, sendOut } from "./actions.js"
import * as Calibration from "./Calibration.js"
import { due, generate, usable } from "./queries.js"
import { rules } from "./rules.js"

const operations: readonly [
  typeof register,
  typeof importTools,
  typeof sendOut,
  typeof recordResult,
  typeof usable,
  typeof due,
  typeof generate
] = [register, importTools, sendOut, recordResult, usable, due, generate]

/**
 * The calibration module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"calibration", typeof operations> = QmsModule.make({
  name: "calibration",
  label: "Calibration register",
  recordTypes: [Calibration.itemType, Calibration.eventType, Calibration.dueListType],
  links: [
    RecordType.link({
      kind: "calibration_of",
      label: "Calibration of",
      from: "calibration_event",
      to: "calibrated_item"
    }),
    RecordType.link({ kind: "concerns_tool", label: "Concerns tool", from: "finding", to: "calibrated_item" })
  ],
  permissions: {
    "calibration.read": "See the calibration register, its due list, and whether a tool may be issued",
    "calibration.register": "Register calibrated items, directly or from the host's tool store",
    "calibration.update": "Edit a calibrated item's details while its state allows it",
    "calibration.send": "Send an item out for calibration",
    "calibration.record": "Record a calibration result and its certificate",
    "calibration.quarantine": "Quarantine an item (with a reason)",
    "calibration.release": "Release a quarantined item after an in-tolerance calibration (with a reason)",
    "calibration.retire": "Retire an item from the register (with a reason)",
    "calibration.send_due_list": "Generate the calibration due list and send it to a distribution list"
  },
  grants: {
    viewer: ["calibration.read"],
    quality_manager: ["calibration.*"],
    auditor: ["calibration.read"],
    technician: ["calibration.read"],
    accountable_manager: ["calibration.read"],
    // The tool store / calibration controller: runs the register day to day; an out-of-tolerance
    // result raises a finding in their name, so they may raise findings.
    tool_controller: [
      "calibration.*",
      "finding.read",
      "finding.create",
      "record.read",
      "record.comment",
      "record.attach",
      "record.link",
      "task.read",
      "task.complete"
    ]
  },
  rules,
  operations,
  evidence: [
    EvidenceProfile.make({
      recordType: "calibrated_item",
      label: "Calibrated item",
      follow: ["calibration_of", "concession_for", "concerns_tool"],
      depth: 1,
      sections: [
        {
          title: "Calibrated item",
          fields: [
            { label: "Tool id", path: "toolId" },
            { label: "Description", path: "description" },
            { label: "Part number", path: "partNumber" },
            { label: "Serial number", path: "serialNumber" },
            { label: "Location", path: "location" },
            { label: "Owner", path: "owner" },
            { label: "Item class", path: "itemClass" },
            { label: "Interval (days)", path: "intervalDays" },
            { label: "Interval (uses)", path: "intervalUses" },
            { label: "Tolerance class", path: "toleranceClass" },
            { label: "Standard / laboratory", path: "standard" },
            { label: "Last calibrated", path: "lastCalibratedAt" },
            { label: "Next due", path: "nextDueAt" },
            { label: "Last result", path: "lastResult" }
          ]
        }
      ],
      path: "/calibration/items/:id/evidence-pack"
    })
  ]
})
