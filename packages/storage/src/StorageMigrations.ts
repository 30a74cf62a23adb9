/**
 * The storage package's own tables: `aw_blobs`, the database adapter of `BlobStore`.
 *
 * Run it with the other packages' migrations (`Migrations.run([StorageMigrations.migrations, ...])`);
 * `Qms.migrations` includes it. A host that keeps attachment content on disk or in its own store has
 * an empty `aw_blobs` table and nothing else.
 *
 * @since 0.1.0
 */
import * as Migrations from "./Migrations.js"

const blobs = (big: string, bytes: string) => `
CREATE TABLE aw_blobs (
  tenant_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  at ${big} NOT NULL,
  len ${big} NOT NULL,
  bytes ${bytes} NOT NULL,
  PRIMARY KEY (tenant_id, sha256, at)
)
`

/**
 * `aw_blobs (tenant_id, sha256, at, len, bytes)`: one row per chunk of a blob under the blob's own
 * `part-<random>` key, keyed by the chunk's byte offset `at`, and one header row under the SHA-256 at
 * `at = -1` whose `len` is the blob's size and whose `bytes` are the chunk rows' key (UTF-8).
 * @since 0.1.0
 * @category migrations
 */
export const migrations: Migrations.PackageMigrations = Migrations.make("@airworthy/storage", 0, [
  Migrations.sql("0001_create_blobs", { sqlite: blobs("INTEGER", "BLOB"), pg: blobs("BIGINT", "BYTEA") })
])
