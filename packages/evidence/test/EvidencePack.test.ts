import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { evidenceLayer } from "./layers.js"
import { evidenceSuite } from "./suite.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(evidenceLayer(target), { timeout: 60_000 })("evidence packs", (it) => evidenceSuite(it, target))
  })
}
