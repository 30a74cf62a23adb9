import { it } from "vitest"

it("never gives the event loop back", () => {
  const end = Date.now() + 3_600_000
  while (Date.now() < end) {
    // a synchronous loop no timeout can interrupt
  }
})
