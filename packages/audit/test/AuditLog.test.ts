import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { auditLayer } from "./layers.js"
import { auditSuite } from "./suite.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(auditLayer(target), { timeout: 60_000 })("audit log", (it) => auditSuite(it, target))
  })
}
