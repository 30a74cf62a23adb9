import { Transport } from "@airworthy/notify"
import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { documentsSuite } from "./documents.js"
import { qmsLayer } from "./layers.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    const capture = Effect.runSync(Transport.capture())
    layer(qmsLayer(target, capture), { timeout: 60_000 })("documents", (it) => {
      documentsSuite(it)
    })
  })
}
