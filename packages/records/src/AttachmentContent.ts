/**
 * Attachment content: what an upload may be (size per tenant, media types), how its media type is
 * recognised from its first bytes, and the errors an upload or a download may fail with. The bytes
 * themselves go to the `BlobStore` of `@airworthy/storage`; `Records.upload` and `Records.content`
 * tie them to a record's attachment.
 *
 * ```ts
 * Records.layer({ types, attachments: { maxBytes: (tenantId) => (tenantId === "big-mro" ? 200e6 : 50e6) } })
 * const attachment = yield* Records.upload({ id, name: "cert.pdf", mediaType: "application/pdf" }, bytes)
 * ```
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"

/**
 * Settings of attachment content, given to `Records.layer` (and `Qms.layer`) as `attachments`.
 * @since 0.1.0
 * @category models
 */
export interface Settings {
  /** Largest upload in bytes, for every tenant or per tenant (default {@link defaultMaxBytes}). */
  readonly maxBytes?: number | ((tenantId: string) => number)
  /** Media types an upload may have (default {@link defaultMediaTypes}). */
  readonly mediaTypes?: ReadonlyArray<string>
}

/**
 * 50 MiB.
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxBytes = 50 * 1024 * 1024

const officeXml = [
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation"
]
const openDocument = [
  "application/vnd.oasis.opendocument.text",
  "application/vnd.oasis.opendocument.spreadsheet",
  "application/vnd.oasis.opendocument.presentation"
]

/**
 * What a quality system is sent as evidence: PDF, PNG, JPEG, GIF, TIFF, ZIP and Office (OOXML and
 * OpenDocument) files, plain text and CSV.
 * @since 0.1.0
 * @category constants
 */
export const defaultMediaTypes: ReadonlyArray<string> = [
  "application/pdf",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/tiff",
  "application/zip",
  ...officeXml,
  ...openDocument,
  "text/plain",
  "text/csv"
]

/**
 * How many first bytes {@link sniff} looks at.
 * @since 0.1.0
 * @category constants
 */
export const sniffBytes = 4096

interface Signature {
  readonly mediaType: string
  /** Declared types these bytes may carry. */
  readonly compatible: ReadonlyArray<string>
  readonly test: (b: Uint8Array) => boolean
}

const startsWith = (b: Uint8Array, ...bytes: ReadonlyArray<number>) => bytes.every((x, i) => b[i] === x)
const ascii = (b: Uint8Array, text: string, at = 0) => [...text].every((ch, i) => b[at + i] === ch.charCodeAt(0))

const signatures: ReadonlyArray<Signature> = [
  { mediaType: "application/pdf", compatible: ["application/pdf"], test: (b) => ascii(b, "%PDF-") },
  {
    mediaType: "image/png",
    compatible: ["image/png"],
    test: (b) => startsWith(b, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)
  },
  { mediaType: "image/jpeg", compatible: ["image/jpeg", "image/jpg"], test: (b) => startsWith(b, 0xff, 0xd8, 0xff) },
  { mediaType: "image/gif", compatible: ["image/gif"], test: (b) => ascii(b, "GIF87a") || ascii(b, "GIF89a") },
  {
    mediaType: "image/tiff",
    compatible: ["image/tiff"],
    test: (b) => startsWith(b, 0x49, 0x49, 0x2a, 0x00) || startsWith(b, 0x4d, 0x4d, 0x00, 0x2a)
  },
  {
    mediaType: "application/zip",
    compatible: [
      "application/zip",
      "application/x-zip-compressed",
      ...officeXml,
      ...openDocument,
      "application/epub+zip"
    ],
    test: (b) => startsWith(b, 0x50, 0x4b, 0x03, 0x04) || startsWith(b, 0x50, 0x4b, 0x05, 0x06)
  }
]

/** Declared types that are text, so text bytes may carry them. */
const isTextType = (t: string) =>
  t.startsWith("text/") ||
  t === "application/json" ||
  t === "application/xml" ||
  t.endsWith("+json") ||
  t.endsWith("+xml")

/**
 * Is this the start of text: valid UTF-8 (a character cut at the end of the sample is allowed), no
 * NUL, no control character but tab, line feed, form feed and carriage return?
 */
const looksLikeText = (b: Uint8Array): boolean => {
  for (let i = 0; i < b.length; ) {
    const x = b[i]!
    if (x < 0x80) {
      if (x < 0x20 && x !== 0x09 && x !== 0x0a && x !== 0x0c && x !== 0x0d) return false
      if (x === 0x7f) return false
      i++
      continue
    }
    const n = x >= 0xc2 && x <= 0xdf ? 1 : x >= 0xe0 && x <= 0xef ? 2 : x >= 0xf0 && x <= 0xf4 ? 3 : -1
    if (n < 0) return false
    for (let k = 1; k <= n; k++) {
      if (i + k >= b.length) return true
      const y = b[i + k]!
      if (y < 0x80 || y > 0xbf) return false
    }
    i += n + 1
  }
  return true
}

/**
 * What the first bytes of a file are: a known signature (`mediaType`), `text`, or unrecognised
 * `binary`. Empty content is text.
 * @since 0.1.0
 * @category sniffing
 */
export type Sniffed =
  | { readonly _tag: "signature"; readonly mediaType: string; readonly compatible: ReadonlyArray<string> }
  | { readonly _tag: "text" }
  | { readonly _tag: "binary" }

/**
 * Recognises a file from its first bytes (the first {@link sniffBytes} are enough).
 * @since 0.1.0
 * @category sniffing
 */
export const sniff = (head: Uint8Array): Sniffed => {
  for (const s of signatures)
    if (s.test(head)) return { _tag: "signature", mediaType: s.mediaType, compatible: s.compatible }
  return looksLikeText(head.subarray(0, sniffBytes)) ? { _tag: "text" } : { _tag: "binary" }
}

/**
 * An upload refused for what it is: `media_type_not_allowed` (415: not on the allow-list),
 * `media_type_mismatch` (422: the declared type contradicts the bytes), `unrecognised_content` (415:
 * no type was declared and the bytes match none we know).
 * @since 0.1.0
 * @category errors
 */
export class ContentRefused extends Schema.TaggedError<ContentRefused>()("ContentRefused", {
  reason: Schema.Literal("media_type_not_allowed", "media_type_mismatch", "unrecognised_content"),
  declared: Schema.optional(Schema.String),
  sniffed: Schema.optional(Schema.String),
  detail: Schema.String
}) {
  get status(): number {
    return this.reason === "media_type_mismatch" ? 422 : 415
  }
  get code(): string {
    return this.reason
  }
  get title(): string {
    return {
      media_type_not_allowed: "Media type not allowed",
      media_type_mismatch: "Media type contradicts the content",
      unrecognised_content: "Unrecognised content"
    }[this.reason]
  }
  get problemType(): string {
    return `https://airworthy.dev/problems/${this.code.replace(/_/g, "-")}`
  }
  override get message() {
    return this.detail
  }
}

/**
 * The attachment has metadata only (attached before content could be uploaded, or by a client that
 * keeps the file elsewhere): there are no bytes to send (404 `attachment_content_missing`).
 * @since 0.1.0
 * @category errors
 */
export class ContentMissing extends Schema.TaggedError<ContentMissing>()("ContentMissing", {
  recordId: Schema.String,
  attachmentId: Schema.String
}) {
  readonly status = 404
  readonly code = "attachment_content_missing"
  readonly title = "Attachment has no content"
  readonly problemType = "https://airworthy.dev/problems/attachment-content-missing"
  override get message() {
    return `Attachment ${this.attachmentId} has metadata only: its content was never uploaded`
  }
}

/**
 * The media type without parameters, lower-cased (`Text/CSV; charset=utf-8` → `text/csv`).
 * @since 0.1.0
 * @category sniffing
 */
export const essence = (mediaType: string): string => (mediaType.split(";")[0] ?? "").trim().toLowerCase()

/**
 * The media type an upload is stored with, or why it is refused: the declared type (if any, and not
 * `application/octet-stream`) must agree with the bytes, and the result must be allowed.
 * @since 0.1.0
 * @category sniffing
 */
export const decide = (
  declaredType: string | undefined,
  name: string,
  head: Uint8Array,
  allowed: ReadonlyArray<string>
): Either.Either<string, ContentRefused> => {
  const declared =
    declaredType === undefined || essence(declaredType) === "" || essence(declaredType) === "application/octet-stream"
      ? undefined
      : essence(declaredType)
  const sniffed = sniff(head)
  const mismatch = (what: string) =>
    Either.left(
      new ContentRefused({
        reason: "media_type_mismatch",
        ...(declared !== undefined ? { declared } : {}),
        sniffed: what,
        detail: `The content is ${what === "text" ? "text" : what === "binary" ? "not a known file type" : what}, not the declared ${declared}`
      })
    )
  let chosen: string
  switch (sniffed._tag) {
    case "signature":
      if (declared !== undefined && !sniffed.compatible.includes(declared)) return mismatch(sniffed.mediaType)
      chosen = declared ?? sniffed.mediaType
      break
    case "text":
      if (declared !== undefined && !isTextType(declared)) return mismatch("text")
      chosen = declared ?? (/\.csv$/i.test(name) ? "text/csv" : "text/plain")
      break
    case "binary":
      if (declared === undefined)
        return Either.left(
          new ContentRefused({
            reason: "unrecognised_content",
            detail: "The content matches no known file type; declare its media type"
          })
        )
      // A declared type we would have recognised, or text, is contradicted by these bytes.
      if (isTextType(declared) || signatures.some((s) => s.compatible.includes(declared))) return mismatch("binary")
      chosen = declared
      break
  }
  const allowedSet = allowed.map(essence)
  return allowedSet.includes(chosen)
    ? Either.right(chosen)
    : Either.left(
        new ContentRefused({
          reason: "media_type_not_allowed",
          declared: chosen,
          ...(sniffed._tag === "signature" ? { sniffed: sniffed.mediaType } : {}),
          detail: `${chosen} is not an allowed media type (allowed: ${allowedSet.join(", ")})`
        })
      )
}

/**
 * A file name as stored: its last path segment (browsers and tools may send a whole path), without
 * control characters, at most 255 characters; empty when nothing is left.
 * @since 0.1.0
 * @category sniffing
 */
export const fileName = (raw: string): string =>
  (raw.split(/[\\/]/).pop() ?? "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim()
    .slice(0, 255)
