import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Postgres } from "@airworthy/storage/pg"
import { TestDatabase } from "@airworthy/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Validator } from "@seriousme/openapi-schema-validator"
import type { Hono } from "hono"
import type { QmsRuntime } from "../src/index.js"
import { client, finding, freshTenant, mount, runtimeFor, staff } from "./helpers.js"

const sha = (n: number) => n.toString(16).padStart(64, "0")

const isProblem = (
  r: { status: number; headers: Headers; json: Record<string, unknown> },
  status: number,
  code: string
) => {
  assert.strictEqual(r.status, status, JSON.stringify(r.json))
  assert.strictEqual(r.headers.get("content-type"), "application/problem+json")
  assert.strictEqual(r.json.status, status)
  assert.strictEqual(r.json.code, code)
  assert.strictEqual(typeof r.json.type, "string")
  assert.strictEqual(typeof r.json.title, "string")
  assert.strictEqual(typeof r.json.trace_id, "string")
}

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  describe.skipIf(target.skip)(target.name, () => {
    let runtime: QmsRuntime.QmsRuntime
    let app: Hono
    beforeAll(async () => {
      runtime = runtimeFor(target.layer)
      await runtime.runtime()
      app = mount({ runtime, rateLimit: false, maxBodyBytes: 16 * 1024 })
    })
    afterAll(() => runtime.dispose())

    it("health, readiness and the mount point", async () => {
      const api = client(app, freshTenant("ops"))
      assert.deepStrictEqual((await api.get("/health")).json, { status: "ok" })
      const ready = await api.get("/ready")
      assert.strictEqual(ready.status, 200)
      assert.deepStrictEqual(ready.json, { status: "ready" })
      const secure = await api.get("/health")
      assert.strictEqual(secure.headers.get("x-content-type-options"), "nosniff")
    })

    it("401 problem without an actor; trace id read from the request or made", async () => {
      const res = await app.request("http://localhost/qms/records", { headers: { "x-request-id": "req-42" } })
      const json = (await res.json()) as Record<string, unknown>
      isProblem({ status: res.status, headers: res.headers, json }, 401, "unauthenticated")
      assert.strictEqual(json.trace_id, "req-42")
      assert.strictEqual(res.headers.get("x-trace-id"), "req-42")
      const tp = await app.request("http://localhost/qms/records", {
        headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }
      })
      assert.strictEqual(((await tp.json()) as { trace_id: string }).trace_id, "4bf92f3577b34da6a3ce929d0e0e4736")
      const injected = await app.request("http://localhost/qms/records", {
        headers: { "x-request-id": "a b\u0001<x>" }
      })
      const made = ((await injected.json()) as { trace_id: string }).trace_id
      assert.match(made, /^[0-9a-f]{32}$/)
    })

    it("raise a finding, read it, list it; the trace id reaches the audit trail", async () => {
      const tenant = freshTenant("records")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      const created = await api.post("/findings", finding, "u-quinn", { "x-request-id": "trace-raise-1" })
      assert.strictEqual(created.status, 201, created.text)
      assert.strictEqual(created.json.type, "finding")
      assert.strictEqual(created.json.state, "open")
      const got = await api.get(`/records/${created.json.id}`)
      assert.strictEqual(got.json.ref, created.json.ref)
      const list = await api.get("/records?type=finding,capa&limit=10")
      assert.deepStrictEqual(
        list.json.items.map((r: { id: string }) => r.id),
        [created.json.id]
      )
      const trail = await api.get(`/audit-trail?recordType=finding&recordId=${created.json.id}`)
      assert.strictEqual(trail.json.events[0].traceId, "trace-raise-1")
    })

    it("400 with every invalid field, nothing written; invalid JSON and query are 400 too", async () => {
      const tenant = freshTenant("bad")
      const api = client(app, tenant)
      const bad = await api.post("/findings", { ...finding, level: "3", title: "", extra: 1 })
      isProblem(bad, 400, "validation_failed")
      const paths = [...new Set(bad.json.issues.map((i: { path: string }) => i.path))].sort()
      assert.deepStrictEqual(paths, ["extra", "level", "title"])
      assert.deepStrictEqual((await api.get("/records")).json.items, [])
      isProblem(await api.post("/findings", "{not json"), 400, "validation_failed")
      const q = await api.get("/records?limit=many")
      isProblem(q, 400, "validation_failed")
      assert.deepStrictEqual([...new Set(q.json.issues.map((i: { path: string }) => i.path))], ["limit"])
    })

    it("403 names the missing permission; another tenant's record is 404", async () => {
      const tenant = freshTenant("authz")
      const api = client(app, tenant)
      const denied = await api.post("/findings", finding, "u-tess")
      isProblem(denied, 403, "forbidden")
      assert.strictEqual(denied.json.missing_permission, "finding.create")
      const created = await api.post("/findings", finding)
      const other = client(app, freshTenant("other"))
      isProblem(await other.get(`/records/${created.json.id}`), 404, "not_found")
    })

    it("close lists every unmet requirement (422); raise-capa is idempotent; stale version is 409", async () => {
      const tenant = freshTenant("capa")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      const f = await api.post("/findings", finding)
      const closed = await api.post(`/findings/${f.json.id}/actions/close`)
      isProblem(closed, 422, "guards_failed")
      assert.deepStrictEqual(
        closed.json.unmet.map((u: { code: string }) => u.code),
        ["state.not_in_verification", "attachment.missing", "verification.missing"]
      )
      const first = await api.post(`/findings/${f.json.id}/actions/raise-capa`)
      assert.strictEqual(first.status, 200, first.text)
      assert.strictEqual(first.json.created, true)
      assert.strictEqual(first.json.capa.ownerId, "u-olive")
      const again = await api.post(`/findings/${f.json.id}/actions/raise-capa`)
      assert.strictEqual(again.json.created, false)
      assert.strictEqual(again.json.capa.id, first.json.capa.id)
      const stale = await api.post(`/records/${f.json.id}/transitions/submit_response`, { expectedVersion: 99 })
      isProblem(stale, 409, "stale_version")
      const invalid = await api.post(`/records/${f.json.id}/transitions/close`, {})
      assert.ok(invalid.status === 409 || invalid.status === 422, invalid.text)
    })

    it("the email log over HTTP: a record's notifications, one message with its bodies, permission and tenant checked", async () => {
      const tenant = freshTenant("mail")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      const f = await api.post("/findings", finding)
      const raised = await api.post(`/findings/${f.json.id}/actions/raise-capa`)
      assert.strictEqual(raised.status, 200, raised.text)
      const capaId = raised.json.capa.id
      const log = await api.get(`/records/${capaId}/notifications`)
      assert.strictEqual(log.status, 200, log.text)
      assert.ok(log.json.length >= 1, log.text)
      const entry = log.json.find((e: { recipient: string }) => e.recipient === "olive@mro.example")
      assert.ok(entry !== undefined, log.text)
      assert.deepStrictEqual([entry.status, entry.recordType, entry.recordId], ["queued", "capa", capaId])
      const message = await api.get(`/notifications/${entry.id}`)
      assert.strictEqual(message.status, 200, message.text)
      assert.strictEqual(message.json.entry.id, entry.id)
      assert.strictEqual(message.json.subject, entry.subject)
      assert.ok(message.json.text.length > 0 && message.json.html.includes("<"), message.text)
      // A technician may read CAPAs; an actor with no role may not; another tenant sees nothing.
      assert.strictEqual((await api.get(`/notifications/${entry.id}`, "u-tess")).status, 200)
      isProblem(await api.get(`/notifications/${entry.id}`, "u-nobody"), 403, "forbidden")
      isProblem(await api.get(`/records/${capaId}/notifications`, "u-nobody"), 403, "forbidden")
      const other = client(app, freshTenant("other-mail"))
      isProblem(await other.get(`/notifications/${entry.id}`), 404, "not_found")
      isProblem(await other.get(`/records/${capaId}/notifications`), 404, "not_found")
      // A task's reminders: none before any sweep; an unknown task is not found.
      const tasks = await api.get(`/records/${capaId}/tasks`)
      assert.ok(tasks.json.length >= 1, tasks.text)
      assert.deepStrictEqual((await api.get(`/tasks/${tasks.json[0].id}/notifications`)).json, [])
      isProblem(await api.get("/tasks/no-such-task/notifications"), 404, "not_found")
    })

    it("update, transition, comment, link, sign, available transitions, tasks", async () => {
      const tenant = freshTenant("flow")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      const f = await api.post("/findings", finding)
      const id = f.json.id
      const updated = await api.patch(
        `/records/${id}`,
        { expectedVersion: 1, data: { response: "Recalibrated" } },
        "u-olive"
      )
      assert.strictEqual(updated.status, 200, updated.text)
      assert.strictEqual(updated.json.version, 2)
      const available = await api.get(`/records/${id}/transitions`)
      assert.ok(
        available.json.some((a: { transition: string }) => a.transition === "submit_response"),
        available.text
      )
      const moved = await api.post(`/records/${id}/transitions/submit_response`, {}, "u-olive", {
        "idempotency-key": "submit-1"
      })
      assert.strictEqual(moved.status, 200, moved.text)
      assert.strictEqual(moved.json.state, "response_submitted")
      const replay = await api.post(`/records/${id}/transitions/submit_response`, {}, "u-olive", {
        "idempotency-key": "submit-1"
      })
      assert.strictEqual(replay.status, 200, replay.text)
      assert.strictEqual(replay.json.version, moved.json.version)
      const comment = await api.post(`/records/${id}/comments`, { body: "Checked the recall list" })
      assert.strictEqual(comment.status, 201, comment.text)
      assert.strictEqual((await api.get(`/records/${id}/comments`)).json.length, 1)
      const area = await api.post("/programme/areas", { name: "Line maintenance", responsibleIds: ["u-olive"] })
      assert.strictEqual(area.status, 201, area.text)
      const link = await api.post(`/records/${id}/links`, { to: area.json.id, kind: "related" })
      assert.strictEqual(link.status, 201, link.text)
      assert.strictEqual((await api.get(`/records/${id}/links`)).json.length, 1)
      const signed = await api.post(`/records/${id}/signatures`, { meaning: "reviewed", credential: "pin" })
      assert.strictEqual(signed.status, 201, signed.text)
      assert.strictEqual(signed.json.meaning, "reviewed")
      assert.notInclude(signed.text, 'pin"')
      const evidence = await api.post(`/findings/${id}/actions/attach-evidence`, {
        name: "cal.pdf",
        mediaType: "application/pdf",
        size: 10,
        sha256: sha(1)
      })
      assert.strictEqual(evidence.status, 201, evidence.text)
      const mine = await api.get("/tasks/mine?includeClosed=true", "u-olive")
      assert.deepStrictEqual((await api.get("/tasks/mine", "u-olive")).json, [])
      assert.ok(mine.json.length >= 1, mine.text)
      const byRecord = await api.get(`/records/${id}/tasks`)
      assert.ok(byRecord.json.length >= 1, byRecord.text)
      const buckets = await api.get("/tasks/sla-buckets?assigneeId=u-olive&buckets=7,30")
      assert.strictEqual(buckets.status, 200, buckets.text)
      assert.ok(Array.isArray(buckets.json))
      isProblem(await api.get("/tasks/sla-buckets"), 400, "validation_failed")
      assert.strictEqual((await api.get("/findings/open")).status, 200)
      assert.strictEqual((await api.get(`/findings/${id}/timeline`)).status, 200)
      assert.strictEqual((await api.get("/capas/overdue")).status, 200)
      assert.strictEqual((await api.get("/programme/due-list")).status, 200)
    })

    it("history has a weak ETag and answers 304 on If-None-Match until the record changes", async () => {
      const tenant = freshTenant("etag")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      const f = await api.post("/findings", finding)
      const first = await api.get(`/records/${f.json.id}/history`)
      const etag = first.headers.get("etag")
      assert.match(etag ?? "", /^W\/".+"$/)
      const again = await api.get(`/records/${f.json.id}/history`, "u-quinn", { "if-none-match": etag ?? "" })
      assert.strictEqual(again.status, 304)
      assert.strictEqual(again.text, "")
      assert.strictEqual(again.headers.get("etag"), etag)
      await api.patch(`/records/${f.json.id}`, { data: { description: "More detail" } })
      const changed = await api.get(`/records/${f.json.id}/history`, "u-quinn", { "if-none-match": etag ?? "" })
      assert.strictEqual(changed.status, 200)
      assert.notStrictEqual(changed.headers.get("etag"), etag)
      assert.strictEqual(changed.json.length, 2)
    })

    it("audit trail pages with a cursor and verifies", async () => {
      const tenant = freshTenant("trail")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      for (let i = 0; i < 3; i++) await api.post("/findings", { ...finding, title: `Finding ${i}` })
      const all = await api.get("/audit-trail?order=asc&limit=1000")
      const total = all.json.events.length
      assert.ok(total >= 3)
      const seen: Array<number> = []
      let cursor: string | null = null
      do {
        const page: { json: { events: Array<{ sequence: number }>; nextCursor: string | null; hasMore: boolean } } =
          await api.get(`/audit-trail?order=asc&limit=2${cursor === null ? "" : `&cursor=${cursor}`}`)
        seen.push(...page.json.events.map((e) => e.sequence))
        cursor = page.json.hasMore ? page.json.nextCursor : null
      } while (cursor !== null)
      assert.deepStrictEqual(
        seen,
        all.json.events.map((e: { sequence: number }) => e.sequence)
      )
      const verified = await api.get("/audit-trail/verify")
      assert.strictEqual(verified.json.ok, true, verified.text)
      isProblem(await api.get("/audit-trail/verify", "u-olive"), 403, "forbidden")
    })

    it("an unknown defect is a generic 500: no message, SQL or stack leaks", async () => {
      const tenant = freshTenant("defect")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      const f = await api.post("/findings", finding)
      const res = await api.post(`/records/${f.json.id}/comments`, { body: "boom" })
      isProblem(res, 500, "internal")
      assert.notInclude(res.text, "SELECT")
      assert.notInclude(res.text, "secret")
      assert.notInclude(res.text, "at ")
      assert.strictEqual((await api.get(`/records/${f.json.id}/comments`)).json.length, 0)
    })

    it("a body over the limit is 413", async () => {
      const api = client(app, freshTenant("big"))
      const res = await api.post("/findings", { ...finding, description: "x".repeat(20_000) })
      isProblem(res, 413, "payload_too_large")
    })

    it("OpenAPI 3.1 document is valid and lists the routes", async () => {
      const res = await app.request("http://localhost/qms/openapi.json")
      const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> }
      assert.strictEqual(doc.openapi, "3.1.0")
      assert.property(doc.paths, "/findings/{id}/actions/raise-capa")
      assert.property(doc.paths, "/records/{id}/history")
      const result = await new Validator().validate(doc as never)
      assert.isTrue(result.valid, JSON.stringify(result.errors))
      // For clients: the server path is where the routes are mounted, every call needs the bearer
      // scheme except the operational ones.
      const full = doc as unknown as {
        servers: Array<{ url: string }>
        security: Array<Record<string, Array<string>>>
        components: { securitySchemes: Record<string, { type: string; scheme?: string }> }
        paths: Record<string, Record<string, { security?: Array<unknown> }>>
      }
      assert.deepStrictEqual(full.servers, [{ url: "/qms" }])
      assert.deepStrictEqual(full.security, [{ bearer: [] }])
      assert.deepStrictEqual(
        [full.components.securitySchemes.bearer?.type, full.components.securitySchemes.bearer?.scheme],
        ["http", "bearer"]
      )
      assert.deepStrictEqual(full.paths["/health"]?.get?.security, [])
      assert.isUndefined(full.paths["/findings"]?.post?.security)
    })

    // Once (compiling takes seconds): the document does not depend on the database.
    if (target.dialect === "sqlite") {
      it("a client generated from the document type-checks against a usage file", async () => {
        const doc = await (await app.request("http://localhost/qms/openapi.json")).json()
        const { default: openapiTS, astToString } = await import("openapi-typescript")
        const dir = mkdtempSync(join(tmpdir(), "qms-client-"))
        writeFileSync(join(dir, "qms.ts"), astToString(await openapiTS(doc as never)))
        writeFileSync(
          join(dir, "usage.ts"),
          [
            'import type { components, paths } from "./qms"',
            'type Raise = paths["/findings"]["post"]["requestBody"]["content"]["application/json"]',
            'const raise: Raise = { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-olive" }',
            'type Finding = paths["/findings"]["post"]["responses"]["201"]["content"]["application/json"]',
            "const ref = (f: Finding): string => f.ref",
            'type Problem = components["schemas"]["Problem"]',
            "const code = (p: Problem): string => p.code",
            "// @ts-expect-error a level the API does not accept",
            'const wrong: Raise = { ...raise, level: "3" }',
            "export { code, raise, ref, wrong }"
          ].join("\n")
        )
        const ts = await import("typescript")
        const program = ts.createProgram([join(dir, "usage.ts")], {
          strict: true,
          noEmit: true,
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          moduleResolution: ts.ModuleResolutionKind.Bundler,
          skipLibCheck: false,
          types: []
        })
        const diagnostics = ts
          .getPreEmitDiagnostics(program)
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))
        assert.deepStrictEqual(diagnostics, [])
      })
    }
  })
}

describe("limits without a database round trip", () => {
  let runtime: QmsRuntime.QmsRuntime
  beforeAll(async () => {
    runtime = runtimeFor((await TestDatabase.targets({ sqliteFile: false }))[0]!.layer)
    await runtime.runtime()
  })
  afterAll(() => runtime.dispose())

  it("429 with Retry-After once an actor's bucket is empty; other actors and reads are not limited", async () => {
    let now = 0
    const app = mount({ runtime, rateLimit: { capacity: 2, refillPerSecond: 0.5, now: () => now } })
    const tenant = freshTenant("rate")
    await staff(runtime, tenant)
    const api = client(app, tenant)
    assert.strictEqual((await api.post("/findings", finding)).status, 201)
    assert.strictEqual((await api.post("/findings", finding)).status, 201)
    const limited = await api.post("/findings", finding)
    isProblem(limited, 429, "rate_limited")
    assert.strictEqual(limited.headers.get("retry-after"), "2")
    assert.strictEqual((await api.get("/records")).json.items.length, 2)
    assert.strictEqual((await api.post("/findings", finding, "u-avery")).status, 201)
    now = 2_000
    assert.strictEqual((await api.post("/findings", finding)).status, 201)
  })

  it("CORS answers only the allowed origins", async () => {
    const app = mount({ runtime, corsOrigins: ["https://mro.example"] })
    const ok = await app.request("http://localhost/qms/health", { headers: { origin: "https://mro.example" } })
    assert.strictEqual(ok.headers.get("access-control-allow-origin"), "https://mro.example")
    const other = await app.request("http://localhost/qms/health", { headers: { origin: "https://evil.example" } })
    assert.isNull(other.headers.get("access-control-allow-origin"))
    const preflight = await app.request("http://localhost/qms/findings", {
      method: "OPTIONS",
      headers: { origin: "https://mro.example", "access-control-request-method": "POST" }
    })
    assert.strictEqual(preflight.status, 204)
  })

  it("readiness is a 503 problem when the database does not answer; health stays 200", async () => {
    const down = runtimeFor(Postgres.layer({ url: "postgres://root@127.0.0.1:1/none", connectTimeout: "2 seconds" }))
    try {
      const app = mount({ runtime: down })
      const ready = await app.request("http://localhost/qms/ready")
      const json = (await ready.json()) as Record<string, unknown>
      isProblem({ status: ready.status, headers: ready.headers, json }, 503, "not_ready")
      assert.notInclude(JSON.stringify(json), "127.0.0.1")
      assert.strictEqual((await app.request("http://localhost/qms/health")).status, 200)
    } finally {
      await down.dispose().catch(() => undefined)
    }
  })

  it("a throwing authenticate is a generic 500", async () => {
    const { qmsRoutes } = await import("../src/index.js")
    const app = qmsRoutes({
      runtime,
      authenticate: () => {
        throw new Error("connect ECONNREFUSED 10.0.0.5:6379 session store")
      }
    })
    const res = await app.request("http://localhost/records")
    assert.strictEqual(res.status, 500)
    assert.notInclude(await res.text(), "ECONNREFUSED")
  })
})
