// `createQms({ checkpoints })`: audit checkpoints signed in the background, so a host without Effect
// gets the signed tree heads that make deleting the newest events detectable.
import { assert, it } from "@effect/vitest"
import { createQms } from "../src/index.js"

const quinn = { tenantId: "mro-checkpoints", actorId: "u-quinn", roles: ["quality_manager"] }

it("signs a checkpoint covering the new events, in the background, and verify checks it", async () => {
  const qms = await createQms({ database: { sqlite: ":memory:" }, checkpoints: { everyMillis: 1000 } })
  try {
    await qms.staff.upsert({ ...quinn, displayName: "Quinn", email: "quinn@mro.example" })
    await qms.findings.raise(
      { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-quinn" },
      { actor: quinn }
    )
    // Polls (no timing asserted): the first round after the finding signs one.
    let verified = await qms.auditTrail.verify({}, { actor: quinn })
    for (let i = 0; i < 200 && verified.ok && verified.checkpoints === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      verified = await qms.auditTrail.verify({}, { actor: quinn })
    }
    const events = (await qms.auditTrail.query({}, { actor: quinn })).events.length
    assert.deepStrictEqual(verified, { ok: true, events, checkpoints: 1 })
  } finally {
    await qms.dispose()
  }
})
