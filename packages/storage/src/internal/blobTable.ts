// The database adapter of BlobStore: table `aw_blobs`, a blob cut into rows of at most `chunkBytes`
// (256 KiB by default) keyed by their byte offset, plus one header row (offset -1) holding the size.
// A put inserts its rows under a staging name while hashing, then renames them to the SHA-256 and
// adds the header in one short transaction; a failed or refused put deletes its staging rows.
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

    const sizeOf = (tenantId: string, sha256: string) =>
      run(tenantId)(
        q.maybe((db) =>
          db
            .selectFrom("aw_blobs")
            .select("len")
            .where("tenant_id", "=", tenantId)
            .where("sha256", "=", sha256)
            .where("at", "=", headerAt)
        )
      ).pipe(Effect.map(Option.map((r) => Number(r.len))), Effect.mapError(io("Reading the blob's size", sha256)))

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
        const finalise = (stored: Stored) =>
          Query.transaction(
            Effect.gen(function* () {
              const existing = yield* q.maybe((db) =>
                db
                  .selectFrom("aw_blobs")
                  .select("len")
                  .where("tenant_id", "=", tenantId)
                  .where("sha256", "=", stored.sha256)
                  .where("at", "=", headerAt)
              )
              if (Option.isSome(existing)) return
              yield* q.exec((db) =>
                db
                  .updateTable("aw_blobs")
                  .set({ sha256: stored.sha256 })
                  .where("tenant_id", "=", tenantId)
                  .where("sha256", "=", staging)
              )
              yield* q.exec((db) =>
                db.insertInto("aw_blobs").values({
                  tenant_id: tenantId,
                  sha256: stored.sha256,
                  at: headerAt,
                  len: stored.size,
                  bytes: Buffer.alloc(0)
                })
              )
            })
          ).pipe(
            run(tenantId),
            // Another put of the same bytes won the race: the content is stored, which is all we wanted.
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
          // Renamed rows are no longer under the staging name; anything left there is dropped.
          Effect.ensuring(dropStaging(tenantId, staging))
        )
      })

    const page = (tenantId: string, sha256: string, after: number, r: Range) =>
      run(tenantId)(
        q.rows((db) =>
          db
            .selectFrom("aw_blobs")
            .select(["at", "len", "bytes"])
            .where("tenant_id", "=", tenantId)
            .where("sha256", "=", sha256)
            .where("at", ">", after)
            .where("at", "<=", r.end)
            .where(sql<number>`at + len`, ">", r.start)
            .orderBy("at")
            .limit(rowsPerPage)
        )
      ).pipe(Effect.mapError(io("Reading the content", sha256)))

    const read: Service["read"] = (tenantId, sha256, range) =>
      Stream.unwrap(
        Effect.gen(function* () {
          yield* checkSha256(sha256)
          const size = yield* sizeOf(tenantId, sha256)
          if (Option.isNone(size))
            return yield* new BlobError({ reason: "not_found", sha256, detail: "No such content" })
          const r = yield* checkRange(range, size.value)
          if (r.end < r.start) return verifiedWhole(Stream.empty, sha256)
          const rows = Stream.paginateChunkEffect(headerAt, (after) =>
            Effect.map(page(tenantId, sha256, after, r), (rs) => {
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
            sizeOf(tenantId, sha256),
            Option.map((size) => ({ size }))
          )
        : Effect.succeed(Option.none())

    return { put, read, stat }
  })
