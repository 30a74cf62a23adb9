/**
 * The migration registry every package contributes to, and the runner that applies it.
 *
 * Each package owns its tables and an ordered list of migrations named `0001_name`; a shipped
 * migration is never edited. `run` applies every pending migration, package by package in package
 * order, each package in one transaction, and records them in `aw_migrations`. Two processes may run
 * it at once: on PostgreSQL a transaction-scoped advisory lock serialises them, on SQLite the first
 * statement of each transaction is a write, which takes the database's write lock.
 *
 * Migrations run across tenants (`RowLevelSecurity.acrossTenants`), so a data migration sees every
 * tenant's rows when row-level security is on; after them, `run` brings row-level security in line
 * with the storage layer's option (PostgreSQL).
 *
 * @since 0.1.0
 */
import type { SqlClient } from "@effect/sql"
import { Clock, Effect } from "effect"
import { make as makeQuery, transaction, unsafe } from "./Query.js"
import * as RowLevelSecurity from "./RowLevelSecurity.js"
import { Storage } from "./Storage.js"
import { StorageError } from "./StorageError.js"

/**
 * One schema change. `up` runs inside the package's transaction.
 * @since 0.1.0
 * @category models
 */
export interface Migration {
  /** `0001_name`: four digits, an underscore, lower-case words. */
  readonly name: string
  readonly up: Effect.Effect<void, unknown, Storage | SqlClient.SqlClient>
}

/**
 * A package's contribution to the registry.
 * @since 0.1.0
 * @category models
 */
export interface PackageMigrations {
  /** e.g. `@airworthy/audit` */
  readonly package: string
  /** Packages run lowest first: a package's migrations may reference tables of lower ones. */
  readonly order: number
  readonly migrations: ReadonlyArray<Migration>
}

/**
 * A migration that `run` applied.
 * @since 0.1.0
 * @category models
 */
export interface Applied {
  readonly package: string
  readonly name: string
}

const namePattern = /^\d{4}_[a-z0-9]+(?:_[a-z0-9]+)*$/

/**
 * Declares a package's migrations, checking their names and order.
 * @since 0.1.0
 * @category constructors
 */
export const make = (pkg: string, order: number, migrations: ReadonlyArray<Migration>): PackageMigrations => {
  let previous = ""
  for (const m of migrations) {
    if (!namePattern.test(m.name)) {
      throw new Error(`${pkg}: migration name "${m.name}" must look like 0001_create_tables`)
    }
    if (m.name.slice(0, 4) <= previous.slice(0, 4)) {
      throw new Error(`${pkg}: migration "${m.name}" must come after "${previous}" (numbers strictly increase)`)
    }
    previous = m.name
  }
  return { package: pkg, order, migrations }
}

/**
 * A migration from one SQL script per dialect (statements separated by `;` at line ends).
 * @since 0.1.0
 * @category constructors
 */
export const sql = (name: string, scripts: { readonly sqlite: string; readonly pg: string }): Migration => ({
  name,
  up: Effect.gen(function* () {
    const { dialect } = yield* Storage
    for (const statement of splitStatements(scripts[dialect])) yield* unsafe(statement)
  })
})

/**
 * Splits a script into statements on lines that are exactly `--;` (so a trigger body may hold `;`).
 * @since 0.1.0
 * @category utils
 */
export const splitStatements = (script: string): Array<string> =>
  script
    .split(/^--;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)

/**
 * Orders contributions and rejects two with the same package name.
 * @since 0.1.0
 * @category constructors
 */
export const registry = (packages: ReadonlyArray<PackageMigrations>): ReadonlyArray<PackageMigrations> => {
  const seen = new Set<string>()
  for (const p of packages) {
    if (seen.has(p.package)) throw new Error(`Migrations of ${p.package} were registered twice`)
    seen.add(p.package)
  }
  return [...packages].sort((a, b) => a.order - b.order || a.package.localeCompare(b.package))
}

interface Tables {
  readonly aw_migrations: { readonly package: string; readonly name: string; readonly applied_at: string }
}

const q = makeQuery<Tables>()

const lockKey = 0x41_57_4d_47 // "AWMG"

const lock = Effect.gen(function* () {
  const { dialect } = yield* Storage
  if (dialect === "pg") {
    yield* unsafe(`SELECT pg_advisory_xact_lock(${lockKey})`)
  } else {
    yield* unsafe("INSERT INTO aw_migrations_lock (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = excluded.id")
  }
})

const ensureTables = Effect.gen(function* () {
  const { dialect } = yield* Storage
  if (dialect === "pg") yield* unsafe(`SELECT pg_advisory_xact_lock(${lockKey})`)
  else yield* unsafe("CREATE TABLE IF NOT EXISTS aw_migrations_lock (id INTEGER PRIMARY KEY)")
  yield* unsafe(
    `CREATE TABLE IF NOT EXISTS aw_migrations (
       package TEXT NOT NULL,
       name TEXT NOT NULL,
       applied_at TEXT NOT NULL,
       PRIMARY KEY (package, name)
     )`
  )
})

/**
 * Applies every pending migration. Idempotent: a second run applies nothing.
 * @since 0.1.0
 * @category execution
 */
export const run = (
  packages: ReadonlyArray<PackageMigrations>
): Effect.Effect<ReadonlyArray<Applied>, StorageError, Storage | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const ordered = registry(packages)
    yield* transaction(ensureTables)
    const applied: Array<Applied> = []
    for (const pkg of ordered) {
      const done = yield* transaction(
        Effect.gen(function* () {
          yield* lock
          const existing = yield* q.rows((db) =>
            db.selectFrom("aw_migrations").select("name").where("package", "=", pkg.package)
          )
          const names = new Set(existing.map((r) => r.name))
          const now: Array<Applied> = []
          for (const m of pkg.migrations) {
            if (names.has(m.name)) continue
            const id = `${pkg.package}/${m.name}`
            yield* m.up.pipe(
              Effect.mapError(
                (cause) =>
                  new StorageError({
                    reason: "migration",
                    migration: id,
                    message: `Migration ${id} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
                    cause
                  })
              )
            )
            const at = new Date(yield* Clock.currentTimeMillis).toISOString()
            yield* q.exec((db) =>
              db.insertInto("aw_migrations").values({ package: pkg.package, name: m.name, applied_at: at })
            )
            now.push({ package: pkg.package, name: m.name })
          }
          return now
        })
      )
      applied.push(...done)
    }
    // Row-level security follows the storage layer's option: on, every aw_ tenant table (new ones
    // too) is covered; off, covered tables are refused, since every statement would see nothing.
    const { dialect, rowLevelSecurity } = yield* Storage
    if (dialect === "pg") {
      yield* transaction(
        Effect.zipRight(lock, rowLevelSecurity === true ? RowLevelSecurity.enable : RowLevelSecurity.refuseIfCovered)
      )
    }
    return applied
  }).pipe(RowLevelSecurity.acrossTenants)

/**
 * What has been applied, in order.
 * @since 0.1.0
 * @category queries
 */
export const applied: Effect.Effect<
  ReadonlyArray<Applied & { readonly applied_at: string }>,
  StorageError,
  Storage | SqlClient.SqlClient
> = q.rows((db) =>
  db
    .selectFrom("aw_migrations")
    .select(["package", "name", "applied_at"])
    .orderBy("applied_at")
    .orderBy("package")
    .orderBy("name")
)
