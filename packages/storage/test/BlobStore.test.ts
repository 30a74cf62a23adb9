import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TestDatabase } from "@airworthy/testing"
import { describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { BlobStore, Migrations, Query, RowLevelSecurity, StorageMigrations } from "../src/index.js"
import { tenantFolder } from "../src/internal/blobDirectory.js"
import { blobSuite } from "./blobSuite.js"

describe("memory", () => {
  layer(BlobStore.memory)("BlobStore", (it) => blobSuite(it, { leftovers: () => Effect.succeed(0) }))
})

describe("directory", () => {
  const root = mkdtempSync(join(tmpdir(), "aw-blobs-"))
  const files = (dir: string): Array<string> => {
    try {
      return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile())
    } catch {
      return []
    }
  }
  const directory = Layer.merge(
    BlobStore.directory({ path: root, readChunkBytes: 16 * 1024 }),
    Layer.scopedDiscard(Effect.addFinalizer(() => Effect.sync(() => rmSync(root, { recursive: true, force: true }))))
  )
  layer(directory)("BlobStore", (it) =>
    blobSuite(it, {
      leftovers: (tenant) =>
        Effect.sync(() => files(join(root, tenantFolder(tenant))).filter((f) => f.endsWith(".part")).length),
      corrupt: (tenant, sha) =>
        Effect.sync(() => {
          const file = join(root, tenantFolder(tenant), sha.slice(0, 2), sha)
          const bytes = readFileSync(file)
          bytes[12_345] = (bytes[12_345]! + 1) % 256
          writeFileSync(file, bytes)
        })
    })
  )
})

for (const target of await TestDatabase.targets()) {
  describe.skipIf(target.skip)(`database ${target.name}`, () => {
    const migrated = Layer.effectDiscard(Migrations.run([StorageMigrations.migrations])).pipe(
      Layer.provideMerge(target.layer)
    )
    layer(BlobStore.database({ chunkBytes: 64 * 1024 }).pipe(Layer.provideMerge(migrated)), { timeout: 60_000 })(
      "BlobStore",
      (it) =>
        blobSuite(it, {
          leftovers: (tenant) =>
            Effect.gen(function* () {
              const p = (n: number) => (target.dialect === "pg" ? `$${n}` : "?")
              const parts = yield* Query.unsafe<{ sha256: string }>(
                `SELECT DISTINCT sha256 FROM aw_blobs WHERE tenant_id = ${p(1)} AND sha256 LIKE 'part-%'`,
                [tenant]
              )
              const headers = yield* Query.unsafe<{ bytes: Uint8Array }>(
                `SELECT bytes FROM aw_blobs WHERE tenant_id = ${p(1)} AND at = -1`,
                [tenant]
              )
              const published = new Set(headers.map((h) => Buffer.from(h.bytes).toString("utf8")))
              return parts.filter((r) => !published.has(r.sha256)).length
            }).pipe(RowLevelSecurity.withTenant(tenant), Effect.orDie),
          corrupt: (tenant, sha) =>
            Effect.gen(function* () {
              const p = (n: number) => (target.dialect === "pg" ? `$${n}` : "?")
              const [header] = yield* Query.unsafe<{ bytes: Uint8Array }>(
                `SELECT bytes FROM aw_blobs WHERE tenant_id = ${p(1)} AND sha256 = ${p(2)} AND at = -1`,
                [tenant, sha]
              )
              const key = Buffer.from(header!.bytes).toString("utf8")
              yield* Query.unsafe(
                target.dialect === "pg"
                  ? "UPDATE aw_blobs SET bytes = overlay(bytes placing '\\x00'::bytea from 100) WHERE tenant_id = $1 AND sha256 = $2 AND at = 65536"
                  : "UPDATE aw_blobs SET bytes = CAST(substr(bytes, 1, 99) || x'00' || substr(bytes, 101) AS BLOB) WHERE tenant_id = ? AND sha256 = ? AND at = 65536",
                [tenant, key]
              )
            }).pipe(RowLevelSecurity.withTenant(tenant), Effect.orDie)
        })
    )
  })
}
