import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { storageSuite } from "./suite.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(target.layer, { timeout: 60_000 })("storage", (it) => storageSuite(it, target))
  })
}
