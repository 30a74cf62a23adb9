/**
 * What happens around a finding inside the transaction of its commands: a response task for the
 * owner (due by the level's policy) and an email when it is raised; the response task is completed
 * when the response is submitted, and any open finding task when the finding closes.
 *
 * @since 0.1.0
 */
import { Guard } from "@airworthy/core"
import type { Notify } from "@airworthy/notify"
import { RecordHooks } from "@airworthy/records"
import { type Directory, Tasks } from "@airworthy/tasks"
import { Effect } from "effect"
import { tell, toDateTime } from "../internal/support.js"
import * as Finding from "./Finding.js"

const completeOpenTasks = (tasks: Tasks.Service, findingId: string, kinds: (kind: string) => boolean) =>
  Effect.gen(function* () {
    const list = yield* tasks.byRecord({ type: "finding", id: findingId })
    for (const t of list) {
      if ((t.status === "open" || t.status === "in_progress") && kinds(t.kind)) {
        // Someone without task.complete may still act on the finding; the task then stays for the owner.
        yield* tasks.complete({ id: t.id }).pipe(Effect.catchTag("Forbidden", () => Effect.void))
      }
    }
  })

/**
 * The finding hooks, over the `Tasks`, `Directory` and `Notify` services in context.
 * @since 0.1.0
 * @category rules
 */
export const hooks: Effect.Effect<
  ReadonlyArray<RecordHooks.Hook>,
  never,
  Tasks.Tasks | Directory.Directory | Notify.Notify
> = Effect.gen(function* () {
  const tasks = yield* Tasks.Tasks
  const context = yield* Effect.context<Directory.Directory | Notify.Notify>()
  return [
    RecordHooks.onCreated(
      (change) =>
        Effect.gen(function* () {
          const r = change.record
          const level = Guard.valueAt(r.data, "level") as Finding.Level
          const owner = r.ownerId ?? r.createdBy
          const due = toDateTime(r.dueAt)
          yield* tasks.createByRule(
            {
              kind: Finding.taskKind(level),
              title: `Respond to ${r.ref}: ${r.title}`.slice(0, 500),
              records: [{ type: "finding", id: r.id }],
              ownerId: owner,
              assigneeId: owner,
              priority: level === "1" ? "urgent" : "normal",
              ...(due === undefined ? {} : { dueAt: due })
            },
            "finding_response"
          )
          yield* tell(
            [owner],
            Finding.raisedTemplate,
            {
              ref: r.ref,
              title: r.title,
              level,
              requirement: String(Guard.valueAt(r.data, "requirement") ?? ""),
              dueAt: r.dueAt
            },
            { type: "finding", id: r.id }
          ).pipe(Effect.provide(context))
        }),
      { type: "finding", name: "qms.finding_raised" }
    ),
    RecordHooks.onTransition(
      "submit_response",
      (change) => completeOpenTasks(tasks, change.record.id, (k) => k.startsWith("finding_")),
      { type: "finding", name: "qms.finding_response_done" }
    ),
    RecordHooks.onTransition("close", (change) => completeOpenTasks(tasks, change.record.id, () => true), {
      type: "finding",
      name: "qms.finding_closed"
    })
  ]
})
