/**
 * @airworthy/storage/pg — the PostgreSQL layers (need `@effect/sql-pg`).
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Postgres from "../Postgres.js"
