/**
 * The notifications module: the email log — who was told what and when about a record or a task,
 * and one message with the exact subject, text and HTML it is sent with. Readable by whoever may
 * read what the message concerns.
 *
 * @since 0.1.0
 */
import { Errors, Policy } from "@airworthy/core"
import { EmailLog, Notify } from "@airworthy/notify"
import { Records } from "@airworthy/records"
import { Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import { ById } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"

const forRecord = QmsModule.operation({
  name: "forRecord",
  operationId: "recordNotifications",
  summary: "The record's email log: who was told what and when, one entry per recipient",
  input: ById,
  output: Schema.Array(EmailLog.Entry),
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id/notifications" },
  run: ({ id }) =>
    Effect.flatMap(Records.get(id), (record) => Notify.emailLog({ recordType: record.type, recordId: record.id }))
})

const forTask = QmsModule.operation({
  name: "forTask",
  operationId: "taskNotifications",
  summary: "The reminders and escalations sent about a task, one entry per recipient",
  input: ById,
  output: Schema.Array(EmailLog.Entry),
  access: QmsModule.permission("task.read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/tasks/:id/notifications" },
  run: ({ id }) => Effect.flatMap(Tasks.get(id), (task) => Notify.emailLog({ recordType: "task", recordId: task.id }))
})

const message = QmsModule.operation({
  name: "message",
  operationId: "notificationMessage",
  summary: "One message of the email log with the exact subject, text and HTML it is sent with",
  input: ById,
  output: EmailLog.Message,
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/notifications/:id" },
  run: ({ id }) =>
    Effect.gen(function* () {
      const found = yield* Notify.message(id)
      // Readable by whoever may read what it concerns: the task, the record, else the audit trail.
      const { recordType, recordId } = found.entry
      if (recordType === "task" && recordId !== null) yield* Tasks.get(recordId)
      else if (recordId !== null) yield* Records.get(recordId)
      else yield* Policy.authorize("audit_trail.read")
      return found
    })
})

const operations: readonly [typeof forRecord, typeof forTask, typeof message] = [forRecord, forTask, message]

/**
 * The notifications module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"notifications", typeof operations> = QmsModule.make({
  name: "notifications",
  label: "Notifications",
  operations
})
