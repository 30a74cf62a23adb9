// Document control, training and authorisations over HTTP on SQLite and PostgreSQL: a revision
// published in one click (a second click changes nothing) and acknowledged, its evidence pack
// verifying offline; a training record and its pack; the authorisation check answering 200 or a 422
// problem naming what is missing or expired, and 403 without the permission.
import { Ids } from "@airworthy/core"
import { VerifyPack } from "@airworthy/evidence"
import { BlobStore } from "@airworthy/storage"
import { StaffDirectory } from "@airworthy/tasks"
import { TestDatabase } from "@airworthy/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ManagedRuntime } from "effect"
import { Hono } from "hono"
import { type QmsRoutes, QmsRuntime, qmsRoutes } from "../src/index.js"
import { bytesCall, freshTenant, signingKey } from "./helpers.js"

const roles: Record<string, ReadonlyArray<string>> = {
  "u-quinn": ["quality_manager"],
  "u-morgan": ["accountable_manager"],
  "u-tess": ["technician"],
  "u-olive": ["capa_owner"]
}

const authenticate: QmsRoutes.QmsRoutesOptions["authenticate"] = (c) => {
  const tenantId = c.req.header("x-tenant")
  const actorId = c.req.header("x-actor")
  if (tenantId === undefined || actorId === undefined) return null
  return { tenantId, actorId, roles: roles[actorId] ?? [] }
}

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  describe.skipIf(target.skip)(`${target.name}: document control over HTTP`, () => {
    let runtime: QmsRuntime.QmsRuntime
    let app: Hono
    beforeAll(async () => {
      runtime = ManagedRuntime.make(
        QmsRuntime.layer({
          database: target.layer as QmsRuntime.Config["database"],
          qms: { signingKey, ids: Ids.layerTest(91), blobs: BlobStore.database() }
        })
      )
      await runtime.runtime()
      app = new Hono()
      app.route("/qms", qmsRoutes({ runtime, authenticate, rateLimit: false }))
    })
    afterAll(() => runtime.dispose())

    const call = bytesCall(() => app)
    const post = (tenant: string, path: string, body: unknown, actor = "u-quinn") =>
      call(tenant, "POST", path, { actor, headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

    it("publishes a revision once, records acknowledgements, exports packs and checks authorisations", async () => {
      // Dates around today: the routes run on the wall clock.
      const day = 86_400_000
      const today = Math.floor(Date.now() / day) * day
      const date = (days: number) => new Date(today + days * day).toISOString().slice(0, 10)
      const tenant = freshTenant("http-docs")
      await runtime.runPromise(
        StaffDirectory.upsert(
          ...Object.entries(roles).map(([actorId, r]) => ({
            tenantId: tenant,
            actorId,
            displayName: actorId,
            email: `${actorId}@mro.example`,
            roles: r
          }))
        )
      )
      const doc = await post(tenant, "/documents", {
        number: "MOE",
        title: "Maintenance organisation exposition",
        category: "moe",
        ownerId: "u-quinn",
        distribution: { roles: ["technician"], people: ["u-morgan"] }
      })
      assert.strictEqual(doc.status, 201)
      const rev = await post(tenant, `/documents/${doc.json.id}/revisions`, { changeSummary: "Issue 1" })
      assert.strictEqual(rev.status, 201)
      const id = rev.json.id as string
      // The content through the blob store.
      const attached = await call(tenant, "POST", `/records/${id}/attachments/content?name=MOE-1.pdf&kind=content`, {
        headers: { "content-type": "application/pdf" },
        body: Buffer.from("%PDF-1.4\n% MOE issue 1\n%%EOF\n")
      })
      assert.strictEqual(attached.status, 201, attached.bytes.toString())
      assert.strictEqual((await post(tenant, `/records/${id}/transitions/submit_for_review`, {})).status, 200)
      const approved = await post(
        tenant,
        `/records/${id}/transitions/approve`,
        { signature: { meaning: "approved" } },
        "u-morgan"
      )
      assert.strictEqual(approved.status, 200)
      // A technician may not publish: 403 naming the permission.
      const refused = await post(tenant, `/document-revisions/${id}/actions/publish`, {}, "u-tess")
      assert.strictEqual(refused.status, 403)
      assert.strictEqual(refused.json.missing_permission, "document.publish")

      const first = await post(tenant, `/document-revisions/${id}/actions/publish`, {})
      assert.strictEqual(first.status, 200)
      assert.isTrue(first.json.published)
      assert.deepStrictEqual(first.json.recipients, ["u-morgan", "u-tess"])
      const second = await post(tenant, `/document-revisions/${id}/actions/publish`, {})
      assert.isFalse(second.json.published)
      assert.strictEqual(second.json.revision.version, first.json.revision.version)
      const log = await call(tenant, "GET", `/records/${id}/notifications`)
      assert.strictEqual(log.json.length, 2)

      const ack = await post(tenant, `/document-revisions/${id}/actions/acknowledge`, {}, "u-tess")
      assert.strictEqual(ack.status, 201)
      const outstanding = await call(tenant, "GET", "/documents/acknowledgements/outstanding")
      assert.deepStrictEqual(
        outstanding.json.byPerson.map((p: { personId: string }) => p.personId),
        ["u-morgan"]
      )

      // The revision's evidence pack: the revision, its document, the approval and acknowledgement.
      const pack = await call(tenant, "GET", `/document-revisions/${id}/evidence-pack`)
      assert.strictEqual(pack.status, 200, JSON.stringify(pack.json))
      const report = await VerifyPack.verifyBytes(new Uint8Array(pack.bytes))
      assert.isTrue(report.ok)
      assert.deepStrictEqual(report.manifest?.records.map((r) => r.type).sort(), [
        "controlled_document",
        "document_revision"
      ])

      // Training and its pack.
      const hf = await post(tenant, "/training/requirements", {
        code: "HF",
        title: "Human factors",
        kind: "human_factors",
        validityMonths: 24,
        roles: ["technician"]
      })
      assert.strictEqual(hf.status, 201)
      const trained = await post(tenant, "/training/records", {
        personId: "u-tess",
        requirementId: hf.json.id,
        completedAt: date(-30)
      })
      assert.strictEqual(trained.status, 201)
      assert.strictEqual(
        (
          await post(tenant, "/training/records", {
            personId: "u-tess",
            requirementId: hf.json.id,
            completedAt: "2026-13-45"
          })
        ).status,
        400
      )
      const due = await call(tenant, "GET", "/training/due-list?withinDays=3650")
      assert.deepStrictEqual(
        due.json.map((l: { personId: string; code: string; status: string }) => `${l.personId} ${l.code} ${l.status}`),
        ["u-tess HF due_soon"]
      )
      const trainingPack = await call(tenant, "GET", `/training/records/${trained.json.id}/evidence-pack`)
      assert.strictEqual(trainingPack.status, 200)
      assert.isTrue((await VerifyPack.verifyBytes(new Uint8Array(trainingPack.bytes))).ok)

      // The authorisation and the check a work-order system makes before a sign-off.
      const auth = await post(tenant, "/authorisations", {
        personId: "u-tess",
        number: "CS-007",
        scope: { aircraftTypes: ["ATR72"], categories: ["B1"], tasks: [] },
        validFrom: date(-30),
        expiresAt: date(700),
        prerequisites: [hf.json.id]
      })
      assert.strictEqual(auth.status, 201)
      assert.strictEqual((await post(tenant, `/records/${auth.json.id}/transitions/issue`, {})).status, 200)
      const ok = await post(
        tenant,
        "/authorisations/check",
        {
          personId: "u-tess",
          scope: { aircraftType: "ATR72", category: "B1" },
          at: date(30)
        },
        "u-tess"
      )
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(ok.json.number, "CS-007")
      const late = await post(
        tenant,
        "/authorisations/check",
        {
          personId: "u-tess",
          scope: { aircraftType: "ATR72" },
          at: date(800)
        },
        "u-tess"
      )
      assert.strictEqual(late.status, 422)
      assert.match(late.headers.get("content-type") ?? "", /application\/problem\+json/)
      assert.strictEqual(late.json.code, "guards_failed")
      assert.deepStrictEqual(
        late.json.unmet.map((u: { code: string }) => u.code),
        ["authorisation.expired", "training.expired"]
      )
      const notAllowed = await post(tenant, "/authorisations/check", { personId: "u-tess", scope: {} }, "u-olive")
      assert.strictEqual(notAllowed.status, 403)
      assert.strictEqual(notAllowed.json.missing_permission, "authorisation.check")
    })
  })
}
