// What a problem answer holds, member by member: a 5xx says only its code (never the driver's
// message or SQL), a 4xx exactly its own fields, anything that is not a problem is an internal error
// in words, and the response carries the problem media type and the headers asked for.
import { Errors } from "@airworthy/core"
import { StorageError } from "@airworthy/storage"
import { assert, describe, it } from "@effect/vitest"
import { Cause } from "effect"
import { Problem } from "../src/index.js"

const internal = {
  type: `${Errors.problemBase}internal`,
  title: "Internal error",
  status: 500,
  code: "internal",
  detail: "An unexpected error occurred; quote the trace id when reporting it",
  trace_id: "t-1"
}

// A problem error of status exactly 500 whose message holds what must not leave the server.
const leaky = {
  problemType: `${Errors.problemBase}ledger`,
  title: "Ledger unavailable",
  status: 500,
  code: "ledger_unavailable",
  message: "SELECT secret FROM aw_audit_events failed at 10.0.0.7"
}

const serviceDetail = "The service could not complete the request; quote the trace id when reporting it"

describe("Problem", () => {
  it("a 5xx problem error says its code and title, never its message", () => {
    assert.deepStrictEqual(Problem.fromUnknown(leaky, "t-1"), {
      type: `${Errors.problemBase}ledger`,
      title: "Ledger unavailable",
      status: 500,
      code: "ledger_unavailable",
      detail: serviceDetail,
      trace_id: "t-1"
    })
    const storage = Problem.fromCause(
      Cause.fail(new StorageError.StorageError({ reason: "query", message: "relation aw_records: password=hunter2" })),
      "t-2"
    )
    assert.strictEqual(storage.status, 503)
    assert.strictEqual(storage.detail, serviceDetail)
    assert.notInclude(JSON.stringify(storage), "hunter2")
  })

  it("a 4xx problem holds exactly its own fields", () => {
    assert.deepStrictEqual(Problem.fromUnknown(new Errors.NotFound({ entity: "record", id: "r-1" }), "t-1"), {
      type: new Errors.NotFound({ entity: "record", id: "r-1" }).problemType,
      title: "Not found",
      status: 404,
      code: "not_found",
      detail: new Errors.NotFound({ entity: "record", id: "r-1" }).message,
      trace_id: "t-1"
    })
    const forbidden = Problem.fromUnknown(
      new Errors.Forbidden({ missing_permission: "finding.close", detail: "You need the permission finding.close" }),
      "t-1"
    )
    assert.deepStrictEqual(Object.keys(forbidden).sort(), [
      "code",
      "detail",
      "missing_permission",
      "status",
      "title",
      "trace_id",
      "type"
    ])
    assert.strictEqual(forbidden.missing_permission, "finding.close")
  })

  it("anything else, a failure that is not a problem or a defect, is an internal error in words", () => {
    assert.deepStrictEqual(Problem.fromUnknown(new Error("stack and secrets"), "t-1"), internal)
    assert.deepStrictEqual(Problem.fromCause(Cause.fail(new Error("stack and secrets")), "t-1"), internal)
    assert.deepStrictEqual(Problem.fromCause(Cause.fail("a plain string"), "t-1"), internal)
    assert.deepStrictEqual(Problem.fromCause(Cause.die(leaky), "t-1"), internal)
  })

  it("a problem response has the problem media type, the status and the headers asked for", async () => {
    const problem = Problem.fromUnknown(new Errors.Unauthenticated({}), "t-3")
    const res = Problem.response(problem, { "www-authenticate": "Bearer" })
    assert.strictEqual(res.status, 401)
    assert.strictEqual(res.headers.get("content-type"), Problem.contentType)
    assert.strictEqual(res.headers.get("www-authenticate"), "Bearer")
    assert.deepStrictEqual(await res.json(), problem)
    assert.strictEqual(Problem.response(problem).headers.get("content-type"), "application/problem+json")
  })
})
