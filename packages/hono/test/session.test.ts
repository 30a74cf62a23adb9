// Browser sessions: an HttpOnly cookie accepted by qmsRoutes (also on /events), and the CSRF check on
// every unsafe method it authenticates; the bearer path is untouched.
import { Sqlite } from "@airworthy/storage/sqlite"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Hono } from "hono"
import { qmsRoutes, Session } from "../src/index.js"
import { authenticate, freshTenant, runtimeFor, staff } from "./helpers.js"

const runtime = runtimeFor(Sqlite.layer({ filename: ":memory:" }), 77)
afterAll(() => runtime.dispose())

const tenant = freshTenant("session")
const sessions = new Map([["sess-quinn", { tenantId: tenant, actorId: "u-quinn", roles: ["quality_manager"] }]])

const app = new Hono()
app.post("/login", (c) => {
  Session.setCookie(c, "aw_session", "sess-quinn", { maxAgeSeconds: 3600 })
  return c.json({ ok: true })
})
app.route(
  "/qms",
  qmsRoutes({
    runtime,
    authenticate,
    session: {
      cookie: "aw_session",
      authenticate: (value) => sessions.get(value) ?? null,
      origins: ["https://cockpit.mro.example"]
    }
  })
)

const origin = "http://localhost"
const finding = JSON.stringify({ title: "Cookie", level: "2", requirement: "145.A.40", ownerId: "u-olive" })
const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
  app.request(`${origin}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
const withCookie = (extra: Record<string, string> = {}) => ({
  cookie: "aw_session=sess-quinn",
  "content-type": "application/json",
  ...extra
})
const auditEvents = async () => {
  const res = await send("GET", "/qms/audit-trail?limit=1000", withCookie())
  return ((await res.json()) as { events: Array<unknown> }).events.length
}

describe("browser sessions", () => {
  it("the login sets an HttpOnly, Secure, SameSite=Strict cookie", async () => {
    const res = await app.request(`${origin}/login`, { method: "POST" })
    const cookie = res.headers.get("set-cookie") ?? ""
    assert.match(cookie, /^aw_session=sess-quinn;/)
    for (const flag of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=3600"]) assert.include(cookie, flag)
  })

  it("a cookie authenticates reads and the event stream; an unknown one is 401", async () => {
    await staff(runtime, tenant)
    const list = await send("GET", "/qms/records", withCookie())
    assert.strictEqual(list.status, 200, await list.text())
    const controller = new AbortController()
    const events = await app.request(`${origin}/qms/events`, { headers: withCookie(), signal: controller.signal })
    assert.strictEqual(events.status, 200)
    assert.strictEqual(events.headers.get("content-type"), "text/event-stream; charset=utf-8")
    controller.abort()
    const unknown = await send("GET", "/qms/records", { cookie: "aw_session=stolen" })
    assert.strictEqual(unknown.status, 401)
  })

  it("an unsafe request on the cookie needs an allowed Origin and the CSRF header; nothing is written otherwise", async () => {
    const before = await auditEvents()
    const refused = [
      withCookie(), // no Origin, no header
      withCookie({ origin }), // no header
      withCookie({ origin: "https://evil.example", [Session.csrfHeader]: "1" }),
      withCookie({ origin: "null", [Session.csrfHeader]: "1" }),
      withCookie({ origin, [Session.csrfHeader]: "1", "sec-fetch-site": "cross-site" })
    ]
    for (const headers of refused) {
      const res = await send("POST", "/qms/findings", headers, finding)
      assert.strictEqual(res.status, 403, JSON.stringify(headers))
      const problem = (await res.json()) as { code: string; detail: string }
      assert.strictEqual(res.headers.get("content-type"), "application/problem+json")
      assert.strictEqual(problem.code, "csrf_check_failed")
      assert.include(problem.detail, Session.csrfHeader)
    }
    assert.strictEqual(await auditEvents(), before)
    // The page's own origin, or one the host allows, with the header: accepted as Quinn.
    for (const allowed of [origin, "https://cockpit.mro.example"]) {
      const ok = await send(
        "POST",
        "/qms/findings",
        withCookie({ origin: allowed, [Session.csrfHeader]: "1" }),
        finding
      )
      const text = await ok.text()
      assert.strictEqual(ok.status, 201, text)
      assert.strictEqual((JSON.parse(text) as { createdBy: string }).createdBy, "u-quinn")
    }
    assert.strictEqual(await auditEvents(), before + 2 * 2) // each: the finding, and its owner's task
  })

  it("the OpenAPI document declares the session cookie as a second security scheme", async () => {
    const doc = (await (await app.request(`${origin}/qms/openapi.json`)).json()) as {
      security: Array<Record<string, Array<string>>>
      components: { securitySchemes: Record<string, { type: string; in?: string; name?: string }> }
    }
    assert.deepStrictEqual(doc.security, [{ bearer: [] }, { session: [] }])
    const session = doc.components.securitySchemes.session
    assert.deepStrictEqual([session?.type, session?.in, session?.name], ["apiKey", "cookie", "aw_session"])
  })

  it("an Authorization header wins over the cookie: the host's authenticate, no CSRF check", async () => {
    const bearer = await send(
      "POST",
      "/qms/findings",
      {
        cookie: "aw_session=sess-quinn",
        "content-type": "application/json",
        authorization: "Bearer x",
        "x-tenant": tenant,
        "x-actor": "u-avery"
      },
      finding
    )
    const text = await bearer.text()
    assert.strictEqual(bearer.status, 201, text)
    assert.strictEqual((JSON.parse(text) as { createdBy: string }).createdBy, "u-avery")
  })
})
