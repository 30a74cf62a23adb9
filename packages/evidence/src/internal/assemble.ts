// Lays out a pack: its entries (bytes, or attachments to stream from the blob store), the manifest
// listing each with its SHA-256 and size, and the exporter's signature of the manifest.
import { sign } from "node:crypto"
import type { TreeHead } from "@airworthy/audit"
import type { QmsRecord } from "@airworthy/records"
import * as PackFormat from "../PackFormat.js"
import type { Contents, RecordContents } from "./collect.js"

export type Content =
  | { readonly _tag: "bytes"; readonly bytes: Uint8Array }
  | { readonly _tag: "attachment"; readonly tenantId: string; readonly attachment: QmsRecord.Attachment }

export interface Entry {
  readonly path: string
  readonly mediaType: string
  readonly size: number
  readonly sha256: string
  readonly content: Content
}

export interface Assembled {
  readonly manifest: PackFormat.Manifest
  readonly manifestBytes: Uint8Array
  readonly manifestSha256: string
  readonly signatureBytes: Uint8Array
  /** The entries after `manifest.json` and `manifest.sig.json`, in pack order. */
  readonly entries: ReadonlyArray<Entry>
  /** Bytes of every entry's content, the manifest and the signature included. */
  readonly size: number
}

const plain = <A extends object>(a: A): A => ({ ...a })

const bytesEntry = (path: string, bytes: Uint8Array): Entry => ({
  path,
  mediaType: PackFormat.mediaTypeOf(path),
  size: bytes.byteLength,
  sha256: PackFormat.sha256(bytes),
  content: { _tag: "bytes", bytes }
})

/** Each record's folder: its reference made safe, with its id when two references would collide. */
const folders = (records: ReadonlyArray<RecordContents>): Map<string, string> => {
  const out = new Map<string, string>()
  const used = new Set<string>()
  for (const { record } of records) {
    let name = `records/${PackFormat.segment(record.ref || record.id)}`
    if (used.has(name)) name = `${name}-${PackFormat.segment(record.id)}`
    used.add(name)
    out.set(record.id, name)
  }
  return out
}

export const attachmentPath = (folder: string, a: QmsRecord.Attachment): string =>
  `${folder}/attachments/${PackFormat.segment(a.id)}-${PackFormat.segment(a.name)}`

const recordEntries = (tenantId: string, r: RecordContents, folder: string): ReadonlyArray<Entry> => {
  const { record } = r
  const snapshot = {
    id: record.id,
    type: record.type,
    ref: record.ref,
    title: record.title,
    state: record.state,
    version: record.version,
    ownerId: record.ownerId,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    dueAt: record.dueAt,
    closedAt: record.closedAt,
    data: record.data
  }
  // Packs stored on the record are listed, not nested: each pack would otherwise hold all earlier ones.
  const packed = r.attachments.filter((a) => a.kind !== PackFormat.storedPackKind)
  const attachments = r.attachments.map((a) => ({
    ...plain(a),
    path: a.kind === PackFormat.storedPackKind ? null : attachmentPath(folder, a)
  }))
  return [
    bytesEntry(`${folder}/record.json`, PackFormat.json(snapshot)),
    bytesEntry(`${folder}/links.json`, PackFormat.json(r.links.map(plain))),
    bytesEntry(`${folder}/comments.json`, PackFormat.json(r.comments.map(plain))),
    bytesEntry(`${folder}/approvals.json`, PackFormat.json(r.approvals.map(plain))),
    bytesEntry(`${folder}/verifications.json`, PackFormat.json(r.verifications.map(plain))),
    bytesEntry(`${folder}/signatures.json`, PackFormat.json(r.signatures.map(plain))),
    bytesEntry(`${folder}/email-log.json`, PackFormat.json(r.emails.map(plain))),
    bytesEntry(`${folder}/attachments.json`, PackFormat.json(attachments)),
    ...packed.map(
      (a): Entry => ({
        path: attachmentPath(folder, a),
        mediaType: a.mediaType,
        size: a.size,
        sha256: a.sha256,
        content: { _tag: "attachment", tenantId, attachment: a }
      })
    )
  ]
}

export const assemble = (
  contents: Contents,
  key: TreeHead.SigningKey,
  summaryPdf: Uint8Array | undefined
): Assembled => {
  const folderOf = folders(contents.records)
  const keys: PackFormat.Keys = {
    audit: contents.auditKeys.map((k) => ({ key_id: k.keyId, public_key_pem: k.publicKeyPem, current: k.current })),
    exporter: { key_id: key.keyId, public_key_pem: key.publicKeyPem }
  }
  const cp = contents.checkpoint
  const proofLines = contents.events.map((e) => {
    const line: PackFormat.ProofLine = { sequence: e.sequence, hash: e.hash, path: e.path }
    return new TextDecoder().decode(PackFormat.json(line))
  })
  const entries: Array<Entry> = [
    bytesEntry(PackFormat.keysPath, PackFormat.json(keys)),
    bytesEntry(
      PackFormat.checkpointPath,
      PackFormat.json({
        tenant_id: cp.tenantId,
        tree_size: cp.treeSize,
        root_hash: cp.rootHash,
        timestamp: cp.timestamp,
        key_id: cp.keyId,
        signature: cp.signature
      })
    ),
    bytesEntry(PackFormat.timelinePath, PackFormat.jsonLines(contents.events.map((e) => e.envelope))),
    bytesEntry(PackFormat.proofsPath, PackFormat.jsonLines(proofLines)),
    ...contents.records.flatMap((r) => recordEntries(contents.tenantId, r, folderOf.get(r.record.id)!)),
    ...(summaryPdf === undefined ? [] : [bytesEntry(PackFormat.summaryPath, summaryPdf)])
  ]
  const subject = contents.records[0]!.record
  const manifest: PackFormat.Manifest = {
    format: PackFormat.format,
    version: PackFormat.version,
    tenant_id: contents.tenantId,
    exported_at: contents.exportedAt,
    exporter: { actor_id: contents.exporter.actorId, name: contents.exporter.name, key_id: key.keyId },
    subject: { id: subject.id, type: subject.type, ref: subject.ref },
    depth: contents.depth,
    records: contents.records.map((r) => ({
      id: r.record.id,
      type: r.record.type,
      ref: r.record.ref,
      title: r.record.title,
      state: r.record.state,
      version: r.record.version,
      path: folderOf.get(r.record.id)!,
      depth: r.depth
    })),
    checkpoint: { tree_size: cp.treeSize, root_hash: cp.rootHash, key_id: cp.keyId },
    events: contents.events.length,
    entries: entries.map((e) => ({ path: e.path, sha256: e.sha256, size: e.size, media_type: e.mediaType }))
  }
  const manifestBytes = PackFormat.json(manifest)
  const manifestSha256 = PackFormat.sha256(manifestBytes)
  const signature: PackFormat.ManifestSignature = {
    v: 1,
    kind: PackFormat.signatureKind,
    key_id: key.keyId,
    manifest_sha256: manifestSha256,
    signature: sign(null, manifestBytes, key.privateKey).toString("base64")
  }
  const signatureBytes = PackFormat.json(signature)
  return {
    manifest,
    manifestBytes,
    manifestSha256,
    signatureBytes,
    entries,
    size: manifestBytes.byteLength + signatureBytes.byteLength + entries.reduce((n, e) => n + e.size, 0)
  }
}
