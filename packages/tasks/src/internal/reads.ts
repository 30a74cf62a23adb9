// Reading tasks: one by id, the actor's own, those of a record; every read is `task.read`, in the actor's tenant.
import { Actor, Policy } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import { Effect } from "effect"
import * as Task from "../Task.js"
import type { Method } from "./context.js"
import { decode } from "./decode.js"
import { load, withLinks } from "./store.js"
import type { Tables, TaskRow } from "./tables.js"

const q = Query.make<Tables>()

/** Tasks the query selects, with their links, after `task.read`. */
const list = (build: Parameters<typeof q.rows<TaskRow>>[0]) =>
  Effect.gen(function* () {
    yield* Policy.authorize("task.read")
    const actor = yield* Actor.CurrentActor
    return yield* withLinks(actor.tenantId, yield* q.rows(build))
  })

export const get: Method<"get"> = (tasks, id) =>
  Effect.gen(function* () {
    yield* Policy.authorize("task.read")
    const actor = yield* Actor.CurrentActor
    return yield* load(tasks, actor.tenantId, id, false)
  })

export const mine: Method<"mine"> = (_tasks, options = {}) =>
  Effect.flatMap(Actor.CurrentActor, (actor) =>
    list((db) => {
      const base = db
        .selectFrom("aw_tasks")
        .selectAll()
        .where("tenant_id", "=", actor.tenantId)
        .where("assignee_id", "=", actor.actorId)
      return (options.includeClosed === true ? base : base.where("status", "in", ["open", "in_progress"]))
        .orderBy("due_at")
        .orderBy("id")
        .limit(1000)
    })
  )

export const byRecord: Method<"byRecord"> = (_tasks, record) =>
  Effect.gen(function* () {
    const ref = yield* decode(Task.RecordRef)(record)
    const actor = yield* Actor.CurrentActor
    return yield* list((db) =>
      db
        .selectFrom("aw_tasks")
        .selectAll()
        .where("tenant_id", "=", actor.tenantId)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom("aw_task_links")
              .select("task_id")
              .whereRef("aw_task_links.tenant_id", "=", "aw_tasks.tenant_id")
              .whereRef("aw_task_links.task_id", "=", "aw_tasks.id")
              .where("record_type", "=", ref.type)
              .where("record_id", "=", ref.id)
          )
        )
        .orderBy("created_at")
        .orderBy("id")
        .limit(1000)
    )
  })
