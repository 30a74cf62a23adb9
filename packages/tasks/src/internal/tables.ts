// Row shapes of the tasks tables and small helpers shared by the modules (not exported).
import type { Storage } from "@airworthy/storage"

export interface TaskRow {
  readonly tenant_id: string
  readonly id: string
  readonly kind: string
  readonly title: string
  readonly status: string
  readonly priority: string
  readonly owner_id: string | null
  readonly assignee_id: string | null
  readonly due_at: string | null
  readonly escalation_level: number
  readonly rule: string | null
  readonly created_by: string
  readonly created_at: string
  readonly updated_at: string
  readonly closed_by: string | null
  readonly closed_at: string | null
}

export interface LinkRow {
  readonly tenant_id: string
  readonly task_id: string
  readonly record_type: string
  readonly record_id: string
}

export interface EscalationRow {
  readonly tenant_id: string
  readonly task_id: string
  readonly step_index: number
  readonly name: string
  readonly kind: string
  readonly recipients: string
  readonly level: number
  readonly due_at: string
  readonly state: string
  readonly claimed_by: string | null
  readonly lease_until: string | null
  readonly done_at: string | null
}

export interface DirectoryRow {
  readonly tenant_id: string
  readonly actor_id: string
  readonly display_name: string
  readonly email: string
  readonly roles: string
  readonly supervisor_id: string | null
}

export interface DuePolicyRow {
  readonly tenant_id: string
  readonly kind: string
  readonly due_hours: number
  readonly source: string
  readonly updated_by: string
  readonly updated_at: string
}

export interface Tables {
  readonly aw_tasks: TaskRow
  readonly aw_task_links: LinkRow
  readonly aw_task_escalations: EscalationRow
  readonly aw_task_directory: DirectoryRow
  readonly aw_task_due_policies: DuePolicyRow
}

export const iso = (millis: number): string => new Date(millis).toISOString()

export const hour = 3_600_000
export const day = 24 * hour

/** `$n` on PostgreSQL, `?` on SQLite. */
export const placeholder = (dialect: Storage.Dialect, n: number): string => (dialect === "pg" ? `$${n}` : "?")

export const chunk = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** A PostgreSQL array literal (text form) of strings or numbers, for `$n::text[]` / `$n::int[]`. */
export const pgArray = (values: ReadonlyArray<string | number>): string =>
  `{${values.map((v) => (typeof v === "number" ? String(v) : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`)).join(",")}}`
