// The offline verifier against tampering: any flipped byte of any entry, a dropped entry, an added
// entry, reordered timeline events or swapped attachments are detected every time; an untouched pack
// (read and written back entry by entry) always verifies. The command-line verifier says the same.
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TestDatabase } from "@airworthy/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, ManagedRuntime, TestClock, TestContext } from "effect"
import * as fc from "fast-check"
import { main } from "../src/bin.js"
import { PackFormat, VerifyPack } from "../src/index.js"
import {
  as,
  collectBytes,
  evidenceLayer,
  freshTenant,
  people,
  prepareAs,
  rezip,
  seedFinding,
  signingKey,
  unzip
} from "./layers.js"

type Entries = ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>

const [sqlite] = await TestDatabase.targets()
const runtime = ManagedRuntime.make(Layer.merge(evidenceLayer(sqlite!), TestContext.TestContext))
const pack = await runtime.runPromise(
  Effect.gen(function* () {
    yield* TestClock.setTime(Date.parse("2026-04-01T09:00:00.000Z"))
    const who = people(freshTenant("tamper"))
    const { finding } = yield* seedFinding.pipe(as(who.quality))
    return yield* collectBytes((yield* prepareAs(who.quality, finding.id)).zip)
  })
)
await runtime.dispose()
const original: Entries = (await unzip(pack)).map((e) => ({ name: e.name, bytes: new Uint8Array(e.bytes) }))
const attachments = original.filter((e) => e.name.includes("/attachments/"))

const verify = async (entries: Entries) => VerifyPack.verifyBytes(await rezip(entries))
const codes = (r: VerifyPack.Report) => r.failures.map((f) => f.code)

describe("tampering with a pack", () => {
  it("the pack as exported verifies, and so does the same entries written back", async () => {
    assert.isTrue((await VerifyPack.verifyBytes(pack)).ok)
    const report = await verify(original)
    assert.deepStrictEqual(report.failures, [])
    assert.isTrue(report.ok)
    assert.isAbove(report.events, 5)
    assert.isAtLeast(attachments.length, 2)
  })

  it("flipping any byte of any entry is detected", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: original.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (which, at, mask) => {
          const target = original[which]!
          if (target.bytes.byteLength === 0) return
          const bytes = new Uint8Array(target.bytes)
          const index = at % bytes.byteLength
          bytes[index] = bytes[index]! ^ mask
          const report = await verify(original.map((e, i) => (i === which ? { name: e.name, bytes } : e)))
          assert.isFalse(report.ok, `flipping byte ${index} of ${target.name} went unnoticed`)
          assert.isAbove(report.failures.length, 0)
        }
      ),
      { numRuns: 150 }
    )
  })

  it("a manifest signature spelled another way (unused bits of its last base64 character) is refused", async () => {
    const entry = original.find((e) => e.name === PackFormat.signaturePath)!
    const text = new TextDecoder().decode(entry.bytes)
    const signature = (JSON.parse(text) as { signature: string }).signature
    assert.isTrue(signature.endsWith("=="))
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    const last = signature.at(-3)!
    const respelled = `${signature.slice(0, -3)}${alphabet[alphabet.indexOf(last) ^ 1]}==`
    // The same 64 bytes once decoded: only the spelling differs.
    assert.deepStrictEqual(Buffer.from(respelled, "base64"), Buffer.from(signature, "base64"))
    const bytes = new TextEncoder().encode(text.replace(signature, respelled))
    const report = await verify(original.map((e) => (e === entry ? { name: e.name, bytes } : e)))
    assert.isFalse(report.ok)
    assert.include(codes(report), "manifest_signature")
  })

  it("dropping any entry is detected, naming it", async () => {
    for (const dropped of original) {
      const report = await verify(original.filter((e) => e !== dropped))
      assert.isFalse(report.ok, `dropping ${dropped.name} went unnoticed`)
      assert.isTrue(
        report.failures.some((f) => f.entry === dropped.name),
        `${dropped.name}: ${JSON.stringify(report.failures)}`
      )
    }
  })

  it("adding an entry anywhere is detected, naming it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-z][a-z0-9/._-]{0,30}$/),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(),
        async (name, bytes, at) => {
          // A ".." segment cannot be written into a ZIP at all (the writer refuses a path leaving its folder).
          if (original.some((e) => e.name === name) || name.endsWith("/") || name.split("/").includes("..")) return
          const entries = [...original]
          entries.splice(at % (entries.length + 1), 0, { name, bytes })
          const report = await verify(entries)
          assert.isFalse(report.ok)
          assert.isTrue(
            report.failures.some((f) => f.code === "unlisted_entry" && f.entry === name),
            JSON.stringify(report.failures.slice(0, 3))
          )
        }
      ),
      {
        numRuns: 40,
        examples: [
          ["a/..", new Uint8Array(), 0],
          ["a/./b", new Uint8Array([1]), 3]
        ]
      }
    )
  })

  it("reordering timeline events is detected, even with the proofs reordered alike", async () => {
    const lines = (name: string) => {
      const text = new TextDecoder().decode(original.find((e) => e.name === name)!.bytes)
      return text.slice(0, -1).split("\n")
    }
    const timeline = lines(PackFormat.timelinePath)
    const proofs = lines(PackFormat.proofsPath)
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(
          timeline.map((_, i) => i),
          { minLength: timeline.length, maxLength: timeline.length }
        ),
        async (order) => {
          if (order.every((v, i) => v === i)) return
          const encode = (ls: ReadonlyArray<string>) => new TextEncoder().encode(ls.map((l) => `${l}\n`).join(""))
          const entries = original.map((e) =>
            e.name === PackFormat.timelinePath
              ? { name: e.name, bytes: encode(order.map((i) => timeline[i]!)) }
              : e.name === PackFormat.proofsPath
                ? { name: e.name, bytes: encode(order.map((i) => proofs[i]!)) }
                : e
          )
          const report = await verify(entries)
          assert.isFalse(report.ok)
          assert.includeMembers(codes(report), ["entry_hash", "timeline_order"])
        }
      ),
      { numRuns: 30 }
    )
  })

  it("swapping two attachments' contents is detected", async () => {
    const [a, b] = attachments
    const swapped = original.map((e) =>
      e.name === a!.name
        ? { name: e.name, bytes: b!.bytes }
        : e.name === b!.name
          ? { name: e.name, bytes: a!.bytes }
          : e
    )
    const report = await verify(swapped)
    assert.isFalse(report.ok)
    assert.sameMembers(
      report.failures.map((f) => f.entry),
      [a!.name, b!.name]
    )
  })

  it("a pack re-signed by another key fails the trusted-key check", async () => {
    const report = await VerifyPack.verifyBytes(pack, { trustedKeyIds: ["0000000000000000"] })
    assert.isFalse(report.ok)
    assert.deepStrictEqual(codes(report), ["untrusted_key", "untrusted_key"])
    assert.isTrue((await VerifyPack.verifyBytes(pack, { trustedKeyIds: [signingKey.keyId] })).ok)
  })

  it("airworthy-verify-pack exits 0 for an untouched pack and 1 naming each failure for an altered one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verify-pack-"))
    const good = join(dir, "good.zip")
    writeFileSync(good, pack)
    const out: Array<string> = []
    assert.strictEqual(await main([good, "--trust", signingKey.keyId], (l) => out.push(l)), 0)
    assert.match(out.join("\n"), /^OK: evidence pack of FND-/)
    assert.include(out.join("\n"), signingKey.keyId)

    const bad = join(dir, "bad.zip")
    const record = original.find((e) => e.name.endsWith("/record.json"))!
    writeFileSync(
      bad,
      await rezip(
        original.map((e) =>
          e === record ? { name: e.name, bytes: new TextEncoder().encode('{"state":"closed"}') } : e
        )
      )
    )
    const lines: Array<string> = []
    assert.strictEqual(await main([bad], (l) => lines.push(l)), 1)
    assert.match(lines[0]!, /^FAILED/)
    assert.include(lines.join("\n"), `entry_size: ${record.name}`)
    assert.strictEqual(await main([], () => undefined), 2)
    const notZip = join(dir, "not.zip")
    writeFileSync(notZip, "not a zip")
    const said: Array<string> = []
    assert.strictEqual(await main([notZip], (l) => said.push(l)), 1)
    assert.include(said.join("\n"), "unreadable_zip")
  })
})
