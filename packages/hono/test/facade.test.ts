// Whatever the HTTP routes offer, a host without HTTP gets from `createQms()`: every route `qmsRoutes`
// serves has a facade counterpart (a declared operation by module and name, or one of the adapter's
// own routes mapped below), or is in the list of routes that have no facade form, with the reason.
// Then a few of them run both ways on one SQLite file and give the same answers.
import { createHash } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TreeHead } from "@airworthy/audit"
import { VerifyPack } from "@airworthy/evidence"
import { type CreateQms, createQms, Qms, type QmsModule } from "@airworthy/qms"
import { BlobStore } from "@airworthy/storage"
import { Sqlite } from "@airworthy/storage/sqlite"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Hono } from "hono"
import { QmsRuntime, qmsRoutes } from "../src/index.js"
import { authenticate, client, finding } from "./helpers.js"

/** The adapter's routes that are not declared operations, and the facade method doing the same. */
const adapterRoutes: { readonly [route: string]: string } = {
  "POST /records/:id/attachments/content": "content.upload",
  "GET /records/:id/attachments/:attachmentId/content": "content.download",
  "GET /records/:id/evidence-pack": "evidence.exportPack",
  // `{ store: true, notify }`; `evidence.writePack` does the same into a file.
  "POST /records/:id/evidence-pack": "evidence.exportPack"
}

/** Routes with no facade form, and why. */
const httpOnly: { readonly [route: string]: string } = {
  "GET /health": "a liveness probe of the HTTP process; the facade has no process of its own to probe",
  "GET /ready":
    "a readiness probe for load balancers; `createQms()` resolves only once the database answers and rejects with `storage_connection` otherwise",
  "GET /openapi.json": "describes the HTTP routes themselves",
  "GET /events":
    "Server-Sent Events, an HTTP transport of the tenant's audit events; a facade caller pages the same durable events with `auditTrail.query({ order: 'asc', cursor })`"
}

/** What each served route maps to: `module.method` or `http-only`. */
const counterparts = (modules: ReadonlyArray<QmsModule.Any>): Map<string, string> => {
  const map = new Map<string, string>()
  for (const m of modules) {
    for (const op of m.operations as ReadonlyArray<QmsModule.AnyOperation>) {
      map.set(`${op.http.method.toUpperCase()} ${op.http.path}`, `${m.name}.${op.name}`)
    }
    // A record type's domain route is the generic export limited to its type (`{ recordType }`).
    for (const p of m.evidence) if (p.path !== undefined) map.set(`GET ${p.path}`, "evidence.exportPack")
  }
  for (const [route, method] of Object.entries(adapterRoutes)) map.set(route, method)
  for (const route of Object.keys(httpOnly)) map.set(route, "http-only")
  return map
}

/** Every method + path the Hono app serves (middleware and the catch-all are `ALL`). */
const served = (app: Hono): ReadonlyArray<string> => [
  ...new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`))
]

const methodOf = (facade: object, name: string): unknown =>
  name.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], facade)

/** Routes without a facade counterpart, counterparts that are not facade functions, and stale entries. */
const parityProblems = (app: Hono, facade: object, modules: ReadonlyArray<QmsModule.Any>): ReadonlyArray<string> => {
  const map = counterparts(modules)
  const routes = served(app)
  const problems: Array<string> = []
  for (const route of routes) {
    const name = map.get(route)
    if (name === undefined) problems.push(`${route} has no facade counterpart and is not listed as HTTP only`)
    else if (name !== "http-only" && typeof methodOf(facade, name) !== "function") {
      problems.push(`${route} maps to ${name}, which the facade does not have`)
    }
  }
  for (const route of [...Object.keys(adapterRoutes), ...Object.keys(httpOnly)]) {
    if (!routes.includes(route)) problems.push(`${route} is listed here but no longer served`)
  }
  return problems
}

const key = TreeHead.generateKey()
const signingKey = key.privateKey.export({ type: "pkcs8", format: "pem" }).toString()
const tenant = "mro-parity"
const quinn = { tenantId: tenant, actorId: "u-quinn", roles: ["quality_manager"] }

describe("the Promise facade offers what the HTTP routes offer", () => {
  const dir = mkdtempSync(join(tmpdir(), "qms-parity-"))
  const file = join(dir, "qms.db")
  const blobs = BlobStore.directory({ path: join(dir, "blobs") })
  let qms: CreateQms.QmsClient
  let runtime: QmsRuntime.QmsRuntime
  let app: Hono
  let routes: Hono

  beforeAll(async () => {
    qms = await createQms({ database: { sqlite: file }, signingKey, blobs })
    await qms.staff.upsert(
      { ...quinn, displayName: "Quinn", email: "quinn@mro.example" },
      { tenantId: tenant, actorId: "u-olive", displayName: "Olive", email: "olive@mro.example", roles: ["capa_owner"] }
    )
    // The HTTP side runs on its own runtime over the same file, with the same key.
    runtime = QmsRuntime.make({ database: Sqlite.layer({ filename: file }), qms: { signingKey, blobs } })
    routes = qmsRoutes({ runtime, authenticate })
    app = new Hono().route("/qms", routes)
  })
  afterAll(async () => {
    await runtime?.dispose()
    await qms?.dispose()
  })

  it("every served route has a facade method or a written reason why not", () => {
    const routes_ = served(routes)
    assert.isAbove(routes_.length, 40)
    assert.deepStrictEqual(parityProblems(routes, qms, Qms.modules), [])
    // Every declared operation is both a route and a facade method.
    for (const m of Qms.modules) {
      for (const op of m.operations as ReadonlyArray<QmsModule.AnyOperation>) {
        assert.include(routes_, `${op.http.method.toUpperCase()} ${op.http.path}`)
        assert.strictEqual(typeof methodOf(qms, `${m.name}.${op.name}`), "function", `${m.name}.${op.name}`)
      }
    }
  })

  it("fails when a route is added without a facade method, or a listed route goes away", () => {
    const extended = qmsRoutes({ runtime, authenticate })
    extended.get("/records/:id/print", (c) => c.text("printed"))
    assert.deepStrictEqual(parityProblems(extended, qms, Qms.modules), [
      "GET /records/:id/print has no facade counterpart and is not listed as HTTP only"
    ])
    const { content: _content, ...withoutContent } = qms
    assert.deepStrictEqual(parityProblems(routes, withoutContent, Qms.modules), [
      "POST /records/:id/attachments/content maps to content.upload, which the facade does not have",
      "GET /records/:id/attachments/:attachmentId/content maps to content.download, which the facade does not have"
    ])
    const fewer = new Hono()
    fewer.get("/health", (c) => c.text("ok"))
    const stale = parityProblems(fewer, qms, Qms.modules)
    assert.include(stale, "GET /events is listed here but no longer served")
    assert.notInclude(stale, "GET /health is listed here but no longer served")
  })

  it("the audit trail, the email log and an evidence pack answer the same through the facade and over HTTP", async () => {
    const http = client(app, tenant)
    const raised = await qms.findings.raise({ ...finding, level: "2" }, { actor: quinn })
    const { capa } = await qms.findings.raiseCapa({ id: raised.id }, { actor: quinn })
    const json = (value: unknown) => JSON.parse(JSON.stringify(value))

    // The audit trail: the finding's events, oldest first, identical both ways.
    const trail = await qms.auditTrail.query(
      { recordType: "finding", recordId: raised.id, order: "asc" },
      { actor: quinn }
    )
    assert.deepStrictEqual(
      trail.events.map((e) => e.action),
      ["finding.created", "finding.linked", "capa.raised_from_finding"]
    )
    assert.strictEqual(trail.events[0]?.actor.id, "u-quinn")
    const overHttp = await http.get(`/audit-trail?recordType=finding&recordId=${raised.id}&order=asc`)
    assert.strictEqual(overHttp.status, 200)
    assert.deepStrictEqual(overHttp.json, json(trail))
    assert.deepStrictEqual(
      await qms.auditTrail.verify({}, { actor: quinn }),
      json((await http.get("/audit-trail/verify")).json)
    )
    const keys = await qms.auditTrail.keys({}, { actor: quinn })
    assert.deepStrictEqual(keys, [{ keyId: key.keyId, publicKeyPem: key.publicKeyPem, current: true }])

    // The email log: the owner was told about the finding and the CAPA; one message in full.
    const log = await qms.notifications.forRecord({ id: raised.id }, { actor: quinn })
    assert.deepStrictEqual(
      log.map((e) => e.recipient),
      ["olive@mro.example"]
    )
    assert.strictEqual(log[0]?.status, "queued")
    assert.deepStrictEqual((await http.get(`/records/${raised.id}/notifications`)).json, json(log))
    const message = await qms.notifications.message({ id: log[0]?.id ?? "" }, { actor: quinn })
    assert.include(message.subject, raised.ref)
    assert.include(message.text, raised.ref)
    assert.deepStrictEqual((await http.get(`/notifications/${log[0]?.id}`)).json, json(message))

    // An evidence pack of the finding, through the domain route's counterpart: it holds the finding
    // and its CAPA, and verifies offline against the published key.
    const exported = await qms.evidence.exportPack(raised.id, { actor: quinn, recordType: "finding", store: true })
    const bytes = new Uint8Array(await new Response(exported.stream).arrayBuffer())
    // The ZIP streamed is the one stored on the record (packs are deterministic).
    assert.strictEqual(exported.attachment?.size, bytes.byteLength)
    assert.strictEqual(exported.attachment?.sha256, createHash("sha256").update(bytes).digest("hex"))
    const report = await VerifyPack.verifyBytes(bytes, { trustedKeyIds: keys.map((k) => k.keyId) })
    assert.deepStrictEqual(report.failures, [])
    assert.isTrue(report.keysTrusted)
    assert.deepStrictEqual(
      report.manifest?.records.map((r) => r.ref),
      [raised.ref, capa.ref]
    )
    assert.strictEqual(exported.attachment?.kind, "evidence_pack")
    const attachments = await qms.records.attachments({ id: raised.id }, { actor: quinn })
    assert.deepStrictEqual(
      attachments.map((a) => a.id),
      [exported.attachment?.id]
    )
    const refusedType = await qms.evidence.exportPack(capa.id, { actor: quinn, recordType: "finding" }).then(
      () => "resolved",
      (e: { code?: string }) => e.code
    )
    assert.strictEqual(refusedType, "not_found")
    assert.strictEqual((await http.get(`/findings/${capa.id}/evidence-pack`)).status, 404)
    const overHttpPack = await app.request(`http://localhost/qms/findings/${raised.id}/evidence-pack`, {
      headers: { "x-tenant": tenant, "x-actor": "u-quinn" }
    })
    assert.strictEqual(overHttpPack.status, 200)
    const httpReport = await VerifyPack.verifyBytes(new Uint8Array(await overHttpPack.arrayBuffer()), {
      trustedKeyIds: keys.map((k) => k.keyId)
    })
    assert.deepStrictEqual(httpReport.failures, [])
    assert.deepStrictEqual(
      httpReport.manifest?.records.map((r) => r.ref),
      [raised.ref, capa.ref]
    )
    const path = join(dir, "finding.zip")
    const written = await qms.evidence.writePack(raised.id, path, { actor: quinn })
    const fromFile = await VerifyPack.verifyFile(path, { trustedKeyIds: [key.keyId] })
    assert.deepStrictEqual(fromFile.failures, [])
    assert.strictEqual(fromFile.manifest?.subject.ref, raised.ref)
    assert.match(written.manifestSha256, /^[0-9a-f]{64}$/)

    // Three exports, each audited, seen alike both ways.
    const exports = await qms.auditTrail.query({ action: "evidence.exported" }, { actor: quinn })
    assert.strictEqual(exports.events.length, 3)
    assert.deepStrictEqual((await http.get("/audit-trail?action=evidence.exported")).json, json(exports))
  })
})
