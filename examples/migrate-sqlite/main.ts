// Migrates an embedded SQLite file with every Airworthy package's migrations and prints what it created.
// Run from the repository root: `npx -y pnpm@10 start` (file: ./airworthy.db, or AIRWORTHY_DB=path).
import { resolve } from "node:path"
import { Migrations, Query } from "@airworthy/storage"
import { Sqlite } from "@airworthy/storage/sqlite"
import { Effect } from "effect"
import { packages } from "./packages.js"

const filename = resolve(process.env.AIRWORTHY_DB ?? "airworthy.db")

const program = Effect.gen(function* () {
  const applied = yield* Migrations.run(packages)
  const tables = yield* Query.unsafe<{ name: string }>(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'aw\\_%' ESCAPE '\\' ORDER BY name"
  )
  const triggers = yield* Query.unsafe<{ name: string; tbl_name: string }>(
    "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
  )
  console.log(`Airworthy database: ${filename} (SQLite, WAL)`)
  console.log(
    applied.length === 0
      ? "Migrations: all already applied"
      : `Migrations applied now (${applied.length}):\n${applied.map((a) => `  ${a.package} ${a.name}`).join("\n")}`
  )
  console.log(`Tables (${tables.length}):`)
  for (const t of tables) {
    const columns = yield* Query.unsafe<{ name: string; type: string }>(`PRAGMA table_info(${t.name})`)
    console.log(`  ${t.name} (${columns.map((c) => c.name).join(", ")})`)
  }
  if (triggers.length > 0) {
    console.log(`Triggers (${triggers.length}):\n${triggers.map((t) => `  ${t.name} on ${t.tbl_name}`).join("\n")}`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(Sqlite.layer({ filename })))).catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
