import { StorageError } from "../StorageError.js"

/** What SQLite answers to `rowLevelSecurity: true`: a configuration error, never a silent downgrade. */
export const sqliteHasNoRowLevelSecurity = new StorageError({
  reason: "configuration",
  message:
    "rowLevelSecurity is PostgreSQL-only: SQLite has no row-level security. Remove the option, or use Postgres.layer from @airworthy/storage/pg"
})
