// Attachment content over HTTP: upload (multipart/form-data or a raw body) and download (whole or a
// Range, ETag = the SHA-256). Permissions, tenant, media type, size and hash checks are the records
// service's (`Records.upload`, `Records.content`), so Effect and facade callers get the same answers.
import { Actor, Errors } from "@airworthy/core"
import { Records } from "@airworthy/records"
import type { BlobStore } from "@airworthy/storage"
import { Cause, Effect, Exit, Option, Schema, Stream } from "effect"
import type { Context, Hono } from "hono"
import * as Problem from "../Problem.js"
import type * as QmsRuntime from "../QmsRuntime.js"
import { boundaryOf, MultipartError, readFilePart } from "./multipart.js"

/** The request body could not be read as an upload (malformed multipart, the client went away). */
export class UploadBodyError extends Schema.TaggedError<UploadBodyError>()("UploadBodyError", {
  reason: Schema.Literal("invalid_multipart", "body_unreadable", "body_missing"),
  detail: Schema.String
}) {
  readonly status = 400
  get code(): string {
    return this.reason
  }
  readonly title = "Unreadable upload"
  get problemType(): string {
    return `${Errors.problemBase}${this.reason.replace(/_/g, "-")}`
  }
  override get message() {
    return this.detail
  }
}

/** The path of the upload route, relative to the mount point. */
export const uploadPath = /\/records\/[^/]+\/attachments\/content$/

const shaHex = /^[0-9a-f]{64}$/

/** `X-Content-SHA256: <hex>` or `Repr-Digest`/`Content-Digest: sha-256=:<base64>:` (RFC 9530). */
const declaredSha = (c: Context, field: string | undefined): string | undefined => {
  const hex = c.req.header("x-content-sha256") ?? field ?? c.req.query("sha256")
  if (hex !== undefined) return hex.trim().toLowerCase()
  const digest = c.req.header("repr-digest") ?? c.req.header("content-digest")
  const m = digest === undefined ? null : /(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]+):/i.exec(digest)
  return m?.[1] === undefined ? undefined : Buffer.from(m[1], "base64").toString("hex")
}

/** RFC 6266 / 5987: an ASCII fallback and the exact name as UTF-8. */
export const contentDisposition = (name: string): string => {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, "_").slice(0, 200) || "attachment"
  const exact = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${fallback}"; filename*=UTF-8''${exact}`
}

type ParsedRange =
  | { readonly _tag: "none" }
  | { readonly _tag: "range"; readonly start: number; readonly end: number }
  | { readonly _tag: "unsatisfiable" }

/** One `bytes=` range against a size; several ranges or a malformed header are ignored (whole content). */
export const parseRange = (header: string | undefined, size: number): ParsedRange => {
  if (header === undefined) return { _tag: "none" }
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (m === null) return { _tag: "none" }
  const [, a = "", b = ""] = m
  if (a === "" && b === "") return { _tag: "none" }
  if (a === "") {
    const suffix = Number(b)
    if (suffix === 0 || size === 0) return { _tag: "unsatisfiable" }
    return { _tag: "range", start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(a)
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1)
  if (!Number.isSafeInteger(start) || start >= size || (b !== "" && Number(b) < start)) return { _tag: "unsatisfiable" }
  return { _tag: "range", start, end }
}

const etagMatches = (header: string | undefined, etag: string): boolean =>
  header?.split(",").some((t) => t.trim() === "*" || t.trim().replace(/^W\//, "") === etag) ?? false

export const mountAttachmentContent = (
  app: Hono,
  runtime: QmsRuntime.QmsRuntime,
  logFailure: (c: Context, cause: Cause.Cause<unknown>) => void
) => {
  const run = async <A>(c: Context, effect: Effect.Effect<A, unknown, QmsRuntime.Services | Actor.CurrentActor>) => {
    const exit = await runtime.runPromiseExit(Actor.withActor(effect, c.get("actor")))
    if (Exit.isSuccess(exit)) return { ok: true as const, value: exit.value }
    const problem = Problem.fromCause(exit.cause, c.get("traceId") ?? "unknown")
    if (problem.status >= 500) logFailure(c, exit.cause)
    const failure = Cause.failureOption(exit.cause)
    const headers: Record<string, string> = {}
    const extra: Record<string, unknown> = {}
    if (Option.isSome(failure)) {
      const e = failure.value as { _tag?: string; reason?: string; maxBytes?: number; size?: number }
      if (e._tag === "BlobError" && e.reason === "too_large" && e.maxBytes !== undefined) {
        extra.max_bytes = e.maxBytes
        headers.connection = "close"
      }
    }
    const body = { ...problem, ...extra }
    return {
      ok: false as const,
      response: c.body(JSON.stringify(body), problem.status as 400, { "content-type": Problem.contentType, ...headers })
    }
  }

  app.post("/records/:id/attachments/content", async (c) => {
    const id = c.req.param("id")
    const body = c.req.raw.body
    if (body === null) {
      const e = new UploadBodyError({ reason: "body_missing", detail: "The request has no body: send the file" })
      return Problem.respond(c, Problem.fromUnknown(e, c.get("traceId")))
    }
    const contentType = c.req.header("content-type")
    const boundary = boundaryOf(contentType)
    let file: {
      readonly name: string | undefined
      readonly mediaType: string | undefined
      readonly fields: Readonly<Record<string, string>>
      readonly content: AsyncIterable<Uint8Array>
    }
    if (boundary !== undefined) {
      try {
        const part = await readFilePart(body, boundary)
        file = { name: part.filename, mediaType: part.contentType, fields: part.fields, content: part.content }
      } catch (error) {
        const detail = error instanceof MultipartError ? error.message : "The body could not be read"
        return Problem.respond(
          c,
          Problem.fromUnknown(new UploadBodyError({ reason: "invalid_multipart", detail }), c.get("traceId"))
        )
      }
    } else if (contentType !== undefined && /^multipart\//i.test(contentType)) {
      const e = new UploadBodyError({ reason: "invalid_multipart", detail: "multipart/form-data needs a boundary" })
      return Problem.respond(c, Problem.fromUnknown(e, c.get("traceId")))
    } else {
      file = {
        name: undefined,
        mediaType: contentType,
        fields: {},
        content: body as unknown as AsyncIterable<Uint8Array>
      }
    }
    const field = (name: string) => file.fields[name] ?? c.req.query(name)
    const name = field("name") ?? file.name
    const sha = declaredSha(c, file.fields.sha256)
    const key = c.req.header("idempotency-key") ?? field("idempotencyKey")
    const input: Records.UploadInput = {
      id,
      name: name ?? "",
      ...(field("kind") !== undefined ? { kind: field("kind")! } : {}),
      ...(file.mediaType !== undefined && file.mediaType !== "" ? { mediaType: file.mediaType } : {}),
      ...(sha !== undefined ? { sha256: sha } : {}),
      ...(field("supersedes") !== undefined ? { supersedes: field("supersedes")! } : {}),
      ...(key !== undefined ? { idempotencyKey: key } : {}),
      ...(field("correlationId") !== undefined ? { correlationId: field("correlationId")! } : {})
    }
    if (sha !== undefined && !shaHex.test(sha)) {
      const e = new Errors.ValidationFailed({
        issues: [
          { path: "sha256", message: "The declared SHA-256 must be 64 hex digits (or sha-256=:base64: in Repr-Digest)" }
        ]
      })
      return Problem.respond(c, Problem.fromUnknown(e, c.get("traceId")))
    }
    const content = Stream.fromAsyncIterable(
      file.content,
      (cause) =>
        new UploadBodyError({
          reason: cause instanceof MultipartError ? "invalid_multipart" : "body_unreadable",
          detail: cause instanceof MultipartError ? cause.message : "The body could not be read to its end"
        })
    )
    const result = await run(c, Records.upload(input, content))
    if (!result.ok) return result.response
    const attachment = result.value
    return c.json(attachment, 201, {
      location: `${c.req.path.replace(/\/content$/, "")}/${encodeURIComponent(attachment.id)}/content`
    })
  })

  app.get("/records/:id/attachments/:attachmentId/content", async (c) => {
    const id = c.req.param("id")
    const attachmentId = c.req.param("attachmentId")
    const found = await run(c, Records.attachment(id, attachmentId))
    if (!found.ok) return found.response
    const attachment = found.value
    const etag = `"${attachment.sha256}"`
    const common = { etag, "cache-control": "private, no-cache", "accept-ranges": "bytes" }
    if (attachment.hasContent && etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304, common)
    // If-Range with another validator: the client's part is stale, send it all.
    const ifRange = c.req.header("if-range")
    const rangeHeader = ifRange === undefined || ifRange.trim() === etag ? c.req.header("range") : undefined
    const parsed = parseRange(rangeHeader, attachment.size)
    if (parsed._tag === "unsatisfiable" && attachment.hasContent) {
      return Problem.respond(
        c,
        Problem.make({
          status: 416,
          code: "range_not_satisfiable",
          title: "Range not satisfiable",
          detail: `The content has ${attachment.size} bytes; the range ${(rangeHeader ?? "").slice(0, 60)} is outside it`,
          traceId: c.get("traceId")
        }),
        { "content-range": `bytes */${attachment.size}`, ...common }
      )
    }
    const range: BlobStore.Range | undefined =
      parsed._tag === "range" ? { start: parsed.start, end: parsed.end } : undefined
    const content = await run(c, Records.content(id, attachmentId, range))
    if (!content.ok) return content.response
    const { size, range: served, stream } = content.value
    const headers: Record<string, string> = {
      ...common,
      "content-type": attachment.mediaType,
      "content-length": String(served.end - served.start + 1),
      "content-disposition": contentDisposition(attachment.name)
    }
    if (range !== undefined) headers["content-range"] = `bytes ${served.start}-${served.end}/${size}`
    const failed = (cause: Cause.Cause<unknown>) => logFailure(c, cause)
    const bodyStream =
      c.req.method === "HEAD"
        ? null
        : Stream.toReadableStream(
            stream.pipe(
              Stream.tapErrorCause((cause) => Effect.sync(() => failed(cause))),
              Stream.map((chunk) => (chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk)))
            )
          )
    // Through the context, so the headers middleware set (trace id, secure headers, CORS) are kept.
    const status = range === undefined ? 200 : 206
    return bodyStream === null ? c.body(null, status, headers) : c.body(bodyStream, status, headers)
  })
}
