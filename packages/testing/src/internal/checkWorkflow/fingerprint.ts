// What the database holds for a run's tenant: row counts of every table a command may write, and the records.
import { Query, type Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { canonical } from "./recordData.js"

/** A stored record, with `raw` as the comparable form of everything a command may change in it. */
export interface Row {
  readonly id: string
  readonly type: string
  readonly ref: string
  readonly state: string
  readonly version: number
  readonly ownerId: string | null
  readonly createdBy: string
  readonly data: unknown
  readonly raw: string
}

export interface Fingerprint {
  readonly counts: { readonly [table: string]: number }
  readonly rows: ReadonlyMap<string, Row>
}

const countedTables = [
  "aw_records",
  "aw_record_history",
  "aw_record_attachments",
  "aw_record_verifications",
  "aw_record_approvals",
  "aw_record_signatures",
  "aw_record_comments",
  "aw_record_links",
  "aw_record_idempotency",
  "aw_audit_events",
  "aw_audit_sensitive"
] as const

/** The tenant's row counts (and removed links, reference numbers, audit sequence) and its records. */
export const fingerprint = (
  dialect: Storage.Dialect,
  tenant: string
): Effect.Effect<Fingerprint, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const p = dialect === "pg" ? "$1" : "?"
    const parts = [
      ...countedTables.map((t) => `(SELECT count(*) FROM ${t} WHERE tenant_id = ${p}) AS ${t}`),
      `(SELECT count(*) FROM aw_record_links WHERE tenant_id = ${p} AND removed_at IS NOT NULL) AS removed_links`,
      `(SELECT coalesce(sum(last_number), 0) FROM aw_record_refs WHERE tenant_id = ${p}) AS refs`,
      `(SELECT coalesce(max(sequence), 0) FROM aw_audit_events WHERE tenant_id = ${p}) AS audit_sequence`
    ]
    const params = dialect === "pg" ? [tenant] : parts.map(() => tenant)
    const [countRow] = yield* Query.unsafe<Record<string, unknown>>(`SELECT ${parts.join(", ")}`, params)
    const counts = Object.fromEntries(Object.entries(countRow ?? {}).map(([k, v]) => [k, Number(v)]))
    const rows = yield* Query.unsafe<Record<string, unknown>>(
      `SELECT id, type, ref, title, state, version, owner_id, created_by, due_at, closed_at, updated_at, data FROM aw_records WHERE tenant_id = ${p} ORDER BY id`,
      [tenant]
    )
    const map = new Map<string, Row>()
    for (const r of rows) map.set(String(r.id), rowOf(r))
    return { counts, rows: map }
  })

const rowOf = (r: Record<string, unknown>): Row => {
  const data = typeof r.data === "string" ? JSON.parse(r.data) : r.data
  return {
    id: String(r.id),
    type: String(r.type),
    ref: String(r.ref),
    state: String(r.state),
    version: Number(r.version),
    ownerId: r.owner_id === null || r.owner_id === undefined ? null : String(r.owner_id),
    createdBy: String(r.created_by),
    data,
    raw: JSON.stringify([
      r.title,
      r.state,
      Number(r.version),
      r.owner_id,
      r.due_at,
      r.closed_at,
      r.updated_at,
      canonical(data)
    ])
  }
}

/** What changed between two fingerprints, in words (empty when nothing did). */
export const differences = (a: Fingerprint, b: Fingerprint): Array<string> => {
  const out: Array<string> = []
  for (const [k, v] of Object.entries(a.counts)) {
    if (b.counts[k] !== v) out.push(`${k}: ${v} → ${b.counts[k]}`)
  }
  for (const [id, row] of b.rows) {
    const before = a.rows.get(id)
    if (before === undefined) out.push(`record ${row.ref} appeared`)
    else if (before.raw !== row.raw)
      out.push(
        `record ${row.ref} changed (state ${before.state} → ${row.state}, version ${before.version} → ${row.version})`
      )
  }
  for (const [id, row] of a.rows) if (!b.rows.has(id)) out.push(`record ${row.ref} disappeared`)
  return out
}
