import { TestDatabase } from "@airworthy/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Storage, StorageError } from "../src/index.js"
import { Postgres } from "../src/pg/index.js"

const build = <A>(layer: Layer.Layer<A, StorageError.StorageError>) => Effect.flip(Effect.scoped(Layer.build(layer)))

describe("connection failures", () => {
  it.effect("name the host and database but never the password (refused port)", () =>
    Effect.gen(function* () {
      const error = yield* build(
        Postgres.layer({ url: "postgres://qa:hunter2-s3cret@127.0.0.1:1/qms_prod", connectTimeout: "3 seconds" })
      )
      assert.instanceOf(error, StorageError.StorageError)
      assert.strictEqual(error.reason, "connection")
      assert.include(error.message, "127.0.0.1:1/qms_prod")
      assert.notInclude(error.message, "hunter2")
      assert.notInclude(JSON.stringify(error), "hunter2")
    })
  )

  it.effect("name the database that does not exist on a reachable server", () =>
    Effect.gen(function* () {
      const url = new URL(TestDatabase.postgresServerUrl)
      url.password = "pa55word-never-shown"
      url.pathname = "/aw_no_such_database"
      const error = yield* build(Postgres.layer({ url: url.toString(), connectTimeout: "3 seconds" }))
      assert.strictEqual(error.reason, "connection")
      assert.include(error.message, "/aw_no_such_database")
      assert.notInclude(error.message, "pa55word")
    })
  )

  it("describes a URL without its credentials", () => {
    assert.strictEqual(Storage.describeUrl("postgres://u:p@db.example:6543/qms"), "db.example:6543/qms")
    assert.strictEqual(Storage.describeUrl("postgres://u@localhost/qms"), "localhost:5432/qms")
  })
})
