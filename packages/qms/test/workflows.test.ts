// Every QMS workflow keeps its promises under random command sequences (checkWorkflow, SQLite in memory).
import { checkWorkflow } from "@airworthy/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import {
  Audits,
  Authorisations,
  Calibration,
  Capa,
  Concessions,
  Documents,
  Findings,
  Programme,
  Training
} from "../src/index.js"

const cases = [
  { name: "internal audit", wf: Audits.workflow, recordType: { name: "internal_audit", schema: Audits.AuditData } },
  { name: "finding", wf: Findings.workflow, recordType: { name: "finding", schema: Findings.FindingData } },
  { name: "CAPA", wf: Capa.workflow, recordType: { name: "capa", schema: Capa.CapaData } },
  { name: "programme area", wf: Programme.workflow, recordType: { name: "audit_area", schema: Programme.AreaData } },
  {
    name: "controlled document",
    wf: Documents.documentWorkflow,
    recordType: { name: "controlled_document", schema: Documents.DocumentData }
  },
  {
    name: "document revision",
    wf: Documents.revisionWorkflow,
    recordType: { name: "document_revision", schema: Documents.RevisionData }
  },
  {
    name: "training requirement",
    wf: Training.requirementWorkflow,
    recordType: { name: "training_requirement", schema: Training.RequirementData }
  },
  {
    name: "training event",
    wf: Training.eventWorkflow,
    recordType: { name: "training_event", schema: Training.EventData }
  },
  {
    name: "training record",
    wf: Training.recordWorkflow,
    recordType: { name: "training_record", schema: Training.RecordData }
  },
  {
    name: "calibrated item",
    wf: Calibration.itemWorkflow,
    recordType: { name: "calibrated_item", schema: Calibration.ItemData }
  },
  {
    name: "calibration event",
    wf: Calibration.eventWorkflow,
    recordType: { name: "calibration_event", schema: Calibration.EventData },
    // The result is written only by `calibration.recordResult` (no edit may set it), so no random
    // sequence can return an event: the property is that every attempt is refused.
    refusedOnly: "return"
  },
  {
    name: "calibration due list",
    wf: Calibration.dueListWorkflow,
    recordType: { name: "calibration_due_list", schema: Calibration.DueListData }
  },
  {
    name: "concession",
    wf: Concessions.workflow,
    recordType: { name: "concession", schema: Concessions.ConcessionData }
  },
  {
    name: "authorisation",
    wf: Authorisations.workflow,
    recordType: { name: "authorisation", schema: Authorisations.AuthorisationData }
  }
] as const

describe("checkWorkflow", () => {
  for (const c of cases) {
    it.effect(
      `the ${c.name} workflow keeps every invariant over 40 random runs`,
      () =>
        Effect.gen(function* () {
          const outcome = yield* Effect.either(
            checkWorkflow(c.wf, {
              runs: 40,
              maxCommands: 14,
              recordType: c.recordType as never,
              verifyChain: "end-of-run"
            })
          )
          if (Either.isLeft(outcome)) return assert.fail(outcome.left.message)
          assert.strictEqual(outcome.right.runs, 40)
          if ("refusedOnly" in c) {
            assert.strictEqual(outcome.right.transitions[c.refusedOnly]?.taken, 0)
            assert.isAbove(outcome.right.transitions[c.refusedOnly]?.refused ?? 0, 0)
            return
          }
          assert.isAbove(
            Object.values(outcome.right.transitions).reduce((n, t) => n + t.taken, 0),
            0
          )
        }),
      { timeout: 120_000 }
    )
  }
})
