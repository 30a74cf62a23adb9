/**
 * @airworthy/storage/sqlite — the embedded SQLite layer (needs `@effect/sql-sqlite-node`).
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Sqlite from "../Sqlite.js"
