/**
 * Signed checkpoints, inclusion and consistency proofs, and their offline verifiers.
 *
 * A checkpoint is an RFC 6962 Merkle tree head over a tenant's events (leaf `i` is event `i + 1`,
 * leaf hash = SHA-256(0x00 ‖ the event's 32 hash bytes)), signed with Ed25519. The verifiers below are
 * pure functions of the proof object and a public key: an inspector runs them without the database.
 *
 * ```ts
 * const proof = await runtime.runPromise(AuditLog.inclusionProof(tenantId, 42))
 * Proof.verifyInclusion(proof, publicKey) // { ok: true }
 * ```
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Schema } from "effect"
import * as Merkle from "./Merkle.js"
import * as TreeHead from "./TreeHead.js"

/**
 * A signed tree head over a tenant's first `treeSize` events (`TreeHead.SignedTreeHead`).
 * @since 0.1.0
 * @category models
 */
export const Checkpoint = TreeHead.SignedTreeHead
/** @since 0.1.0 @category models */
export type Checkpoint = typeof Checkpoint.Type

/**
 * Proves event `sequence` is in the tree a checkpoint signs.
 * @since 0.1.0
 * @category models
 */
export const InclusionProof = Schema.Struct({
  tenantId: Schema.String,
  sequence: Schema.Number,
  /** Hex SHA-256 of the event's envelope (the chain hash). */
  eventHash: Schema.String,
  /** The event's canonical envelope, when it has not been purged. */
  envelope: Schema.optional(Schema.String),
  /** Hex audit path, leaf to root. */
  proof: Schema.Array(Schema.String),
  checkpoint: Checkpoint
})
/** @since 0.1.0 @category models */
export type InclusionProof = typeof InclusionProof.Type

/**
 * Proves the tree of `newCheckpoint` extends the tree of `oldCheckpoint` (nothing rewritten or removed).
 * @since 0.1.0
 * @category models
 */
export const ConsistencyProof = Schema.Struct({
  tenantId: Schema.String,
  oldCheckpoint: Checkpoint,
  newCheckpoint: Checkpoint,
  /** Hex consistency path (RFC 6962 §2.1.2). */
  proof: Schema.Array(Schema.String)
})
/** @since 0.1.0 @category models */
export type ConsistencyProof = typeof ConsistencyProof.Type

/**
 * The keys a verifier trusts: a public key (KeyObject or SPKI PEM), or a map / record from key id to
 * public key (for logs signed over several keys). See `TreeHead.VerificationKeys`.
 * @since 0.1.0
 * @category models
 */
export type PublicKeys = TreeHead.VerificationKeys

/**
 * What a verifier says.
 * @since 0.1.0
 * @category models
 */
export type Result = { readonly ok: true } | { readonly ok: false; readonly reason: string }

const ok: Result = { ok: true }
const bad = (reason: string): Result => ({ ok: false, reason })

const isHex = (s: string, bytes?: number) =>
  /^[0-9a-f]*$/.test(s) && s.length % 2 === 0 && (bytes === undefined || s.length === bytes * 2)

/**
 * Does the checkpoint's signature verify?
 * @since 0.1.0
 * @category verifiers
 */
export const verifyCheckpoint = (checkpoint: Checkpoint, keys: PublicKeys): Result => {
  try {
    return TreeHead.verify(checkpoint, keys)
      ? ok
      : bad(`the signature of checkpoint ${checkpoint.treeSize} does not verify`)
  } catch (cause) {
    return bad(`checkpoint ${checkpoint.treeSize} cannot be verified: ${String(cause)}`)
  }
}

/**
 * Checks an inclusion proof: the checkpoint's signature, the Merkle path to its root and, when the
 * proof carries the envelope, that the envelope hashes to the event hash and names that event.
 * @since 0.1.0
 * @category verifiers
 */
export const verifyInclusion = (proof: InclusionProof, keys: PublicKeys): Result => {
  const signed = verifyCheckpoint(proof.checkpoint, keys)
  if (!signed.ok) return signed
  if (proof.checkpoint.tenantId !== proof.tenantId) return bad("the checkpoint is of another tenant")
  const { sequence } = proof
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > proof.checkpoint.treeSize) {
    return bad(`event ${sequence} is not in a tree of ${proof.checkpoint.treeSize} events`)
  }
  if (!isHex(proof.eventHash, 32) || !proof.proof.every((p) => isHex(p, 32))) return bad("malformed hashes")
  if (proof.envelope !== undefined) {
    if (createHash("sha256").update(proof.envelope, "utf8").digest("hex") !== proof.eventHash) {
      return bad("the envelope does not hash to the event hash")
    }
    try {
      const env = JSON.parse(proof.envelope) as { tenant_id?: unknown; sequence?: unknown }
      if (env.tenant_id !== proof.tenantId || env.sequence !== sequence) return bad("the envelope names another event")
    } catch {
      return bad("the envelope is not JSON")
    }
  }
  const included = Merkle.verifyInclusion({
    leafHash: Merkle.leafHash(Merkle.fromHex(proof.eventHash)),
    index: sequence - 1,
    treeSize: proof.checkpoint.treeSize,
    proof: proof.proof.map(Merkle.fromHex),
    root: Merkle.fromHex(proof.checkpoint.rootHash)
  })
  return included ? ok : bad(`event ${sequence} is not in the tree checkpoint ${proof.checkpoint.treeSize} signs`)
}

/**
 * Checks a consistency proof: both signatures, and that the newer tree extends the older one.
 * @since 0.1.0
 * @category verifiers
 */
export const verifyConsistency = (proof: ConsistencyProof, keys: PublicKeys): Result => {
  for (const c of [proof.oldCheckpoint, proof.newCheckpoint]) {
    const signed = verifyCheckpoint(c, keys)
    if (!signed.ok) return signed
    if (c.tenantId !== proof.tenantId) return bad("a checkpoint is of another tenant")
  }
  const { oldCheckpoint: o, newCheckpoint: n } = proof
  if (o.treeSize > n.treeSize) return bad("the old checkpoint is larger than the new one")
  if (!proof.proof.every((p) => isHex(p, 32))) return bad("malformed hashes")
  const consistent = Merkle.verifyConsistency({
    oldSize: o.treeSize,
    newSize: n.treeSize,
    oldRoot: Merkle.fromHex(o.rootHash),
    newRoot: Merkle.fromHex(n.rootHash),
    proof: proof.proof.map(Merkle.fromHex)
  })
  return consistent ? ok : bad(`the tree of ${n.treeSize} events does not extend the tree of ${o.treeSize}`)
}
