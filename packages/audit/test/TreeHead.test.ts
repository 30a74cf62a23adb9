import {
  createHash,
  createPrivateKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync
} from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { canonicalize } from "../src/CanonicalJson.js"
import {
  generateKey,
  keyFromConfig,
  keyFromSeed,
  keyIdOf,
  publicKeyFromRaw,
  publicKeyRaw,
  type SignedTreeHead,
  sign,
  signingBytes,
  type TreeHead,
  TreeHeadError,
  verify
} from "../src/TreeHead.js"

// RFC 8032 §7.1, "TEST 1": Ed25519 secret key (seed), public key, and the signature of the empty message.
const RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
const RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
const RFC8032_SIGNATURE =
  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

const seedBase64 = Buffer.from(RFC8032_SECRET, "hex").toString("base64")

const key = keyFromConfig(seedBase64)

const head: TreeHead = {
  tenantId: "tenant-a",
  treeSize: 42,
  rootHash: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  timestamp: "2026-03-01T12:34:56.789Z",
  keyId: key.keyId
}

const errorReason = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    assert.instanceOf(e, TreeHeadError)
    return (e as TreeHeadError).reason
  }
  return undefined
}

describe("TreeHead", () => {
  it("loads the RFC 8032 test-1 seed to the published public key and signature", () => {
    assert.strictEqual(Buffer.from(publicKeyRaw(key.publicKey)).toString("hex"), RFC8032_PUBLIC)
    const signature = cryptoSign(null, new Uint8Array(), key.privateKey)
    assert.strictEqual(signature.toString("hex"), RFC8032_SIGNATURE)
    assert.isTrue(cryptoVerify(null, new Uint8Array(), publicKeyFromRaw(Buffer.from(RFC8032_PUBLIC, "hex")), signature))
    // keyId = first 16 hex chars of SHA-256 over the raw public key.
    const expectedKeyId = createHash("sha256").update(Buffer.from(RFC8032_PUBLIC, "hex")).digest("hex").slice(0, 16)
    assert.strictEqual(key.keyId, expectedKeyId)
    assert.strictEqual(keyIdOf(key.publicKey), expectedKeyId)
    assert.match(key.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/)
  })

  it("gives the same key id for the seed and its PKCS#8 PEM", () => {
    const pem = key.privateKey.export({ type: "pkcs8", format: "pem" }).toString()
    assert.strictEqual(keyFromConfig(pem).keyId, key.keyId)
    // Whitespace around config values (trailing newlines in env vars) is ignored.
    assert.strictEqual(keyFromConfig(`\n${pem}\n`).keyId, key.keyId)
    assert.strictEqual(keyFromConfig(` ${seedBase64}\n`).keyId, key.keyId)
    assert.strictEqual(keyFromSeed(Buffer.from(RFC8032_SECRET, "hex")).keyId, key.keyId)
    // A PEM made by another tool (node's own generator) loads to the key id of its public half.
    const other = generateKeyPairSync("ed25519", {
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" }
    })
    const loaded = keyFromConfig(other.privateKey)
    assert.strictEqual(loaded.keyId, keyIdOf(createPrivateKey(other.privateKey)))
    assert.notStrictEqual(loaded.keyId, key.keyId)
  })

  it("rejects key material that is not an Ed25519 PEM or a base64 32-byte seed", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" })
    for (const bad of [
      "",
      "not base64!",
      Buffer.alloc(31).toString("base64"),
      Buffer.alloc(33).toString("base64"),
      RFC8032_SECRET, // hex is not accepted: it would be ambiguous with base64
      "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----",
      rsa.toString()
    ]) {
      assert.strictEqual(
        errorReason(() => keyFromConfig(bad)),
        "invalid_key",
        bad.slice(0, 30)
      )
    }
  })

  it("signs the documented canonical bytes", () => {
    const expected =
      '{"key_id":"' +
      key.keyId +
      '","kind":"airworthy.audit.tree_head","root_hash":"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",' +
      '"tenant_id":"tenant-a","timestamp":"2026-03-01T12:34:56.789Z","tree_size":42,"v":1}'
    assert.strictEqual(Buffer.from(signingBytes(head)).toString("utf8"), expected)
    assert.strictEqual(
      canonicalize({
        v: 1,
        kind: "airworthy.audit.tree_head",
        tenant_id: head.tenantId,
        tree_size: head.treeSize,
        root_hash: head.rootHash,
        timestamp: head.timestamp,
        key_id: head.keyId
      }),
      expected
    )
    const signed = sign(head, key)
    // An outside verifier needs only the public key and those bytes.
    assert.isTrue(
      cryptoVerify(null, Buffer.from(expected, "utf8"), key.publicKeyPem, Buffer.from(signed.signature, "base64"))
    )
    // Ed25519 is deterministic, so the signature is a fixed known answer for this key and head.
    assert.strictEqual(signed.signature, sign(head, key).signature)
    assert.strictEqual(Buffer.from(signed.signature, "base64").length, 64)
  })

  // The worked example in the README's "Cryptographic formats" section (checked with openssl too); keeps it honest.
  it("reproduces the documented example head, key id, PEMs and signature", () => {
    assert.strictEqual(seedBase64, "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
    assert.strictEqual(key.keyId, "21fe31dfa154a261")
    assert.strictEqual(
      key.publicKeyPem,
      "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"
    )
    const pem =
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n"
    assert.strictEqual(key.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), pem)
    const signed = sign({ ...head, treeSize: 8 }, keyFromConfig(pem))
    assert.strictEqual(
      signed.signature,
      "oW44TWFGo2EzHqBoQ73DLRCXdxWy/zfYOO8rZCUmCxlYyl8+L/dz0Mk+RWzs6DSRciKngtC+zYIPlqal8n3yAA=="
    )
    assert.isTrue(verify(signed, key.publicKeyPem))
  })

  it("round-trips with every form of trusted keys", () => {
    const signed = sign(head, key)
    assert.deepStrictEqual({ ...signed, signature: undefined }, { ...head, signature: undefined })
    assert.isTrue(verify(signed, key.publicKey))
    assert.isTrue(verify(signed, key.publicKeyPem))
    assert.isTrue(verify(signed, key))
    assert.isTrue(verify(signed, key.privateKey))
    assert.isTrue(verify(signed, new Map([[key.keyId, key.publicKey]])))
    assert.isTrue(verify(signed, { [key.keyId]: key.publicKeyPem, ffffffffffffffff: generateKey().publicKey }))
    // A head survives a JSON round trip (storage, HTTP) and still verifies.
    assert.isTrue(verify(JSON.parse(JSON.stringify(signed)) as SignedTreeHead, key.publicKey))
  })

  it("fails (without throwing) for a wrong or unknown key", () => {
    const signed = sign(head, key)
    const other = generateKey()
    assert.isFalse(verify(signed, other.publicKey))
    assert.isFalse(verify(signed, other))
    assert.isFalse(verify(signed, new Map([[other.keyId, other.publicKey]])))
    assert.isFalse(verify(signed, {}))
    // The map entry under our key id holds someone else's key: its own key id gives it away.
    assert.isFalse(verify(signed, new Map([[key.keyId, other.publicKey]])))
    assert.isFalse(verify(signed, { [key.keyId]: other.publicKeyPem }))
    assert.isFalse(verify(signed, "not a pem"))
    // Only own properties of a record count as trusted keys.
    assert.isFalse(verify(signed, Object.create({ [key.keyId]: key.publicKey })))
  })

  it("fails when any field or the signature is altered", () => {
    const signed = sign(head, key)
    const tampered: ReadonlyArray<[string, unknown]> = [
      ["tenantId", "tenant-b"],
      ["tenantId", ""],
      ["treeSize", 43],
      ["treeSize", 42.5],
      ["treeSize", -1],
      ["treeSize", "42"],
      ["rootHash", `4${head.rootHash.slice(1)}`],
      ["rootHash", head.rootHash.toUpperCase()],
      ["timestamp", "2026-03-01T12:34:56.788Z"],
      ["timestamp", "2026-03-01T12:34:56Z"],
      ["keyId", "0000000000000000"],
      ["signature", `${signed.signature[0] === "A" ? "B" : "A"}${signed.signature.slice(1)}`],
      ["signature", signed.signature.slice(0, -4)],
      ["signature", `${signed.signature} `],
      ["signature", ""],
      ["signature", 42]
    ]
    for (const [field, value] of tampered) {
      assert.isFalse(verify({ ...signed, [field]: value } as SignedTreeHead, key.publicKey), `${field}=${value}`)
    }
    // A flipped bit anywhere in the decoded signature.
    const raw = Buffer.from(signed.signature, "base64")
    for (let i = 0; i < raw.length; i++) {
      const copy = Buffer.from(raw)
      copy[i] = copy[i]! ^ 1
      assert.isFalse(verify({ ...signed, signature: copy.toString("base64") }, key.publicKey), `byte ${i}`)
    }
    // Base64 whose unused padding bits differ decodes to the same bytes; only the canonical spelling counts.
    const last = signed.signature.at(-3)!
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!
    const sameBytes = `${signed.signature.slice(0, -3)}${sibling}==`
    assert.deepStrictEqual(Buffer.from(sameBytes, "base64"), raw)
    assert.isFalse(verify({ ...signed, signature: sameBytes }, key.publicKey))
    assert.isFalse(verify(null as unknown as SignedTreeHead, key.publicKey))
  })

  it("refuses to sign a malformed head or with a key the head does not name", () => {
    assert.strictEqual(
      errorReason(() => sign({ ...head, keyId: generateKey().keyId }, key)),
      "key_mismatch"
    )
    for (const bad of [
      { treeSize: -1 },
      { treeSize: 2 ** 53 },
      { rootHash: "abc" },
      { timestamp: "2026-02-30T00:00:00.000Z" },
      { timestamp: "yesterday" },
      { tenantId: "" }
    ]) {
      assert.strictEqual(
        errorReason(() => sign({ ...head, ...bad }, key)),
        "invalid_head",
        JSON.stringify(bad)
      )
    }
  })

  it.prop(
    "any head signs and verifies, and changing any one field breaks it",
    [
      fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.integer({ min: 0, max: 8_640_000_000_000 }),
      fc.integer({ min: 0, max: 4 })
    ],
    ([tenantId, treeSize, rootBytes, ms, which]) => {
      const h: TreeHead = {
        tenantId,
        treeSize,
        rootHash: Buffer.from(rootBytes).toString("hex"),
        timestamp: new Date(ms).toISOString(),
        keyId: key.keyId
      }
      const signed = sign(h, key)
      assert.isTrue(verify(signed, key.publicKey))
      const changed: SignedTreeHead = [
        { ...signed, tenantId: `${tenantId}x` },
        { ...signed, treeSize: treeSize === 0 ? 1 : treeSize - 1 },
        { ...signed, rootHash: Buffer.from(rootBytes.map((b, i) => (i === 0 ? b ^ 1 : b))).toString("hex") },
        { ...signed, timestamp: new Date(ms === 0 ? 1 : ms - 1).toISOString() },
        { ...signed, keyId: generateKey().keyId }
      ][which]!
      assert.isFalse(verify(changed, key.publicKey))
    },
    { fastCheck: { numRuns: 60 } }
  )
})
