// Document control, training and authorisations on every database target.
import { Transport } from "@airworthy/notify"
import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { authorisationsSuite } from "./authorisations.js"
import { documentsSuite } from "./documents.js"
import { qmsLayer } from "./layers.js"
import { trainingSuite } from "./training.js"

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(target.name, () => {
    const capture = Effect.runSync(Transport.capture())
    layer(qmsLayer(target, capture), { timeout: 60_000 })("document control", (it) => {
      documentsSuite(it)
      trainingSuite(it)
      authorisationsSuite(it)
    })
  })
}
