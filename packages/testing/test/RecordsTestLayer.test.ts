import { AuditLog } from "@airworthy/audit"
import { Actor, Policy } from "@airworthy/core"
import { Records, RecordType } from "@airworthy/records"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Fixtures, RecordsTestLayer, TestDatabase } from "../src/index.js"

const capa = RecordType.make({
  name: "capa",
  prefix: "CAPA",
  schema: Schema.Struct({ title: Schema.optional(Schema.String) }),
  workflow: Fixtures.capa,
  title: (d) => d.title ?? ""
})

const quality = Actor.make({
  tenantId: "amo-layer",
  actorId: "u-quality",
  displayName: "Quinn Quality",
  roles: ["quality_manager"],
  traceId: "trace-layer"
})

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(
      RecordsTestLayer.make({
        types: [capa],
        database: target.layer,
        policy: { grant: { ...Fixtures.policy.grant, viewer: ["capa.read", "capa.create"] } }
      }),
      {
        timeout: 60_000
      }
    )("RecordsTestLayer.make", (it) => {
      it.effect("gives a migrated records runtime with an audit log, policy and accept-all signer", () =>
        Effect.gen(function* () {
          const created = yield* Records.create({ type: "capa", data: { title: "Tool control" } })
          assert.strictEqual(created.state, "draft")
          const opened = yield* Records.transition({ id: created.id, transition: "open", expectedVersion: 1 })
          assert.strictEqual(opened.state, "open")
          // A signature goes through SignerVerification.acceptAll without a credential.
          const signed = yield* Records.sign({ id: created.id, meaning: "reviewed" })
          assert.strictEqual(signed.meaning, "reviewed")
          const page = yield* AuditLog.query({ order: "asc" })
          assert.deepStrictEqual(
            page.events.map((e) => e.action),
            ["capa.created", "capa.transition.open", "capa.signed"]
          )
          const verified = yield* AuditLog.verify("amo-layer")
          assert.isTrue(verified.ok)
          // The host's policy is the one in force.
          const rules = yield* Policy.Policy
          assert.isTrue(rules.can(Actor.make({ ...quality, roles: ["viewer"] }), "capa.create"))
        }).pipe(Actor.withActor(quality))
      )
    })
  })
}
