/**
 * The offline verifier of evidence packs: no database, no network, only the ZIP. It checks every
 * entry's SHA-256 and size against the manifest, the manifest's canonical form and its signature by
 * the exporter's key, the checkpoint's signature by an audit key, every timeline event's hash from its
 * bytes, their order, and every inclusion proof against the checkpoint's tree head; each failure is
 * named. `airworthy-verify-pack pack.zip` runs it from a shell.
 *
 * ```ts
 * const report = await VerifyPack.verifyFile("FND-0001-evidence-pack.zip", { trustedKeyIds: ["3f2a..."] })
 * report.ok        // true
 * report.failures  // [{ code: "entry_hash", entry: "records/FND-0001/record.json", message: "..." }] when altered
 * ```
 *
 * @since 0.1.0
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto"
import { CanonicalJson, Merkle, TreeHead } from "@airworthy/audit"
import * as yauzl from "yauzl"
import * as PackFormat from "./PackFormat.js"

/**
 * What can be wrong with a pack.
 * @since 0.1.0
 * @category models
 */
export type FailureCode =
  | "unreadable_zip"
  | "duplicate_entry"
  | "missing_entry"
  | "unlisted_entry"
  | "entry_hash"
  | "entry_size"
  | "manifest_unreadable"
  | "manifest_not_canonical"
  | "unsupported_format"
  | "manifest_signature"
  | "keys_unreadable"
  | "untrusted_key"
  | "checkpoint_unreadable"
  | "checkpoint_mismatch"
  | "checkpoint_signature"
  | "proof_count"
  | "event_hash"
  | "event_unreadable"
  | "event_not_canonical"
  | "event_sequence"
  | "event_tenant"
  | "event_record"
  | "event_count"
  | "timeline_order"
  | "inclusion_proof"

/**
 * One failure, naming the entry or the event it concerns.
 * @since 0.1.0
 * @category models
 */
export interface Failure {
  readonly code: FailureCode
  readonly message: string
  readonly entry?: string
  readonly sequence?: number
}

/**
 * What the verifier says.
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly ok: boolean
  readonly failures: ReadonlyArray<Failure>
  /** The manifest, when it could be read. */
  readonly manifest: PackFormat.Manifest | undefined
  /** Entries of the ZIP read. */
  readonly entries: number
  /** Timeline events checked. */
  readonly events: number
  /** The key ids that signed the manifest and the checkpoint: compare them with the ones the organisation publishes. */
  readonly keys: { readonly exporter: string | undefined; readonly checkpoint: string | undefined }
  /** Were the keys checked against `trustedKeyIds`? Without them, the keys inside the pack are taken as they are. */
  readonly keysTrusted: boolean
}

/**
 * Settings of a verification.
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Key ids the inspector trusts (from `GET /audit-trail/keys` or the organisation's published list):
   * the manifest and the checkpoint must be signed by one of them. Without it, only the pack's own
   * keys are used and `keysTrusted` is false.
   */
  readonly trustedKeyIds?: ReadonlyArray<string>
}

interface Read {
  readonly sha256: string
  readonly size: number
  /** Kept for the entries the verifier parses; attachments are only hashed. */
  readonly bytes: Buffer | undefined
}

const keptEntries = new Set([
  PackFormat.manifestPath,
  PackFormat.signaturePath,
  PackFormat.keysPath,
  PackFormat.checkpointPath,
  PackFormat.proofsPath,
  PackFormat.timelinePath
])

const isHex64 = (s: unknown): s is string => typeof s === "string" && /^[0-9a-f]{64}$/.test(s)

// Reads every entry of the ZIP in order, hashing each as it streams; duplicate names are reported.
const readZip = (
  open: (cb: (err: Error | null, zip?: yauzl.ZipFile) => void) => void,
  failures: Array<Failure>
): Promise<Map<string, Read> | undefined> =>
  new Promise((resolve) => {
    open((err, zip) => {
      if (err || zip === undefined) {
        failures.push({
          code: "unreadable_zip",
          message: `The file is not a readable ZIP: ${err?.message ?? "no entries"}`
        })
        return resolve(undefined)
      }
      const entries = new Map<string, Read>()
      const fail = (e: Error) => {
        failures.push({ code: "unreadable_zip", message: `The ZIP cannot be read: ${e.message}` })
        zip.close()
        resolve(undefined)
      }
      zip.on("error", fail)
      zip.on("end", () => resolve(entries))
      zip.on("entry", (entry: yauzl.Entry) => {
        const name = entry.fileName
        if (name.endsWith("/")) return zip.readEntry()
        if (entries.has(name)) {
          failures.push({ code: "duplicate_entry", entry: name, message: `The ZIP holds ${name} more than once` })
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e || stream === undefined) return fail(e ?? new Error(`cannot open ${name}`))
          const hash = createHash("sha256")
          const keep = keptEntries.has(name) || name.endsWith(".json")
          const chunks: Array<Buffer> = []
          let size = 0
          stream.on("data", (chunk: Buffer) => {
            hash.update(chunk)
            size += chunk.byteLength
            if (keep) chunks.push(chunk)
          })
          stream.on("error", fail)
          stream.on("end", () => {
            if (!entries.has(name)) {
              entries.set(name, { sha256: hash.digest("hex"), size, bytes: keep ? Buffer.concat(chunks) : undefined })
            }
            zip.readEntry()
          })
        })
      })
      zip.readEntry()
    })
  })

const parse = (bytes: Buffer | undefined): unknown => {
  if (bytes === undefined) return undefined
  try {
    return JSON.parse(bytes.toString("utf8"))
  } catch {
    return undefined
  }
}

const isCanonical = (value: unknown, text: string): boolean => {
  try {
    return CanonicalJson.canonicalize(value) === text
  } catch {
    return false
  }
}

const publicKey = (pem: unknown): KeyObject | undefined => {
  try {
    return typeof pem === "string" ? createPublicKey(pem) : undefined
  } catch {
    return undefined
  }
}

const verifyEntries = (
  entries: Map<string, Read>,
  options: Options,
  failures: Array<Failure>
): Omit<Report, "ok" | "failures" | "entries" | "keysTrusted"> => {
  const none = { manifest: undefined, events: 0, keys: { exporter: undefined, checkpoint: undefined } }
  const trusted = options.trustedKeyIds === undefined ? undefined : new Set(options.trustedKeyIds)
  const manifestRead = entries.get(PackFormat.manifestPath)
  if (manifestRead?.bytes === undefined) {
    failures.push({ code: "missing_entry", entry: PackFormat.manifestPath, message: "The pack has no manifest.json" })
    return none
  }
  const manifestText = manifestRead.bytes.toString("utf8")
  const manifest = parse(manifestRead.bytes) as PackFormat.Manifest | undefined
  if (
    manifest === undefined ||
    typeof manifest !== "object" ||
    manifest === null ||
    !Array.isArray(manifest.entries) ||
    !Array.isArray(manifest.records)
  ) {
    failures.push({
      code: "manifest_unreadable",
      entry: PackFormat.manifestPath,
      message: "manifest.json is not a manifest"
    })
    return none
  }
  if (!isCanonical(manifest, manifestText)) {
    failures.push({
      code: "manifest_not_canonical",
      entry: PackFormat.manifestPath,
      message: "manifest.json is not the canonical JSON (RFC 8785) of its content"
    })
  }
  if (manifest.format !== PackFormat.format || manifest.version !== PackFormat.version) {
    failures.push({
      code: "unsupported_format",
      entry: PackFormat.manifestPath,
      message: `This verifier reads ${PackFormat.format} version ${PackFormat.version}, not ${String(manifest.format)} version ${String(manifest.version)}`
    })
    return { ...none, manifest }
  }

  // Keys
  const keys = parse(entries.get(PackFormat.keysPath)?.bytes) as PackFormat.Keys | undefined
  const auditKeys = new Map<string, KeyObject>()
  let exporterKey: KeyObject | undefined
  if (keys === undefined || typeof keys !== "object" || !Array.isArray(keys?.audit)) {
    failures.push({
      code: "keys_unreadable",
      entry: PackFormat.keysPath,
      message: "keys.json is missing or unreadable"
    })
  } else {
    for (const k of keys.audit) {
      const key = publicKey(k?.public_key_pem)
      if (key !== undefined && typeof k.key_id === "string") auditKeys.set(k.key_id, key)
    }
    const exporter = publicKey(keys.exporter?.public_key_pem)
    if (exporter !== undefined && keys.exporter.key_id === TreeHead.keyIdOf(exporter)) exporterKey = exporter
  }

  // The manifest's signature
  const signature = parse(entries.get(PackFormat.signaturePath)?.bytes) as PackFormat.ManifestSignature | undefined
  const exporterKeyId = signature?.key_id
  if (signature === undefined || typeof signature.signature !== "string") {
    failures.push({
      code: "missing_entry",
      entry: PackFormat.signaturePath,
      message: "The pack has no readable manifest signature"
    })
  } else {
    const digest = PackFormat.sha256(manifestRead.bytes)
    // Canonical base64 only: a decoder ignores a last character's unused bits, so the signature string
    // could otherwise be varied without changing the signature it decodes to.
    const signatureBytes = Buffer.from(signature.signature, "base64")
    let valid = false
    try {
      valid =
        signature.kind === PackFormat.signatureKind &&
        signature.manifest_sha256 === digest &&
        exporterKey !== undefined &&
        signature.key_id === TreeHead.keyIdOf(exporterKey) &&
        signatureBytes.toString("base64") === signature.signature &&
        cryptoVerify(null, manifestRead.bytes, exporterKey, signatureBytes)
    } catch {
      valid = false
    }
    if (!valid) {
      failures.push({
        code: "manifest_signature",
        entry: PackFormat.signaturePath,
        message: "The manifest's signature does not verify with the exporter's key"
      })
    }
    if (trusted !== undefined && !trusted.has(String(signature.key_id))) {
      failures.push({
        code: "untrusted_key",
        entry: PackFormat.signaturePath,
        message: `The manifest is signed by key ${String(signature.key_id)}, which is not a trusted key`
      })
    }
  }

  // Every entry as listed
  const listed = new Set<string>([PackFormat.manifestPath, PackFormat.signaturePath])
  for (const e of manifest.entries) {
    const path = String(e?.path)
    listed.add(path)
    const read = entries.get(path)
    if (read === undefined) {
      failures.push({
        code: "missing_entry",
        entry: path,
        message: `${path} is listed in the manifest but not in the pack`
      })
    } else if (read.size !== e.size) {
      failures.push({
        code: "entry_size",
        entry: path,
        message: `${path} is ${read.size} bytes, the manifest says ${e.size}`
      })
    } else if (read.sha256 !== e.sha256) {
      failures.push({
        code: "entry_hash",
        entry: path,
        message: `${path} does not hash to the SHA-256 the manifest lists`
      })
    }
  }
  for (const path of entries.keys()) {
    if (!listed.has(path)) {
      failures.push({ code: "unlisted_entry", entry: path, message: `${path} is in the pack but not in the manifest` })
    }
  }

  // The checkpoint
  const cp = parse(entries.get(PackFormat.checkpointPath)?.bytes) as Record<string, unknown> | undefined
  const head: TreeHead.SignedTreeHead | undefined =
    cp === undefined || cp === null || typeof cp !== "object"
      ? undefined
      : {
          tenantId: cp.tenant_id as string,
          treeSize: cp.tree_size as number,
          rootHash: cp.root_hash as string,
          timestamp: cp.timestamp as string,
          keyId: cp.key_id as string,
          signature: cp.signature as string
        }
  if (head === undefined) {
    failures.push({
      code: "checkpoint_unreadable",
      entry: PackFormat.checkpointPath,
      message: "The pack has no readable checkpoint"
    })
    return { manifest, events: 0, keys: { exporter: exporterKeyId, checkpoint: undefined } }
  }
  if (
    head.tenantId !== manifest.tenant_id ||
    head.treeSize !== manifest.checkpoint?.tree_size ||
    head.rootHash !== manifest.checkpoint?.root_hash ||
    head.keyId !== manifest.checkpoint?.key_id
  ) {
    failures.push({
      code: "checkpoint_mismatch",
      entry: PackFormat.checkpointPath,
      message: "The checkpoint is not the one the manifest names"
    })
  }
  if (!TreeHead.verify(head, auditKeys)) {
    failures.push({
      code: "checkpoint_signature",
      entry: PackFormat.checkpointPath,
      message: `The checkpoint's signature does not verify with audit key ${String(head.keyId)}`
    })
  }
  if (trusted !== undefined && !trusted.has(String(head.keyId))) {
    failures.push({
      code: "untrusted_key",
      entry: PackFormat.checkpointPath,
      message: `The checkpoint is signed by key ${String(head.keyId)}, which is not a trusted key`
    })
  }

  // The timeline and its proofs
  const lines = (path: string): Array<string> | undefined => {
    const text = entries.get(path)?.bytes?.toString("utf8")
    if (text === undefined) return undefined
    if (text === "") return []
    return text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n")
  }
  const timeline = lines(PackFormat.timelinePath) ?? []
  const proofs = lines(PackFormat.proofsPath) ?? []
  if (timeline.length !== proofs.length) {
    failures.push({
      code: "proof_count",
      entry: PackFormat.proofsPath,
      message: `The timeline has ${timeline.length} events but there are ${proofs.length} proofs`
    })
  }
  if (manifest.events !== timeline.length) {
    failures.push({
      code: "event_count",
      entry: PackFormat.timelinePath,
      message: `The manifest lists ${manifest.events} events, the timeline has ${timeline.length}`
    })
  }
  const recordIds = new Set(manifest.records.map((r) => r?.id))
  const root = isHex64(head.rootHash) ? Merkle.fromHex(head.rootHash) : undefined
  let previous = 0
  const count = Math.min(timeline.length, proofs.length)
  for (let i = 0; i < count; i++) {
    const line = timeline[i]!
    const proof = parse(Buffer.from(proofs[i]!, "utf8")) as PackFormat.ProofLine | undefined
    const hash = PackFormat.sha256(line)
    const at = `line ${i + 1}`
    const envelope = parse(Buffer.from(line, "utf8")) as
      | { sequence?: unknown; tenant_id?: unknown; record?: { id?: unknown } }
      | undefined
    if (envelope === undefined || envelope === null || typeof envelope !== "object") {
      failures.push({ code: "event_unreadable", entry: PackFormat.timelinePath, message: `Timeline ${at} is not JSON` })
      continue
    }
    const sequence = typeof envelope.sequence === "number" ? envelope.sequence : undefined
    const named = { entry: PackFormat.timelinePath, ...(sequence === undefined ? {} : { sequence }) }
    if (!isCanonical(envelope, line)) {
      failures.push({ code: "event_not_canonical", ...named, message: `Event at ${at} is not canonical JSON` })
    }
    if (proof === undefined || typeof proof !== "object" || proof === null || proof.hash !== hash) {
      failures.push({
        code: "event_hash",
        ...named,
        message: `Event ${sequence ?? at} does not hash to the hash its proof names`
      })
      continue
    }
    if (sequence === undefined || proof.sequence !== sequence) {
      failures.push({ code: "event_sequence", ...named, message: `Event at ${at} is not the event its proof names` })
      continue
    }
    if (sequence <= previous) {
      failures.push({
        code: "timeline_order",
        ...named,
        message: `Event ${sequence} comes after event ${previous}: the timeline is out of order`
      })
    }
    previous = Math.max(previous, sequence)
    if (envelope.tenant_id !== manifest.tenant_id) {
      failures.push({ code: "event_tenant", ...named, message: `Event ${sequence} is of another tenant` })
    }
    if (!recordIds.has(envelope.record?.id as string)) {
      failures.push({ code: "event_record", ...named, message: `Event ${sequence} is about a record not in the pack` })
    }
    const included =
      root !== undefined &&
      Array.isArray(proof.path) &&
      proof.path.every(isHex64) &&
      Merkle.verifyInclusion({
        leafHash: Merkle.leafHash(Merkle.fromHex(hash)),
        index: sequence - 1,
        treeSize: head.treeSize,
        proof: proof.path.map(Merkle.fromHex),
        root
      })
    if (!included) {
      failures.push({
        code: "inclusion_proof",
        ...named,
        message: `Event ${sequence} is not proven to be in the checkpoint of ${head.treeSize} events`
      })
    }
  }
  return { manifest, events: count, keys: { exporter: exporterKeyId, checkpoint: head.keyId } }
}

const verifyWith = async (
  open: (cb: (err: Error | null, zip?: yauzl.ZipFile) => void) => void,
  options: Options
): Promise<Report> => {
  const failures: Array<Failure> = []
  const entries = await readZip(open, failures)
  if (entries === undefined) {
    return {
      ok: false,
      failures,
      manifest: undefined,
      entries: 0,
      events: 0,
      keys: { exporter: undefined, checkpoint: undefined },
      keysTrusted: false
    }
  }
  const checked = verifyEntries(entries, options, failures)
  return {
    ok: failures.length === 0,
    failures,
    ...checked,
    entries: entries.size,
    keysTrusted: options.trustedKeyIds !== undefined
  }
}

const zipOptions = { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: true } as const

/**
 * Verifies a pack in a file.
 * @since 0.1.0
 * @category verifying
 */
export const verifyFile = (path: string, options: Options = {}): Promise<Report> =>
  verifyWith((cb) => yauzl.open(path, zipOptions, (err, zip) => cb(err, zip)), options)

/**
 * Verifies a pack in memory.
 * @since 0.1.0
 * @category verifying
 */
export const verifyBytes = (bytes: Uint8Array, options: Options = {}): Promise<Report> =>
  verifyWith((cb) => yauzl.fromBuffer(Buffer.from(bytes), zipOptions, (err, zip) => cb(err, zip)), options)

/**
 * A report as lines a person reads: `OK` or `FAILED`, each failure, and the key ids to compare.
 * @since 0.1.0
 * @category verifying
 */
export const describe = (report: Report): string => {
  const m = report.manifest
  const head =
    m === undefined
      ? "evidence pack"
      : `evidence pack of ${m.subject?.ref ?? "?"} (${m.records?.length ?? 0} records, ${report.events} events), exported ${m.exported_at ?? "?"} by ${m.exporter?.name ?? "?"}`
  const lines = [`${report.ok ? "OK" : "FAILED"}: ${head}`]
  for (const f of report.failures) lines.push(`  ${f.code}: ${f.message}`)
  lines.push(
    `  manifest signed by key ${report.keys.exporter ?? "?"}; checkpoint signed by key ${report.keys.checkpoint ?? "?"}` +
      (report.keysTrusted
        ? " (checked against the trusted keys)"
        : " (compare with the keys the organisation publishes)")
  )
  return lines.join("\n")
}
