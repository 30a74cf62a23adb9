// Reading the email log of the actor's tenant: entries by record, status or notification, and one
// message with its rendered bodies.
import { Actor, Errors } from "@airworthy/core"
import { Query, type StorageError } from "@airworthy/storage"
import { Effect } from "effect"
import * as EmailLog from "../EmailLog.js"
import type { NotifyContext } from "./notifyContext.js"
import { entryColumns, fromRow, type Tables } from "./store.js"

const q = Query.make<Tables>()

export const emailLog = (
  notify: NotifyContext,
  filter: EmailLog.Filter = {}
): Effect.Effect<ReadonlyArray<EmailLog.Entry>, StorageError.StorageError, Actor.CurrentActor> =>
  notify.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const statuses =
        filter.status === undefined ? undefined : typeof filter.status === "string" ? [filter.status] : filter.status
      const limit = Math.max(1, Math.min(filter.limit ?? 1000, 10_000))
      const rows = yield* q.rows((db) => {
        let query = db.selectFrom("aw_notify_email_log").select(entryColumns).where("tenant_id", "=", actor.tenantId)
        if (filter.recordType !== undefined) query = query.where("record_type", "=", filter.recordType)
        if (filter.recordId !== undefined) query = query.where("record_id", "=", filter.recordId)
        if (filter.notificationId !== undefined) query = query.where("notification_id", "=", filter.notificationId)
        if (statuses !== undefined) {
          query = statuses.length === 0 ? query.where((eb) => eb.val(1), "=", 0) : query.where("status", "in", statuses)
        }
        return query.orderBy("queued_at").orderBy("id").limit(limit)
      })
      return rows.map(fromRow)
    })
  )

export const message = (
  notify: NotifyContext,
  id: string
): Effect.Effect<EmailLog.Message, Errors.NotFound | StorageError.StorageError, Actor.CurrentActor> =>
  notify.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const rows = yield* q.rows((db) =>
        db
          .selectFrom("aw_notify_email_log")
          .select([...entryColumns, "body_text", "body_html"])
          .where("tenant_id", "=", actor.tenantId)
          .where("id", "=", id)
      )
      const row = rows[0]
      if (row === undefined) return yield* new Errors.NotFound({ entity: "Notification message", id })
      return new EmailLog.Message(
        { entry: fromRow(row), subject: row.subject, text: row.body_text, html: row.body_html },
        { disableValidation: true }
      )
    })
  )
