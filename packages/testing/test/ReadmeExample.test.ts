import { Guard, Workflow } from "@airworthy/core"
import { checkWorkflow } from "@airworthy/testing"
import { it } from "@effect/vitest"

// biome-ignore format: kept exactly as the README's "A host testing its own workflow in ten lines"
const concession = Workflow.unsafeMake({ name: "concession", initial: "draft", terminal: ["approved", "rejected"],
  states: { draft: { editable: ["title", "justification"] }, review: {}, approved: {}, rejected: {} },
  transitions: [
    { name: "submit", from: "draft", to: "review", permission: "concession.submit", guards: [Guard.requiredFields(["title", "justification"])] },
    { name: "approve", from: "review", to: "approved", permission: "concession.approve", signature: { meaning: "approved" }, guards: [Guard.approvals(1, { independent: true })] },
    { name: "reject", from: ["draft", "review"], to: "rejected", permission: "concession.approve", reasonRequired: true }] })
it.effect("a concession moves only as its workflow says", () => checkWorkflow(concession, { runs: 100 }))
