// Every package's migrations, in one registry. Each Airworthy package that owns tables adds itself here.
import { AuditMigrations } from "@airworthy/audit"
import { RecordsMigrations } from "@airworthy/records"
import type { Migrations } from "@airworthy/storage"

export const packages: ReadonlyArray<Migrations.PackageMigrations> = [
  AuditMigrations.migrations,
  RecordsMigrations.migrations
]
