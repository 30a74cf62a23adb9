/**
 * The evidence pack format, version 1: the entry names, the manifest and the signature, as bytes an
 * outside tool can check. The package README documents it byte for byte; this module is the code
 * both the writer and the verifier use, so they cannot drift.
 *
 * ```ts
 * PackFormat.manifestPath          // "manifest.json"
 * PackFormat.signingBytes(manifest) // the exact bytes the exporter's key signs (the manifest's bytes)
 * ```
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { CanonicalJson } from "@airworthy/audit"

/**
 * The `format` field of every manifest.
 * @since 0.1.0
 * @category constants
 */
export const format = "airworthy.evidence-pack"

/**
 * The pack format version this package writes and reads.
 * @since 0.1.0
 * @category constants
 */
export const version = 1

/**
 * The `kind` of the manifest signature object (domain separation).
 * @since 0.1.0
 * @category constants
 */
export const signatureKind = "airworthy.evidence.manifest_signature"

/**
 * Fixed entry paths.
 * @since 0.1.0
 * @category constants
 */
export const manifestPath = "manifest.json"
/** @since 0.1.0 @category constants */
export const signaturePath = "manifest.sig.json"
/** @since 0.1.0 @category constants */
export const keysPath = "keys.json"
/** @since 0.1.0 @category constants */
export const checkpointPath = "audit/checkpoint.json"
/** @since 0.1.0 @category constants */
export const proofsPath = "audit/proofs.jsonl"
/** @since 0.1.0 @category constants */
export const timelinePath = "timeline.jsonl"
/** @since 0.1.0 @category constants */
export const summaryPath = "summary.pdf"

/**
 * The attachment kind of a pack stored on its record: listed in `attachments.json` (with `path`
 * null) but its bytes are not packed again.
 * @since 0.1.0
 * @category constants
 */
export const storedPackKind = "evidence_pack"

/**
 * Every ZIP entry's modification time: 1980-01-01 00:00:00, the first DOS date, written without an
 * extended timestamp field, so the pack's bytes never depend on the clock or the time zone.
 * @since 0.1.0
 * @category constants
 */
export const entryTime = (): Date => new Date(1980, 0, 1, 0, 0, 0)

/**
 * One entry as the manifest lists it.
 * @since 0.1.0
 * @category models
 */
export interface ManifestEntry {
  readonly path: string
  readonly sha256: string
  readonly size: number
  readonly media_type: string
}

/**
 * One record of the pack, as the manifest lists it.
 * @since 0.1.0
 * @category models
 */
export interface ManifestRecord {
  readonly id: string
  readonly type: string
  readonly ref: string
  readonly title: string
  readonly state: string
  readonly version: number
  /** The record's folder in the pack (`records/FND-0001`). */
  readonly path: string
  /** Links followed from the exported record to reach this one (0 for the record itself). */
  readonly depth: number
}

/**
 * The manifest: canonical JSON (RFC 8785) of this object, UTF-8, no trailing newline.
 * @since 0.1.0
 * @category models
 */
export interface Manifest {
  readonly format: typeof format
  readonly version: number
  readonly tenant_id: string
  readonly exported_at: string
  readonly exporter: { readonly actor_id: string; readonly name: string; readonly key_id: string }
  readonly subject: { readonly id: string; readonly type: string; readonly ref: string }
  readonly depth: number
  readonly records: ReadonlyArray<ManifestRecord>
  readonly checkpoint: { readonly tree_size: number; readonly root_hash: string; readonly key_id: string }
  readonly events: number
  readonly entries: ReadonlyArray<ManifestEntry>
}

/**
 * `manifest.sig.json`: canonical JSON of this object; `signature` is the standard base64 (with
 * padding) Ed25519 signature of the exact bytes of `manifest.json`.
 * @since 0.1.0
 * @category models
 */
export interface ManifestSignature {
  readonly v: 1
  readonly kind: typeof signatureKind
  readonly key_id: string
  readonly manifest_sha256: string
  readonly signature: string
}

/**
 * `keys.json`: the audit log's keys (current first, then retired ones) and the exporter's key, each
 * an SPKI PEM Ed25519 public key with its key id (first 16 hex of SHA-256 of the raw 32-byte key).
 * @since 0.1.0
 * @category models
 */
export interface Keys {
  readonly audit: ReadonlyArray<{ readonly key_id: string; readonly public_key_pem: string; readonly current: boolean }>
  readonly exporter: { readonly key_id: string; readonly public_key_pem: string }
}

/**
 * One line of `audit/proofs.jsonl`: canonical JSON, the proof of the timeline event on the same line.
 * @since 0.1.0
 * @category models
 */
export interface ProofLine {
  readonly sequence: number
  /** Hex SHA-256 of the event's envelope (its line in `timeline.jsonl`). */
  readonly hash: string
  /** RFC 6962 audit path, leaf side first, hex. */
  readonly path: ReadonlyArray<string>
}

/**
 * Canonical JSON bytes (RFC 8785, UTF-8) of a value: every JSON entry of a pack is written so.
 * @since 0.1.0
 * @category encoding
 */
export const json = (value: unknown): Uint8Array => CanonicalJson.canonicalBytes(value)

/**
 * Lines of canonical JSON, each ended by `\n` (a `.jsonl` entry).
 * @since 0.1.0
 * @category encoding
 */
export const jsonLines = (lines: ReadonlyArray<string>): Uint8Array =>
  new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""))

/**
 * Hex SHA-256.
 * @since 0.1.0
 * @category encoding
 */
export const sha256 = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex")

/**
 * The media type the manifest gives an entry of the pack's own (attachments keep theirs).
 * @since 0.1.0
 * @category encoding
 */
export const mediaTypeOf = (path: string): string =>
  path.endsWith(".jsonl")
    ? "application/jsonl"
    : path.endsWith(".json")
      ? "application/json"
      : path.endsWith(".pdf")
        ? "application/pdf"
        : "application/octet-stream"

/**
 * A safe path segment: letters, digits, `.`, `_`, `-` kept, anything else `_`, at most 100
 * characters, never `.` or `..` or empty.
 * @since 0.1.0
 * @category encoding
 */
export const segment = (s: string): string => {
  const cleaned = s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100)
  return cleaned === "" || /^\.+$/.test(cleaned) ? `_${cleaned}` : cleaned
}

/**
 * Is this entry stored rather than deflated? Attachments and the PDF are (they are usually
 * compressed already); the JSON entries are deflated.
 * @since 0.1.0
 * @category encoding
 */
export const isStored = (path: string): boolean => !(path.endsWith(".json") || path.endsWith(".jsonl"))
