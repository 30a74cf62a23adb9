/**
 * How reminders and escalations reach people: a small port with one implementation over the
 * `@airworthy/notify` outbox (`TaskNotifier.layerNotify`). The sweeper calls it inside the
 * transaction that marks the step done, so a notification is queued exactly when the step is
 * performed (the outbox sends after commit).
 *
 * @since 0.1.0
 */
import type { Actor, Errors } from "@airworthy/core"
import { Notify, Template } from "@airworthy/notify"
import type { StorageError } from "@airworthy/storage"
import { Context, Effect, Layer, Schema } from "effect"
import type { Contact } from "./Directory.js"

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
  readonly recipients: ReadonlyArray<Contact>
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
 * @since 0.2.0
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

const Params = Schema.Struct({
  taskId: Schema.String,
  title: Schema.String,
  kind: Schema.String,
  step: Schema.String,
  level: Schema.Number,
  dueAt: Schema.String
})

/**
 * The reminder template (`task.reminder`): before and at the due date.
 * @since 0.1.0
 * @category templates
 */
export const reminder = Template.make(
  {
    kind: "task.reminder",
    subject: ({ params }) => `Task due ${params.dueAt}: ${params.title}`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\nThe task "${params.title}" (${params.kind}) is due ${params.dueAt}.`,
    html: ({ params, recipient }) =>
      Template.html`<p>Dear ${recipient.name ?? recipient.email},</p><p>The task <b>${params.title}</b> (${params.kind}) is due ${params.dueAt}.</p>`
  },
  Params
)

/**
 * The escalation template (`task.escalated`): after the due date.
 * @since 0.1.0
 * @category templates
 */
export const escalated = Template.make(
  {
    kind: "task.escalated",
    subject: ({ params }) => `Overdue task escalated (level ${params.level}): ${params.title}`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\nThe task "${params.title}" (${params.kind}) was due ${params.dueAt} and is still open. It has been escalated to you (level ${params.level}).`,
    html: ({ params, recipient }) =>
      Template.html`<p>Dear ${recipient.name ?? recipient.email},</p><p>The task <b>${params.title}</b> (${params.kind}) was due ${params.dueAt} and is still open. It has been escalated to you (level ${params.level}).</p>`
  },
  Params
)

const request = (n: Notice) =>
  Notify.request({
    template: n.stepKind === "escalation" ? escalated : reminder,
    params: { taskId: n.taskId, title: n.title, kind: n.kind, step: n.step, level: n.level, dueAt: n.dueAt },
    recipients: n.recipients.map((r) => ({ email: r.email, name: r.displayName, actorId: r.actorId })),
    record: { type: "task", id: n.taskId }
  })

/**
 * Queues each notice as one notification (one message per recipient): `notify` through
 * `Notify.enqueue` per notice, `notifyBatch` through one `Notify.enqueueMany` (multi-row inserts),
 * `prepare` through `Notify.prepareMany` and, when written, `Notify.enqueuePrepared`.
 * Notices without recipients are skipped.
 * @since 0.1.0
 * @category constructors
 */
export const makeNotify: Effect.Effect<Service, never, Notify.Notify> = Effect.map(Notify.Notify, (notify) => ({
  notify: (notices) =>
    Effect.forEach(notices, (n) => (n.recipients.length === 0 ? Effect.void : notify.enqueue(request(n))), {
      discard: true
    }),
  notifyBatch: (notices) => {
    const requests = notices.filter((n) => n.recipients.length > 0).map(request)
    return requests.length === 0 ? Effect.void : Effect.asVoid(notify.enqueueMany(requests))
  },
  prepare: (notices) => {
    // Position of each notice among the requests (notices without recipients make none).
    const position: Array<number> = new Array(notices.length)
    const requests: Array<Notify.AnyEnqueueInput> = []
    for (let i = 0; i < notices.length; i++) {
      const n = notices[i]!
      position[i] = n.recipients.length === 0 ? -1 : requests.push(request(n)) - 1
    }
    return Effect.map(
      requests.length === 0 ? Effect.succeed<Notify.Prepared>({ requests: [] }) : notify.prepareMany(requests),
      (prepared): PreparedNotices => ({
        write: (indexes) => {
          const only = indexes.map((i) => position[i] ?? -1).filter((p) => p >= 0)
          return only.length === 0 ? Effect.void : Effect.asVoid(notify.enqueuePrepared(prepared, only))
        }
      })
    )
  }
}))

/**
 * The notifier over the notify outbox.
 * @since 0.1.0
 * @category layers
 */
export const layerNotify: Layer.Layer<TaskNotifier, never, Notify.Notify> = Layer.effect(TaskNotifier, makeNotify)
