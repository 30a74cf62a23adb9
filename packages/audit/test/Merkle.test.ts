import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  CompactRange,
  consistencyProof,
  emptyRoot,
  fromHex,
  inclusionProof,
  inclusionProofs,
  leafHash,
  MerkleError,
  nodeHash,
  root,
  rootFromLeafHashes,
  toHex,
  verifyConsistency,
  verifyInclusion
} from "../src/Merkle.js"

/*
 * Known-answer vectors for RFC 6962 SHA-256 trees, from the Certificate Transparency reference code:
 *  - google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc (kInputs, kSHA256Roots,
 *    kSHA256EmptyTreeHash), and its Go port
 *  - transparency-dev/merkle, testonly/constants.go (LeafInputs, NodeHashes, RootHashes, CompactTrees)
 *  - transparency-dev/merkle, proof/verify_test.go (inclusionProofs, consistencyProofs, and the
 *    corruption probes mirrored in `corruptInclusion` / `corruptConsistency` below)
 *  - transparency-dev/merkle, proof/proof_test.go (which tree nodes make up each proof, TestInclusion /
 *    TestConsistency, resolved here to hashes through NodeHashes)
 */
const LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(
  fromHex
)

const EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// ROOTS[n] is the root of the tree of the first n LEAVES.
const ROOTS = [
  EMPTY_ROOT,
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
]

// NODES[level][index]: hashes of all complete subtrees of the 8-leaf tree (level 0 = leaf hashes).
const NODES = [
  [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"
  ],
  [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
  ],
  [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
  ],
  ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
]
const node = (level: number, index: number): string => NODES[level]![index]!

// verify_test.go inclusionProofs, with its 1-based leaf number turned into our 0-based index.
const INCLUSION_VECTORS: ReadonlyArray<{ index: number; size: number; proof: ReadonlyArray<string> }> = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
    ]
  },
  {
    index: 5,
    size: 8,
    proof: [
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
    ]
  },
  { index: 2, size: 3, proof: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
  {
    index: 1,
    size: 5,
    proof: [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
    ]
  }
]

// verify_test.go consistencyProofs.
const CONSISTENCY_VECTORS: ReadonlyArray<{ size1: number; size2: number; proof: ReadonlyArray<string> }> = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1,
    size2: 8,
    proof: [
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
    ]
  },
  {
    size1: 6,
    size2: 8,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
    ]
  },
  {
    size1: 2,
    size2: 5,
    proof: [
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
    ]
  },
  {
    size1: 6,
    size2: 7,
    proof: [
      "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
    ]
  }
]

// verify_test.go sha256SomeHash: an arbitrary hash that is no node of the test tree.
const SOME_HASH = fromHex("abacaba000000000000000000000000000000000000000000060061e00123456")

const LEAF_HASHES = LEAVES.map(leafHash)
const hexes = (hs: ReadonlyArray<Uint8Array>): Array<string> => hs.map(toHex)
const flipBit = (h: Uint8Array, byte: number, mask: number): Uint8Array => {
  const copy = new Uint8Array(h)
  copy[byte] = copy[byte]! ^ mask
  return copy
}

// Straight from the RFC 6962 §2.1 definitions (recursive), to cross-check the iterative code.
const split = (n: number): number => {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}
const refMth = (d: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (d.length === 0) return emptyRoot()
  if (d.length === 1) return d[0]!
  const k = split(d.length)
  return nodeHash(refMth(d.slice(0, k)), refMth(d.slice(k)))
}
const refPath = (m: number, d: ReadonlyArray<Uint8Array>): Array<Uint8Array> => {
  if (d.length <= 1) return []
  const k = split(d.length)
  return m < k
    ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))]
}
const refSubproof = (m: number, d: ReadonlyArray<Uint8Array>, b: boolean): Array<Uint8Array> => {
  if (m === d.length) return b ? [] : [refMth(d)]
  const k = split(d.length)
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), refMth(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), refMth(d.slice(0, k))]
}

// The probes of verify_test.go corruptInclusionProof: none of them may verify.
const corruptInclusion = (args: {
  leafHash: Uint8Array
  index: number
  treeSize: number
  proof: ReadonlyArray<Uint8Array>
  root: Uint8Array
}): Array<[string, Parameters<typeof verifyInclusion>[0]]> => {
  const { index, proof, root: r, treeSize } = args
  const probes: Array<[string, Parameters<typeof verifyInclusion>[0]]> = [
    ["index - 1", { ...args, index: index - 1 }],
    ["index + 1", { ...args, index: index + 1 }],
    ["index ^ 2", { ...args, index: index ^ 2 }],
    ["size * 2", { ...args, treeSize: treeSize * 2 }],
    ["size / 2", { ...args, treeSize: Math.floor(treeSize / 2) }],
    ["wrong leaf", { ...args, leafHash: leafHash(new TextEncoder().encode("WrongLeaf")) }],
    ["empty root", { ...args, root: fromHex(EMPTY_ROOT) }],
    ["random root", { ...args, root: SOME_HASH }],
    ["trailing garbage", { ...args, proof: [...proof, new Uint8Array()] }],
    ["trailing root", { ...args, proof: [...proof, r] }],
    ["preceding garbage", { ...args, proof: [new Uint8Array(), ...proof] }],
    ["preceding root", { ...args, proof: [r, ...proof] }]
  ]
  proof.forEach((_, i) => {
    probes.push([`proof[${i}] bit 3`, { ...args, proof: proof.map((p, j) => (j === i ? flipBit(p, 0, 8) : p)) }])
  })
  if (proof.length > 0) probes.push(["removed component", { ...args, proof: proof.slice(0, -1) }])
  if (proof.length > 1) {
    probes.push(["inserted component", { ...args, proof: [proof[0]!, SOME_HASH, ...proof.slice(1)] }])
  }
  return probes
}

// The probes of verify_test.go corruptConsistencyProof: none of them may verify.
const corruptConsistency = (args: {
  oldSize: number
  newSize: number
  oldRoot: Uint8Array
  newRoot: Uint8Array
  proof: ReadonlyArray<Uint8Array>
}): Array<[string, Parameters<typeof verifyConsistency>[0]]> => {
  const { newRoot, newSize, oldRoot, oldSize, proof } = args
  const wrongRoot = new TextEncoder().encode("WrongRoot")
  const probes: Array<[string, Parameters<typeof verifyConsistency>[0]]> = [
    ["size1 - 1", { ...args, oldSize: oldSize - 1 }],
    ["size1 + 1", { ...args, oldSize: oldSize + 1 }],
    ["size1 ^ 2", { ...args, oldSize: oldSize ^ 2 }],
    ["size2 * 2", { ...args, newSize: newSize * 2 }],
    ["size2 / 2", { ...args, newSize: Math.floor(newSize / 2) }],
    ["wrong root1", { ...args, oldRoot: wrongRoot }],
    ["wrong root2", { ...args, newRoot: wrongRoot }],
    ["wrong-but-well-formed root1", { ...args, oldRoot: SOME_HASH }],
    ["wrong-but-well-formed root2", { ...args, newRoot: SOME_HASH }],
    ["swapped roots", { ...args, oldRoot: newRoot, newRoot: oldRoot }],
    ["empty proof", { ...args, proof: [] }],
    ["trailing garbage", { ...args, proof: [...proof, new Uint8Array()] }],
    ["trailing root1", { ...args, proof: [...proof, oldRoot] }],
    ["trailing root2", { ...args, proof: [...proof, newRoot] }],
    ["preceding garbage", { ...args, proof: [new Uint8Array(), ...proof] }],
    ["preceding root1", { ...args, proof: [oldRoot, ...proof] }],
    ["preceding root2", { ...args, proof: [newRoot, ...proof] }],
    ["preceding proof[0]", { ...args, proof: [proof[0]!, ...proof] }]
  ]
  if (proof.length > 0) probes.push(["truncated proof", { ...args, proof: proof.slice(0, -1) }])
  proof.forEach((_, i) => {
    probes.push([`proof[${i}] bit 4`, { ...args, proof: proof.map((p, j) => (j === i ? flipBit(p, 0, 16) : p)) }])
  })
  return probes
}

const assertNoneVerify = <A>(probes: ReadonlyArray<[string, A]>, check: (a: A) => boolean, what: string) => {
  const wrong = probes.filter(([, p]) => check(p)).map(([d]) => d)
  assert.deepStrictEqual(wrong, [], `${what}: incorrectly verified`)
}

// Distinct leaves (the index is part of the data): with duplicate leaves a moved index can legitimately verify.
const leavesArb = (minLength: number, maxLength: number) =>
  fc
    .array(fc.uint8Array({ maxLength: 12 }), { minLength, maxLength })
    .map((ds) => ds.map((d, i) => leafHash(Uint8Array.from([...d, i & 0xff, (i >> 8) & 0xff]))))

describe("Merkle", () => {
  it("hashes leaves and nodes with the RFC 6962 domain-separation prefixes", () => {
    assert.strictEqual(toHex(emptyRoot()), EMPTY_ROOT)
    assert.strictEqual(toHex(leafHash(new Uint8Array())), ROOTS[1])
    // Level 1 node 0 of the vector tree is nodeHash(leaf0, leaf1).
    assert.strictEqual(toHex(nodeHash(LEAF_HASHES[0]!, LEAF_HASHES[1]!)), node(1, 0))
    assert.strictEqual(leafHash(new Uint8Array([1, 2])).length, 32)
    assert.notStrictEqual(toHex(leafHash(new Uint8Array())), toHex(emptyRoot()))
  })

  it("computes the published roots for 0..8 leaves (CT merkle_tree_test.cc kSHA256Roots)", () => {
    for (let n = 0; n <= 8; n++) {
      assert.strictEqual(toHex(root(LEAVES.slice(0, n))), ROOTS[n], `size ${n}`)
      assert.strictEqual(toHex(rootFromLeafHashes(LEAF_HASHES.slice(0, n))), ROOTS[n], `size ${n}`)
    }
  })

  it("reproduces every complete-subtree hash of transparency-dev testonly NodeHashes", () => {
    NODES.forEach((level, height) => {
      level.forEach((expected, i) => {
        const width = 2 ** height
        assert.strictEqual(toHex(rootFromLeafHashes(LEAF_HASHES.slice(i * width, (i + 1) * width))), expected)
      })
    })
  })

  it("produces and verifies the published inclusion proofs (verify_test.go inclusionProofs)", () => {
    for (const v of INCLUSION_VECTORS) {
      const proof = inclusionProof(LEAF_HASHES.slice(0, v.size), v.index)
      assert.deepStrictEqual(hexes(proof), [...v.proof], `${v.index}/${v.size}`)
      const args = {
        leafHash: LEAF_HASHES[v.index]!,
        index: v.index,
        treeSize: v.size,
        proof: v.proof.map(fromHex),
        root: fromHex(ROOTS[v.size]!)
      }
      assert.isTrue(verifyInclusion(args), `${v.index}/${v.size}`)
      assertNoneVerify(corruptInclusion(args), verifyInclusion, `${v.index}/${v.size}`)
    }
  })

  // proof/proof_test.go TestInclusion: which nodes form each path (a "rehash" there is a node hash of two).
  it("builds inclusion paths from the expected tree nodes (proof_test.go TestInclusion)", () => {
    const l7 = toHex(nodeHash(fromHex(node(1, 2)), fromHex(node(0, 6)))) // l = hash(i, j) in a 7-leaf tree
    const cases: ReadonlyArray<[number, number, ReadonlyArray<string>]> = [
      [1, 0, []],
      [2, 0, [node(0, 1)]],
      [2, 1, [node(0, 0)]],
      [3, 1, [node(0, 0), node(0, 2)]],
      [7, 0, [node(0, 1), node(1, 1), l7]],
      [7, 1, [node(0, 0), node(1, 1), l7]],
      [7, 2, [node(0, 3), node(1, 0), l7]],
      [7, 3, [node(0, 2), node(1, 0), l7]],
      [7, 4, [node(0, 5), node(0, 6), node(2, 0)]],
      [7, 5, [node(0, 4), node(0, 6), node(2, 0)]],
      [7, 6, [node(1, 2), node(2, 0)]],
      [4, 2, [node(0, 3), node(1, 0)]],
      [5, 3, [node(0, 2), node(1, 0), node(0, 4)]],
      [6, 3, [node(0, 2), node(1, 0), node(1, 2)]],
      [6, 4, [node(0, 5), node(2, 0)]]
    ]
    for (const [size, index, want] of cases) {
      assert.deepStrictEqual(hexes(inclusionProof(LEAF_HASHES.slice(0, size), index)), [...want], `${index}/${size}`)
    }
  })

  it("produces and verifies the published consistency proofs (verify_test.go consistencyProofs)", () => {
    for (const v of CONSISTENCY_VECTORS) {
      const proof = consistencyProof(LEAF_HASHES.slice(0, v.size2), v.size1)
      assert.deepStrictEqual(hexes(proof), [...v.proof], `${v.size1}->${v.size2}`)
      const args = {
        oldSize: v.size1,
        newSize: v.size2,
        oldRoot: fromHex(ROOTS[v.size1]!),
        newRoot: fromHex(ROOTS[v.size2]!),
        proof: v.proof.map(fromHex)
      }
      assert.isTrue(verifyConsistency(args), `${v.size1}->${v.size2}`)
      if (v.proof.length > 0) assertNoneVerify(corruptConsistency(args), verifyConsistency, `${v.size1}->${v.size2}`)
    }
  })

  // proof/proof_test.go TestConsistency, for the trees that fit in the 8 vector leaves.
  it("builds consistency proofs from the expected tree nodes (proof_test.go TestConsistency)", () => {
    const l7 = toHex(nodeHash(fromHex(node(1, 2)), fromHex(node(0, 6))))
    const cases: ReadonlyArray<[number, number, ReadonlyArray<string>]> = [
      [1, 2, [node(0, 1)]],
      [1, 4, [node(0, 1), node(1, 1)]],
      [1, 6, [node(0, 1), node(1, 1), node(1, 2)]],
      [2, 3, [node(0, 2)]],
      [2, 8, [node(1, 1), node(2, 1)]],
      [3, 7, [node(0, 2), node(0, 3), node(1, 0), l7]],
      [4, 7, [l7]],
      [5, 7, [node(0, 4), node(0, 5), node(0, 6), node(2, 0)]],
      [6, 7, [node(1, 2), node(0, 6), node(2, 0)]],
      [7, 8, [node(0, 6), node(0, 7), node(1, 2), node(2, 0)]],
      [2, 4, [node(1, 1)]],
      [3, 5, [node(0, 2), node(0, 3), node(1, 0), node(0, 4)]],
      [3, 6, [node(0, 2), node(0, 3), node(1, 0), node(1, 2)]],
      [4, 6, [node(1, 2)]],
      [1, 7, [node(0, 1), node(1, 1), l7]]
    ]
    for (const [size1, size2, want] of cases) {
      const proof = consistencyProof(LEAF_HASHES.slice(0, size2), size1)
      assert.deepStrictEqual(hexes(proof), [...want], `${size1}->${size2}`)
      assert.isTrue(
        verifyConsistency({
          oldSize: size1,
          newSize: size2,
          oldRoot: fromHex(ROOTS[size1]!),
          newRoot: fromHex(ROOTS[size2]!),
          proof
        })
      )
    }
    for (const size of [1, 2, 3, 4, 5, 7, 8])
      assert.deepStrictEqual(consistencyProof(LEAF_HASHES.slice(0, size), size), [])
  })

  it("handles the degenerate verification cases (verify_test.go TestVerifyInclusion / TestVerifyConsistency)", () => {
    const empty = fromHex(EMPTY_ROOT)
    const r1 = SOME_HASH
    const r2 = LEAF_HASHES[3]!
    // Single entry: the leaf hash is the root and the proof is empty.
    const h = leafHash(new TextEncoder().encode("data"))
    assert.isTrue(verifyInclusion({ leafHash: h, index: 0, treeSize: 1, proof: [], root: h }))
    assert.isFalse(verifyInclusion({ leafHash: new Uint8Array(), index: 0, treeSize: 1, proof: [], root: h }))
    assert.isFalse(verifyInclusion({ leafHash: h, index: 0, treeSize: 1, proof: [], root: new Uint8Array() }))
    for (const [index, treeSize] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [2, 1]
    ] as const) {
      assert.isFalse(verifyInclusion({ leafHash: SOME_HASH, index, treeSize, proof: [], root: new Uint8Array() }))
      assert.isFalse(verifyInclusion({ leafHash: new Uint8Array(), index, treeSize, proof: [], root: empty }))
      assert.isFalse(verifyInclusion({ leafHash: SOME_HASH, index, treeSize, proof: [], root: empty }))
    }
    const c = (oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: Array<Uint8Array>) =>
      verifyConsistency({ oldSize, newSize, oldRoot, newRoot, proof })
    assert.isFalse(c(0, 0, r1, r2, []))
    assert.isFalse(c(1, 1, r1, r2, []))
    assert.isTrue(c(0, 0, empty, empty, []))
    assert.isTrue(c(1, 1, r2, r2, []))
    assert.isTrue(c(0, 1, empty, r2, []))
    assert.isTrue(c(0, 5, empty, fromHex(ROOTS[5]!), []))
    // Stricter than verify_test.go: a size-0 head must carry the empty-tree root.
    assert.isFalse(c(0, 1, r1, r2, []))
    assert.isFalse(c(1, 0, r1, r2, []))
    assert.isFalse(c(2, 1, r1, r2, []))
    assert.isFalse(c(1, 2, r1, r2, []))
    assert.isFalse(c(0, 0, empty, r2, []))
    assert.isFalse(c(1, 1, empty, r2, []))
    assert.isFalse(c(0, 0, empty, empty, [empty]))
    assert.isFalse(c(0, 1, empty, empty, [empty]))
    assert.isFalse(c(1, 1, empty, empty, [empty]))
    // Non-integer and unsafe sizes never verify and never throw.
    assert.isFalse(c(1.5, 2, r1, r2, [r1]))
    assert.isFalse(verifyInclusion({ leafHash: h, index: Number.NaN, treeSize: 1, proof: [], root: h }))
    assert.isFalse(verifyInclusion({ leafHash: h, index: 0, treeSize: 2 ** 60, proof: [], root: h }))
  })

  it("rejects out-of-range proof requests with a MerkleError", () => {
    const bad: ReadonlyArray<() => unknown> = [
      () => inclusionProof([], 0),
      () => inclusionProof(LEAF_HASHES, 8),
      () => inclusionProof(LEAF_HASHES, -1),
      () => inclusionProof(LEAF_HASHES, 0.5),
      () => consistencyProof(LEAF_HASHES, 9),
      () => consistencyProof(LEAF_HASHES, -1),
      () => fromHex("abc"),
      () => fromHex("zz"),
      () => CompactRange.fromState({ size: 3, peaks: [SOME_HASH] }),
      () => CompactRange.empty().appendLeaf(new Uint8Array(31))
    ]
    for (const f of bad) {
      try {
        f()
        assert.fail("expected a MerkleError")
      } catch (e) {
        assert.instanceOf(e, MerkleError)
        assert.strictEqual((e as MerkleError)._tag, "MerkleError")
      }
    }
    assert.deepStrictEqual(consistencyProof(LEAF_HASHES, 0), [])
  })

  it("round-trips hex in lower case", () => {
    const bytes = Uint8Array.from([0, 1, 0xab, 0xff])
    assert.strictEqual(toHex(bytes), "0001abff")
    assert.deepStrictEqual(fromHex("0001ABff"), bytes)
    assert.deepStrictEqual(fromHex(""), new Uint8Array())
    // A view into a larger buffer hexes only its own bytes.
    assert.strictEqual(toHex(new Uint8Array(Uint8Array.from([9, 8, 7, 6]).buffer, 1, 2)), "0807")
  })

  it("matches the recursive RFC 6962 definitions for every tree of up to 40 leaves", () => {
    const hashes = Array.from({ length: 40 }, (_, i) => leafHash(Uint8Array.of(i)))
    for (let n = 0; n <= hashes.length; n++) {
      const d = hashes.slice(0, n)
      const r = rootFromLeafHashes(d)
      assert.strictEqual(toHex(r), toHex(refMth(d)), `root ${n}`)
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(d, m)
        assert.deepStrictEqual(hexes(proof), hexes(refPath(m, d)), `path ${m}/${n}`)
        assert.isTrue(verifyInclusion({ leafHash: d[m]!, index: m, treeSize: n, proof, root: r }))
      }
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(d, m)
        assert.deepStrictEqual(hexes(proof), hexes(refSubproof(m, d, true)), `consistency ${m}->${n}`)
        assert.isTrue(
          verifyConsistency({ oldSize: m, newSize: n, oldRoot: refMth(d.slice(0, m)), newRoot: r, proof }),
          `consistency ${m}->${n}`
        )
      }
    }
  })

  // Its speed is measured in the audit bench, not here.
  it("agrees with the incremental builder and proves inclusion in a 100k-leaf tree", () => {
    const hashes = Array.from({ length: 100_000 }, (_, i) =>
      leafHash(Uint8Array.of(i & 0xff, (i >> 8) & 0xff, i >> 16))
    )
    const r = rootFromLeafHashes(hashes)
    // And the incremental builder agrees with it.
    assert.strictEqual(toHex(CompactRange.fromLeafHashes(hashes).root()), toHex(r))
    // A proof deep in the big tree still verifies.
    const proof = inclusionProof(hashes, 77_777)
    assert.strictEqual(proof.length, 17)
    assert.isTrue(
      verifyInclusion({ leafHash: hashes[77_777]!, index: 77_777, treeSize: hashes.length, proof, root: r })
    )
  })

  describe("CompactRange", () => {
    it("tracks the published roots and compact peaks (testonly CompactTrees) leaf by leaf", () => {
      const peaks: ReadonlyArray<ReadonlyArray<string>> = [
        [],
        [node(0, 0)],
        [node(1, 0)],
        [node(1, 0), node(0, 2)],
        [node(2, 0)],
        [node(2, 0), node(0, 4)],
        [node(2, 0), node(1, 2)],
        [node(2, 0), node(1, 2), node(0, 6)],
        [node(3, 0)]
      ]
      const range = CompactRange.empty()
      assert.strictEqual(toHex(range.root()), EMPTY_ROOT)
      for (let n = 1; n <= 8; n++) {
        range.appendData(LEAVES[n - 1]!)
        assert.strictEqual(range.size, n)
        assert.strictEqual(toHex(range.root()), ROOTS[n], `size ${n}`)
        assert.deepStrictEqual(hexes(range.toState().peaks), [...peaks[n]!], `peaks ${n}`)
      }
    })

    it("resumes from persisted state and clones independently", () => {
      const state = CompactRange.fromLeafHashes(LEAF_HASHES.slice(0, 5)).toState()
      const resumed = CompactRange.fromState(state)
      const branch = resumed.clone()
      for (const h of LEAF_HASHES.slice(5)) resumed.appendLeaf(h)
      assert.strictEqual(toHex(resumed.root()), ROOTS[8])
      assert.strictEqual(branch.size, 5)
      assert.strictEqual(toHex(branch.root()), ROOTS[5])
    })

    it.prop(
      "agrees with rootFromLeafHashes for any split into persisted prefix and appended suffix",
      [leavesArb(0, 200), fc.nat()],
      ([hashes, cut]) => {
        const k = hashes.length === 0 ? 0 : cut % (hashes.length + 1)
        const range = CompactRange.fromState(CompactRange.fromLeafHashes(hashes.slice(0, k)).toState())
        for (const h of hashes.slice(k)) range.appendLeaf(h)
        assert.strictEqual(toHex(range.root()), toHex(rootFromLeafHashes(hashes)))
      }
    )
  })

  it.prop(
    "every inclusion proof verifies, and fails once any byte of proof, root or leaf, or the index, changes",
    [leavesArb(1, 80), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 255 })],
    ([hashes, i, pick, byte, mask]) => {
      const index = i % hashes.length
      const r = rootFromLeafHashes(hashes)
      const proof = inclusionProof(hashes, index)
      const base = { leafHash: hashes[index]!, index, treeSize: hashes.length, proof, root: r }
      assert.isTrue(verifyInclusion(base))
      assert.isFalse(verifyInclusion({ ...base, root: flipBit(r, byte, mask) }))
      assert.isFalse(verifyInclusion({ ...base, leafHash: flipBit(base.leafHash, byte, mask) }))
      if (proof.length > 0) {
        const at = pick % proof.length
        assert.isFalse(
          verifyInclusion({ ...base, proof: proof.map((p, j) => (j === at ? flipBit(p, byte, mask) : p)) })
        )
      }
      if (hashes.length > 1) {
        const other = (index + 1 + (pick % (hashes.length - 1))) % hashes.length
        assert.isFalse(verifyInclusion({ ...base, index: other }))
      }
      assertNoneVerify(corruptInclusion(base), verifyInclusion, "random tree")
    },
    { fastCheck: { numRuns: 150 } }
  )

  it.prop(
    "every consistency proof between random sizes verifies; a tampered one does not",
    [leavesArb(1, 80), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 255 })],
    ([hashes, a, pick, byte, mask]) => {
      const newSize = hashes.length
      const oldSize = a % (newSize + 1)
      const oldRoot = rootFromLeafHashes(hashes.slice(0, oldSize))
      const newRoot = rootFromLeafHashes(hashes)
      const proof = consistencyProof(hashes, oldSize)
      const base = { oldSize, newSize, oldRoot, newRoot, proof }
      assert.isTrue(verifyConsistency(base))
      assert.isFalse(verifyConsistency({ ...base, oldRoot: flipBit(oldRoot, byte, mask) }))
      // The empty tree is a prefix of every tree, so only then may the new root be anything.
      assert.strictEqual(verifyConsistency({ ...base, newRoot: flipBit(newRoot, byte, mask) }), oldSize === 0)
      if (proof.length > 0) {
        const at = pick % proof.length
        assert.isFalse(
          verifyConsistency({ ...base, proof: proof.map((p, j) => (j === at ? flipBit(p, byte, mask) : p)) })
        )
        assertNoneVerify(corruptConsistency(base), verifyConsistency, "random trees")
      }
      // A root of a different (distinct-leaved) prefix is never accepted as the old root.
      if (oldSize > 0 && oldSize < newSize) {
        const other = 1 + (pick % newSize)
        if (other !== oldSize) {
          assert.isFalse(verifyConsistency({ ...base, oldRoot: rootFromLeafHashes(hashes.slice(0, other)) }))
        }
      }
    },
    { fastCheck: { numRuns: 150 } }
  )
  it.prop(
    "inclusionProofs gives, for many leaves at once, exactly the proofs inclusionProof gives one by one",
    [leavesArb(1, 120), fc.array(fc.nat(), { maxLength: 20 })],
    ([hashes, picks]) => {
      const indices = picks.map((p) => p % hashes.length)
      assert.deepStrictEqual(
        inclusionProofs(hashes, indices).map((p) => p.map(toHex)),
        indices.map((i) => inclusionProof(hashes, i).map(toHex))
      )
    },
    { fastCheck: { numRuns: 100 } }
  )

  it("inclusionProofs refuses an index outside the tree", () => {
    assert.throws(() => inclusionProofs([leafHash(new Uint8Array([1]))], [1]), MerkleError)
  })
})
