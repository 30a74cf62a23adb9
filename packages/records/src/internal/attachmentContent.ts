// Attachment content: an upload checks the actor may attach before reading a byte, recognises the
// media type from the first bytes, streams the rest into the BlobStore (hash and size checked there),
// then writes the metadata as one `attach` command. The blob is stored first and outside the command's
// transaction: it is content-addressed, so a blob whose metadata write then fails is an orphan that
// nothing names, harmless and stored once however often the upload is retried.
import { Actor, Errors } from "@airworthy/core"
import { BlobStore, Query } from "@airworthy/storage"
import { Effect, Either, Option, Sink, Stream } from "effect"
import * as AttachmentContent from "../AttachmentContent.js"
import type { Attachment } from "../QmsRecord.js"
import type { Content, UploadError, UploadInput as UploadInputType } from "../Records.js"
import { load, type ReadError } from "./envelope.js"
import { decodeWith, UploadInput } from "./inputs.js"
import { provided, type Runtime } from "./runtime.js"
import { attachStored, checkSupersedes } from "./sideEntries.js"
import * as Store from "./store.js"

const q = Query.make<Store.Tables>()

const headSink = Sink.fold<{ readonly chunks: ReadonlyArray<Uint8Array>; readonly total: number }, Uint8Array>(
  { chunks: [], total: 0 },
  (s) => s.total < AttachmentContent.sniffBytes,
  (s, chunk) => ({ chunks: [...s.chunks, chunk], total: s.total + chunk.byteLength })
)

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const plausibleId = (id: string) => id.length >= 1 && id.length <= 128 && !/[\u0000-\u001f]/.test(id)

export const upload = <E>(
  runtime: Runtime,
  raw: UploadInputType,
  content: Stream.Stream<Uint8Array, E>
): Effect.Effect<Attachment, UploadError | E, Actor.CurrentActor | BlobStore.BlobStore> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const input = yield* decodeWith(UploadInput)(raw)
    if (!plausibleId(input.id)) return yield* new Errors.NotFound({ entity: "record", id: input.id })
    const name = AttachmentContent.fileName(input.name)
    if (name === "")
      return yield* new Errors.ValidationFailed({ issues: [{ path: "name", message: "A file name is required" }] })
    // Nothing is read from the client before the actor may attach to this record (and the version it
    // supersedes is one of the record's).
    yield* provided(
      runtime,
      Effect.zipRight(
        load(runtime, actor, input.id, "attach"),
        checkSupersedes(actor.tenantId, input.id, input.supersedes)
      )
    )
    const blobs = yield* BlobStore.BlobStore
    const maxBytes = runtime.attachments.maxBytes(actor.tenantId)
    const stored = yield* Effect.scoped(
      Effect.gen(function* () {
        const [head, rest] = yield* Stream.peel(content, headSink)
        const bytes = Buffer.concat(head.chunks as Array<Uint8Array>)
        const decided = AttachmentContent.decide(input.mediaType, name, bytes, runtime.attachments.mediaTypes)
        if (Either.isLeft(decided)) return yield* decided.left
        const put = yield* blobs.put(actor.tenantId, Stream.concat(Stream.fromIterable(head.chunks), rest), {
          maxBytes,
          ...(input.sha256 !== undefined ? { expectedSha256: input.sha256 } : {})
        })
        return { ...put, mediaType: decided.right }
      })
    )
    return yield* attachStored(runtime, {
      id: input.id,
      kind: input.kind,
      name,
      mediaType: stored.mediaType,
      size: stored.size,
      sha256: stored.sha256,
      ...(input.supersedes !== undefined ? { supersedes: input.supersedes } : {}),
      ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
      ...(input.correlationId !== undefined ? { correlationId: input.correlationId } : {})
    })
  })

export const attachment = (
  runtime: Runtime,
  recordId: string,
  attachmentId: string
): Effect.Effect<Attachment, ReadError, Actor.CurrentActor> =>
  provided(
    runtime,
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      // An id no row can have (too long, NUL, control characters) is not looked up: PostgreSQL refuses NUL.
      for (const [entity, value] of [
        ["record", recordId],
        ["attachment", attachmentId]
      ] as const) {
        if (!plausibleId(value)) return yield* new Errors.NotFound({ entity, id: value })
      }
      yield* load(runtime, actor, recordId)
      const row = yield* q.maybe((db) =>
        db
          .selectFrom("aw_record_attachments")
          .selectAll()
          .where("tenant_id", "=", actor.tenantId)
          .where("record_id", "=", recordId)
          .where("id", "=", attachmentId)
      )
      if (Option.isNone(row)) return yield* new Errors.NotFound({ entity: "attachment", id: attachmentId })
      return Store.toAttachment(row.value as unknown as Store.AttachmentRow)
    })
  )

export const content = (
  runtime: Runtime,
  recordId: string,
  attachmentId: string,
  range?: BlobStore.Range
): Effect.Effect<
  Content,
  ReadError | AttachmentContent.ContentMissing | BlobStore.BlobError,
  Actor.CurrentActor | BlobStore.BlobStore
> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const found = yield* attachment(runtime, recordId, attachmentId)
    if (!found.hasContent) return yield* new AttachmentContent.ContentMissing({ recordId, attachmentId })
    const blobs = yield* BlobStore.BlobStore
    const size = yield* blobs.stat(actor.tenantId, found.sha256)
    if (Option.isNone(size))
      return yield* new BlobStore.BlobError({
        reason: "not_found",
        sha256: found.sha256,
        detail: `The content of attachment ${attachmentId} is missing from the store`
      })
    const r = yield* BlobStore.checkRange(range, size.value.size)
    return {
      attachment: found,
      size: size.value.size,
      range: r,
      stream: blobs.read(actor.tenantId, found.sha256, range)
    }
  })
