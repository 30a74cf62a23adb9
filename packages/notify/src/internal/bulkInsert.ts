// Multi-row INSERTs for many email-log rows: statements sized to each dialect's parameter limit, or
// one array per column on PostgreSQL.
import { Query, type Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export const chunk = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** A PostgreSQL array literal (text form) of strings, numbers and NULLs. */
const pgArray = (values: ReadonlyArray<string | number | null>): string => {
  let out = "{"
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ","
    const v = values[i]
    if (v === null || v === undefined) out += "NULL"
    else if (typeof v === "number") out += String(v)
    // Most values need no escaping; checking first skips a regex replace per value.
    else out += v.includes('"') || v.includes("\\") ? `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"` : `"${v}"`
  }
  return `${out}}`
}

/** Bound parameters per statement: SQLite's default maximum is 32766, PostgreSQL's 65535. */
const parameterLimit = { sqlite: 32_766, pg: 65_535 } as const
/** Rows per statement, also bounded so a statement's text stays reasonable. */
const maxRowsPerInsert = 2_000

const insertSql = (dialect: Storage.Dialect, table: string, columns: ReadonlyArray<string>, rows: number): string => {
  const tuples: Array<string> = []
  let n = 0
  for (let r = 0; r < rows; r++) {
    const slots: Array<string> = []
    for (let c = 0; c < columns.length; c++) slots.push(dialect === "pg" ? `$${++n}` : "?")
    tuples.push(`(${slots.join(", ")})`)
  }
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`
}

/**
 * One multi-row INSERT per chunk of rows, each chunk under the dialect's parameter limit. On
 * PostgreSQL the rows go as one array per column (`INSERT ... SELECT * FROM unnest(...)`): a
 * statement of a few parameters that the server parses once, whatever the row count.
 */
export const insertMany = (
  dialect: Storage.Dialect,
  table: string,
  columns: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string | null>>
): Effect.Effect<void, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> => {
  if (dialect === "pg") {
    const statement = `INSERT INTO ${table} (${columns.join(", ")}) SELECT * FROM unnest(${columns
      .map((_, i) => `$${i + 1}::text[]`)
      .join(", ")})`
    return Effect.forEach(
      chunk(rows, 5_000),
      (part) =>
        Query.unsafe(
          statement,
          columns.map((_, c) => pgArray(part.map((r) => r[c] ?? null)))
        ),
      { discard: true }
    )
  }
  const perStatement = Math.max(1, Math.min(maxRowsPerInsert, Math.floor(parameterLimit[dialect] / columns.length)))
  return Effect.forEach(
    chunk(rows, perStatement),
    (part) => Query.unsafe(insertSql(dialect, table, columns, part.length), part.flat()),
    { discard: true }
  )
}
