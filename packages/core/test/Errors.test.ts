import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { Errors } from "../src/index.js"

const Input = Schema.Struct({
  level: Schema.Literal("1", "2", "observation"),
  owner: Schema.Struct({ id: Schema.NonEmptyString })
})

const failure = (input: unknown) => {
  const r = Schema.decodeUnknownEither(Input, { errors: "all" })(input)
  if (Either.isRight(r)) throw new Error("expected a decoding failure")
  return r.left
}

describe("Errors", () => {
  it("fieldIssues gives one issue per path, joining a union's alternatives, with a prefix", () => {
    const issues = Errors.fieldIssues(failure({ level: "3", owner: { id: "" } }), "finding")
    assert.deepStrictEqual(
      issues.map((i) => i.path),
      ["finding.level", "finding.owner.id"]
    )
    assert.strictEqual(issues[0]!.message.split(" | ").length, 3)
  })

  it("fromParseError is a 400 ValidationFailed naming every field", () => {
    const error = Errors.fromParseError(failure({ owner: {} }))
    assert.strictEqual(error._tag, "ValidationFailed")
    assert.strictEqual(error.status, 400)
    assert.deepStrictEqual(
      error.issues.map((i) => i.path),
      ["level", "owner.id"]
    )
  })
})
