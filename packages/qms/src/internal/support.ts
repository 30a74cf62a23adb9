// Small pieces the QMS modules share: paging through records, telling people, ISO times.

import type { AuditError, AuditLog } from "@airworthy/audit"
import { Actor, type Errors, Errors as ErrorsValue, type Policy } from "@airworthy/core"
import { Notify, type Template } from "@airworthy/notify"
import { type QmsRecord, type RecordHooks, Records } from "@airworthy/records"
import type { Storage, StorageError } from "@airworthy/storage"
import type { Tasks } from "@airworthy/tasks"
import { Directory } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { Clock, Effect, Option, Schema } from "effect"

/** Now, from Effect's Clock, as ISO-8601 UTC. */
export const nowIso: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** Now in epoch milliseconds, from Effect's Clock. */
export const nowMillis: Effect.Effect<number> = Clock.currentTimeMillis

/** Every record matching the filter, following the keyset pages. */
export const listAll = (filter: Records.ListFilter) =>
  Effect.gen(function* () {
    const out: Array<QmsRecord.QmsRecord> = []
    let cursor: string | undefined
    for (;;) {
      const page = yield* Records.list({ ...filter, limit: 500, ...(cursor === undefined ? {} : { cursor }) })
      out.push(...page.items)
      if (page.nextCursor === null) return out
      cursor = page.nextCursor
    }
  })

/** Adds months to an ISO instant (calendar months, UTC). */
export const addMonths = (iso: string, months: number): string => {
  const d = new Date(iso)
  d.setUTCMonth(d.getUTCMonth() + months)
  return d.toISOString()
}

/** Adds hours to an ISO instant. */
export const addHours = (iso: string, hours: number): string =>
  new Date(Date.parse(iso) + hours * 3_600_000).toISOString()

/**
 * Queues a notification to the given people (by actor id), in the current transaction. People the
 * directory has no address for are skipped: the task ladder still reaches them through their tasks.
 */
export const tell = <K extends string, P, I>(
  actorIds: ReadonlyArray<string | null | undefined>,
  template: Template.Template<K, P, I>,
  params: I,
  record: { readonly type: string; readonly id: string }
): Effect.Effect<
  void,
  StorageError.StorageError | Errors.ValidationFailed,
  Notify.Notify | Directory.Directory | Actor.CurrentActor
> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const directory = yield* Directory.Directory
    const ids = [...new Set(actorIds.filter((x): x is string => typeof x === "string" && x !== ""))]
    const recipients: Array<{ email: string; name: string }> = []
    for (const id of ids) {
      const contact = yield* directory.contactOf(actor.tenantId, id)
      if (Option.isSome(contact)) recipients.push({ email: contact.value.email, name: contact.value.displayName })
    }
    if (recipients.length === 0) return
    yield* Notify.enqueue({ template, params, recipients, record })
  })

/** A date (`2026-05-01`) or date-time as an ISO-8601 date-time, as tasks expect; undefined when absent or unreadable. */
export const toDateTime = (value: string | null | undefined): string | undefined => {
  if (value === null || value === undefined || value.trim() === "") return undefined
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** Decodes a command's input; bad input is `ValidationFailed` listing every field. */
export const decodeInput =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (input: unknown): Effect.Effect<A, Errors.ValidationFailed> =>
    Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "error" })(input).pipe(
      Effect.mapError((e) => ErrorsValue.fromParseError(e))
    )

/** Everything a QMS command or query may fail with. */
export type Failure = RecordHooks.Failure | AuditError.CursorExpired

/** Everything a QMS command or query may need (all given by `Qms.layer`), and the actor. */
export type Needs =
  | Records.Records
  | Tasks.Tasks
  | Notify.Notify
  | Directory.Directory
  | AuditLog.AuditLog
  | Policy.Policy
  | Storage.Storage
  | SqlClient.SqlClient
  | Actor.CurrentActor

/** A QMS command or query. */
export type Command<A> = Effect.Effect<A, Failure, Needs>
