/**
 * How reminders and escalations reach people: a small port the sweeper calls inside the
 * transaction that marks a step done, so a notification is queued exactly when the step is
 * performed. `@airworthy/qms` implements it over the notification outbox (`TaskReminders.layer`);
 * tasks and notifications do not import each other.
 *
 * @since 0.1.0
 */
import type { Actor, Errors } from "@airworthy/core"
import type { Directory, StorageError } from "@airworthy/storage"
import { Context, type Effect } from "effect"

/**
 * One reminder or escalation of one task step, to its recipients.
 * @since 0.1.0
 * @category models
 */
export interface Notice {
  readonly taskId: string
  readonly title: string
  readonly kind: string
  readonly step: string
  readonly stepKind: "reminder" | "due" | "escalation"
  readonly level: number
  readonly dueAt: string
  readonly recipients: ReadonlyArray<Directory.Contact>
}

/**
 * The port.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Queues the notices in the current transaction, as the current actor (its tenant). */
  readonly notify: (
    notices: ReadonlyArray<Notice>
  ) => Effect.Effect<void, Errors.ValidationFailed | StorageError.StorageError, Actor.CurrentActor>
  /**
   * The same, as one write for the whole batch (the sweeper calls it once per claimed batch when
   * the implementation has it, `notify` otherwise). All or nothing: a bad notice writes none.
   */
  readonly notifyBatch?: (
    notices: ReadonlyArray<Notice>
  ) => Effect.Effect<void, Errors.ValidationFailed | StorageError.StorageError, Actor.CurrentActor>
  /**
   * Validates and renders notices before any transaction (the sweeper does it while the previous
   * batch is written); the result's `write` then queues the notices at the given indexes in the
   * current transaction. Optional: without it the sweeper uses `notifyBatch` or `notify`.
   */
  readonly prepare?: (notices: ReadonlyArray<Notice>) => Effect.Effect<PreparedNotices, Errors.ValidationFailed>
}

/**
 * Notices validated and rendered by `prepare`, not yet queued.
 * @since 0.1.0
 * @category models
 */
export interface PreparedNotices {
  /** Queues the notices at these indexes (of the prepared list) in the current transaction. */
  readonly write: (
    indexes: ReadonlyArray<number>
  ) => Effect.Effect<void, Errors.ValidationFailed | StorageError.StorageError, Actor.CurrentActor>
}

/**
 * The task notifier.
 * @since 0.1.0
 * @category tags
 */
export class TaskNotifier extends Context.Tag("@airworthy/tasks/TaskNotifier")<TaskNotifier, Service>() {}
