/**
 * Evidence packs: everything an inspector asks about a record, in one ZIP that proves itself. A pack
 * holds the record and its linked records (to a declared depth), their full audit timeline, approvals,
 * verifications, electronic signatures, comments, email log and attachments, a summary PDF, and the
 * seal: a manifest (SHA-256 and size of every entry) signed by the exporter's key, a signed
 * checkpoint of the audit log covering every event, an inclusion proof per event and the public keys.
 * `VerifyPack` (or `airworthy-verify-pack pack.zip`) checks it with no database and no network.
 *
 * ```ts
 * const pack = yield* EvidencePack.prepare(finding.id)        // as the current actor; typed errors first
 * pack.manifestSha256                                        // what the audit event records
 * yield* pack.zip.pipe(Stream.run(sink))                     // the ZIP, streamed while it is built
 * ```
 *
 * @since 0.1.0
 */
import { type AuditLog, TreeHead } from "@airworthy/audit"
import type { Actor } from "@airworthy/core"
import type { Notify } from "@airworthy/notify"
import type { Records } from "@airworthy/records"
import { BlobStore } from "@airworthy/storage"
import { Clock, Context, Effect, Layer, Redacted, Stream } from "effect"
import type { AttachmentCorrupted, PackWriteFailed } from "./EvidenceError.js"
import { PackTooLarge } from "./EvidenceError.js"
import * as EvidenceProfile from "./EvidenceProfile.js"
import { assemble } from "./internal/assemble.js"
import { type CollectError, collect } from "./internal/collect.js"
import { checkAttachments, zipStream } from "./internal/zip.js"
import type * as PackFormat from "./PackFormat.js"
import * as Summary from "./Summary.js"

/**
 * Settings of `EvidencePack.layer`.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /**
   * The exporter's Ed25519 key, signing every manifest: PKCS#8 PEM, base64 32-byte seed, or a loaded
   * key. Give the audit log's signing key so that inspectors trust one published key.
   */
  readonly signingKey: string | Redacted.Redacted<string> | TreeHead.SigningKey
  /** What record types add (linked types followed, depth, summary sections); see `EvidenceProfile`. */
  readonly profiles?: ReadonlyArray<EvidenceProfile.Profile>
  /** Largest pack content, in bytes (every entry's size added up); default 2 GiB. Larger: `PackTooLarge`. */
  readonly maxBytes?: number
}

/**
 * What to export.
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Links to follow from the record (default: its profile's depth, else 1), 0..5. */
  readonly depth?: number
}

/**
 * A pack ready to stream: checked (size, attachments) and sealed; nothing is written until `zip` runs.
 * @since 0.1.0
 * @category models
 */
export interface Prepared {
  readonly manifest: PackFormat.Manifest
  readonly manifestBytes: Uint8Array
  /** Hex SHA-256 of `manifest.json`: what the `evidence.exported` audit event records. */
  readonly manifestSha256: string
  /** Bytes of the pack's content (every entry's size added up). */
  readonly size: number
  /** A file name for the ZIP: `<ref>-evidence-pack.zip`. */
  readonly fileName: string
  /** The summary PDF (also the pack's `summary.pdf`). */
  readonly summaryPdf: Uint8Array
  /** The ZIP, built while it is read; the same records and checkpoint give the same bytes. */
  readonly zip: Stream.Stream<Uint8Array, AttachmentCorrupted | PackWriteFailed>
}

/**
 * What preparing a pack may fail with.
 * @since 0.1.0
 * @category models
 */
export type PrepareError = CollectError | PackTooLarge | AttachmentCorrupted

/**
 * Needs of `prepare`, besides the actor.
 * @since 0.1.0
 * @category models
 */
export type Needs = Records.Records | AuditLog.AuditLog | Notify.Notify | Actor.CurrentActor

/**
 * The service.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Gathers, checks and seals a pack of a record of the actor's tenant (`NotFound` otherwise). */
  readonly prepare: (recordId: string, options?: Options) => Effect.Effect<Prepared, PrepareError, Needs>
  /** The exporter's public key (publish it beside the audit log's keys). */
  readonly key: { readonly keyId: string; readonly publicKeyPem: string }
  readonly profiles: ReadonlyArray<EvidenceProfile.Profile>
  readonly maxBytes: number
}

/**
 * The evidence pack service.
 * @since 0.1.0
 * @category tags
 */
export class EvidencePack extends Context.Tag("@airworthy/evidence/EvidencePack")<EvidencePack, Service>() {}

const loadKey = (key: Config["signingKey"]): TreeHead.SigningKey =>
  typeof key === "string"
    ? TreeHead.keyFromConfig(key)
    : Redacted.isRedacted(key)
      ? TreeHead.keyFromConfig(Redacted.value(key))
      : key

const iso = (millis: number) => new Date(millis).toISOString()

/**
 * Builds the service; the blob store holding attachment content must be in context.
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: Config): Effect.Effect<Service, never, BlobStore.BlobStore> =>
  Effect.gen(function* () {
    const blobs = yield* BlobStore.BlobStore
    const key = loadKey(config.signingKey)
    const profiles = config.profiles ?? []
    const maxBytes = config.maxBytes ?? 2 * 1024 ** 3
    const profileOf = (type: string) => profiles.find((p) => p.recordType === type)
    const prepare: Service["prepare"] = (recordId, options = {}) =>
      Effect.gen(function* () {
        const exportedAt = iso(yield* Clock.currentTimeMillis)
        const depthFor = (type: string) =>
          Math.min(EvidenceProfile.maxDepth, Math.max(0, options.depth ?? profileOf(type)?.depth ?? 1))
        const contents = yield* collect(recordId, depthFor, profileOf, exportedAt)
        const summaryPdf = yield* Effect.promise(() => Summary.render(contents, profiles))
        const assembled = assemble(contents, key, summaryPdf)
        if (assembled.size > maxBytes) return yield* new PackTooLarge({ size: assembled.size, limit: maxBytes })
        yield* checkAttachments(assembled, blobs)
        const prepared: Prepared = {
          manifest: assembled.manifest,
          manifestBytes: assembled.manifestBytes,
          manifestSha256: assembled.manifestSha256,
          size: assembled.size,
          fileName: `${assembled.manifest.subject.ref.replace(/[^A-Za-z0-9._-]/g, "_") || "record"}-evidence-pack.zip`,
          summaryPdf,
          zip: zipStream(assembled, blobs)
        }
        return prepared
      })
    return { prepare, key: { keyId: key.keyId, publicKeyPem: key.publicKeyPem }, profiles, maxBytes }
  })

/**
 * The service over the `BlobStore` in context.
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config): Layer.Layer<EvidencePack, never, BlobStore.BlobStore> =>
  Layer.effect(EvidencePack, make(config))

/**
 * `prepare` as an Effect that needs the service.
 * @since 0.1.0
 * @category accessors
 */
export const prepare = (
  recordId: string,
  options?: Options
): Effect.Effect<Prepared, PrepareError, EvidencePack | Needs> =>
  Effect.flatMap(EvidencePack, (s) => s.prepare(recordId, options))

/**
 * Runs a prepared pack's ZIP into a file (written whole or not at all: a temporary file renamed at the end).
 * @since 0.1.0
 * @category running
 */
export const writeFile = (
  prepared: Prepared,
  path: string
): Effect.Effect<void, AttachmentCorrupted | PackWriteFailed> =>
  Effect.gen(function* () {
    const fs = yield* Effect.promise(() => import("node:fs"))
    const temp = `${path}.partial`
    const out = fs.createWriteStream(temp)
    const written = prepared.zip.pipe(
      Stream.runForEach((chunk) =>
        Effect.async<void>((resume) => {
          if (out.write(chunk)) resume(Effect.void)
          else out.once("drain", () => resume(Effect.void))
        })
      ),
      Effect.zipRight(
        Effect.async<void>((resume) => {
          out.end(() => resume(Effect.void))
        })
      ),
      Effect.zipRight(Effect.sync(() => fs.renameSync(temp, path)))
    )
    yield* Effect.onError(written, () =>
      Effect.sync(() => {
        out.destroy()
        fs.rmSync(temp, { force: true })
      })
    )
  })

export type { Contents } from "./internal/collect.js"
