// Table shapes, row decoding and the hand-built hot-path statements of the audit log.
import type { Storage } from "@airworthy/storage"
import { Schema } from "effect"
import { eventColumns, sensitiveColumns } from "./chain.js"

type Int = number | string

export interface Tables {
  readonly aw_audit_events: {
    readonly tenant_id: string
    readonly sequence: Int
    readonly id: string
    readonly occurred_at: string
    readonly actor_id: string
    readonly action: string
    readonly record_type: string
    readonly record_id: string
    readonly severity: string
    readonly correlation_id: string | null
    readonly envelope: string
    readonly hash: string
  }
  readonly aw_audit_heads: { readonly tenant_id: string; readonly last_sequence: Int; readonly last_hash: string }
  readonly aw_audit_sensitive: {
    readonly tenant_id: string
    readonly event_sequence: Int
    readonly path: string
    readonly salt: string | null
    readonly value: string | null
    readonly erased_at: string | null
    readonly erased_by: string | null
    readonly erase_reason: string | null
  }
  readonly aw_audit_checkpoints: {
    readonly tenant_id: string
    readonly tree_size: Int
    readonly root_hash: string
    readonly signed_at: string
    readonly key_id: string
    readonly signature: string
  }
  readonly aw_audit_purges: {
    readonly tenant_id: string
    readonly up_to_sequence: Int
    readonly from_sequence: Int
    readonly anchor_hash: string
    readonly event_hashes: string
    readonly purged_at: string
    readonly purged_by: string
  }
  readonly aw_audit_purge_permits: { readonly tenant_id: string; readonly up_to_sequence: Int }
  readonly aw_audit_legal_holds: {
    readonly tenant_id: string
    readonly record_type: string
    readonly record_id: string
    readonly reason: string
    readonly placed_at: string
    readonly placed_by: string
  }
}

/** PostgreSQL returns BIGINT as text, SQLite as a number. */
export const DbInt = Schema.Union(Schema.Int, Schema.NumberFromString.pipe(Schema.int()))

export const HeadRow = Schema.Struct({ last_sequence: DbInt, last_hash: Schema.String })

export const EventRowSchema = Schema.Struct({
  tenant_id: Schema.String,
  sequence: DbInt,
  id: Schema.String,
  occurred_at: Schema.String,
  actor_id: Schema.String,
  action: Schema.String,
  record_type: Schema.String,
  record_id: Schema.String,
  severity: Schema.String,
  correlation_id: Schema.NullOr(Schema.String),
  envelope: Schema.String,
  hash: Schema.String
})

export const SensitiveRowSchema = Schema.Struct({
  event_sequence: DbInt,
  path: Schema.String,
  salt: Schema.NullOr(Schema.String),
  value: Schema.NullOr(Schema.String),
  erased_at: Schema.NullOr(Schema.String)
})

export const CheckpointRow = Schema.Struct({
  tenant_id: Schema.String,
  tree_size: DbInt,
  root_hash: Schema.String,
  signed_at: Schema.String,
  key_id: Schema.String,
  signature: Schema.String
})

export const PurgeRow = Schema.Struct({
  up_to_sequence: DbInt,
  from_sequence: DbInt,
  anchor_hash: Schema.String,
  event_hashes: Schema.String
})

export const HoldRow = Schema.Struct({
  record_type: Schema.String,
  record_id: Schema.String,
  reason: Schema.String,
  placed_at: Schema.String,
  placed_by: Schema.String
})

/** A checked integer from a driver value (the verifier's hot loop skips Schema for speed). */
export const toInt = (u: unknown): number => {
  const n = typeof u === "number" ? u : typeof u === "bigint" ? Number(u) : Number.parseInt(String(u), 10)
  if (!Number.isSafeInteger(n)) throw new TypeError(`Not an integer sequence: ${String(u)}`)
  return n
}

const placeholders = (dialect: Storage.Dialect, rows: number, columns: number, offset = 0): string => {
  const out: Array<string> = new Array(rows)
  let n = offset
  for (let r = 0; r < rows; r++) {
    const cells: Array<string> = new Array(columns)
    for (let c = 0; c < columns; c++) cells[c] = dialect === "pg" ? `$${++n}` : "?"
    out[r] = `(${cells.join(", ")})`
  }
  return out.join(", ")
}

const cache = new Map<string, string>()
const cached = (key: string, build: () => string): string => {
  let s = cache.get(key)
  if (s === undefined) {
    s = build()
    cache.set(key, s)
  }
  return s
}

export const insertEvents = (dialect: Storage.Dialect, rows: number, offset = 0): string =>
  cached(
    `events:${dialect}:${rows}:${offset}`,
    () =>
      `INSERT INTO aw_audit_events (${eventColumns.join(", ")}) VALUES ${placeholders(dialect, rows, eventColumns.length, offset)}`
  )

export const insertSensitive = (dialect: Storage.Dialect, rows: number, offset = 0): string =>
  cached(
    `sensitive:${dialect}:${rows}:${offset}`,
    () =>
      `INSERT INTO aw_audit_sensitive (${sensitiveColumns.join(", ")}) VALUES ${placeholders(dialect, rows, sensitiveColumns.length, offset)}`
  )

export const updateHead = (dialect: Storage.Dialect, offset = 0): string =>
  dialect === "pg"
    ? `UPDATE aw_audit_heads SET last_sequence = $${offset + 1}, last_hash = $${offset + 2} WHERE tenant_id = $${offset + 3}`
    : "UPDATE aw_audit_heads SET last_sequence = ?, last_hash = ? WHERE tenant_id = ?"

/**
 * PostgreSQL: one round trip writes the events, their sensitive values and the new head
 * (data-modifying CTEs always run to completion).
 */
export const appendPg = (events: number, sensitive: number): string =>
  cached(`append:${events}:${sensitive}`, () => {
    const parts = [`e AS (${insertEvents("pg", events)})`]
    const offset = events * eventColumns.length
    if (sensitive > 0) parts.push(`s AS (${insertSensitive("pg", sensitive, offset)})`)
    return `WITH ${parts.join(", ")} ${updateHead("pg", offset + sensitive * sensitiveColumns.length)}`
  })

// PostgreSQL: lock the tenant's head row for the rest of the transaction (appends of other tenants
// do not wait). SQLite: the upsert is a write, so the transaction takes the database's write lock
// before it reads the head (a read first could fail later with SQLITE_BUSY_SNAPSHOT under WAL).
export const lockHeadPg = "SELECT last_sequence, last_hash FROM aw_audit_heads WHERE tenant_id = $1 FOR UPDATE"
export const createHeadPg =
  "INSERT INTO aw_audit_heads (tenant_id, last_sequence, last_hash) VALUES ($1, 0, $2) ON CONFLICT (tenant_id) DO NOTHING"
export const lockHeadSqlite =
  "INSERT INTO aw_audit_heads (tenant_id, last_sequence, last_hash) VALUES (?, 0, ?) " +
  "ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = aw_audit_heads.last_sequence " +
  "RETURNING last_sequence, last_hash"

/** Rows per multi-row INSERT: 500 × 12 parameters stays far below both drivers' limits. */
export const batchRows = 500

export const eventSelect = eventColumns.join(", ")

const castValues = (rows: number, columns: number, bigintColumn: number, offset: number): string => {
  const out: Array<string> = new Array(rows)
  let n = offset
  for (let r = 0; r < rows; r++) {
    const cells: Array<string> = new Array(columns)
    for (let c = 0; c < columns; c++) cells[c] = c === bigintColumn ? `$${++n}::bigint` : `$${++n}`
    out[r] = `(${cells.join(", ")})`
  }
  return out.join(", ")
}

/**
 * The head moves from the expected (sequence, hash) to the new one only if it still is the expected
 * one: the conditional UPDATE takes the row lock (waiting for a concurrent append, then re-checking).
 * Parameters: new sequence, new hash, tenant, expected sequence, expected hash.
 */
export const moveHeadSqlite =
  "UPDATE aw_audit_heads SET last_sequence = ?, last_hash = ? WHERE tenant_id = ? AND last_sequence = ? AND last_hash = ? RETURNING tenant_id"

/**
 * SQLite, one event: inserted only if the tenant's head is still the expected one (the trigger of
 * migration 0003 then moves the head). Returns the inserted sequence, or no row when the head moved.
 * Parameters: the event's columns, then tenant, expected sequence, expected hash.
 */
export const appendOneIfHeadSqlite = `INSERT INTO aw_audit_events (${eventColumns.join(", ")}) SELECT ${eventColumns
  .map(() => "?")
  .join(
    ", "
  )} WHERE EXISTS (SELECT 1 FROM aw_audit_heads WHERE tenant_id = ? AND last_sequence = ? AND last_hash = ?) RETURNING sequence`

/**
 * PostgreSQL: the conditional head move and the inserts in one statement; the inserts happen only
 * when the head moved. Returns `n` = 1 when written, 0 when the expected head was stale.
 */
export const appendIfHeadPg = (events: number, sensitive: number): string =>
  cached(`append-if:${events}:${sensitive}`, () => {
    const parts = [
      "h AS (UPDATE aw_audit_heads SET last_sequence = $1, last_hash = $2 WHERE tenant_id = $3 AND last_sequence = $4 AND last_hash = $5 RETURNING 1 AS moved)",
      `e AS (INSERT INTO aw_audit_events (${eventColumns.join(", ")}) SELECT * FROM (VALUES ${castValues(events, eventColumns.length, 1, 5)}) AS v WHERE EXISTS (SELECT 1 FROM h))`
    ]
    if (sensitive > 0) {
      const offset = 5 + events * eventColumns.length
      parts.push(
        `s AS (INSERT INTO aw_audit_sensitive (${sensitiveColumns.join(", ")}) SELECT * FROM (VALUES ${castValues(sensitive, sensitiveColumns.length, 1, offset)}) AS v WHERE EXISTS (SELECT 1 FROM h))`
      )
    }
    return `WITH ${parts.join(", ")} SELECT count(*) AS n FROM h`
  })
