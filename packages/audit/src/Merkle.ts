/**
 * RFC 6962 §2.1 Merkle hash trees over SHA-256: roots, inclusion proofs and consistency proofs.
 *
 * Leaves are hashed as `SHA-256(0x00 ‖ data)` and interior nodes as `SHA-256(0x01 ‖ left ‖ right)`, so a
 * leaf can never be passed off as a node. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and never
 * throws: malformed input simply does not verify.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import { Schema } from "effect"

/**
 * A Merkle operation was called with arguments outside its domain (e.g. an index past the end).
 * @since 0.1.0
 * @category errors
 */
export class MerkleError extends Schema.TaggedError<MerkleError>()("MerkleError", {
  message: Schema.String
}) {}

/**
 * Bytes in a SHA-256 hash.
 * @since 0.1.0
 * @category constants
 */
export const hashSize = 32

const LEAF_PREFIX = new Uint8Array([0x00])
const NODE_PREFIX = new Uint8Array([0x01])

// Node >= 20.12: one-shot hashing of the common 33- and 65-byte inputs from preallocated buffers
// (filled and hashed synchronously, so never shared between two calls).
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer }).hash
const leafInput = new Uint8Array(1 + hashSize)
const nodeInput = new Uint8Array(1 + 2 * hashSize)
nodeInput[0] = 0x01

const digest = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const h = crypto.createHash("sha256")
  for (const p of parts) h.update(p)
  // Copy out of the Buffer pool so callers get a standalone 32-byte array.
  return new Uint8Array(h.digest())
}

/**
 * RFC 6962 leaf hash: SHA-256(0x00 ‖ data).
 * @since 0.1.0
 * @category hashing
 */
export const leafHash = (data: Uint8Array): Uint8Array => {
  if (oneShot === undefined || data.length !== hashSize) return digest(LEAF_PREFIX, data)
  leafInput.set(data, 1)
  return new Uint8Array(oneShot("sha256", leafInput, "buffer"))
}

/**
 * RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right).
 * @since 0.1.0
 * @category hashing
 */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  if (oneShot === undefined || left.length !== hashSize || right.length !== hashSize) {
    return digest(NODE_PREFIX, left, right)
  }
  nodeInput.set(left, 1)
  nodeInput.set(right, 1 + hashSize)
  return new Uint8Array(oneShot("sha256", nodeInput, "buffer"))
}

/**
 * The root of the empty tree: SHA-256 of the empty string (RFC 6962 MTH({})).
 * @since 0.1.0
 * @category hashing
 */
export const emptyRoot = (): Uint8Array => digest()

/**
 * Lower-case hex of some bytes.
 * @since 0.1.0
 * @category encoding
 */
export const toHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

/**
 * Bytes of a hex string (either case); throws `MerkleError` on odd length or non-hex characters.
 * @since 0.1.0
 * @category encoding
 */
export const fromHex = (hex: string): Uint8Array => {
  // Buffer.from(hex) silently stops at the first bad character, so validate first.
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new MerkleError({ message: "Invalid hex string" })
  }
  return new Uint8Array(Buffer.from(hex, "hex"))
}

/**
 * Are two byte arrays equal? (Not constant-time: everything compared here is public.)
 * @since 0.1.0
 * @category utils
 */
export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0

const isHash = (h: unknown): h is Uint8Array => h instanceof Uint8Array && h.length === hashSize

// MTH of hashes[start, end): pairing level by level and promoting an odd last node is exactly the
// RFC 6962 split at the largest power of two below n, because every left subtree is then complete.
const rangeRoot = (hashes: ReadonlyArray<Uint8Array>, start: number, end: number): Uint8Array => {
  const n = end - start
  if (n === 0) return emptyRoot()
  if (n === 1) return hashes[start]!
  const level: Array<Uint8Array> = new Array(Math.ceil(n / 2))
  let len = 0
  for (let i = start; i < end; i += 2) level[len++] = i + 1 < end ? nodeHash(hashes[i]!, hashes[i + 1]!) : hashes[i]!
  while (len > 1) {
    let next = 0
    for (let i = 0; i < len; i += 2) level[next++] = i + 1 < len ? nodeHash(level[i]!, level[i + 1]!) : level[i]!
    len = next
  }
  return level[0]!
}

/**
 * The Merkle Tree Hash (RFC 6962 MTH) of a list of leaf hashes; iterative, O(n).
 * @since 0.1.0
 * @category roots
 */
export const rootFromLeafHashes = (leafHashes: ReadonlyArray<Uint8Array>): Uint8Array =>
  rangeRoot(leafHashes, 0, leafHashes.length)

/**
 * The Merkle Tree Hash of raw leaf data: `rootFromLeafHashes(data.map(leafHash))`.
 * @since 0.1.0
 * @category roots
 */
export const root = (data: ReadonlyArray<Uint8Array>): Uint8Array => rootFromLeafHashes(data.map(leafHash))

/**
 * RFC 6962 §2.1.1 audit path for leaf `index` in the tree of all `leafHashes`, ordered leaf-side first.
 * Throws `MerkleError` unless 0 <= index < leafHashes.length.
 * @since 0.1.0
 * @category proofs
 */
export const inclusionProof = (leafHashes: ReadonlyArray<Uint8Array>, index: number): Array<Uint8Array> => {
  const n = leafHashes.length
  if (!Number.isSafeInteger(index) || index < 0 || index >= n) {
    throw new MerkleError({ message: `Leaf index ${index} is outside a tree of size ${n}` })
  }
  const proof: Array<Uint8Array> = []
  let level: ReadonlyArray<Uint8Array> = leafHashes
  let i = index
  while (level.length > 1) {
    // The sibling at this level; a last node without a sibling is promoted and contributes nothing.
    const sibling = i % 2 === 1 ? i - 1 : i + 1
    if (sibling < level.length) proof.push(level[sibling]!)
    const next: Array<Uint8Array> = new Array(Math.ceil(level.length / 2))
    for (let j = 0; j < level.length; j += 2) {
      next[j / 2] = j + 1 < level.length ? nodeHash(level[j]!, level[j + 1]!) : level[j]!
    }
    level = next
    i = Math.floor(i / 2)
  }
  return proof
}

/**
 * Audit paths for many leaves of one tree at once (each as `inclusionProof` gives it): the tree's
 * levels are hashed once, so n proofs cost O(tree + n log tree) rather than n full trees.
 * Throws `MerkleError` for an index outside the tree.
 * @since 0.1.0
 * @category proofs
 */
export const inclusionProofs = (
  leafHashes: ReadonlyArray<Uint8Array>,
  indices: ReadonlyArray<number>
): Array<Array<Uint8Array>> => {
  const n = leafHashes.length
  for (const index of indices) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= n) {
      throw new MerkleError({ message: `Leaf index ${index} is outside a tree of size ${n}` })
    }
  }
  const levels: Array<ReadonlyArray<Uint8Array>> = [leafHashes]
  let level = leafHashes
  while (level.length > 1) {
    const next: Array<Uint8Array> = new Array(Math.ceil(level.length / 2))
    for (let j = 0; j < level.length; j += 2) {
      next[j / 2] = j + 1 < level.length ? nodeHash(level[j]!, level[j + 1]!) : level[j]!
    }
    levels.push(next)
    level = next
  }
  return indices.map((index) => {
    const proof: Array<Uint8Array> = []
    let i = index
    for (let k = 0; k < levels.length - 1; k++) {
      const sibling = i % 2 === 1 ? i - 1 : i + 1
      if (sibling < levels[k]!.length) proof.push(levels[k]![sibling]!)
      i = Math.floor(i / 2)
    }
    return proof
  })
}

/**
 * RFC 9162 §2.1.3.2: does `proof` show `leafHash` at `index` in the tree of `treeSize` leaves with `root`?
 * Never throws; any malformed argument yields false.
 * @since 0.1.0
 * @category proofs
 */
export const verifyInclusion = (args: {
  readonly leafHash: Uint8Array
  readonly index: number
  readonly treeSize: number
  readonly proof: ReadonlyArray<Uint8Array>
  readonly root: Uint8Array
}): boolean => {
  try {
    const { index, leafHash: leaf, proof, root: expected, treeSize } = args
    if (!isSize(index) || !isSize(treeSize) || index >= treeSize) return false
    if (!isHash(leaf) || !isHash(expected) || !Array.isArray(proof) || !proof.every(isHash)) return false
    // Arithmetic instead of bitwise ops: sizes may exceed 2^31.
    let fn = index
    let sn = treeSize - 1
    let r = leaf
    for (const p of proof) {
      if (sn === 0) return false
      if (fn % 2 === 1 || fn === sn) {
        r = nodeHash(p, r)
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2)
            sn = Math.floor(sn / 2)
          }
        }
      } else {
        r = nodeHash(r, p)
      }
      fn = Math.floor(fn / 2)
      sn = Math.floor(sn / 2)
    }
    return sn === 0 && bytesEqual(r, expected)
  } catch {
    return false
  }
}

// Exact for every safe integer (Math.log2 rounds, e.g. log2(2^50 + 1) === 50).
const isPowerOfTwo = (n: number): boolean => {
  let x = n
  while (x > 1 && x % 2 === 0) x /= 2
  return x === 1
}

const largestPowerOfTwoBelow = (n: number): number => {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

// RFC 6962 §2.1.2 SUBPROOF(m, D[start:end], b), appending to `out`.
const subproof = (
  hashes: ReadonlyArray<Uint8Array>,
  m: number,
  start: number,
  end: number,
  complete: boolean,
  out: Array<Uint8Array>
): void => {
  const n = end - start
  if (m === n) {
    if (!complete) out.push(rangeRoot(hashes, start, end))
    return
  }
  const k = largestPowerOfTwoBelow(n)
  if (m <= k) {
    subproof(hashes, m, start, start + k, complete, out)
    out.push(rangeRoot(hashes, start + k, end))
  } else {
    subproof(hashes, m - k, start + k, end, false, out)
    out.push(rangeRoot(hashes, start, start + k))
  }
}

/**
 * RFC 6962 §2.1.2 PROOF(oldSize, D[n]) where n = leafHashes.length. Empty when oldSize is 0 or n.
 * Throws `MerkleError` unless 0 <= oldSize <= leafHashes.length.
 * @since 0.1.0
 * @category proofs
 */
export const consistencyProof = (leafHashes: ReadonlyArray<Uint8Array>, oldSize: number): Array<Uint8Array> => {
  const n = leafHashes.length
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > n) {
    throw new MerkleError({ message: `Old size ${oldSize} is outside 0..${n}` })
  }
  const out: Array<Uint8Array> = []
  if (oldSize === 0 || oldSize === n) return out
  subproof(leafHashes, oldSize, 0, n, true, out)
  return out
}

/**
 * RFC 9162 §2.1.4.2: is the tree with `oldRoot` (size `oldSize`) a prefix of the tree with `newRoot`?
 *
 * oldSize = newSize needs an empty proof and equal roots; oldSize = 0 needs an empty proof and
 * `oldRoot` equal to `emptyRoot()`. Never throws; any malformed argument yields false.
 *
 * @since 0.1.0
 * @category proofs
 */
export const verifyConsistency = (args: {
  readonly oldSize: number
  readonly newSize: number
  readonly oldRoot: Uint8Array
  readonly newRoot: Uint8Array
  readonly proof: ReadonlyArray<Uint8Array>
}): boolean => {
  try {
    const { newRoot, newSize, oldRoot, oldSize, proof } = args
    if (!isSize(oldSize) || !isSize(newSize) || oldSize > newSize) return false
    if (!isHash(oldRoot) || !isHash(newRoot) || !Array.isArray(proof) || !proof.every(isHash)) return false
    if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot)
    // The empty tree has exactly one root, so a size-0 head with another root is not consistent with anything.
    if (oldSize === 0) return proof.length === 0 && bytesEqual(oldRoot, emptyRoot())
    if (proof.length === 0) return false
    // A complete old tree is itself a node of the new tree, so the proof omits it.
    const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof]
    let fn = oldSize - 1
    let sn = newSize - 1
    while (fn % 2 === 1) {
      fn = Math.floor(fn / 2)
      sn = Math.floor(sn / 2)
    }
    let fr = path[0]!
    let sr = path[0]!
    for (let i = 1; i < path.length; i++) {
      const c = path[i]!
      if (sn === 0) return false
      if (fn % 2 === 1 || fn === sn) {
        fr = nodeHash(c, fr)
        sr = nodeHash(c, sr)
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) {
            fn = Math.floor(fn / 2)
            sn = Math.floor(sn / 2)
          }
        }
      } else {
        sr = nodeHash(sr, c)
      }
      fn = Math.floor(fn / 2)
      sn = Math.floor(sn / 2)
    }
    return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot)
  } catch {
    return false
  }
}

/**
 * The persistable state of a `CompactRange`: the tree size and the roots of its perfect subtrees
 * ("peaks"), largest (leftmost) first; there is one peak per set bit of `size`.
 * @since 0.1.0
 * @category models
 */
export interface CompactRangeState {
  readonly size: number
  readonly peaks: ReadonlyArray<Uint8Array>
}

const popcount = (n: number): number => {
  let c = 0
  let x = n
  while (x > 0) {
    c += x % 2
    x = Math.floor(x / 2)
  }
  return c
}

/**
 * An incremental Merkle tree builder keeping O(log n) state, so a checkpoint can be extended by new
 * leaves without reloading earlier ones. Mutable; use `clone()` to branch.
 * @since 0.1.0
 * @category builders
 */
export class CompactRange {
  private constructor(
    private count: number,
    private readonly stack: Array<Uint8Array>
  ) {}

  /**
   * A builder for the empty tree.
   * @since 0.1.0
   */
  static empty(): CompactRange {
    return new CompactRange(0, [])
  }

  /**
   * Restores a builder from `toState()`; throws `MerkleError` if the peak count or sizes do not fit.
   * @since 0.1.0
   */
  static fromState(state: CompactRangeState): CompactRange {
    if (!isSize(state.size) || state.peaks.length !== popcount(state.size) || !state.peaks.every(isHash)) {
      throw new MerkleError({ message: `Invalid compact range state for size ${state.size}` })
    }
    return new CompactRange(
      state.size,
      state.peaks.map((p) => new Uint8Array(p))
    )
  }

  /**
   * A builder holding the given leaf hashes.
   * @since 0.1.0
   */
  static fromLeafHashes(leafHashes: ReadonlyArray<Uint8Array>): CompactRange {
    const range = CompactRange.empty()
    for (const h of leafHashes) range.appendLeaf(h)
    return range
  }

  /**
   * Number of leaves appended so far.
   * @since 0.1.0
   */
  get size(): number {
    return this.count
  }

  /**
   * Appends one leaf hash (already `leafHash`ed); returns this builder.
   * @since 0.1.0
   */
  appendLeaf(hash: Uint8Array): this {
    if (!isHash(hash)) throw new MerkleError({ message: "A leaf hash must be 32 bytes" })
    let node = hash
    // Each trailing 1-bit of the old size is a peak of equal height that merges with the new node.
    let s = this.count
    while (s % 2 === 1) {
      node = nodeHash(this.stack.pop()!, node)
      s = Math.floor(s / 2)
    }
    this.stack.push(node)
    this.count += 1
    return this
  }

  /**
   * Appends raw leaf data (hashed with `leafHash`); returns this builder.
   * @since 0.1.0
   */
  appendData(data: Uint8Array): this {
    return this.appendLeaf(leafHash(data))
  }

  /**
   * The Merkle Tree Hash of all leaves appended so far.
   * @since 0.1.0
   */
  root(): Uint8Array {
    if (this.stack.length === 0) return emptyRoot()
    let r = this.stack[this.stack.length - 1]!
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i]!, r)
    return r
  }

  /**
   * The state to persist next to a checkpoint.
   * @since 0.1.0
   */
  toState(): CompactRangeState {
    return { size: this.count, peaks: this.stack.map((p) => new Uint8Array(p)) }
  }

  /**
   * An independent copy.
   * @since 0.1.0
   */
  clone(): CompactRange {
    return new CompactRange(
      this.count,
      this.stack.map((p) => new Uint8Array(p))
    )
  }
}
