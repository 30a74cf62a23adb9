import { assert, describe, it } from "@effect/vitest"
import { createQms } from "../src/index.js"

describe("createQms verifySigner", () => {
  it("refuses a signature whose signer fails re-authentication, and passes the credential through", async () => {
    const seen: Array<string | undefined> = []
    const qms = await createQms({
      database: { sqlite: ":memory:" },
      verifySigner: async ({ credential }) => {
        seen.push(credential)
        return credential === "2468"
      }
    })
    try {
      const quinn = { tenantId: "amo-1", actorId: "u-quinn", roles: ["quality_manager"] }
      await qms.staff.upsert({
        tenantId: "amo-1",
        actorId: "u-olive",
        displayName: "Olive",
        email: "olive@mro.example",
        roles: ["capa_owner"]
      })
      const finding = await qms.findings.raise(
        { title: "Expired sealant in bay 2", level: "2", requirement: "145.A.42", ownerId: "u-olive" },
        { actor: quinn }
      )
      const { capa } = await qms.findings.raiseCapa({ id: finding.id }, { actor: quinn })
      const refused = await qms.records
        .transition(
          { id: capa.id, transition: "approve_plan", signature: { meaning: "approved", credential: "0000" } },
          { actor: quinn }
        )
        .then(
          () => undefined,
          (e: { _tag: string; status: number }) => e
        )
      assert.strictEqual(refused?._tag, "Unauthenticated")
      assert.strictEqual(refused?.status, 401)
      // The right credential gets past the signer check; the CAPA is not yet at its plan, so the workflow says no.
      const next = await qms.records
        .transition(
          { id: capa.id, transition: "approve_plan", signature: { meaning: "approved", credential: "2468" } },
          { actor: quinn }
        )
        .then(
          () => undefined,
          (e: { _tag: string }) => e
        )
      assert.notStrictEqual(next?._tag, "Unauthenticated")
      assert.deepStrictEqual(seen, ["0000", "2468"])
      const unchanged = await qms.records.get({ id: capa.id }, { actor: quinn })
      assert.strictEqual(unchanged.version, capa.version)
    } finally {
      await qms.dispose()
    }
  })
})
