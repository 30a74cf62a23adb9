/**
 * Exporting a record's evidence pack as a QMS action: authorised by `evidence.export`, audited
 * (`evidence.exported` with the manifest's SHA-256), optionally stored as an attachment of the record
 * (kind `evidence_pack`) with an email to chosen recipients, all of it in one transaction.
 *
 * ```ts
 * const { pack, event } = yield* Evidence.exportPack(finding.id)                 // then stream pack.zip
 * const { attachment } = yield* Evidence.exportPack(finding.id, { store: true, notify: [{ email: "caa@example.org" }] })
 * ```
 *
 * @since 0.1.0
 */
import { type AuditEvent, AuditLog } from "@airworthy/audit"
import { Errors, Policy } from "@airworthy/core"
import { type EvidenceError, EvidencePack, PackFormat } from "@airworthy/evidence"
import { Notify, Template } from "@airworthy/notify"
import { type QmsRecord, Records } from "@airworthy/records"
import type { BlobStore } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import type * as QmsModule from "../QmsModule.js"

/**
 * The attachment kind of a stored pack (packs do not nest earlier packs' bytes).
 * @since 0.1.0
 * @category constants
 */
export const packKind: string = PackFormat.storedPackKind

/**
 * What to export, and what to do with it.
 * @since 0.1.0
 * @category models
 */
export interface ExportOptions {
  /** Links to follow (default: the record type's evidence profile). */
  readonly depth?: number
  /** Also keep the ZIP as an attachment of the record. */
  readonly store?: boolean
  /** Tell these people that the pack was exported (and stored, when it was). */
  readonly notify?: ReadonlyArray<{ readonly email: string; readonly name?: string }>
  /** `zip` (default) or `pdf`: recorded in the audit event. */
  readonly format?: "zip" | "pdf"
  /** Only a record of this type (a domain route: `/findings/:id/evidence-pack`); another is `NotFound`. */
  readonly recordType?: string
}

/**
 * An export: the pack (stream `pack.zip`, or take `pack.summaryPdf`), the stored attachment when
 * `store` was asked, and the audit event.
 * @since 0.1.0
 * @category models
 */
export interface Exported {
  readonly pack: EvidencePack.Prepared
  readonly attachment: QmsRecord.Attachment | undefined
  readonly event: AuditEvent.AuditEvent
}

/**
 * An export as the Promise facade gives it: the manifest, the ZIP as a web stream, the summary PDF.
 * @since 0.1.0
 * @category models
 */
export interface ExportedStream {
  readonly manifest: PackFormat.Manifest
  readonly manifestSha256: string
  readonly size: number
  readonly fileName: string
  readonly summaryPdf: Uint8Array
  readonly attachment: QmsRecord.Attachment | undefined
  readonly event: AuditEvent.AuditEvent
  readonly stream: ReadableStream<Uint8Array>
}

/**
 * The email sent to the recipients of an export.
 * @since 0.1.0
 * @category templates
 */
export const exportedTemplate = Template.make(
  {
    kind: "evidence.exported",
    subject: ({ params }) => `Evidence pack of ${params.ref} exported`,
    text: ({ params }) =>
      [
        `${params.exporter} exported the evidence pack of ${params.ref} (${params.title}) at ${params.at}.`,
        `Manifest SHA-256: ${params.manifestSha256}`,
        params.stored ? "The pack is stored as an attachment of the record." : ""
      ].join("\n"),
    html: ({ params }) =>
      Template.html`<p>${params.exporter} exported the evidence pack of <b>${params.ref}</b> (${params.title}) at ${params.at}.</p><p>Manifest SHA-256: <code>${params.manifestSha256}</code></p>`
  },
  Schema.Struct({
    ref: Schema.String,
    title: Schema.String,
    exporter: Schema.String,
    at: Schema.String,
    manifestSha256: Schema.String,
    stored: Schema.Boolean
  })
)

/**
 * What an export needs.
 * @since 0.1.0
 * @category models
 */
export type Needs = QmsModule.Needs | EvidencePack.EvidencePack | BlobStore.BlobStore | SqlClient.SqlClient

/**
 * What an export may fail with: not permitted (403), unknown record (404), too large (413),
 * corrupted attachment content (422), or the storage's and upload's own errors.
 * @since 0.1.0
 * @category models
 */
export type ExportError =
  | EvidencePack.PrepareError
  | Errors.Forbidden
  | Records.UploadError
  | EvidenceError.PackWriteFailed
  | Errors.ValidationFailed

/**
 * Exports a record's evidence pack as the current actor (see the module doc).
 * @since 0.1.0
 * @category actions
 */
export const exportPack = (
  recordId: string,
  options: ExportOptions = {}
): Effect.Effect<Exported, ExportError, Needs> =>
  Effect.gen(function* () {
    yield* Policy.authorize("evidence.export")
    const record = yield* Records.get(recordId)
    if (options.recordType !== undefined && record.type !== options.recordType) {
      return yield* new Errors.NotFound({ entity: options.recordType, id: recordId })
    }
    const pack = yield* EvidencePack.prepare(recordId, options.depth === undefined ? {} : { depth: options.depth })
    const recipients = options.notify ?? []
    // One transaction: the stored pack, the audit event and the emails, or none of them.
    return yield* Records.transaction(
      Effect.gen(function* () {
        const attachment =
          options.store === true
            ? yield* Records.upload(
                { id: recordId, kind: packKind, name: pack.fileName, mediaType: "application/zip" },
                pack.zip
              )
            : undefined
        const event = yield* AuditLog.append({
          action: "evidence.exported",
          recordType: record.type,
          recordId,
          after: {
            manifest_sha256: pack.manifestSha256,
            size: pack.size,
            format: options.format ?? "zip",
            records: pack.manifest.records.map((r) => r.ref),
            events: pack.manifest.events,
            checkpoint_tree_size: pack.manifest.checkpoint.tree_size,
            ...(attachment === undefined ? {} : { attachment_id: attachment.id }),
            ...(recipients.length === 0 ? {} : { notified: recipients.map((r) => r.email) })
          }
        })
        if (recipients.length > 0) {
          yield* Notify.enqueue({
            template: exportedTemplate,
            params: {
              ref: record.ref,
              title: record.title,
              exporter: pack.manifest.exporter.name,
              at: pack.manifest.exported_at,
              manifestSha256: pack.manifestSha256,
              stored: attachment !== undefined
            },
            recipients,
            record: { type: record.type, id: record.id }
          })
        }
        return { pack, attachment, event }
      })
    )
  })
