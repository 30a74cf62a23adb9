// The directory adapter of BlobStore: one file per blob, named by its SHA-256, under one folder per
// tenant. A put streams into a temporary file beside the tenant's blobs while hashing, fsyncs it and
// renames it to its name, so a blob is either whole under its name or absent.
import { createHash, randomBytes } from "node:crypto"
import { createReadStream } from "node:fs"
import { type FileHandle, mkdir, open, rename, stat, unlink } from "node:fs/promises"
import { join, resolve } from "node:path"
import { Effect, Option, Stream } from "effect"
import type { Range, Service, Stored } from "../BlobStore.js"
import { BlobError, checkRange, checkSha256, hashing } from "../BlobStore.js"
import { verifiedWhole } from "./blobVerify.js"

const safeTenant = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/

/** A tenant's folder name: the id itself when it is plainly safe, else `~` and its UTF-8 in hex. */
export const tenantFolder = (tenantId: string): string =>
  safeTenant.test(tenantId) ? tenantId : `~${Buffer.from(tenantId, "utf8").toString("hex")}`

const io = (what: string, sha256?: string) => (cause: unknown) =>
  new BlobError({
    reason: "io",
    ...(sha256 !== undefined ? { sha256 } : {}),
    detail: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`
  })

const digestBufferBytes = 1024 * 1024

const isMissing = (cause: unknown) =>
  typeof cause === "object" && cause !== null && (cause as { code?: unknown }).code === "ENOENT"

export const make = (root: string, readChunkBytes = 256 * 1024): Service => {
  const base = resolve(root)
  const tenantDir = (tenantId: string) => join(base, tenantFolder(tenantId))
  const pathOf = (tenantId: string, sha256: string) => join(tenantDir(tenantId), sha256.slice(0, 2), sha256)

  const sizeOf = (tenantId: string, sha256: string): Effect.Effect<Option.Option<number>, BlobError> =>
    Effect.tryPromise({
      try: async () => {
        try {
          const s = await stat(pathOf(tenantId, sha256))
          return s.isFile() ? Option.some(s.size) : Option.none()
        } catch (cause) {
          if (isMissing(cause)) return Option.none<number>()
          throw cause
        }
      },
      catch: io("Reading the blob's size", sha256)
    })

  const put: Service["put"] = (tenantId, content, options = {}) =>
    Effect.gen(function* () {
      const dir = tenantDir(tenantId)
      yield* Effect.tryPromise({ try: () => mkdir(dir, { recursive: true }), catch: io("Creating the tenant folder") })
      const temp = join(dir, `.put-${randomBytes(12).toString("hex")}.part`)
      const counted = hashing(content, options.maxBytes)
      const stored = yield* Effect.acquireUseRelease(
        Effect.tryPromise({ try: () => open(temp, "wx", 0o600), catch: io("Creating a temporary file") }),
        (handle: FileHandle) =>
          Effect.gen(function* () {
            yield* Stream.runForEach(counted.stream, (chunk) =>
              Effect.tryPromise({ try: () => handle.write(chunk), catch: io("Writing the content") })
            )
            yield* Effect.tryPromise({ try: () => handle.sync(), catch: io("Flushing the content to disk") })
            return counted.digest()
          }),
        (handle) => Effect.promise(() => handle.close().catch(() => undefined))
      ).pipe(
        Effect.flatMap(
          (s): Effect.Effect<Stored, BlobError> =>
            options.expectedSha256 !== undefined && options.expectedSha256 !== s.sha256
              ? Effect.fail(
                  new BlobError({
                    reason: "hash_mismatch",
                    sha256: options.expectedSha256,
                    detail: `The content's SHA-256 is ${s.sha256}, not the declared ${options.expectedSha256}`
                  })
                )
              : Effect.succeed(s)
        ),
        Effect.tap((s) =>
          Effect.tryPromise({
            try: async () => {
              const target = pathOf(tenantId, s.sha256)
              await mkdir(join(dir, s.sha256.slice(0, 2)), { recursive: true })
              // Same name, same bytes: a concurrent put of the same content renames over it harmlessly.
              await rename(temp, target)
              // The rename is durable once the folder is; not every platform lets a folder be fsynced.
              const folder = await open(join(dir, s.sha256.slice(0, 2)), "r").catch(() => undefined)
              await folder
                ?.sync()
                .catch(() => undefined)
                .finally(() => folder.close())
            },
            catch: io("Storing the content", s.sha256)
          })
        ),
        // Whatever happened, no temporary file stays behind (after a rename there is none to remove).
        Effect.ensuring(Effect.promise(() => unlink(temp).catch(() => undefined)))
      )
      return stored
    })

  const read: Service["read"] = (tenantId, sha256, range) =>
    Stream.unwrap(
      Effect.gen(function* () {
        yield* checkSha256(sha256)
        const size = yield* sizeOf(tenantId, sha256)
        if (Option.isNone(size)) return yield* new BlobError({ reason: "not_found", sha256, detail: "No such content" })
        const r: Range = yield* checkRange(range, size.value)
        if (r.end < r.start) return verifiedWhole(Stream.empty, sha256)
        const file = Stream.fromAsyncIterable(
          createReadStream(pathOf(tenantId, sha256), { start: r.start, end: r.end, highWaterMark: readChunkBytes }),
          io("Reading the content", sha256)
        ) as Stream.Stream<Uint8Array, BlobError>
        return range === undefined ? verifiedWhole(file, sha256) : file
      })
    )

  const statBlob: Service["stat"] = (tenantId, sha256) =>
    shaOk(sha256)
      ? Effect.map(
          sizeOf(tenantId, sha256),
          Option.map((size) => ({ size }))
        )
      : Effect.succeed(Option.none())

  // Hashes the file where it is, reading into one reused buffer: no chunk is allocated or streamed.
  const digest: NonNullable<Service["digest"]> = (tenantId, sha256, size) =>
    Effect.gen(function* () {
      yield* checkSha256(sha256)
      return yield* Effect.tryPromise({
        try: async (): Promise<Stored | undefined> => {
          let handle: FileHandle
          try {
            handle = await open(pathOf(tenantId, sha256), "r")
          } catch (cause) {
            if (isMissing(cause)) return undefined
            throw cause
          }
          try {
            const hash = createHash("sha256")
            const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(digestBufferBytes, size)))
            let at = 0
            while (at < size) {
              const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.byteLength, size - at), at)
              if (bytesRead === 0) break
              hash.update(buffer.subarray(0, bytesRead))
              at += bytesRead
            }
            return { sha256: hash.digest("hex"), size: at }
          } finally {
            await handle.close()
          }
        },
        catch: io("Hashing the content", sha256)
      }).pipe(
        Effect.flatMap((found) =>
          found === undefined
            ? Effect.fail(new BlobError({ reason: "not_found", sha256, detail: "No such content" }))
            : Effect.succeed(found)
        )
      )
    })

  return { put, read, stat: statBlob, digest }
}

const shaOk = (sha256: string) => /^[0-9a-f]{64}$/.test(sha256)
