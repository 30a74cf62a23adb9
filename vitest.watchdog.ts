// A test that blocks its worker's event loop (a synchronous loop that never ends, a sampling loop
// gone quadratic) cannot be stopped by vitest's timeouts: they need the event loop. This watchdog
// runs on its own thread. The worker's main thread beats every second and writes the running test's
// name into shared memory; when the beat stops for `AIRWORTHY_TEST_BLOCKED_MS` (default 90 s), the
// watchdog writes the test's name to stderr itself and ends the worker, so the run fails fast and
// says which test it was.
import { Worker } from "node:worker_threads"
import { afterEach, beforeEach } from "vitest"

const limitMs = Number(process.env.AIRWORTHY_TEST_BLOCKED_MS ?? 90_000)
const nameBytes = 2048
const shared = new SharedArrayBuffer(16 + nameBytes)
const beat = new Float64Array(shared, 0, 1)
const length = new Int32Array(shared, 8, 1)
const name = new Uint8Array(shared, 16, nameBytes)
const encoder = new TextEncoder()

const setName = (text: string) => {
  const bytes = encoder.encode(text).slice(0, nameBytes)
  name.set(bytes)
  Atomics.store(length, 0, bytes.length)
}

const pulse = () => {
  beat[0] = Date.now()
}
pulse()
setInterval(pulse, 1000).unref()

beforeEach((context) => {
  const path: Array<string> = []
  for (let suite = context.task.suite; suite !== undefined; suite = suite.suite) {
    if (suite.name !== "") path.unshift(suite.name)
  }
  setName(`${context.task.file?.name ?? "?"} > ${[...path, context.task.name].join(" > ")}`)
  pulse()
})

afterEach(() => setName(""))

const watchdog = `
const { workerData } = require("node:worker_threads")
const { writeSync } = require("node:fs")
const { shared, limitMs, pid } = workerData
const beat = new Float64Array(shared, 0, 1)
const length = new Int32Array(shared, 8, 1)
const name = new Uint8Array(shared, 16)
setInterval(() => {
  const quiet = Date.now() - beat[0]
  if (quiet < limitMs) return
  const n = Atomics.load(length, 0)
  const test = n === 0 ? "(between tests)" : new TextDecoder().decode(name.slice(0, n))
  writeSync(2, "\\n[watchdog] " + test + ": the event loop has been blocked for " + Math.round(quiet / 1000) +
    " s (limit " + Math.round(limitMs / 1000) + " s); ending the test worker\\n")
  process.kill(pid, "SIGKILL")
}, 1000)
`

new Worker(watchdog, { eval: true, workerData: { shared, limitMs, pid: process.pid } }).unref()
