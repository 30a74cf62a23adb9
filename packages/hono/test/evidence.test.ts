// Evidence packs over HTTP, on SQLite and PostgreSQL with the directory blob store: the ZIP streamed
// and verified offline, the PDF alone, domain routes, the audit event, storing on the record with an
// email, and every boundary (permission, tenant, unknown record, size limit, corrupted content).
import { createHash } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AuditLog } from "@airworthy/audit"
import { Actor, Ids } from "@airworthy/core"
import { PackFormat, VerifyPack } from "@airworthy/evidence"
import { Notify } from "@airworthy/notify"
import { BlobStore } from "@airworthy/storage"
import { TestDatabase } from "@airworthy/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ManagedRuntime } from "effect"
import { Hono } from "hono"
import { type QmsRoutes, QmsRuntime, qmsRoutes } from "../src/index.js"
import { type BytesReply, bytesCall, finding, freshTenant, signingKey, staff } from "./helpers.js"

const roles: Record<string, ReadonlyArray<string>> = {
  "u-quinn": ["quality_manager"],
  "u-avery": ["auditor"],
  "u-tess": ["technician"]
}
const authenticate: QmsRoutes.QmsRoutesOptions["authenticate"] = (c) => {
  const tenantId = c.req.header("x-tenant")
  const actorId = c.req.header("x-actor")
  return tenantId === undefined || actorId === undefined ? null : { tenantId, actorId, roles: roles[actorId] ?? [] }
}

const photo = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(5000, 7)])
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

type Reply = BytesReply

// Entry names as the verified manifest lists them (the verifier checked the ZIP holds exactly those).
const entryNames = async (bytes: Buffer): Promise<Array<string>> => {
  const report = await VerifyPack.verifyBytes(bytes)
  assert.isTrue(report.ok, JSON.stringify(report.failures))
  return report.manifest!.entries.map((e) => e.path)
}

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  describe.skipIf(target.skip)(`${target.name}: evidence packs over HTTP`, () => {
    const dir = mkdtempSync(join(tmpdir(), "aw-http-evidence-"))
    let runtime: QmsRuntime.QmsRuntime
    let app: Hono
    beforeAll(async () => {
      runtime = ManagedRuntime.make(
        QmsRuntime.layer({
          database: target.layer as QmsRuntime.Config["database"],
          qms: {
            signingKey,
            ids: Ids.layerTest(88),
            blobs: BlobStore.directory({ path: dir }),
            evidence: { maxBytes: 200_000 }
          }
        })
      )
      await runtime.runtime()
      app = new Hono()
      app.route("/qms", qmsRoutes({ runtime, authenticate, rateLimit: false }))
    })
    afterAll(async () => {
      await runtime.dispose()
      rmSync(dir, { recursive: true, force: true })
    })

    const call = bytesCall(() => app)
    const json = (tenant: string, method: string, path: string, body: unknown, actor = "u-quinn") =>
      call(tenant, method, path, {
        actor,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body)
      })
    const problem = (r: Reply, status: number, code: string) => {
      assert.strictEqual(r.status, status, r.bytes.toString().slice(0, 500))
      assert.strictEqual(r.headers.get("content-type"), "application/problem+json")
      assert.strictEqual(r.json.code, code, r.bytes.toString().slice(0, 500))
    }
    const exportsOf = (tenant: string) =>
      runtime.runPromise(
        AuditLog.query({ action: "evidence.exported", order: "asc" }).pipe(
          Actor.withActor(
            Actor.make({
              tenantId: tenant,
              actorId: "u-quinn",
              displayName: "Quinn",
              roles: ["quality_manager"],
              traceId: "t-evidence"
            })
          )
        )
      )

    const setup = async (label: string) => {
      const tenant = freshTenant(label)
      await staff(runtime, tenant)
      const raised = await json(tenant, "POST", "/findings", finding)
      assert.strictEqual(raised.status, 201, raised.bytes.toString())
      const id = raised.json.id as string
      const capa = await json(tenant, "POST", `/findings/${id}/actions/raise-capa`, {})
      assert.strictEqual(capa.status, 200, capa.bytes.toString())
      const uploaded = await call(tenant, "POST", `/records/${id}/attachments/content?name=wrench.png`, {
        headers: { "content-type": "image/png" },
        body: photo
      })
      assert.strictEqual(uploaded.status, 201, uploaded.bytes.toString())
      await json(tenant, "POST", `/records/${id}/comments`, { body: "Supplier certificate requested" })
      return { tenant, id, ref: raised.json.ref as string, capaId: capa.json.capa.id as string }
    }

    it("streams a ZIP that verifies offline, and audits the export with the manifest's hash", async () => {
      const { tenant, id, ref, capaId } = await setup("http-pack")
      const r = await call(tenant, "GET", `/records/${id}/evidence-pack`)
      assert.strictEqual(r.status, 200, r.bytes.toString().slice(0, 300))
      assert.strictEqual(r.headers.get("content-type"), "application/zip")
      assert.include(r.headers.get("content-disposition") ?? "", `${ref}-evidence-pack.zip`)
      const report = await VerifyPack.verifyBytes(r.bytes, { trustedKeyIds: [signingKey.keyId] })
      assert.deepStrictEqual(report.failures, [])
      assert.strictEqual(report.manifest?.subject.ref, ref)
      assert.includeMembers(
        report.manifest!.records.map((x) => x.id),
        [id, capaId]
      )
      const names = await entryNames(r.bytes)
      assert.isTrue(names.some((n) => n.endsWith("-wrench.png")))
      assert.include(names, "summary.pdf")
      const manifestSha = r.headers.get("x-manifest-sha256")!
      assert.strictEqual(manifestSha, PackFormat.sha256(Buffer.from(PackFormat.json(report.manifest))))
      const events = await exportsOf(tenant)
      assert.strictEqual(events.events.length, 1)
      const event = events.events[0]!
      assert.strictEqual(event.record.id, id)
      assert.strictEqual(event.actor.id, "u-quinn")
      assert.strictEqual((event.after as { manifest_sha256: string }).manifest_sha256, manifestSha)
      assert.strictEqual((event.after as { format: string }).format, "zip")
      // The export is not part of the record's history: exporting again packs the same timeline and
      // records (only the export time, in the manifest and the summary, differs).
      const again = await VerifyPack.verifyBytes((await call(tenant, "GET", `/records/${id}/evidence-pack`)).bytes)
      const sealed = (m: PackFormat.Manifest | undefined) => m!.entries.filter((e) => e.path !== PackFormat.summaryPath)
      assert.deepStrictEqual(sealed(again.manifest), sealed(report.manifest))
      assert.strictEqual(again.events, report.events)
      assert.strictEqual((await exportsOf(tenant)).events.length, 2)
    })

    it("?format=pdf gives the summary alone; domain routes export their own record type only", async () => {
      const { tenant, id, ref, capaId } = await setup("http-pdf")
      const pdf = await call(tenant, "GET", `/findings/${id}/evidence-pack?format=pdf`)
      assert.strictEqual(pdf.status, 200)
      assert.strictEqual(pdf.headers.get("content-type"), "application/pdf")
      assert.strictEqual(pdf.bytes.subarray(0, 5).toString(), "%PDF-")
      assert.include(pdf.headers.get("content-disposition") ?? "", `${ref}-evidence-pack.pdf`)
      const fromCapa = await call(tenant, "GET", `/capas/${capaId}/evidence-pack`)
      assert.strictEqual(fromCapa.status, 200)
      problem(await call(tenant, "GET", `/capas/${id}/evidence-pack`), 404, "not_found")
      problem(await call(tenant, "GET", `/records/${id}/evidence-pack?format=xml`), 400, "validation_failed")
      problem(await call(tenant, "GET", `/records/${id}/evidence-pack?depth=9`), 400, "validation_failed")
      const events = await exportsOf(tenant)
      assert.deepStrictEqual(
        events.events.map((e) => (e.after as { format: string }).format),
        ["pdf", "zip"]
      )
    })

    it("refuses without evidence.export (403), in another tenant or for an unknown record (404), and audits nothing", async () => {
      const { tenant, id } = await setup("http-refused")
      const technician = await call(tenant, "GET", `/records/${id}/evidence-pack`, { actor: "u-tess" })
      problem(technician, 403, "forbidden")
      assert.strictEqual(technician.json.missing_permission, "evidence.export")
      const auditor = await call(tenant, "GET", `/records/${id}/evidence-pack?format=pdf`, { actor: "u-avery" })
      assert.strictEqual(auditor.status, 200)
      const other = freshTenant("http-other")
      problem(await call(other, "GET", `/records/${id}/evidence-pack`), 404, "not_found")
      problem(
        await call(tenant, "GET", "/records/0190aaaa-0000-7000-8000-000000000000/evidence-pack"),
        404,
        "not_found"
      )
      assert.strictEqual((await exportsOf(tenant)).events.length, 1)
      assert.strictEqual((await exportsOf(other)).events.length, 0)
    })

    it("a pack over the limit is 413 with its size; a corrupted attachment is 422 naming it, and nothing is stored", async () => {
      const { tenant, id } = await setup("http-limits")
      const big = await call(tenant, "POST", `/records/${id}/attachments/content?name=big.png`, {
        headers: { "content-type": "image/png" },
        body: Buffer.concat([photo, Buffer.alloc(250_000, 3)])
      })
      assert.strictEqual(big.status, 201)
      const tooLarge = await call(tenant, "GET", `/records/${id}/evidence-pack`)
      problem(tooLarge, 413, "evidence_pack_too_large")
      assert.strictEqual(tooLarge.json.max_bytes, 200_000)
      assert.isAbove(tooLarge.json.size, 250_000)
      assert.include(tooLarge.json.detail, String(tooLarge.json.size))

      const second = await setup("http-corrupt")
      const file = filesUnder(dir).find((p) => p.endsWith(sha(photo)) && p.includes(second.tenant))!
      assert.isDefined(file)
      const original = readFileSync(file)
      const flipped = Buffer.from(original)
      flipped[100] = flipped[100]! ^ 0xff
      writeFileSync(file, flipped)
      try {
        const attachments = await call(second.tenant, "GET", `/records/${second.id}/attachments`)
        const before = attachments.json.length
        const corrupted = await call(second.tenant, "GET", `/records/${second.id}/evidence-pack`)
        problem(corrupted, 422, "evidence_attachment_corrupted")
        assert.strictEqual(corrupted.json.attachment_name, "wrench.png")
        assert.strictEqual(corrupted.json.record_id, second.id)
        const store = await json(second.tenant, "POST", `/records/${second.id}/evidence-pack`, {
          notify: [{ email: "inspector@caa.example" }]
        })
        problem(store, 422, "evidence_attachment_corrupted")
        assert.strictEqual((await call(second.tenant, "GET", `/records/${second.id}/attachments`)).json.length, before)
        assert.strictEqual((await exportsOf(second.tenant)).events.length, 0)
      } finally {
        writeFileSync(file, original)
      }
    })

    it("POST stores the pack on the record and emails the chosen recipients, in one step", async () => {
      const { tenant, id, ref } = await setup("http-store")
      const stored = await json(tenant, "POST", `/records/${id}/evidence-pack`, {
        notify: [{ email: "inspector@caa.example", name: "Ines Inspector" }]
      })
      assert.strictEqual(stored.status, 201, stored.bytes.toString())
      const attachment = stored.json.attachment
      assert.strictEqual(attachment.kind, "evidence_pack")
      assert.strictEqual(attachment.mediaType, "application/zip")
      const content = await call(tenant, "GET", `/records/${id}/attachments/${attachment.id}/content`)
      assert.strictEqual(content.status, 200)
      assert.strictEqual(sha(content.bytes), attachment.sha256)
      const report = await VerifyPack.verifyBytes(content.bytes)
      assert.isTrue(report.ok)
      assert.strictEqual(PackFormat.sha256(PackFormat.json(report.manifest)), stored.json.manifestSha256)
      const event = (await exportsOf(tenant)).events[0]!
      assert.strictEqual((event.after as { attachment_id: string }).attachment_id, attachment.id)
      assert.deepStrictEqual((event.after as { notified: Array<string> }).notified, ["inspector@caa.example"])
      const emails = await runtime.runPromise(
        Notify.emailLog({ recordType: "finding", recordId: id }).pipe(
          Actor.withActor(
            Actor.make({
              tenantId: tenant,
              actorId: "u-quinn",
              displayName: "Quinn",
              roles: ["quality_manager"],
              traceId: "t-evidence"
            })
          )
        )
      )
      const told = emails.find((e) => e.recipient === "inspector@caa.example")
      assert.isDefined(told)
      assert.strictEqual(told!.subject, `Evidence pack of ${ref} exported`)
      // The next pack lists the stored pack but does not nest its bytes.
      const next = await call(tenant, "GET", `/records/${id}/evidence-pack`)
      const names = await entryNames(next.bytes)
      assert.isFalse(names.some((n) => n.endsWith(".zip")))
      problem(
        await json(tenant, "POST", `/records/${id}/evidence-pack`, { notify: [{ email: "not an address" }] }),
        400,
        "validation_failed"
      )
      problem(await json(tenant, "POST", `/records/${id}/evidence-pack`, {}, "u-tess"), 403, "forbidden")
    })

    it("names the evidence routes for other methods (405)", async () => {
      const { tenant, id } = await setup("http-405")
      const r = await call(tenant, "PATCH", `/findings/${id}/evidence-pack`)
      assert.strictEqual(r.status, 405)
      assert.strictEqual(r.headers.get("allow"), "GET, HEAD")
    })
  })
}
