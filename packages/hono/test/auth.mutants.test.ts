// The HTTP adapter's authentication, the actor and its tenant, the CSRF check and the input of an
// operation, where mutation testing found the route tests silent (docs/mutation.md): each test
// checks what was answered and what was stored, across a tenant, an actor without the permission,
// and a replayed request.
import { Actor } from "@airworthy/core"
import { Sqlite } from "@airworthy/storage/sqlite"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Hono } from "hono"
import { qmsRoutes, Session } from "../src/index.js"
import { authenticate, client, finding, freshTenant, runtimeFor, staff } from "./helpers.js"

const runtime = runtimeFor(Sqlite.layer({ filename: ":memory:" }), 91)
afterAll(() => runtime.dispose())

const origin = "http://localhost"

// The host's own user objects: an `Actor` it made itself (with a trace id of its own, a display
// name and a source) for `x-host-actor`, else the test headers.
const app = new Hono()
app.post("/login", (c) => {
  Session.setCookie(c, "aw_session", "sess-quinn")
  return c.json({ ok: true })
})
app.post("/logout-everywhere", (c) => {
  Session.clearCookie(c, "aw_session")
  return c.json({ ok: true })
})
app.post("/logout", (c) => {
  Session.clearCookie(c, "aw_session", { path: "/qms" })
  return c.json({ ok: true })
})
const sessions = new Map<string, { tenantId: string; actorId: string; roles: ReadonlyArray<string> }>()
app.route(
  "/qms",
  qmsRoutes({
    runtime,
    rateLimit: false,
    authenticate: (c) => {
      const hostActor = c.req.header("x-host-actor")
      if (hostActor === undefined) return authenticate(c)
      return Actor.make({
        tenantId: c.req.header("x-tenant") ?? "none",
        actorId: hostActor,
        displayName: "Quinn Quality",
        roles: ["quality_manager"],
        traceId: "host-made-trace",
        source: "ui"
      })
    },
    session: { cookie: "aw_session", authenticate: (value) => sessions.get(value) ?? null }
  })
)

interface Event {
  readonly tenantId: string
  readonly actor: { readonly id: string; readonly displayName: string; readonly roles: ReadonlyArray<string> }
  readonly record: { readonly id: string }
  readonly source: string
  readonly traceId: string
}

const trailOf = async (tenant: string) => {
  const res = await client(app, tenant).get("/audit-trail?limit=1000")
  assert.strictEqual(res.status, 200, res.text)
  return res.json.events as Array<Event>
}

const actorOf = (e: Event | undefined) => [
  e?.actor.id,
  e?.actor.displayName,
  e?.actor.roles,
  e?.source,
  e?.traceId,
  e?.tenantId
]

describe("authentication and the actor", () => {
  it("no user: 401 problem with WWW-Authenticate, for reads and writes; nothing written", async () => {
    const tenant = freshTenant("auth-none")
    for (const [method, path] of [
      ["GET", "/records"],
      ["POST", "/findings"]
    ] as const) {
      const res = await app.request(`${origin}/qms${path}`, {
        method,
        headers: { "x-tenant": tenant, "content-type": "application/json" },
        ...(method === "POST" ? { body: JSON.stringify(finding) } : {})
      })
      assert.strictEqual(res.status, 401, path)
      assert.strictEqual(res.headers.get("www-authenticate"), "Bearer")
      assert.strictEqual(res.headers.get("content-type"), "application/problem+json")
      const problem = (await res.json()) as { code: string; status: number; trace_id: string }
      assert.deepStrictEqual([problem.code, problem.status], ["unauthenticated", 401])
      assert.match(problem.trace_id, /^[0-9a-f]{32}$/)
    }
    assert.deepStrictEqual(await trailOf(tenant), [])
  })

  it("the host's fields become the actor: its id names it when it has no display name, the source is api", async () => {
    const tenant = freshTenant("auth-fields")
    await staff(runtime, tenant)
    const created = await client(app, tenant).post("/findings", finding, "u-avery", {
      "x-request-id": "trace-fields-1"
    })
    assert.strictEqual(created.status, 201, created.text)
    assert.strictEqual(created.json.createdBy, "u-avery")
    const [event] = (await trailOf(tenant)).filter((e) => e.record.id === created.json.id)
    assert.deepStrictEqual(actorOf(event), ["u-avery", "u-avery", ["auditor"], "api", "trace-fields-1", tenant])
  })

  it("an Actor the host made keeps its name, roles and source, but carries this request's trace id", async () => {
    const tenant = freshTenant("auth-actor")
    await staff(runtime, tenant)
    const res = await app.request(`${origin}/qms/findings`, {
      method: "POST",
      headers: {
        "x-tenant": tenant,
        "x-host-actor": "u-quinn",
        "x-request-id": "trace-host-2",
        "content-type": "application/json"
      },
      body: JSON.stringify(finding)
    })
    const created = (await res.json()) as { id: string; createdBy: string }
    assert.strictEqual(res.status, 201, JSON.stringify(created))
    const [event] = (await trailOf(tenant)).filter((e) => e.record.id === created.id)
    assert.deepStrictEqual(actorOf(event), [
      "u-quinn",
      "Quinn Quality",
      ["quality_manager"],
      "ui",
      "trace-host-2",
      tenant
    ])
  })

  it("the same user id in another tenant is another actor: it sees and changes nothing of the first", async () => {
    const tenantA = freshTenant("auth-tenant-a")
    const tenantB = freshTenant("auth-tenant-b")
    await staff(runtime, tenantA)
    const a = client(app, tenantA)
    const b = client(app, tenantB)
    const created = await a.post("/findings", finding)
    assert.strictEqual(created.status, 201, created.text)
    const id = created.json.id as string
    const got = await b.get(`/records/${id}`)
    assert.strictEqual(got.status, 404)
    assert.strictEqual(got.json.code, "not_found")
    const patched = await b.patch(`/records/${id}`, { expectedVersion: 1, data: { title: "Hijacked" } })
    assert.strictEqual(patched.status, 404, patched.text)
    assert.deepStrictEqual((await b.get("/records")).json.items, [])
    assert.deepStrictEqual(await trailOf(tenantB), [])
    assert.strictEqual((await a.get(`/records/${id}`)).json.title, finding.title)
  })

  it("an actor without the permission gets 403 naming it, and nothing is written", async () => {
    const tenant = freshTenant("auth-forbidden")
    const api = client(app, tenant)
    const denied = await api.post("/findings", finding, "u-tess")
    assert.strictEqual(denied.status, 403, denied.text)
    assert.deepStrictEqual(
      [denied.json.code, denied.json.missing_permission, denied.json.type],
      ["forbidden", "finding.create", "https://airworthy.dev/problems/forbidden"]
    )
    assert.match(denied.json.detail, /finding\.create/)
    assert.deepStrictEqual((await api.get("/records")).json.items, [])
  })
})

describe("the input of an operation", () => {
  it("path parameters name the record: an id in the body does not redirect the command", async () => {
    const tenant = freshTenant("input-path")
    await staff(runtime, tenant)
    const api = client(app, tenant)
    const first = (await api.post("/findings", finding)).json
    const second = (await api.post("/findings", { ...finding, title: "Second finding" })).json
    const res = await api.patch(`/records/${first.id}`, {
      id: second.id,
      expectedVersion: 1,
      data: { title: "Renamed through the path" }
    })
    assert.strictEqual(res.status, 200, res.text)
    assert.strictEqual(res.json.id, first.id)
    assert.strictEqual((await api.get(`/records/${first.id}`)).json.title, "Renamed through the path")
    const untouched = (await api.get(`/records/${second.id}`)).json
    assert.deepStrictEqual([untouched.title, untouched.version], ["Second finding", 1])
  })

  it("the Idempotency-Key header replays the first answer; a key in the body wins over the header", async () => {
    const tenant = freshTenant("input-key")
    await staff(runtime, tenant)
    const api = client(app, tenant)
    // A due date given, so that the same request is the same (one derived from the clock is not).
    const raise = { ...finding, dueAt: "2027-03-01T00:00:00.000Z" }
    const first = await api.post("/findings", raise, "u-quinn", { "idempotency-key": "raise-1" })
    const replay = await api.post("/findings", raise, "u-quinn", { "idempotency-key": "raise-1" })
    assert.strictEqual(replay.status, 201, replay.text)
    assert.strictEqual(replay.json.id, first.json.id)
    const conflict = await api.post("/findings", { ...raise, title: "Another" }, "u-quinn", {
      "idempotency-key": "raise-1"
    })
    assert.strictEqual(conflict.status, 409, conflict.text)
    assert.strictEqual(conflict.json.code, "idempotency_conflict")
    // The body's own key is the one used: the header's is ignored.
    const own = await api.post("/findings", { ...raise, idempotencyKey: "raise-2" }, "u-quinn", {
      "idempotency-key": "raise-1"
    })
    assert.strictEqual(own.status, 201, own.text)
    assert.notStrictEqual(own.json.id, first.json.id)
    const ownAgain = await api.post("/findings", { ...raise, idempotencyKey: "raise-2" })
    assert.strictEqual(ownAgain.json.id, own.json.id)
    assert.strictEqual((await api.get("/records?type=finding")).json.items.length, 2)
  })
})

describe("browser sessions", () => {
  const tenant = freshTenant("csrf")
  sessions.set("sess-quinn", { tenantId: tenant, actorId: "u-quinn", roles: ["quality_manager"] })
  const withCookie = (extra: Record<string, string> = {}) => ({
    cookie: "aw_session=sess-quinn",
    "content-type": "application/json",
    ...extra
  })

  it("each CSRF refusal says why, on POST and PATCH alike; nothing is written", async () => {
    await staff(runtime, tenant)
    const created = await client(app, tenant).post("/findings", finding)
    const id = created.json.id as string
    const before = (await trailOf(tenant)).length
    const longOrigin = `https://${"x".repeat(300)}.example`
    const cases: ReadonlyArray<[Record<string, string>, string]> = [
      [
        withCookie({ origin, [Session.csrfHeader]: "1", "sec-fetch-site": "cross-site" }),
        "The browser says this request comes from another site"
      ],
      [withCookie({ [Session.csrfHeader]: "1" }), "The request carries no Origin"],
      [withCookie({ origin: "null", [Session.csrfHeader]: "1" }), "The request carries no Origin"],
      [
        withCookie({ origin: longOrigin, [Session.csrfHeader]: "1" }),
        `Requests from ${longOrigin.slice(0, 200)} are not allowed`
      ],
      [withCookie({ origin }), `The request lacks the ${Session.csrfHeader} header`],
      [withCookie({ origin, [Session.csrfHeader]: "" }), `The request lacks the ${Session.csrfHeader} header`]
    ]
    for (const [headers, reason] of cases) {
      for (const [method, path, body] of [
        ["POST", "/qms/findings", finding],
        ["PATCH", `/qms/records/${id}`, { data: { title: "Through a forged form" } }]
      ] as const) {
        const res = await app.request(`${origin}${path}`, { method, headers, body: JSON.stringify(body) })
        assert.strictEqual(res.status, 403, `${method} ${reason}`)
        const problem = (await res.json()) as { code: string; detail: string }
        assert.strictEqual(problem.code, "csrf_check_failed")
        assert.isTrue(problem.detail.startsWith(`${reason}. A request authenticated`), problem.detail)
      }
    }
    assert.strictEqual((await trailOf(tenant)).length, before)
    assert.strictEqual((await client(app, tenant).get(`/records/${id}`)).json.version, 1)
  })

  it("safe methods need no CSRF header; a cookie without a session behind it is 401", async () => {
    for (const method of ["GET", "HEAD"]) {
      const res = await app.request(`${origin}/qms/records`, { method, headers: withCookie() })
      assert.strictEqual(res.status, 200, method)
    }
    const options = await app.request(`${origin}/qms/records`, { method: "OPTIONS", headers: withCookie() })
    assert.notStrictEqual(options.status, 403)
    const unknown = await app.request(`${origin}/qms/findings`, {
      method: "POST",
      headers: withCookie({ cookie: "aw_session=forged", origin, [Session.csrfHeader]: "1" }),
      body: JSON.stringify(finding)
    })
    assert.strictEqual(unknown.status, 401)
  })

  it("the cookie is set without Max-Age unless given, and cleared on the path it was set on", async () => {
    const login = await app.request(`${origin}/login`, { method: "POST" })
    const set = login.headers.get("set-cookie") ?? ""
    assert.match(set, /^aw_session=sess-quinn;/)
    assert.notInclude(set, "Max-Age")
    for (const flag of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"]) assert.include(set, flag)
    const logout = await app.request(`${origin}/logout`, { method: "POST" })
    const cleared = logout.headers.get("set-cookie") ?? ""
    assert.match(cleared, /^aw_session=;/)
    for (const flag of ["Max-Age=0", "Path=/qms", "HttpOnly", "Secure", "SameSite=Strict"])
      assert.include(cleared, flag)
  })

  it("the cookie is cleared on / unless a path is given", async () => {
    const logout = await app.request(`${origin}/logout-everywhere`, { method: "POST" })
    const cleared = logout.headers.get("set-cookie") ?? ""
    assert.match(cleared, /^aw_session=;/)
    for (const flag of ["Max-Age=0", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"]) assert.include(cleared, flag)
    assert.notInclude(cleared, "Path=/qms")
  })

  it("a host whose authenticate answers undefined gets 401, not an actor", async () => {
    const nobody = new Hono()
    nobody.route("/qms", qmsRoutes({ runtime, rateLimit: false, authenticate: () => undefined }))
    for (const method of ["GET", "POST"]) {
      const res = await nobody.request(`${origin}/qms/records`, { method })
      assert.strictEqual(res.status, 401, method)
      assert.strictEqual(res.headers.get("www-authenticate"), "Bearer")
      assert.strictEqual(((await res.json()) as { code: string }).code, "unauthenticated")
    }
  })

  it("a refused body and a refused query answer with the request's own trace id", async () => {
    const tenant = freshTenant("auth-trace")
    const badBody = await app.request(`${origin}/qms/findings`, {
      method: "POST",
      headers: {
        "x-tenant": tenant,
        "x-actor": "u-quinn",
        "content-type": "application/json",
        "x-request-id": "req-body-1"
      },
      body: "{not json"
    })
    assert.strictEqual(badBody.status, 400)
    assert.strictEqual(((await badBody.json()) as { trace_id: string }).trace_id, "req-body-1")
    const badQuery = await app.request(`${origin}/qms/records?limit=abc`, {
      headers: { "x-tenant": tenant, "x-actor": "u-quinn", "x-request-id": "req-query-1" }
    })
    assert.strictEqual(badQuery.status, 400)
    const problem = (await badQuery.json()) as { trace_id: string; code: string }
    assert.deepStrictEqual([problem.trace_id, problem.code], ["req-query-1", "validation_failed"])
  })
})
