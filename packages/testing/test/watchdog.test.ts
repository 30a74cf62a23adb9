// The watchdog every project loads (vitest.watchdog.ts): a test that blocks its worker's event loop
// fails within the limit and names itself, where vitest's own timeouts would wait forever.
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, it } from "vitest"

it("ends a worker whose test blocks the event loop, naming the test", () => {
  const root = fileURLToPath(new URL("./watchdog-fixture", import.meta.url))
  const vitest = fileURLToPath(new URL("../../../node_modules/vitest/vitest.mjs", import.meta.url))
  const run = spawnSync(process.execPath, [vitest, "run", "--root", root], {
    env: { ...process.env, AIRWORTHY_TEST_BLOCKED_MS: "2000", CI: "true" },
    encoding: "utf8",
    timeout: 50_000
  })
  const output = `${run.stdout}\n${run.stderr}`
  assert.isNull(run.signal, "the run itself had to be killed")
  assert.notStrictEqual(run.status, 0, output)
  assert.match(
    output,
    /\[watchdog\] blocks\.fixture\.ts > never gives the event loop back: the event loop has been blocked for \d+ s/
  )
})
