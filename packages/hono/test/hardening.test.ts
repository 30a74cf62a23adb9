// Hostile input gets a 4xx problem and writes nothing; unknown routes and methods are problems too;
// a 5xx is logged with its whole cause and trace id and says nothing to the client.
import { AuditLog, TreeHead } from "@airworthy/audit"
import { Actor, Ids } from "@airworthy/core"
import { Qms, type QmsModule } from "@airworthy/qms"
import { RecordHooks } from "@airworthy/records"
import { Sqlite } from "@airworthy/storage/sqlite"
import { StaffDirectory } from "@airworthy/tasks"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, Logger, ManagedRuntime } from "effect"
import { Hono } from "hono"
import { QmsRuntime, qmsRoutes } from "../src/index.js"

const signingKey = TreeHead.generateKey()
const tenant = "amo-hardening"

// A comment "boom" dies with SQL in its message: the 500 path.
const boom = RecordHooks.onCommented((change) =>
  JSON.stringify(change).includes('"boom"')
    ? Effect.die(new Error("SELECT password FROM staff WHERE 1=1 -- secret detail"))
    : Effect.void
)

const logged: Array<{ message: unknown; annotations: Record<string, unknown> }> = []
const capture = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ message, annotations }) => {
    const a: Record<string, unknown> = {}
    for (const [k, v] of annotations) a[k] = v
    logged.push({ message, annotations: a })
  })
)

let runtime: QmsRuntime.QmsRuntime
let app: Hono

const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
  const res = await app.request(`http://localhost/qms${path}`, {
    method,
    headers: { "x-tenant": tenant, "x-actor": "u-admin", ...headers },
    ...(body === undefined ? {} : { body })
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, text, json: text.startsWith("{") ? JSON.parse(text) : undefined }
}
const json = { "content-type": "application/json" }
const deep = (n: number, leaf = "x") => `${"[".repeat(n)}"${leaf}"${"]".repeat(n)}`
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`
const auditEvents = () =>
  runtime.runPromise(
    AuditLog.query({ limit: 1000 }).pipe(
      Effect.map((p) => p.events.length),
      Actor.withActor(
        Actor.make({ tenantId: tenant, actorId: "u-admin", displayName: "A", roles: ["admin"], traceId: "t" })
      )
    )
  )

beforeAll(async () => {
  runtime = ManagedRuntime.make(
    QmsRuntime.layer({
      database: Sqlite.layer({ filename: ":memory:" }),
      qms: { signingKey, ids: Ids.layerTest(71), hooks: [boom] }
    }).pipe(Layer.provideMerge(capture))
  )
  await runtime.runPromise(
    StaffDirectory.upsert(
      { tenantId: tenant, actorId: "u-olive", displayName: "Olive", email: "olive@mro.example", roles: ["capa_owner"] },
      {
        tenantId: "amo-elsewhere",
        actorId: "u-zed",
        displayName: "Zed",
        email: "zed@other.example",
        roles: ["auditor"]
      }
    )
  )
  // The QMS mounted inside a host's app, which has its own routes and not-found handler.
  app = new Hono()
  app.get("/host/ping", (c) => c.text("pong"))
  app.route(
    "/qms",
    qmsRoutes({
      runtime,
      rateLimit: false,
      authenticate: (c) =>
        c.req.header("x-actor") === undefined
          ? null
          : { tenantId: c.req.header("x-tenant") ?? "", actorId: c.req.header("x-actor") ?? "", roles: ["admin"] }
    })
  )
})
afterAll(() => runtime.dispose())

describe("bodies", () => {
  it("JSON only as application/json: text/plain or no content type is 415, nothing written", async () => {
    const body = JSON.stringify({ title: "T", level: "2", requirement: "145.A.40", ownerId: "u-olive" })
    const plain = await call("POST", "/findings", body, { "content-type": "text/plain" })
    assert.strictEqual(plain.status, 415)
    assert.strictEqual(plain.headers.get("content-type"), "application/problem+json")
    assert.strictEqual(plain.json.code, "unsupported_media_type")
    assert.strictEqual((await call("POST", "/findings", body)).status, 415)
    assert.strictEqual(await auditEvents(), 0)
    // A JSON media type with parameters or a +json suffix is JSON.
    const ok = await call("POST", "/findings", body, { "content-type": "application/json; charset=utf-8" })
    assert.strictEqual(ok.status, 201)
  })

  it("nesting deeper than the limit is a 400 problem on every route with a body, before anything is parsed", async () => {
    const before = await auditEvents()
    const routes = Qms.modules.flatMap((m) => m.operations as ReadonlyArray<QmsModule.AnyOperation>)
    for (const op of routes.filter((o) => o.http.method !== "get")) {
      const path = op.http.path.replace(/:([A-Za-z_]+)/g, "x")
      for (const body of [`{"data":${deep(3000)}}`, `{"signature":${deepObject(5000)}}`, deep(100_000)]) {
        const res = await call(op.http.method.toUpperCase(), path, body, json)
        assert.strictEqual(res.status, 400, `${op.operationId}: ${res.text.slice(0, 200)}`)
        assert.match(res.json.detail, /nested deeper than 64 levels/)
      }
    }
    // 64 levels are fine as far as the limit goes (the Schema then says what is wrong).
    const atLimit = await call("PATCH", "/records/x", `{"data":${deep(63)}}`, json)
    assert.notStrictEqual(atLimit.status, 500)
    assert.notMatch(atLimit.text, /nested deeper/)
    assert.strictEqual(await auditEvents(), before)
  })

  it("a string longer than the limit is 413; malformed JSON and non-objects are 400", async () => {
    const long = await call("POST", "/findings", JSON.stringify({ title: "x".repeat(100_001) }), json)
    assert.strictEqual(long.status, 413)
    assert.match(long.json.detail, /longer than 100000 characters/)
    assert.strictEqual((await call("POST", "/findings", "{", json)).status, 400)
    assert.strictEqual((await call("POST", "/findings", "[1,2]", json)).json.detail, "The body must be a JSON object")
    assert.strictEqual((await call("POST", "/findings", '"text"', json)).status, 400)
  })

  it("hostile bodies on every declared operation: never a 5xx, always problem+json, the trail still verifies", async () => {
    const operations = Qms.modules.flatMap((m) => m.operations as ReadonlyArray<QmsModule.AnyOperation>)
    const hostile = fc.oneof(
      fc.integer({ min: 60, max: 400 }).map((n) => deep(n)),
      fc.integer({ min: 60, max: 400 }).map((n) => `{"data":${deepObject(n)}}`),
      fc.string({ unit: "binary", maxLength: 40 }).map((s) => JSON.stringify({ title: s, id: s, body: s, reason: s })),
      fc.anything({ maxDepth: 4 }).map((u) => JSON.stringify(u) ?? "null"),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })).map((o) => JSON.stringify(o)),
      fc.constantFrom("{", "[", '{"a":}', "\u0000", "nul", '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}')
    )
    const pick = fc.constantFrom(...operations)
    await fc.assert(
      fc.asyncProperty(pick, hostile, fc.string({ maxLength: 300 }), async (op, body, id) => {
        const path = op.http.path.replace(/:([A-Za-z_]+)/g, () => encodeURIComponent(id) || "x")
        const res =
          op.http.method === "get"
            ? await call(
                "GET",
                `${path}?${new URLSearchParams({ limit: body.slice(0, 50), buckets: body.slice(0, 20) })}`
              )
            : await call(op.http.method.toUpperCase(), path, body, json)
        assert.isBelow(res.status, 500, `${op.operationId} ${body.slice(0, 120)} → ${res.text.slice(0, 200)}`)
        if (res.status >= 400) assert.strictEqual(res.headers.get("content-type"), "application/problem+json")
      }),
      { numRuns: 300, seed: 4242 }
    )
    const verified = await call("GET", "/audit-trail/verify")
    assert.strictEqual(verified.status, 200)
    assert.isTrue(verified.json.ok, verified.text)
  })
})

describe("references", () => {
  it("owners, auditors, responsible people and linked records must exist in the actor's organisation: 422 naming the field, nothing written", async () => {
    const before = await auditEvents()
    const raise = (extra: object) =>
      call(
        "POST",
        "/findings",
        JSON.stringify({ title: "Ref", level: "2", requirement: "145.A.40", ownerId: "u-olive", ...extra }),
        json
      )
    const cases: ReadonlyArray<readonly [Promise<{ status: number; json: any }>, string]> = [
      [raise({ ownerId: "u-nobody" }), "ownerId"],
      [raise({ ownerId: "u-zed" }), "ownerId"], // a person of another organisation
      [raise({ areaId: "0190a000-0000-7000-8000-00000000dead" }), "areaId"],
      [raise({ auditId: "0190a000-0000-7000-8000-00000000beef" }), "auditId"],
      [
        call(
          "POST",
          "/programme/areas",
          JSON.stringify({ name: "Stores", responsibleIds: ["u-olive", "u-ghost"] }),
          json
        ),
        "responsibleIds.1"
      ]
    ]
    for (const [pending, field] of cases) {
      const res = await pending
      assert.strictEqual(res.status, 422, JSON.stringify(res.json))
      assert.strictEqual(res.json.code, "unknown_reference")
      assert.deepStrictEqual(
        res.json.issues.map((i: { path: string }) => i.path),
        [field]
      )
    }
    assert.strictEqual(await auditEvents(), before)
    // A finding raised against an audit of another record type is refused the same way.
    const area = await call(
      "POST",
      "/programme/areas",
      JSON.stringify({ name: "Hangar", responsibleIds: ["u-olive"] }),
      json
    )
    assert.strictEqual(area.status, 201)
    const wrongType = await raise({ auditId: area.json.id })
    assert.strictEqual(wrongType.status, 422)
    assert.strictEqual(wrongType.json.issues[0].path, "auditId")

    // The generic record operations check the same: an owner given on create or assign, the record
    // at the other end of a link. Nothing is written by any of them.
    const afterArea = await auditEvents()
    const generic = [
      call(
        "POST",
        "/records",
        JSON.stringify({
          type: "finding",
          ownerId: "u-ghost",
          data: { title: "G", level: "2", requirement: "145.A.40" }
        }),
        json
      ),
      call("POST", `/records/${area.json.id}/assign`, JSON.stringify({ ownerId: "u-zed" }), json),
      call(
        "POST",
        `/records/${area.json.id}/links`,
        JSON.stringify({ to: "0190a000-0000-7000-8000-00000000f00d", kind: "raised_in" }),
        json
      )
    ] as const
    const fields = ["ownerId", "ownerId", "to"]
    for (const [i, pending] of generic.entries()) {
      const res = await pending
      assert.strictEqual(res.status, 422, JSON.stringify(res.json))
      assert.strictEqual(res.json.code, "unknown_reference")
      assert.deepStrictEqual(
        res.json.issues.map((x: { path: string }) => x.path),
        [fields[i]]
      )
    }
    assert.strictEqual(await auditEvents(), afterArea)
    const unchanged = await call("GET", `/records/${area.json.id}`)
    assert.strictEqual(unchanged.json.ownerId, null)
    assert.strictEqual(unchanged.json.version, 1)
    // A real owner is accepted; a missing record in the path is still 404.
    const assigned = await call("POST", `/records/${area.json.id}/assign`, JSON.stringify({ ownerId: "u-olive" }), json)
    assert.strictEqual(assigned.status, 200, assigned.text)
    assert.strictEqual(assigned.json.ownerId, "u-olive")
    const missing = await call(
      "POST",
      "/records/0190a000-0000-7000-8000-00000000f00d/links",
      JSON.stringify({ to: area.json.id, kind: "raised_in" }),
      json
    )
    assert.strictEqual(missing.status, 404)
  })
})

describe("query parameters", () => {
  it("are validated by the operation's Schemas: dates, enums, limits, numbers; each 400 names the parameter", async () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["/audit-trail?from=notadate", "from"],
      ["/audit-trail?to=garbage", "to"],
      ["/audit-trail?from=2026-05-01T08:00:00%2B02:00", "from"],
      ["/audit-trail?severity=info,fatal", "severity"],
      ["/audit-trail?limit=0", "limit"],
      ["/audit-trail?limit=ten", "limit"],
      ["/records?limit=abc", "limit"],
      ["/records?limit=501", "limit"],
      ["/records?order=sideways", "order"],
      ["/records?dueBefore=tomorrow", "dueBefore"],
      ["/findings/open?buckets=30,x", "buckets"],
      ["/tasks/mine?includeClosed=maybe", "includeClosed"]
    ]
    for (const [path, name] of cases) {
      const res = await call("GET", path)
      assert.strictEqual(res.status, 400, `${path}: ${res.text.slice(0, 200)}`)
      assert.isTrue(
        res.json.issues.some((i: { path: string }) => i.path.split(".")[0] === name),
        `${path}: ${JSON.stringify(res.json.issues)}`
      )
    }
    // Good values pass; a day works as well as an instant.
    assert.strictEqual((await call("GET", "/audit-trail?from=2026-01-01&to=2026-12-31T23:59:59Z&limit=5")).status, 200)
    // The OpenAPI document declares them.
    const doc = (await call("GET", "/openapi.json")).json
    const names = doc.paths["/audit-trail"].get.parameters.map((p: { name: string }) => p.name)
    for (const n of ["from", "to", "severity", "limit", "cursor", "order"]) assert.include(names, n)
  })
})

describe("routes", () => {
  it("an unknown path under the mount point is a problem+json 404, also inside a host app; the path echoed is shortened", async () => {
    const res = await call("GET", `/nothing/here/${"z".repeat(5000)}`)
    assert.strictEqual(res.status, 404)
    assert.strictEqual(res.headers.get("content-type"), "application/problem+json")
    assert.isBelow(res.json.detail.length, 200)
    assert.isString(res.json.trace_id)
    // The host's own routes are untouched.
    assert.strictEqual((await app.request("http://localhost/host/ping")).status, 200)
  })

  it("a known path with another method is a 405 listing the allowed methods", async () => {
    const res = await call("DELETE", "/records/abc")
    assert.strictEqual(res.status, 405)
    assert.strictEqual(res.headers.get("allow"), "GET, HEAD, PATCH")
    assert.strictEqual(res.json.code, "method_not_allowed")
    const put = await call("PUT", "/findings", "{}", json)
    assert.strictEqual(put.status, 405)
    assert.strictEqual(put.headers.get("allow"), "POST")
  })

  it("an id of 5,000 characters is refused without being echoed whole", async () => {
    const res = await call("GET", `/records/${"q".repeat(5000)}`)
    assert.strictEqual(res.status, 400)
    assert.strictEqual(res.json.issues[0].path, "id")
    assert.isBelow(res.text.length, 1000, res.text.slice(0, 1100))
    // An id within the Schema's bounds that does not exist: 404 naming it.
    const missing = await call("GET", `/records/${"q".repeat(128)}`)
    assert.strictEqual(missing.status, 404)
    assert.isBelow(missing.json.detail.length, 120)
  })

  it("a 304 carries no content type", async () => {
    const created = await call(
      "POST",
      "/findings",
      JSON.stringify({ title: "ETag", level: "2", requirement: "145.A.40", ownerId: "u-olive" }),
      json
    )
    const first = await call("GET", `/records/${created.json.id}/history`)
    const again = await call("GET", `/records/${created.json.id}/history`, undefined, {
      "if-none-match": first.headers.get("etag") ?? ""
    })
    assert.strictEqual(again.status, 304)
    assert.isNull(again.headers.get("content-type"))
    assert.strictEqual(again.headers.get("etag"), first.headers.get("etag"))
  })
})

describe("failures", () => {
  it("a 5xx logs its whole cause with the trace id and answers a problem that leaks nothing", async () => {
    const created = await call(
      "POST",
      "/findings",
      JSON.stringify({ title: "Boom", level: "2", requirement: "145.A.40", ownerId: "u-olive" }),
      json
    )
    logged.length = 0
    const res = await call("POST", `/records/${created.json.id}/comments`, JSON.stringify({ body: "boom" }), {
      ...json,
      "x-request-id": "trace-boom-1"
    })
    assert.strictEqual(res.status, 500)
    assert.notInclude(res.text, "SELECT")
    assert.strictEqual(res.json.trace_id, "trace-boom-1")
    await new Promise((resolve) => setTimeout(resolve, 50))
    const line = logged.find((l) => l.annotations.trace_id === "trace-boom-1")
    assert.isDefined(line)
    assert.include(String(line?.annotations.cause), "SELECT password FROM staff")
    assert.include(String(line?.annotations.cause), "at ") // the stack
    assert.strictEqual(line?.annotations.path, `/qms/records/${created.json.id}/comments`)
  })
})

describe("audit trail keys", () => {
  it("publishes the public key that signs the checkpoints, by key id", async () => {
    const res = await call("GET", "/audit-trail/keys")
    assert.strictEqual(res.status, 200, res.text)
    assert.deepStrictEqual(JSON.parse(res.text), [
      { keyId: signingKey.keyId, publicKeyPem: signingKey.publicKeyPem, current: true }
    ])
  })
})
