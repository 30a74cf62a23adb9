// The evidence pack suite, written once; EvidencePack.test.ts runs it on every database.
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AuditLog, CanonicalJson } from "@airworthy/audit"
import { Records } from "@airworthy/records"
import { BlobStore } from "@airworthy/storage"
import type { TestDatabase, TestKit } from "@airworthy/testing"
import { assert } from "@effect/vitest"
import { Effect, Layer, Stream, TestClock } from "effect"
import { EvidencePack, PackFormat, VerifyPack } from "../src/index.js"
import {
  as,
  attachmentBytes,
  collectBytes,
  type evidenceLayer,
  freshTenant,
  people,
  prepareAs,
  profiles,
  seedFinding,
  signingKey,
  unzip
} from "./layers.js"

type It = TestKit.It<Layer.Layer.Success<ReturnType<typeof evidenceLayer>>>

const text = (b: Uint8Array) => new TextDecoder().decode(b)

const setup = (label: string) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(Date.parse("2026-04-01T09:00:00.000Z"))
    const tenant = freshTenant(label)
    const who = people(tenant)
    const seeded = yield* seedFinding.pipe(as(who.quality))
    return { tenant, who, ...seeded }
  })

export const evidenceSuite = (it: It, _target: TestDatabase.Target) => {
  it.effect(
    "a pack holds the record, its linked CAPA, their whole timeline, side entries, emails and attachment bytes",
    () =>
      Effect.gen(function* () {
        const { who, finding, capa, unrelated } = yield* setup("contents")
        const pack = yield* prepareAs(who.quality, finding.id)
        const bytes = yield* collectBytes(pack.zip)
        const entries = yield* Effect.promise(() => unzip(bytes))
        const byName = new Map(entries.map((e) => [e.name, e]))

        // Fixed order: the manifest and its signature first, then the manifest's entries in its order.
        assert.deepStrictEqual(
          entries.map((e) => e.name),
          [PackFormat.manifestPath, PackFormat.signaturePath, ...pack.manifest.entries.map((e) => e.path)]
        )
        const manifestText = text(byName.get(PackFormat.manifestPath)!.bytes)
        assert.strictEqual(CanonicalJson.canonicalize(JSON.parse(manifestText)), manifestText)
        assert.strictEqual(PackFormat.sha256(manifestText), pack.manifestSha256)
        const manifest = JSON.parse(manifestText) as PackFormat.Manifest
        assert.strictEqual(manifest.format, "airworthy.evidence-pack")
        assert.strictEqual(manifest.version, 1)
        assert.strictEqual(manifest.exported_at, "2026-04-01T09:00:00.000Z")
        assert.deepStrictEqual(manifest.exporter, {
          actor_id: "u-quinn",
          name: "Quinn Quality",
          key_id: signingKey.keyId
        })
        assert.deepStrictEqual(manifest.subject, { id: finding.id, type: "finding", ref: finding.ref })
        assert.deepStrictEqual(
          manifest.records.map((r) => [r.id, r.depth, r.path]),
          [
            [finding.id, 0, `records/${finding.ref}`],
            [capa.id, 1, `records/${capa.ref}`]
          ]
        )
        assert.isFalse(manifest.records.some((r) => r.id === unrelated.id))
        // Every listed entry is in the ZIP with the listed hash and size.
        for (const e of manifest.entries) {
          const entry = byName.get(e.path)
          assert.isDefined(entry, e.path)
          assert.strictEqual(entry!.bytes.byteLength, e.size, e.path)
          assert.strictEqual(PackFormat.sha256(entry!.bytes), e.sha256, e.path)
        }

        // The record snapshot and the side entries.
        const folder = `records/${finding.ref}`
        const record = JSON.parse(text(byName.get(`${folder}/record.json`)!.bytes))
        assert.strictEqual(record.state, "open")
        assert.strictEqual(record.data.requirement, "145.A.40")
        assert.strictEqual(record.version, finding.version)
        const comments = JSON.parse(text(byName.get(`${folder}/comments.json`)!.bytes))
        assert.deepStrictEqual(
          comments.map((c: { body: string }) => c.body),
          ["Lab certificate requested from supplier"]
        )
        const signatures = JSON.parse(text(byName.get(`${folder}/signatures.json`)!.bytes))
        assert.strictEqual(signatures.length, 1)
        assert.strictEqual(signatures[0].signerName, "Quinn Quality")
        assert.strictEqual(signatures[0].meaning, "reviewed")
        assert.match(signatures[0].signedAt, /^2026-04-01T09:00:00/)
        const approvals = JSON.parse(text(byName.get(`${folder}/approvals.json`)!.bytes))
        assert.deepStrictEqual(
          approvals.map((a: { note: string; approvedBy: string }) => [a.note, a.approvedBy]),
          [["Containment accepted", "u-quinn"]]
        )
        const emails = JSON.parse(text(byName.get(`${folder}/email-log.json`)!.bytes))
        assert.deepStrictEqual(
          emails.map((e: { recipient: string; subject: string; status: string }) => [e.recipient, e.subject, e.status]),
          [["olive@mro.example", `Finding ${finding.ref} raised`, "queued"]]
        )
        const capaComments = JSON.parse(text(byName.get(`records/${capa.ref}/comments.json`)!.bytes))
        assert.strictEqual(capaComments[0].body, "Owner to propose a recall reminder")
        const links = JSON.parse(text(byName.get(`${folder}/links.json`)!.bytes))
        assert.deepStrictEqual(
          links.map((l: { link: { kind: string }; other: { id: string } }) => [l.link.kind, l.other.id]),
          [["corrective_action", capa.id]]
        )

        // Attachments: the stored bytes themselves, stored (not deflated); the JSON deflated.
        const listed = JSON.parse(text(byName.get(`${folder}/attachments.json`)!.bytes)) as Array<{
          name: string
          path: string
          sha256: string
        }>
        assert.deepStrictEqual(
          listed.map((a) => a.name),
          ["calibration certificate.pdf", "wrench photo.jpg"]
        )
        const report = byName.get(listed[0]!.path)!
        const photo = byName.get(listed[1]!.path)!
        assert.deepStrictEqual(new Uint8Array(report.bytes), attachmentBytes.report)
        assert.deepStrictEqual(new Uint8Array(photo.bytes), attachmentBytes.photo)
        assert.strictEqual(photo.method, 0)
        assert.strictEqual(byName.get(`${folder}/record.json`)!.method, 8)

        // The timeline: every audit event of both records, in order, envelopes exactly as stored.
        const expected = yield* Effect.gen(function* () {
          const a = yield* AuditLog.query({ record: { type: "finding", id: finding.id }, order: "asc", limit: 1000 })
          const b = yield* AuditLog.query({ record: { type: "capa", id: capa.id }, order: "asc", limit: 1000 })
          return [...a.events, ...b.events].sort((x, y) => x.sequence - y.sequence)
        }).pipe(as(who.quality))
        const lines = text(byName.get(PackFormat.timelinePath)!.bytes).split("\n").slice(0, -1)
        assert.strictEqual(lines.length, expected.length)
        assert.strictEqual(manifest.events, expected.length)
        lines.forEach((line, i) => {
          const env = JSON.parse(line)
          assert.strictEqual(env.sequence, expected[i]!.sequence)
          assert.strictEqual(PackFormat.sha256(line), expected[i]!.hash)
        })
        const rejected = lines.map((l) => JSON.parse(l)).find((e) => e.reason === "Root cause not addressed")
        assert.isDefined(rejected, "the transition's reason is in the timeline")
        assert.deepStrictEqual(rejected.before.state, "response_submitted")
        assert.deepStrictEqual(rejected.after.state, "open")

        // And the whole pack verifies offline.
        const verified = yield* Effect.promise(() =>
          VerifyPack.verifyBytes(bytes, { trustedKeyIds: [signingKey.keyId] })
        )
        assert.deepStrictEqual(verified.failures, [])
        assert.isTrue(verified.ok)
        assert.strictEqual(verified.events, expected.length)
        assert.isTrue(verified.keysTrusted)
      })
  )

  it.effect("the same records and checkpoint give a byte-identical ZIP; a change to a record gives another", () =>
    Effect.gen(function* () {
      const { who, finding, unrelated } = yield* setup("deterministic")
      const first = yield* collectBytes((yield* prepareAs(who.quality, finding.id)).zip)
      const again = yield* collectBytes((yield* prepareAs(who.quality, finding.id)).zip)
      assert.isTrue(Buffer.from(first).equals(Buffer.from(again)))
      // Events of other records and later checkpoints do not change the pack: it uses the oldest
      // checkpoint covering its events.
      yield* Records.comment({ id: unrelated.id, body: "Elsewhere" }).pipe(as(who.quality))
      yield* Effect.flatMap(AuditLog.AuditLog, (log) => log.checkpoint(who.quality.tenantId))
      const later = yield* collectBytes((yield* prepareAs(who.quality, finding.id)).zip)
      assert.isTrue(Buffer.from(first).equals(Buffer.from(later)))
      // A new comment on the finding is a new pack.
      yield* Records.comment({ id: finding.id, body: "Supplier answered" }).pipe(as(who.quality))
      const changed = yield* collectBytes((yield* prepareAs(who.quality, finding.id)).zip)
      assert.isFalse(Buffer.from(first).equals(Buffer.from(changed)))
      const report = yield* Effect.promise(() => VerifyPack.verifyBytes(changed))
      assert.isTrue(report.ok)
    })
  )

  it.effect("an export signs a checkpoint when the newest events are not covered yet", () =>
    Effect.gen(function* () {
      const { who, finding } = yield* setup("checkpoint")
      const log = yield* AuditLog.AuditLog
      assert.strictEqual((yield* log.checkpoints(who.quality.tenantId)).length, 0)
      const pack = yield* prepareAs(who.quality, finding.id)
      const checkpoints = yield* log.checkpoints(who.quality.tenantId)
      assert.strictEqual(checkpoints.length, 1)
      assert.strictEqual(pack.manifest.checkpoint.tree_size, checkpoints[0]!.treeSize)
      assert.strictEqual(pack.manifest.checkpoint.root_hash, checkpoints[0]!.rootHash)
    })
  )

  it.effect("depth 0 packs the record alone; the declared depth follows the declared link kinds", () =>
    Effect.gen(function* () {
      const { who, finding, capa } = yield* setup("depth")
      const alone = yield* prepareAs(who.quality, finding.id, { depth: 0 })
      assert.deepStrictEqual(
        alone.manifest.records.map((r) => r.id),
        [finding.id]
      )
      // From the CAPA (profile: every link kind), the finding is one link away.
      const fromCapa = yield* prepareAs(who.quality, capa.id)
      assert.deepStrictEqual(
        fromCapa.manifest.records.map((r) => r.id),
        [capa.id, finding.id]
      )
    })
  )

  it.effect("an unknown record, or a record of another tenant, is NotFound and nothing is signed", () =>
    Effect.gen(function* () {
      const { who, finding } = yield* setup("notfound")
      const other = people(freshTenant("other"))
      const unknown = yield* Effect.flip(prepareAs(who.quality, "0190aaaa-0000-7000-8000-000000000000"))
      assert.strictEqual(unknown._tag, "NotFound")
      const foreign = yield* Effect.flip(prepareAs(other.quality, finding.id))
      assert.strictEqual(foreign._tag, "NotFound")
      const log = yield* AuditLog.AuditLog
      assert.strictEqual((yield* log.checkpoints(other.quality.tenantId)).length, 0)
    })
  )

  it.effect("a pack larger than the limit is PackTooLarge with its size, before anything is written", () =>
    Effect.gen(function* () {
      const { who, finding } = yield* setup("too-large")
      const small = yield* EvidencePack.make({ signingKey, profiles, maxBytes: 100_000 })
      const error = yield* Effect.flip(small.prepare(finding.id).pipe(as(who.quality)))
      assert.strictEqual(error._tag, "PackTooLarge")
      if (error._tag !== "PackTooLarge") return
      assert.strictEqual(error.status, 413)
      assert.strictEqual(error.limit, 100_000)
      const full = yield* prepareAs(who.quality, finding.id)
      assert.strictEqual(error.size, full.size)
      assert.isAbove(error.size, attachmentBytes.photo.byteLength)
      assert.include(error.message, String(full.size))
    })
  )

  it.effect(
    "a corrupted or missing attachment fails the export naming it; a file output is not left half-written",
    () =>
      Effect.gen(function* () {
        const { who, finding } = yield* setup("corrupted")
        const store = yield* BlobStore.BlobStore
        const photoSha = PackFormat.sha256(attachmentBytes.photo)
        const photo = (yield* Records.attachments(finding.id).pipe(as(who.quality))).find(
          (a) => a.name === "wrench photo.jpg"
        )!
        // A store whose copy of the photo has one byte flipped.
        const flipped: BlobStore.Service = {
          ...store,
          read: (tenantId, sha256, range) =>
            sha256 === photoSha
              ? Stream.map(store.read(tenantId, sha256, range), (chunk) => {
                  const copy = new Uint8Array(chunk)
                  copy[10] = copy[10]! ^ 0xff
                  return copy
                })
              : store.read(tenantId, sha256, range)
        }
        const corrupt = yield* EvidencePack.make({ signingKey, profiles }).pipe(
          Effect.provide(Layer.succeed(BlobStore.BlobStore, flipped))
        )
        const error = yield* Effect.flip(corrupt.prepare(finding.id).pipe(as(who.quality)))
        assert.strictEqual(error._tag, "AttachmentCorrupted")
        if (error._tag !== "AttachmentCorrupted") return
        assert.strictEqual(error.attachmentId, photo.id)
        assert.strictEqual(error.name, "wrench photo.jpg")
        assert.strictEqual(error.expectedSha256, photoSha)
        assert.include(error.message, "wrench photo.jpg")
        assert.strictEqual(error.status, 422)

        // Content gone from the store: named the same way.
        const empty: BlobStore.Service = {
          ...store,
          read: (tenantId, sha256, range) =>
            sha256 === photoSha
              ? Stream.fail(new BlobStore.BlobError({ reason: "not_found", sha256, detail: "No such content" }))
              : store.read(tenantId, sha256, range)
        }
        const missing = yield* EvidencePack.make({ signingKey, profiles }).pipe(
          Effect.provide(Layer.succeed(BlobStore.BlobStore, empty))
        )
        const gone = yield* Effect.flip(missing.prepare(finding.id).pipe(as(who.quality)))
        assert.strictEqual(gone._tag, "AttachmentCorrupted")
        if (gone._tag === "AttachmentCorrupted") assert.strictEqual(gone.found, "missing")

        // A store with a digest of its own is asked, not read: its answer decides, before anything is written.
        let readsBeforeWriting = 0
        const digesting: BlobStore.Service = {
          ...store,
          read: (tenantId, sha256, range) => {
            readsBeforeWriting++
            return store.read(tenantId, sha256, range)
          },
          digest: (tenantId, sha256, size) =>
            sha256 === photoSha
              ? Effect.succeed({ sha256: "0".repeat(64), size })
              : BlobStore.digestWith(store, tenantId, sha256, size)
        }
        const asked = yield* EvidencePack.make({ signingKey, profiles }).pipe(
          Effect.provide(Layer.succeed(BlobStore.BlobStore, digesting))
        )
        const refused = yield* Effect.flip(asked.prepare(finding.id).pipe(as(who.quality)))
        assert.strictEqual(refused._tag, "AttachmentCorrupted")
        if (refused._tag === "AttachmentCorrupted") assert.strictEqual(refused.found, "0".repeat(64))
        assert.strictEqual(readsBeforeWriting, 0)

        // Content that changes after the check: the ZIP stream fails naming it, and writeFile leaves no file.
        let reads = 0
        const changing: BlobStore.Service = {
          ...store,
          read: (tenantId, sha256, range) =>
            sha256 === photoSha && ++reads > 1
              ? flipped.read(tenantId, sha256, range)
              : store.read(tenantId, sha256, range)
        }
        const racing = yield* EvidencePack.make({ signingKey, profiles }).pipe(
          Effect.provide(Layer.succeed(BlobStore.BlobStore, changing))
        )
        const prepared = yield* racing.prepare(finding.id).pipe(as(who.quality))
        const path = join(mkdtempSync(join(tmpdir(), "evidence-")), "pack.zip")
        const failed = yield* Effect.flip(EvidencePack.writeFile(prepared, path))
        assert.strictEqual(failed._tag, "AttachmentCorrupted")
        if (failed._tag === "AttachmentCorrupted") assert.strictEqual(failed.attachmentId, photo.id)
        assert.isFalse(existsSync(path))
        assert.isFalse(existsSync(`${path}.partial`))

        // And a sound pack written to a file verifies from the file.
        const sound = yield* prepareAs(who.quality, finding.id)
        yield* EvidencePack.writeFile(sound, path)
        const fromFile = yield* Effect.promise(() => VerifyPack.verifyFile(path))
        assert.isTrue(fromFile.ok)
        assert.strictEqual(PackFormat.sha256(readFileSync(path)), PackFormat.sha256(yield* collectBytes(sound.zip)))
      })
  )
  it.effect(
    "summary.pdf: title page, records, signatures, every timeline row and every attachment's hash, page numbers",
    () =>
      Effect.gen(function* () {
        const { who, finding, capa } = yield* setup("summary")
        // Enough events for the timeline to run over several pages.
        yield* AuditLog.appendMany(
          Array.from({ length: 180 }, (_, i) => ({
            action: "finding.updated",
            recordType: "finding",
            recordId: finding.id,
            before: { step: i },
            after: { step: i + 1 },
            reason: `Step ${i + 1} checked`
          }))
        ).pipe(as(who.quality))
        const pack = yield* prepareAs(who.quality, finding.id)
        const zipped = yield* collectBytes(pack.zip)
        const entries = yield* Effect.promise(() => unzip(zipped))
        const pdf = entries.find((e) => e.name === PackFormat.summaryPath)!
        assert.deepStrictEqual(new Uint8Array(pdf.bytes), pack.summaryPdf)
        assert.strictEqual(pdf.method, 0)
        const dir = mkdtempSync(join(tmpdir(), "evidence-pdf-"))
        writeFileSync(join(dir, "summary.pdf"), pdf.bytes)
        const extracted = spawnSync("pdftotext", ["-layout", join(dir, "summary.pdf"), "-"], { encoding: "utf8" })
        assert.strictEqual(extracted.status, 0, extracted.stderr)
        const pdfText = extracted.stdout
        const pdfLines = pdfText.split("\n")

        assert.include(pdfText, "Evidence pack")
        assert.include(pdfText, `Finding ${finding.ref}`)
        assert.include(pdfText, "Torque wrench calibration overdue")
        assert.include(pdfText, capa.ref)
        assert.include(pdfText, "145.A.40") // a declared section field
        // Every signature: signer, time and meaning on one row.
        const signatures = yield* Records.signatures(finding.id).pipe(as(who.quality))
        assert.isAbove(signatures.length, 0)
        for (const s of signatures) {
          assert.isTrue(
            pdfLines.some((l) => l.includes(s.signerName) && l.includes(s.signedAt) && l.includes(s.meaning)),
            `signature ${s.id}`
          )
        }
        // Every timeline row: its sequence, action and record on one line.
        const lines = text(entries.find((e) => e.name === PackFormat.timelinePath)!.bytes)
          .split("\n")
          .slice(0, -1)
        assert.isAbove(lines.length, 180)
        for (const line of lines) {
          const env = JSON.parse(line)
          const row = new RegExp(`#${env.sequence}\\s`)
          const ref = env.record.id === finding.id ? finding.ref : capa.ref
          assert.isTrue(
            pdfLines.some((l) => row.test(l) && l.includes(env.action) && l.includes(ref)),
            `timeline row ${env.sequence} ${env.action}`
          )
        }
        assert.include(pdfText, "Step 180 checked")
        assert.include(pdfText, "step: 179 -> 180")
        // Attachments with their hashes, the email log, and page numbers on every page.
        assert.include(pdfText, PackFormat.sha256(attachmentBytes.photo))
        assert.include(pdfText, PackFormat.sha256(attachmentBytes.report))
        assert.include(pdfText, "olive@mro.example")
        const pages = pdfText.split("\f").filter((p) => p.trim() !== "")
        assert.isAbove(pages.length, 3)
        for (const [i, page] of pages.entries()) assert.include(page, `Page ${i + 1} of ${pages.length}`)
      })
  )
}
