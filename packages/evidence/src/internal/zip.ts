// Streams an assembled pack as a ZIP (yazl): fixed entry order, fixed times and modes, JSON deflated,
// attachments and the PDF stored and streamed from the blob store one at a time, each checked
// against its recorded SHA-256 and size as it passes.
import { createHash } from "node:crypto"
import { pipeline, Readable, Transform } from "node:stream"
import { BlobStore } from "@airworthy/storage"
import { Effect, type Runtime, Stream } from "effect"
import * as yazl from "yazl"
import { AttachmentCorrupted, PackWriteFailed } from "../EvidenceError.js"
import * as PackFormat from "../PackFormat.js"
import type { Assembled, Entry } from "./assemble.js"

class Corrupted extends Error {
  constructor(readonly error: AttachmentCorrupted) {
    super(error.message)
  }
}

const corrupted = (entry: Entry, found: string): AttachmentCorrupted => {
  const a = entry.content._tag === "attachment" ? entry.content.attachment : undefined
  return new AttachmentCorrupted({
    recordId: a?.recordId ?? "",
    attachmentId: a?.id ?? "",
    name: a?.name ?? entry.path,
    expectedSha256: entry.sha256,
    found
  })
}

const entryOptions = (path: string) => ({
  mtime: PackFormat.entryTime(),
  mode: 0o100644,
  forceDosTimestamp: true,
  compress: !PackFormat.isStored(path)
})

// Hashes the bytes as they pass; at the end, a hash or size other than the recorded one fails the stream.
const checked = (entry: Entry): Transform => {
  const hash = createHash("sha256")
  let size = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      size += chunk.byteLength
      done(null, chunk)
    },
    flush(done) {
      const found = hash.digest("hex")
      done(found === entry.sha256 && size === entry.size ? null : new Corrupted(corrupted(entry, found)))
    }
  })
}

// The recorded bytes of an attachment, asked for as a range: the pack hashes every byte it takes
// itself (whatever the store), and a whole read of a store that verifies would hash them once more.
// A blob shorter than its recorded size fails the range; a longer one gives its first `size` bytes,
// which still have to hash to the recorded SHA-256.
const recordedBytes = (blobs: BlobStore.Service, entry: Entry) => {
  if (entry.content._tag !== "attachment") return Stream.empty
  const { attachment, tenantId } = entry.content
  return entry.size === 0
    ? blobs.read(tenantId, attachment.sha256)
    : blobs.read(tenantId, attachment.sha256, { start: 0, end: entry.size - 1 })
}

// yazl does not listen for errors of a lazily opened stream: they are passed to `fail` here.
// The blob is read with the runtime of the fiber running the ZIP, so a read joins that fiber's
// transaction (a database blob store inside a transaction on SQLite's one connection would otherwise wait forever).
const attachmentStream = (
  blobs: BlobStore.Service,
  entry: Entry,
  fail: (e: unknown) => void,
  runtime: Runtime.Runtime<never>
): Readable => {
  if (entry.content._tag !== "attachment") return Readable.from([])
  const source = Readable.from(Stream.toAsyncIterableRuntime(recordedBytes(blobs, entry), runtime), {
    objectMode: false
  })
  const check = checked(entry)
  pipeline(source, check, (e) => {
    if (e) fail(e)
  })
  return check
}

// The same memory seen as a Buffer (yazl wants one): the JSON entries are not copied a second time.
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

const open = (assembled: Assembled, blobs: BlobStore.Service, runtime: Runtime.Runtime<never>): Readable => {
  const zip = new yazl.ZipFile()
  const out = zip.outputStream as Readable
  const fail = (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e)))
  zip.addBuffer(asBuffer(assembled.manifestBytes), PackFormat.manifestPath, entryOptions(PackFormat.manifestPath))
  zip.addBuffer(asBuffer(assembled.signatureBytes), PackFormat.signaturePath, entryOptions(PackFormat.signaturePath))
  for (const entry of assembled.entries) {
    if (entry.content._tag === "bytes") {
      zip.addBuffer(asBuffer(entry.content.bytes), entry.path, entryOptions(entry.path))
    } else {
      zip.addReadStreamLazy(entry.path, { ...entryOptions(entry.path), size: entry.size }, (cb) =>
        cb(null, attachmentStream(blobs, entry, fail, runtime))
      )
    }
  }
  zip.end()
  zip.on("error", fail)
  return out
}

const writeFailure = (e: unknown): AttachmentCorrupted | PackWriteFailed => {
  if (e instanceof Corrupted) return e.error
  const message = e instanceof Error ? e.message : String(e)
  return new PackWriteFailed({ detail: `The evidence pack could not be written: ${message}` })
}

/** The ZIP's bytes, produced as they are read; closing the stream early stops the work. */
export const zipStream = (
  assembled: Assembled,
  blobs: BlobStore.Service
): Stream.Stream<Uint8Array, AttachmentCorrupted | PackWriteFailed> =>
  Stream.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(
        Effect.map(Effect.runtime<never>(), (runtime) => open(assembled, blobs, runtime)),
        (out) => Effect.sync(() => out.destroy())
      ),
      (out) => Stream.fromAsyncIterable(out as AsyncIterable<Uint8Array>, writeFailure)
    )
  )

/**
 * Checks every attachment before anything is written, where the store keeps it (`BlobStore.digestWith`:
 * the store's own digest, else a read of the recorded range): a missing or corrupted one fails here, naming it.
 */
export const checkAttachments = (
  assembled: Assembled,
  blobs: BlobStore.Service
): Effect.Effect<void, AttachmentCorrupted> =>
  Effect.forEach(
    assembled.entries,
    (entry) => {
      if (entry.content._tag !== "attachment") return Effect.void
      const { attachment, tenantId } = entry.content
      return BlobStore.digestWith(blobs, tenantId, attachment.sha256, entry.size).pipe(
        Effect.mapError((e) => corrupted(entry, e.reason === "not_found" ? "missing" : `unreadable (${e.detail})`)),
        Effect.flatMap((found) =>
          found.sha256 === entry.sha256 && found.size === entry.size
            ? Effect.void
            : Effect.fail(
                corrupted(entry, found.size === entry.size ? found.sha256 : `${found.sha256} (${found.size} bytes)`)
              )
        )
      )
    },
    { discard: true }
  )
