/**
 * Signed tree heads (checkpoints): a tenant's Merkle tree size and root, signed with Ed25519.
 *
 * The signature covers the UTF-8 of the RFC 8785 canonical JSON of
 * `{ v: 1, kind: "airworthy.audit.tree_head", tenant_id, tree_size, root_hash, timestamp, key_id }`
 * (see `signingBytes`), so any tool with a JCS implementation and Ed25519 can check a head.
 *
 * @since 0.1.0
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  generateKeyPairSync,
  KeyObject
} from "node:crypto"
import { Schema } from "effect"
import { canonicalBytes } from "./CanonicalJson.js"

/**
 * Why a key or head was rejected.
 * @since 0.1.0
 * @category models
 */
export const TreeHeadErrorReason = Schema.Literal("invalid_key", "invalid_head", "key_mismatch")
/** @since 0.1.0 @category models */
export type TreeHeadErrorReason = typeof TreeHeadErrorReason.Type

/**
 * A signing key could not be loaded, or a head could not be signed.
 * @since 0.1.0
 * @category errors
 */
export class TreeHeadError extends Schema.TaggedError<TreeHeadError>()("TreeHeadError", {
  reason: TreeHeadErrorReason,
  message: Schema.String
}) {}

/**
 * Version of the signed-bytes layout; bump it if the signed object ever changes.
 * @since 0.1.0
 * @category constants
 */
export const formatVersion = 1

/**
 * Domain-separation string inside the signed object, so a tree-head signature can't be replayed as anything else.
 * @since 0.1.0
 * @category constants
 */
export const kind = "airworthy.audit.tree_head"

const hexHash = /^[0-9a-f]{64}$/
const hexKeyId = /^[0-9a-f]{16}$/
const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

// The regex alone admits impossible dates such as 2024-02-30; a round trip through Date rejects them.
const isIsoMillis = (s: string): boolean => isoMillis.test(s) && new Date(s).toISOString() === s

/**
 * An unsigned tree head. `rootHash` is lower-case hex; `timestamp` is `Date.prototype.toISOString` output
 * (UTC, milliseconds); `keyId` names the signing key.
 * @since 0.1.0
 * @category models
 */
export const TreeHead = Schema.Struct({
  tenantId: Schema.String.pipe(Schema.minLength(1)),
  treeSize: Schema.Number.pipe(Schema.filter((n) => Number.isSafeInteger(n) && n >= 0)),
  rootHash: Schema.String.pipe(Schema.pattern(hexHash)),
  timestamp: Schema.String.pipe(Schema.filter(isIsoMillis)),
  keyId: Schema.String.pipe(Schema.pattern(hexKeyId))
})
/** @since 0.1.0 @category models */
export type TreeHead = typeof TreeHead.Type

/**
 * A tree head with its Ed25519 signature (standard base64 with padding, 64 bytes decoded).
 * @since 0.1.0
 * @category models
 */
export const SignedTreeHead = Schema.Struct({
  ...TreeHead.fields,
  signature: Schema.String
})
/** @since 0.1.0 @category models */
export type SignedTreeHead = typeof SignedTreeHead.Type

const isTreeHead = Schema.is(TreeHead)

/**
 * A loaded Ed25519 signing key.
 * @since 0.1.0
 * @category models
 */
export interface SigningKey {
  /** First 16 hex characters of SHA-256 of the raw 32-byte public key. */
  readonly keyId: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  /** SPKI PEM of the public key, to publish to verifiers. */
  readonly publicKeyPem: string
}

/**
 * The fixed PKCS#8 DER prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows it.
 * @since 0.1.0
 * @category constants
 */
export const ed25519Pkcs8Prefix = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20
])

/**
 * The raw 32-byte Ed25519 public key (RFC 8032 encoding) of a key object.
 * @since 0.1.0
 * @category keys
 */
export const publicKeyRaw = (publicKey: KeyObject): Uint8Array => {
  const jwk = publicKey.export({ format: "jwk" })
  if (publicKey.asymmetricKeyType !== "ed25519" || typeof jwk.x !== "string") {
    throw new TreeHeadError({ reason: "invalid_key", message: "Not an Ed25519 key" })
  }
  return new Uint8Array(Buffer.from(jwk.x, "base64url"))
}

/**
 * The key id of an Ed25519 public key: first 16 hex chars of SHA-256 of its raw 32 bytes.
 * @since 0.1.0
 * @category keys
 */
export const keyIdOf = (publicKey: KeyObject): string =>
  createHash("sha256").update(publicKeyRaw(publicKey)).digest("hex").slice(0, 16)

/**
 * An Ed25519 public key object from its raw 32 bytes.
 * @since 0.1.0
 * @category keys
 */
export const publicKeyFromRaw = (raw: Uint8Array): KeyObject => {
  if (raw.length !== 32)
    throw new TreeHeadError({ reason: "invalid_key", message: "An Ed25519 public key is 32 bytes" })
  return createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(raw).toString("base64url") },
    format: "jwk"
  })
}

const fromPrivateKey = (privateKey: KeyObject): SigningKey => {
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new TreeHeadError({ reason: "invalid_key", message: "The signing key must be Ed25519" })
  }
  const publicKey = createPublicKey(privateKey)
  return {
    keyId: keyIdOf(publicKey),
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString()
  }
}

const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * A signing key from a 32-byte Ed25519 seed (the RFC 8032 "secret key").
 * @since 0.1.0
 * @category keys
 */
export const keyFromSeed = (seed: Uint8Array): SigningKey => {
  if (seed.length !== 32) throw new TreeHeadError({ reason: "invalid_key", message: "An Ed25519 seed is 32 bytes" })
  const der = Buffer.concat([ed25519Pkcs8Prefix, seed])
  return fromPrivateKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" }))
}

/**
 * Loads the signing key from configuration: a PKCS#8 PEM Ed25519 private key, or a standard base64
 * 32-byte seed. Surrounding whitespace is ignored. Throws `TreeHeadError` ("invalid_key") otherwise.
 * @since 0.1.0
 * @category keys
 */
export const keyFromConfig = (input: string): SigningKey => {
  const text = input.trim()
  if (text.startsWith("-----BEGIN")) {
    let privateKey: KeyObject
    try {
      privateKey = createPrivateKey({ key: text, format: "pem" })
    } catch (cause) {
      throw new TreeHeadError({
        reason: "invalid_key",
        message: `Unreadable PEM private key: ${cause instanceof Error ? cause.message : String(cause)}`
      })
    }
    return fromPrivateKey(privateKey)
  }
  // Buffer's base64 decoder skips bad characters, so check the alphabet before trusting the length.
  if (!strictBase64.test(text)) {
    throw new TreeHeadError({ reason: "invalid_key", message: "Expected a PKCS#8 PEM key or a base64 32-byte seed" })
  }
  return keyFromSeed(new Uint8Array(Buffer.from(text, "base64")))
}

/**
 * A fresh random Ed25519 signing key (tests and development).
 * @since 0.1.0
 * @category keys
 */
export const generateKey = (): SigningKey => fromPrivateKey(generateKeyPairSync("ed25519").privateKey)

/**
 * The exact bytes signed for a head: UTF-8 of the canonical JSON of
 * `{ v: 1, kind: "airworthy.audit.tree_head", tenant_id, tree_size, root_hash, timestamp, key_id }`.
 * @since 0.1.0
 * @category signing
 */
export const signingBytes = (head: TreeHead): Uint8Array =>
  canonicalBytes({
    v: formatVersion,
    kind,
    tenant_id: head.tenantId,
    tree_size: head.treeSize,
    root_hash: head.rootHash,
    timestamp: head.timestamp,
    key_id: head.keyId
  })

/**
 * Signs a head. Throws `TreeHeadError` if the head is malformed ("invalid_head") or names another
 * key than `key` ("key_mismatch"), since such a signature could never verify.
 * @since 0.1.0
 * @category signing
 */
export const sign = (head: TreeHead, key: SigningKey): SignedTreeHead => {
  if (!isTreeHead(head)) throw new TreeHeadError({ reason: "invalid_head", message: "Malformed tree head" })
  if (head.keyId !== key.keyId) {
    throw new TreeHeadError({
      reason: "key_mismatch",
      message: `Head names key ${head.keyId} but the signing key is ${key.keyId}`
    })
  }
  const signature = cryptoSign(null, signingBytes(head), key.privateKey).toString("base64")
  return {
    tenantId: head.tenantId,
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    timestamp: head.timestamp,
    keyId: head.keyId,
    signature
  }
}

/**
 * The keys a verifier trusts: one public key (KeyObject or SPKI PEM), a `SigningKey`, or a map / record
 * from key id to public key.
 * @since 0.1.0
 * @category models
 */
export type VerificationKeys =
  | KeyObject
  | string
  | Pick<SigningKey, "keyId" | "publicKey">
  | ReadonlyMap<string, KeyObject | string>
  | { readonly [keyId: string]: KeyObject | string }

const toPublicKey = (key: KeyObject | string): KeyObject =>
  key instanceof KeyObject ? (key.type === "public" ? key : createPublicKey(key)) : createPublicKey(key)

const lookup = (keys: VerificationKeys, keyId: string): KeyObject | undefined => {
  if (keys instanceof KeyObject || typeof keys === "string") return toPublicKey(keys)
  if (keys instanceof Map) {
    const k = (keys as ReadonlyMap<string, KeyObject | string>).get(keyId)
    return k === undefined ? undefined : toPublicKey(k)
  }
  const obj = keys as Record<string, unknown>
  if (obj.publicKey instanceof KeyObject && typeof obj.keyId === "string") return obj.publicKey
  // Own properties only: "constructor" or "__proto__" must not resolve to something inherited.
  if (!Object.hasOwn(obj, keyId)) return undefined
  const k = obj[keyId]
  return k instanceof KeyObject || typeof k === "string" ? toPublicKey(k) : undefined
}

/**
 * Checks a signed head against trusted keys. The key is picked by `keyId`, and its own key id must equal
 * `keyId`. Returns false (never throws) for a malformed head, unknown or wrong key, or bad signature.
 * @since 0.1.0
 * @category signing
 */
export const verify = (signed: SignedTreeHead, keys: VerificationKeys): boolean => {
  try {
    if (!isTreeHead(signed) || typeof signed.signature !== "string") return false
    // Canonical base64 only, so the signature string itself can't be varied without detection.
    if (!strictBase64.test(signed.signature)) return false
    const signature = Buffer.from(signed.signature, "base64")
    if (signature.length !== 64 || signature.toString("base64") !== signed.signature) return false
    const publicKey = lookup(keys, signed.keyId)
    if (publicKey === undefined || keyIdOf(publicKey) !== signed.keyId) return false
    return cryptoVerify(null, signingBytes(signed), publicKey, signature)
  } catch {
    return false
  }
}
