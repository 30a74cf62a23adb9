/**
 * What happens around a CAPA inside the transaction of its commands: when the plan is approved each
 * corrective and preventive action becomes a task for its owner (once, even when the plan is
 * approved again after a failed effectiveness check), the root-cause task is done when the root
 * cause is recorded (`plan_actions`), the owner gets an effectiveness-check task
 * when implementation is complete, and open CAPA tasks are closed with the CAPA.
 *
 * @since 0.1.0
 */
import type { Notify } from "@airworthy/notify"
import { type QmsRecord, RecordHooks } from "@airworthy/records"
import { type Directory, Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import { tell, toDateTime } from "../internal/support.js"
import * as Capa from "./Capa.js"

const actionsOf = (record: QmsRecord.QmsRecord): ReadonlyArray<Capa.Action> => {
  const decoded = Schema.decodeUnknownOption(Capa.CapaData)(record.data)
  return decoded._tag === "Some" ? (decoded.value.actions ?? []) : []
}

/**
 * The CAPA hooks, over the `Tasks`, `Directory` and `Notify` services in context.
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
  const openTasks = (capaId: string) =>
    Effect.map(tasks.byRecord({ type: "capa", id: capaId }), (list) =>
      list.filter((t) => t.status === "open" || t.status === "in_progress")
    )
  return [
    RecordHooks.onTransition(
      "approve_plan",
      (change) =>
        Effect.gen(function* () {
          const r = change.record
          const existing = new Set((yield* tasks.byRecord({ type: "capa", id: r.id })).map((t) => t.title))
          let n = 0
          for (const action of actionsOf(r)) {
            n++
            const title =
              `${action.kind === "corrective" ? "Corrective" : "Preventive"} action ${n} on ${r.ref}: ${action.text}`.slice(
                0,
                500
              )
            if (existing.has(title)) continue
            const due = toDateTime(action.dueAt)
            yield* tasks.createByRule(
              {
                kind: action.kind === "corrective" ? Capa.taskKinds.corrective : Capa.taskKinds.preventive,
                title,
                records: [{ type: "capa", id: r.id }],
                ownerId: action.ownerId,
                assigneeId: action.ownerId,
                ...(due === undefined ? {} : { dueAt: due })
              },
              "capa_action"
            )
            yield* tell(
              [action.ownerId],
              Capa.actionTemplate,
              { ref: r.ref, kind: action.kind, text: action.text, dueAt: action.dueAt },
              { type: "capa", id: r.id }
            ).pipe(Effect.provide(context))
          }
        }),
      { type: "capa", name: "qms.capa_actions" }
    ),
    RecordHooks.onTransition(
      "plan_actions",
      (change) =>
        Effect.gen(function* () {
          // The root cause is recorded: the root-cause task is done.
          for (const t of yield* openTasks(change.record.id)) {
            if (t.kind === Capa.taskKinds.rootCause) {
              yield* tasks.complete({ id: t.id }).pipe(Effect.catchTag("Forbidden", () => Effect.void))
            }
          }
        }),
      { type: "capa", name: "qms.capa_root_cause_done" }
    ),
    RecordHooks.onTransition(
      "complete_implementation",
      (change) =>
        Effect.gen(function* () {
          const r = change.record
          const planned = r.data as { effectiveness?: { plannedAt?: string } } | null
          const due = toDateTime(planned?.effectiveness?.plannedAt)
          const owner = r.ownerId ?? r.createdBy
          yield* tasks.createByRule(
            {
              kind: Capa.taskKinds.effectiveness,
              title: `Check the effectiveness of ${r.ref}`,
              records: [{ type: "capa", id: r.id }],
              ownerId: owner,
              assigneeId: owner,
              ...(due === undefined ? {} : { dueAt: due })
            },
            "capa_effectiveness"
          )
        }),
      { type: "capa", name: "qms.capa_effectiveness_task" }
    ),
    RecordHooks.onTransition(
      "*",
      (change) =>
        change.transition?.to === "closed" || change.transition?.to === "cancelled"
          ? Effect.gen(function* () {
              for (const t of yield* openTasks(change.record.id)) {
                const done =
                  change.transition?.to === "closed" ? tasks.complete({ id: t.id }) : tasks.cancel({ id: t.id })
                yield* done.pipe(Effect.catchTag("Forbidden", () => Effect.void))
              }
            })
          : Effect.void,
      { type: "capa", name: "qms.capa_ended" }
    )
  ]
})
