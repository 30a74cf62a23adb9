import { Transport } from "@airworthy/notify"
import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { calibrationSuite } from "./calibration.js"
import { qmsLayer } from "./layers.js"
import { matrixSuite } from "./matrix.js"
import { ownershipSuite } from "./ownership.js"
import { suite } from "./suite.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    const capture = Effect.runSync(Transport.capture())
    layer(qmsLayer(target, capture), { timeout: 60_000 })("qms", (it) => {
      suite(it, capture)
      ownershipSuite(it)
      matrixSuite(it)
      calibrationSuite(it)
    })
  })
}
