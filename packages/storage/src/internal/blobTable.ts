// The database adapter of BlobStore: table `aw_blobs`, a blob cut into rows of at most `chunkBytes`
// (256 KiB by default) keyed by their byte offset under a key of their own (`part-<random>`), plus one
// header row under the SHA-256 (offset -1) holding the size and that key. A put inserts its rows while
// hashing, then publishes them with the one header insert; a refused, failed or duplicate put deletes
// its rows.
import { randomBytes } from "node:crypto"
import type { SqlClient } from "@effect/sql"
import { Chunk, Effect, Option, Stream } from "effect"
import { sql } from "kysely"
import type { Range, Service, Stored } from "../BlobStore.js"
import { BlobError, checkRange, checkSha256, hashing } from "../BlobStore.js"
import * as Query from "../Query.js"
import type { Storage } from "../Storage.js"
import { isConstraint, type StorageError } from "../StorageError.js"
import { verifiedWhole } from "./blobVerify.js"
import { withTenant } from "./scope.js"

interface Tables {
  readonly aw_blobs: {
    readonly tenant_id: string
    readonly sha256: string
    readonly at: number | string
    readonly len: number | string
    readonly bytes: Uint8Array
  }
}

const q = Query.make<Tables>()

const io = (what: string, sha256?: string) => (cause: StorageError) =>
  new BlobError({ reason: "io", ...(sha256 !== undefined ? { sha256 } : {}), detail: `${what}: ${cause.message}` })

const headerAt = -1
const rowsPerPage = 4

export const make = (chunkBytes: number): Effect.Effect<Service, never, Storage | SqlClient.SqlClient> =>
  Effect.map(Effect.context<Storage | SqlClient.SqlClient>(), (context): Service => {
    // Every statement names its tenant, and runs in that tenant's row-level security scope too.
    const run =
      (tenantId: string) =>
      <A, E>(effect: Effect.Effect<A, E, Storage | SqlClient.SqlClient>) =>
        Effect.provide(effect, context).pipe(withTenant(tenantId))

    // The header row names the blob's size (`len`) and the key its chunk rows are stored under (`bytes`).
    const headerOf = (tenantId: string, sha256: string) =>
      run(tenantId)(
        q.maybe((db) =>
          db
            .selectFrom("aw_blobs")
            .select(["len", "bytes"])
            .where("tenant_id", "=", tenantId)
            .where("sha256", "=", sha256)
            .where("at", "=", headerAt)
        )
      ).pipe(
        Effect.map(Option.map((r) => ({ size: Number(r.len), key: Buffer.from(r.bytes).toString("utf8") }))),
        Effect.mapError(io("Reading the blob's size", sha256))
      )

    const dropStaging = (tenantId: string, staging: string) =>
      run(tenantId)(
        q.exec((db) => db.deleteFrom("aw_blobs").where("tenant_id", "=", tenantId).where("sha256", "=", staging))
      ).pipe(Effect.ignore)

    const put: Service["put"] = (tenantId, content, options = {}) =>
      Effect.suspend(() => {
        const staging = `part-${randomBytes(12).toString("hex")}`
        const counted = hashing(content, options.maxBytes)
        let buffer = Buffer.allocUnsafe(chunkBytes)
        let filled = 0
        let at = 0
        const flush = Effect.suspend(() => {
          if (filled === 0) return Effect.void
          const bytes = Buffer.from(buffer.subarray(0, filled))
          const row = { tenant_id: tenantId, sha256: staging, at, len: filled, bytes }
          at += filled
          filled = 0
          buffer = Buffer.allocUnsafe(chunkBytes)
          return run(tenantId)(q.exec((db) => db.insertInto("aw_blobs").values(row))).pipe(
            Effect.mapError(io("Writing the content"))
          )
        })
        const write = (chunk: Uint8Array) =>
          Effect.suspend(() => {
            let offset = 0
            const steps: Array<Effect.Effect<void, BlobError>> = []
            while (offset < chunk.byteLength) {
              const n = Math.min(chunkBytes - filled, chunk.byteLength - offset)
              buffer.set(chunk.subarray(offset, offset + n), filled)
              filled += n
              offset += n
              if (filled === chunkBytes) {
                // Copy out now: the next bytes overwrite the buffer before the insert runs.
                const full = Buffer.from(buffer.subarray(0, filled))
                const row = { tenant_id: tenantId, sha256: staging, at, len: filled, bytes: full }
                at += filled
                filled = 0
                steps.push(
                  run(tenantId)(q.exec((db) => db.insertInto("aw_blobs").values(row))).pipe(
                    Effect.mapError(io("Writing the content"))
                  )
                )
              }
            }
            return Effect.all(steps, { discard: true })
          })
        let kept = false
        // One insert publishes the content: the header row, naming the chunk rows' staging key. Nothing
        // is renamed or copied. If the bytes are already stored (also by a concurrent put that won the
        // race), this put's rows are dropped.
        const finalise = (stored: Stored) =>
          run(tenantId)(
            q.exec((db) =>
              db.insertInto("aw_blobs").values({
                tenant_id: tenantId,
                sha256: stored.sha256,
                at: headerAt,
                len: stored.size,
                bytes: Buffer.from(staging, "utf8")
              })
            )
          ).pipe(
            Effect.tap(() => {
              kept = true
            }),
            Effect.catchIf(isConstraint, () => Effect.void),
            Effect.mapError(io("Storing the content", stored.sha256))
          )
        return Stream.runForEach(counted.stream, write).pipe(
          Effect.zipRight(flush),
          Effect.map(() => counted.digest()),
          Effect.tap((s) =>
            options.expectedSha256 !== undefined && options.expectedSha256 !== s.sha256
              ? Effect.fail(
                  new BlobError({
                    reason: "hash_mismatch",
                    sha256: options.expectedSha256,
                    detail: `The content's SHA-256 is ${s.sha256}, not the declared ${options.expectedSha256}`
                  })
                )
              : Effect.void
          ),
          Effect.tap(finalise),
          // A put that did not publish its rows (refused, failed, interrupted, or a duplicate) drops them.
          Effect.ensuring(Effect.suspend(() => (kept ? Effect.void : dropStaging(tenantId, staging))))
        )
      })

    const page = (tenantId: string, key: string, after: number, r: Range) =>
      run(tenantId)(
        q.rows((db) =>
          db
            .selectFrom("aw_blobs")
            .select(["at", "len", "bytes"])
            .where("tenant_id", "=", tenantId)
            .where("sha256", "=", key)
            .where("at", ">", after)
            .where("at", "<=", r.end)
            .where(sql<number>`at + len`, ">", r.start)
            .orderBy("at")
            .limit(rowsPerPage)
        )
      ).pipe(Effect.mapError(io("Reading the content", key)))

    const read: Service["read"] = (tenantId, sha256, range) =>
      Stream.unwrap(
        Effect.gen(function* () {
          yield* checkSha256(sha256)
          const header = yield* headerOf(tenantId, sha256)
          if (Option.isNone(header))
            return yield* new BlobError({ reason: "not_found", sha256, detail: "No such content" })
          const r = yield* checkRange(range, header.value.size)
          if (r.end < r.start) return verifiedWhole(Stream.empty, sha256)
          const rows = Stream.paginateChunkEffect(headerAt, (after) =>
            Effect.map(page(tenantId, header.value.key, after, r), (rs) => {
              const slices = rs.map((row) => {
                const start = Number(row.at)
                // A value that is not bytes (edited by hand) is read as text: the hash check then refuses it.
                const bytes = row.bytes instanceof Uint8Array ? row.bytes : Buffer.from(String(row.bytes))
                return bytes.subarray(
                  Math.max(r.start, start) - start,
                  Math.min(r.end, start + bytes.byteLength - 1) - start + 1
                )
              })
              const last = rs[rs.length - 1]
              const next =
                rs.length === rowsPerPage && last !== undefined ? Option.some(Number(last.at)) : Option.none<number>()
              return [Chunk.unsafeFromArray(slices as Array<Uint8Array>), next] as const
            })
          )
          return range === undefined ? verifiedWhole(rows, sha256) : rows
        })
      )

    const stat: Service["stat"] = (tenantId, sha256) =>
      /^[0-9a-f]{64}$/.test(sha256)
        ? Effect.map(
            headerOf(tenantId, sha256),
            Option.map((h) => ({ size: h.size }))
          )
        : Effect.succeed(Option.none())

    return { put, read, stat }
  })
