// createQms() rejects at start-up with the same tagged, coded errors as its calls, never a wrapper.
import { assert, describe, it } from "@effect/vitest"
import { createQms } from "../src/index.js"

const refusal = (start: Promise<unknown>) =>
  start.then(
    () => assert.fail("createQms resolved"),
    (e: unknown) => e as { _tag?: string; code?: string; status?: number; message?: string; name?: string }
  )

describe("createQms start-up", () => {
  it("a SQLite file in a directory that does not exist: StorageError storage_connection naming the directory", async () => {
    const e = await refusal(createQms({ database: { sqlite: "/nonexistent-airworthy/dir/qms.db" } }))
    assert.strictEqual(e._tag, "StorageError")
    assert.strictEqual(e.code, "storage_connection")
    assert.strictEqual(e.status, 503)
    assert.include(e.message, "/nonexistent-airworthy/dir does not exist")
  })

  it("a PostgreSQL server nobody answers at: StorageError, not a FiberFailure", async () => {
    const e = await refusal(createQms({ database: { postgres: "postgres://nobody@127.0.0.1:1/none" } }))
    assert.strictEqual(e._tag, "StorageError")
    assert.strictEqual(e.code, "storage_connection", e.message)
    assert.notStrictEqual(e.name, "(FiberFailure) StorageError")
    assert.notInclude(String(e), "FiberFailure")
  })
})
