// Rotating the audit signing key of a `createQms()` host on a SQLite file: checkpoints signed with the
// old key keep verifying when its public key is kept in `verificationKeys`, both keys are published,
// and evidence packs sealed with either key verify offline; without the old key, verify names it.
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TreeHead } from "@airworthy/audit"
import { VerifyPack } from "@airworthy/evidence"
import { BlobStore } from "@airworthy/storage"
import { assert, it } from "@effect/vitest"
import { createQms } from "../src/index.js"

const pem = (key: TreeHead.SigningKey) => key.privateKey.export({ type: "pkcs8", format: "pem" }).toString()
const quinn = { tenantId: "mro-rotation", actorId: "u-quinn", roles: ["quality_manager"] }

it("after a rotation, old checkpoints verify with the retired public key and both keys are published", async () => {
  const dir = mkdtempSync(join(tmpdir(), "qms-rotation-"))
  const database = { sqlite: join(dir, "qms.db") }
  const blobs = BlobStore.directory({ path: join(dir, "blobs") })
  const before = TreeHead.generateKey()
  const after = TreeHead.generateKey()

  // Year one: a finding, and an evidence pack whose checkpoint the first key signs.
  const first = await createQms({ database, blobs, signingKey: pem(before) })
  await first.staff.upsert({ ...quinn, displayName: "Quinn", email: "quinn@mro.example" })
  const finding = await first.findings.raise(
    { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-quinn" },
    { actor: quinn }
  )
  const oldPack = join(dir, "before.zip")
  await first.evidence.writePack(finding.id, oldPack, { actor: quinn })
  assert.deepStrictEqual(await first.auditTrail.verify({}, { actor: quinn }), { ok: true, events: 3, checkpoints: 1 })
  await first.dispose()

  // Rotated without keeping the old public key: the old checkpoint no longer verifies, and says why.
  const forgetful = await createQms({ database, blobs, signingKey: pem(after) })
  const refused = await forgetful.auditTrail.verify({}, { actor: quinn })
  assert.strictEqual(refused.ok, false)
  assert.strictEqual(refused.ok === false ? refused.fault : "", "bad_signature")
  assert.include(refused.ok === false ? refused.detail : "", before.keyId)
  await forgetful.dispose()

  // Rotated properly: the new key signs, the retired one still verifies what it signed.
  const qms = await createQms({
    database,
    blobs,
    signingKey: pem(after),
    verificationKeys: { [before.keyId]: before.publicKeyPem }
  })
  try {
    assert.deepStrictEqual(await qms.auditTrail.keys({}, { actor: quinn }), [
      { keyId: after.keyId, publicKeyPem: after.publicKeyPem, current: true },
      { keyId: before.keyId, publicKeyPem: before.publicKeyPem, current: false }
    ])
    assert.deepStrictEqual(await qms.auditTrail.verify({}, { actor: quinn }), { ok: true, events: 3, checkpoints: 1 })
    await qms.findings.reclassify(
      { id: finding.id, level: "1", reason: "Used on a flight-critical task" },
      { actor: quinn }
    )
    const newPack = join(dir, "after.zip")
    await qms.evidence.writePack(finding.id, newPack, { actor: quinn })
    const trusted = [after.keyId, before.keyId]
    const reports = [
      await VerifyPack.verifyFile(oldPack, { trustedKeyIds: trusted }),
      await VerifyPack.verifyFile(newPack, { trustedKeyIds: trusted })
    ]
    assert.deepStrictEqual(
      reports.map((r) => [r.failures, r.keys.checkpoint, r.keysTrusted]),
      [
        [[], before.keyId, true],
        [[], after.keyId, true]
      ]
    )
    const verified = await qms.auditTrail.verify({}, { actor: quinn })
    assert.deepStrictEqual(verified.ok && verified.checkpoints, 2)
  } finally {
    await qms.dispose()
  }
})
