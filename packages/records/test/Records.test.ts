import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { recordsLayer } from "./layers.js"
import { recordsSuite } from "./suite.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(recordsLayer(target), { timeout: 60_000 })("records", (it) => recordsSuite(it, target))
  })
}
