// A project holding one test that blocks its event loop, run by watchdog.test.ts.
import { mergeConfig } from "vitest/config"
import { sharedProject } from "../../../../vitest.shared.js"

export default mergeConfig(sharedProject("watchdog-fixture"), { test: { include: ["*.fixture.ts"] } })
