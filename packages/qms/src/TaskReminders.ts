/**
 * Task reminders and escalations as emails: the tasks sweeper's `TaskNotifier` port implemented
 * over the notification outbox, with the reminder and escalation templates. It lives here, where
 * tasks and notifications are composed, so neither package imports the other.
 *
 * ```ts
 * const live = Sweeper.layer().pipe(Layer.provide(TaskReminders.layer), Layer.provide(Notify.layer()))
 * ```
 *
 * @since 0.1.0
 */
import { Notify, Template } from "@airworthy/notify"
import { TaskNotifier } from "@airworthy/tasks"
import { Effect, Layer, Schema } from "effect"

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

const request = (n: TaskNotifier.Notice) =>
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
export const make: Effect.Effect<TaskNotifier.Service, never, Notify.Notify> = Effect.map(Notify.Notify, (notify) => ({
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
      (prepared): TaskNotifier.PreparedNotices => ({
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
export const layer: Layer.Layer<TaskNotifier.TaskNotifier, never, Notify.Notify> = Layer.effect(
  TaskNotifier.TaskNotifier,
  make
)
