import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { tasksLayer } from "./layers.js"
import { tasksSuite } from "./suite.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(tasksLayer(target), { timeout: 60_000 })("tasks", (it) => tasksSuite(it, target))
  })
}
