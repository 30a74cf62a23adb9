import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { notifyLayer } from "./layers.js"
import { notifySuite } from "./suite.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(notifyLayer(target), { timeout: 60_000 })("notify", (it) => notifySuite(it, target))
  })
}
