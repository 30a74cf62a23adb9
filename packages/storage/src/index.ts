/**
 * @airworthy/storage — SQLite and PostgreSQL layers, a Kysely query compiler, typed statement
 * helpers and the migration registry.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as BlobStore from "./BlobStore.js"
/** @since 0.1.0 */
export * as Directory from "./Directory.js"
/** @since 0.1.0 */
export * as Migrations from "./Migrations.js"
/** @since 0.1.0 */
export * as Query from "./Query.js"
/** @since 0.1.0 */
export * as RowLevelSecurity from "./RowLevelSecurity.js"
/** @since 0.1.0 */
export * as Storage from "./Storage.js"
/** @since 0.1.0 */
export * as StorageError from "./StorageError.js"
/** @since 0.1.0 */
export * as StorageMigrations from "./StorageMigrations.js"
