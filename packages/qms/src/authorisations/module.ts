/**
 * The authorisations module (145.A.35): certifying staff authorisations with their scope, validity
 * and prerequisite training, and the check a host's work-order system calls before a certification.
 *
 * @since 0.1.0
 */
import { EvidenceProfile } from "@airworthy/evidence"
import * as QmsModule from "../QmsModule.js"
import * as Authorisation from "./Authorisation.js"
import { checkOperation, grant, renew } from "./actions.js"
import { rules } from "./rules.js"

const operations: readonly [typeof grant, typeof renew, typeof checkOperation] = [grant, renew, checkOperation]

/**
 * The authorisations module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"authorisations", typeof operations> = QmsModule.make({
  name: "authorisations",
  label: "Authorisations",
  recordTypes: [Authorisation.recordType],
  permissions: {
    "authorisation.read": "See certification authorisations",
    "authorisation.issue": "Draft, issue and reinstate certification authorisations",
    "authorisation.suspend": "Suspend or revoke a certification authorisation (with a reason)",
    "authorisation.check": "Check whether a person may certify a scope at a time"
  },
  grants: {
    viewer: ["authorisation.read"],
    quality_manager: ["authorisation.*"],
    auditor: ["authorisation.read", "authorisation.check"],
    capa_owner: ["authorisation.read"],
    technician: ["authorisation.read", "authorisation.check"],
    accountable_manager: ["authorisation.read", "authorisation.check", "authorisation.suspend"]
  },
  rules,
  operations,
  evidence: [
    EvidenceProfile.make({
      recordType: "authorisation",
      label: "Certification authorisation",
      sections: [
        {
          title: "Authorisation",
          fields: [
            { label: "Holder", path: "personId" },
            { label: "Number", path: "number" },
            { label: "Aircraft types", path: "scope.aircraftTypes" },
            { label: "Categories", path: "scope.categories" },
            { label: "Tasks", path: "scope.tasks" },
            { label: "Valid from", path: "validFrom" },
            { label: "Expires", path: "expiresAt" },
            { label: "Prerequisite training", path: "prerequisites" }
          ]
        }
      ],
      path: "/authorisations/:id/evidence-pack"
    })
  ]
})
