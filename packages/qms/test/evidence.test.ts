// Evidence packs through the Promise facade: the ZIP as a web stream and into a file, both verifying
// offline; the permission and the tenant hold; the export is audited.
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { VerifyPack } from "@airworthy/evidence"
import { BlobStore } from "@airworthy/storage"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type CreateQms, createQms } from "../src/index.js"

const quinn = { tenantId: "mro-evidence", actorId: "u-quinn", displayName: "Quinn Quality", roles: ["quality_manager"] }
const tess = { tenantId: "mro-evidence", actorId: "u-tess", roles: ["technician"] }
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(3000, 9)])

describe("createQms evidence packs", () => {
  let qms: CreateQms.QmsClient
  beforeAll(async () => {
    qms = await createQms({ database: { sqlite: ":memory:" }, blobs: BlobStore.database() })
    await qms.staff.upsert({ ...quinn, email: "quinn@mro.example" })
  })
  afterAll(() => qms?.dispose())

  it("exports a pack as a stream and into a file; both verify; the export is audited; refusals are typed", async () => {
    const record = await qms.findings.raise(
      { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-quinn" },
      { actor: quinn }
    )
    await qms.content.upload({ id: record.id, name: "wrench.png" }, png, { actor: quinn })
    const exported = await qms.evidence.exportPack(record.id, { actor: quinn })
    const bytes = new Uint8Array(await new Response(exported.stream).arrayBuffer())
    const report = await VerifyPack.verifyBytes(bytes)
    assert.deepStrictEqual(report.failures, [])
    assert.strictEqual(report.manifest?.subject.ref, record.ref)
    assert.strictEqual(exported.manifest.exporter.name, "Quinn Quality")
    assert.strictEqual(exported.event.action, "evidence.exported")
    assert.strictEqual((exported.event.after as { manifest_sha256: string }).manifest_sha256, exported.manifestSha256)

    const path = join(mkdtempSync(join(tmpdir(), "qms-evidence-")), "pack.zip")
    const written = await qms.evidence.writePack(record.id, path, { actor: quinn, store: true })
    assert.isTrue(existsSync(path))
    assert.isTrue((await VerifyPack.verifyFile(path)).ok)
    assert.strictEqual(written.attachment?.kind, "evidence_pack")

    const refused = await qms.evidence.exportPack(record.id, { actor: tess }).then(
      () => assert.fail("resolved"),
      (e: { code?: string; missing_permission?: string }) => e
    )
    assert.strictEqual(refused.code, "forbidden")
    const elsewhere = await qms.evidence.exportPack(record.id, { actor: { ...quinn, tenantId: "mro-other" } }).then(
      () => assert.fail("resolved"),
      (e: { code?: string }) => e.code
    )
    assert.strictEqual(elsewhere, "not_found")
    const trail = await qms.auditTrail.query({ action: "evidence.exported" }, { actor: quinn })
    assert.strictEqual(trail.events.length, 2)
  })
})
