// Attachment content through the Promise facade: the same checks as over HTTP, bytes read back whole.
import { createHash } from "node:crypto"
import { BlobStore } from "@airworthy/storage"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type CreateQms, createQms } from "../src/index.js"

const quinn = { tenantId: "mro-content", actorId: "u-quinn", roles: ["quality_manager"] }
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")
const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(70_000, 42)])

describe("createQms content", () => {
  let qms: CreateQms.QmsClient
  beforeAll(async () => {
    qms = await createQms({
      database: { sqlite: ":memory:" },
      blobs: BlobStore.database({ chunkBytes: 16 * 1024 }),
      attachments: { maxBytes: 100_000 }
    })
    await qms.staff.upsert({ ...quinn, displayName: "Quinn", email: "quinn@mro.example" })
  })
  afterAll(() => qms?.dispose())

  it("uploads from bytes or an async iterable, downloads whole or a range, and refuses what HTTP refuses", async () => {
    const record = await qms.findings.raise(
      { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-quinn" },
      { actor: quinn }
    )
    const pieces = async function* () {
      yield pdf.subarray(0, 5)
      yield pdf.subarray(5)
    }
    const first = await qms.content.upload({ id: record.id, name: "cert.pdf", kind: "evidence" }, pieces(), {
      actor: quinn
    })
    assert.strictEqual(first.sha256, sha(pdf))
    assert.strictEqual(first.mediaType, "application/pdf")
    assert.isTrue(first.hasContent)
    const whole = await qms.content.download(record.id, first.id, { actor: quinn })
    const bytes = Buffer.from(await new Response(whole.stream).arrayBuffer())
    assert.strictEqual(sha(bytes), sha(pdf))
    const part = await qms.content.download(record.id, first.id, { actor: quinn, range: { start: 1, end: 4 } })
    assert.strictEqual(Buffer.from(await new Response(part.stream).arrayBuffer()).toString(), "PDF-")
    const listed = await qms.records.attachments({ id: record.id }, { actor: quinn })
    assert.deepStrictEqual(
      listed.map((a) => a.id),
      [first.id]
    )

    const v2 = await qms.content.upload(
      { id: record.id, name: "cert.pdf", supersedes: first.id },
      new Uint8Array(pdf.subarray(0, 9000)),
      { actor: quinn }
    )
    assert.strictEqual(v2.supersedes, first.id)
    const refused = async (p: Promise<unknown>) =>
      p.then(
        () => assert.fail("resolved"),
        (e: { code?: string }) => e.code
      )
    assert.strictEqual(
      await refused(
        qms.content.upload({ id: record.id, name: "big.pdf" }, Buffer.concat([pdf, pdf]), { actor: quinn })
      ),
      "content_too_large"
    )
    assert.strictEqual(
      await refused(
        qms.content.upload({ id: record.id, name: "x.pdf", sha256: sha(Buffer.from("x")) }, pdf, { actor: quinn })
      ),
      "content_hash_mismatch"
    )
    assert.strictEqual(
      await refused(
        qms.content.upload({ id: record.id, name: "x.pdf" }, pdf, { actor: { ...quinn, actorId: "u-x", roles: [] } })
      ),
      "forbidden"
    )
    assert.strictEqual(
      await refused(
        qms.content.upload({ id: record.id, name: "x.pdf" }, pdf, { actor: { ...quinn, tenantId: "mro-other" } })
      ),
      "not_found"
    )
    assert.strictEqual((await qms.records.attachments({ id: record.id }, { actor: quinn })).length, 2)
  })
})
