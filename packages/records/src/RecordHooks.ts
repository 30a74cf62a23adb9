/**
 * In-transaction hooks: how later packages (tasks, notifications, the QMS modules) add their own
 * writes to the transaction of a record command. A hook runs after the record, its history and its
 * audit event are written and before the commit; if it fails, everything rolls back.
 *
 * ```ts
 * const openTask = RecordHooks.onTransition("open", (change) => Tasks.create(...), { type: "capa" })
 * const hooks = RecordHooks.layer(openTask, RecordHooks.onCreated(notifyOwner))
 * ```
 *
 * Hooks run as the command's actor, inside its transaction, with `Records` itself available (a
 * record created by a hook commits or rolls back with the command, and its bus event is published
 * with the command's).
 *
 * @since 0.1.0
 */

import type { AuditLog } from "@airworthy/audit"
import type { Actor, Errors, Ids, Policy } from "@airworthy/core"
import type { Storage, StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Schema } from "effect"
import type * as QmsRecord from "./QmsRecord.js"
import type { ChangeKind } from "./RecordEvent.js"
import type { Records } from "./Records.js"

/**
 * A hook failed for a reason that is none of the usual command errors; the command rolled back.
 * @since 0.1.0
 * @category errors
 */
export class HookFailed extends Schema.TaggedError<HookFailed>()("HookFailed", {
  hook: Schema.String,
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  static readonly problem = {
    problemType: "https://airworthy.dev/problems/hook-failed",
    title: "A follow-up action failed",
    status: 500,
    code: "hook_failed"
  } as const
  readonly problemType = HookFailed.problem.problemType
  readonly title = HookFailed.problem.title
  readonly status = HookFailed.problem.status
  readonly code = HookFailed.problem.code
  override get message() {
    return `${this.hook}: ${this.detail}`
  }
}

/**
 * Everything a record command (and so a hook) may fail with.
 * @since 0.1.0
 * @category errors
 */
export type Failure =
  | Errors.Forbidden
  | Errors.NotFound
  | Errors.ValidationFailed
  | Errors.StaleVersion
  | Errors.IdempotencyConflict
  | Errors.InvalidTransition
  | Errors.GuardsFailed
  | Errors.Unauthenticated
  | StorageError.StorageError
  | HookFailed

/**
 * What a hook may use: the command's actor and transaction, storage, ids, the audit log, the
 * policy and the records service.
 * @since 0.1.0
 * @category models
 */
export type Services =
  | Actor.CurrentActor
  | Storage.Storage
  | SqlClient.SqlClient
  | Ids.Ids
  | AuditLog.AuditLog
  | Policy.Policy
  | Records

/**
 * The change a hook sees. `record` is the record after the command; `before` is set when the
 * record itself changed (update, assign, transition).
 * @since 0.1.0
 * @category models
 */
export interface Change {
  readonly kind: ChangeKind
  readonly record: QmsRecord.QmsRecord
  readonly before?: QmsRecord.QmsRecord
  readonly transition?: { readonly name: string; readonly from: string; readonly to: string }
  readonly link?: QmsRecord.Link
  readonly comment?: QmsRecord.Comment
  readonly attachment?: QmsRecord.Attachment
  readonly verification?: QmsRecord.Verification
  readonly approval?: QmsRecord.Approval
  readonly signature?: QmsRecord.Signature
  readonly reason?: string
  readonly correlationId?: string
  /** The sequence of the audit event this command appended for the record. */
  readonly auditSequence: number
}

/**
 * A hook body.
 * @since 0.1.0
 * @category models
 */
export type Run = (change: Change) => Effect.Effect<void, Failure, Services>

/**
 * A registered hook: which changes it wants and what it does.
 * @since 0.1.0
 * @category models
 */
export interface Hook {
  readonly name: string
  /** `*` for every kind. */
  readonly kind: ChangeKind | "*"
  /** Only this transition (for `transitioned`). */
  readonly transition?: string
  /** Only records of this type. */
  readonly type?: string
  readonly run: Run
}

interface Options {
  readonly type?: string
  readonly name?: string
}

const hook = (kind: ChangeKind | "*", run: Run, options: Options, transition?: string): Hook => ({
  name: options.name ?? (transition === undefined ? `on_${kind}` : `on_transition.${transition}`),
  kind,
  ...(transition !== undefined ? { transition } : {}),
  ...(options.type !== undefined ? { type: options.type } : {}),
  run
})

/**
 * Runs when a record is created.
 * @since 0.1.0
 * @category constructors
 */
export const onCreated = (run: Run, options: Options = {}): Hook => hook("created", run, options)

/**
 * Runs when a record's data is updated.
 * @since 0.1.0
 * @category constructors
 */
export const onUpdated = (run: Run, options: Options = {}): Hook => hook("updated", run, options)

/**
 * Runs when a record's owner changes.
 * @since 0.1.0
 * @category constructors
 */
export const onAssigned = (run: Run, options: Options = {}): Hook => hook("assigned", run, options)

/**
 * Runs when a record takes the named transition (`*` for any).
 * @since 0.1.0
 * @category constructors
 */
export const onTransition = (transition: string, run: Run, options: Options = {}): Hook =>
  transition === "*" ? hook("transitioned", run, options) : hook("transitioned", run, options, transition)

/**
 * Runs when a link is added (for the record at each end).
 * @since 0.1.0
 * @category constructors
 */
export const onLinked = (run: Run, options: Options = {}): Hook => hook("linked", run, options)

/**
 * Runs when a comment is added.
 * @since 0.1.0
 * @category constructors
 */
export const onCommented = (run: Run, options: Options = {}): Hook => hook("commented", run, options)

/**
 * Runs on every change of the given kind (`*`: every change).
 * @since 0.1.0
 * @category constructors
 */
export const on = (kind: ChangeKind | "*", run: Run, options: Options = {}): Hook => hook(kind, run, options)

/**
 * The registered hooks.
 * @since 0.1.0
 * @category tags
 */
export class RecordHooks extends Context.Tag("@airworthy/records/RecordHooks")<
  RecordHooks,
  { readonly hooks: ReadonlyArray<Hook> }
>() {}

/**
 * Does the hook want this change?
 * @since 0.1.0
 * @category utils
 */
export const matches = (h: Hook, change: Change): boolean =>
  (h.kind === "*" || h.kind === change.kind) &&
  (h.type === undefined || h.type === change.record.type) &&
  (h.transition === undefined || h.transition === change.transition?.name)

/**
 * The given hooks, run in the order listed.
 * @since 0.1.0
 * @category layers
 */
export const layer = (...hooks: ReadonlyArray<Hook>): Layer.Layer<RecordHooks> => Layer.succeed(RecordHooks, { hooks })

/**
 * Hooks built by an effect (so they can capture the services they need), run in the order listed.
 * @since 0.1.0
 * @category layers
 */
export const layerEffect = <E, R>(hooks: Effect.Effect<ReadonlyArray<Hook>, E, R>): Layer.Layer<RecordHooks, E, R> =>
  Layer.effect(
    RecordHooks,
    Effect.map(hooks, (list) => ({ hooks: list }))
  )

/**
 * No hooks.
 * @since 0.1.0
 * @category layers
 */
export const none: Layer.Layer<RecordHooks> = layer()
