/**
 * Due-date policies as data: how long a task of a kind has, with regulatory defaults each tenant may
 * override (rows of `aw_task_due_policies`).
 *
 * ```ts
 * const policy = yield* DuePolicy.resolve("mro-1", "occurrence_report")  // Option<{ hours: 72, source: "EASA 145.A.60 ..." }>
 * yield* DuePolicy.set({ kind: "finding_level_2", hours: 60 * 24, source: "Company exposition 2.18" })
 * ```
 *
 * Resolution order: the tenant's row, then the defaults in effect (`Defaults`: the ones `Tasks.layer`
 * was configured with over the regulatory ones). An unknown kind has no policy: the task has no due
 * date unless the caller gives one.
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors, Policy } from "@airworthy/core"
import { Query, RowLevelSecurity, type Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Clock, Context, Effect, Option, Schema } from "effect"
import { iso, type Tables } from "./internal/tables.js"

/**
 * How long a task of a kind has, and where that comes from.
 * @since 0.1.0
 * @category models
 */
export interface DuePolicy {
  readonly kind: string
  readonly hours: number
  readonly source: string
}

/**
 * The regulatory defaults (EASA):
 * - `occurrence_report` 72 h: report to the authority within 72 hours of becoming aware
 *   (145.A.60 with Regulation (EU) No 376/2014 Art. 4(7)).
 * - `occurrence_investigation` 30 days: preliminary results of the analysis within 30 days
 *   (Regulation (EU) No 376/2014 Art. 13(4)).
 * - `occurrence_closure` 90 days: final results within three months (Art. 13(4)).
 * - `finding_level_1` 24 h: a level 1 finding needs immediate action (145.B.350; company default).
 * - `finding_level_2` 90 days: corrective action within at most three months (145.B.350).
 * @since 0.1.0
 * @category constants
 */
export const defaults: { readonly [kind: string]: DuePolicy } = {
  occurrence_report: {
    kind: "occurrence_report",
    hours: 72,
    source: "EASA 145.A.60; Regulation (EU) No 376/2014 Art. 4(7): report within 72 hours"
  },
  occurrence_investigation: {
    kind: "occurrence_investigation",
    hours: 30 * 24,
    source: "Regulation (EU) No 376/2014 Art. 13(4): preliminary analysis within 30 days"
  },
  occurrence_closure: {
    kind: "occurrence_closure",
    hours: 90 * 24,
    source: "Regulation (EU) No 376/2014 Art. 13(4): final results within 3 months"
  },
  finding_level_1: {
    kind: "finding_level_1",
    hours: 24,
    source: "EASA 145.B.350: level 1 findings need immediate action (24 h default)"
  },
  finding_level_2: {
    kind: "finding_level_2",
    hours: 90 * 24,
    source: "EASA 145.B.350: level 2 corrective action within at most 3 months"
  }
}

const q = Query.make<Tables>()

/**
 * The defaults in effect, under the tenants' overrides: `Tasks.layer({ duePolicies })` provides its
 * configured policies merged over `defaults`; without that layer, `defaults`.
 * @since 0.1.0
 * @category tags
 */
export class Defaults extends Context.Reference<Defaults>()("@airworthy/tasks/DuePolicy/Defaults", {
  defaultValue: (): { readonly [kind: string]: DuePolicy } => defaults
}) {}

/**
 * The configured policies over the regulatory `defaults` (a configured kind replaces the default one).
 * @since 0.1.0
 * @category constructors
 */
export const withDefaults = (
  configured: { readonly [kind: string]: DuePolicy } = {}
): {
  readonly [kind: string]: DuePolicy
} => ({ ...defaults, ...configured })

/**
 * The policy for a tenant and kind: the tenant's override, else `fallback` (default: the `Defaults`
 * in effect), else none.
 * @since 0.1.0
 * @category queries
 */
export const resolve = (
  tenantId: string,
  kind: string,
  fallback?: { readonly [kind: string]: DuePolicy }
): Effect.Effect<Option.Option<DuePolicy>, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const row = yield* RowLevelSecurity.withTenant(tenantId)(
      q.maybe((db) =>
        db.selectFrom("aw_task_due_policies").selectAll().where("tenant_id", "=", tenantId).where("kind", "=", kind)
      )
    )
    if (Option.isSome(row))
      return Option.some({ kind: row.value.kind, hours: Number(row.value.due_hours), source: row.value.source })
    const policies = fallback ?? (yield* Defaults)
    return Option.fromNullable(Object.hasOwn(policies, kind) ? policies[kind] : undefined)
  })

/**
 * What `set` takes.
 * @since 0.1.0
 * @category models
 */
export const SetInput = Schema.Struct({
  kind: Schema.String.pipe(Schema.pattern(/^[a-z][a-z0-9_]*$/)),
  hours: Schema.Int.pipe(Schema.positive()),
  source: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500))
})

/**
 * Overrides a kind's policy for the current actor's tenant (permission `task.update`; audited as
 * `task.due_policy_set`). Applies to tasks created afterwards.
 * @since 0.1.0
 * @category commands
 */
export const set = (
  input: typeof SetInput.Encoded
): Effect.Effect<
  DuePolicy,
  Errors.ValidationFailed | Errors.Forbidden | StorageError.StorageError,
  Actor.CurrentActor | Policy.Policy | AuditLog.AuditLog | Storage.Storage | SqlClient.SqlClient
> =>
  Effect.gen(function* () {
    yield* Policy.authorize("task.update")
    const actor = yield* Actor.CurrentActor
    const value = yield* Schema.decodeUnknown(SetInput)(input).pipe(
      Effect.mapError(
        (e) => new Errors.ValidationFailed({ issues: [{ path: "", message: e.message.split("\n").join(" ") }] })
      )
    )
    const now = iso(yield* Clock.currentTimeMillis)
    return yield* Query.transaction(
      Effect.gen(function* () {
        const before = yield* resolve(actor.tenantId, value.kind)
        yield* q.exec((db) =>
          db
            .insertInto("aw_task_due_policies")
            .values({
              tenant_id: actor.tenantId,
              kind: value.kind,
              due_hours: value.hours,
              source: value.source,
              updated_by: actor.actorId,
              updated_at: now
            })
            .onConflict((oc) =>
              oc.columns(["tenant_id", "kind"]).doUpdateSet({
                due_hours: value.hours,
                source: value.source,
                updated_by: actor.actorId,
                updated_at: now
              })
            )
        )
        const after: DuePolicy = { kind: value.kind, hours: value.hours, source: value.source }
        yield* AuditLog.append({
          action: "task.due_policy_set",
          recordType: "task_due_policy",
          recordId: value.kind,
          before: Option.getOrNull(Option.map(before, (b) => ({ hours: b.hours, source: b.source }))),
          after: { hours: after.hours, source: after.source }
        })
        return after
      })
    )
  })
