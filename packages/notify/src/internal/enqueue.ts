// Writing to the outbox: `enqueue` (one request), `enqueuePrepared` (prepared requests, multi-row
// inserts) and `enqueueMany` (both halves), each in the caller's transaction or its own.
import { Actor, Errors, Ids } from "@airworthy/core"
import { Query, type StorageError } from "@airworthy/storage"
import { Clock, Effect, Option } from "effect"
import type { AnyEnqueueInput, Delivery, Enqueued, EnqueueInput, Prepared } from "../Notify.js"
import * as Template from "../Template.js"
import { chunk, insertMany } from "./bulkInsert.js"
import { NotBefore, Recipients } from "./inputs.js"
import type { NotifyContext } from "./notifyContext.js"
import { prepareMany } from "./prepare.js"
import { insertColumns, type Tables } from "./store.js"
import { decode } from "./validation.js"

const q = Query.make<Tables>()

export const enqueue = <K extends string, P, I>(
  notify: NotifyContext,
  input: EnqueueInput<K, P, I>
): Effect.Effect<Enqueued, Errors.ValidationFailed | StorageError.StorageError, Actor.CurrentActor> =>
  notify.provided(
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      // Validate everything before writing anything; every problem is reported at once.
      const [params, recipients, record, notBefore] = yield* Effect.all(
        [
          Template.decodeParams(input.template, input.params),
          decode(Recipients, "recipients")(input.recipients),
          input.record === undefined ? Effect.succeed(undefined) : decode(Template.RecordRef, "record")(input.record),
          input.notBefore === undefined ? Effect.succeed(undefined) : decode(NotBefore, "notBefore")(input.notBefore)
        ],
        { mode: "validate" }
      ).pipe(
        Effect.mapError(
          (errors) =>
            new Errors.ValidationFailed({
              issues: errors.flatMap((e) => (Option.isSome(e) ? e.value.issues : []))
            })
        )
      )
      const seen = new Set<string>()
      const unique = recipients.filter((r) => {
        const key = r.email.toLowerCase()
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
      const rendered = yield* Effect.sync(() =>
        unique.map((recipient) => ({
          recipient,
          message: Template.renderDecoded(input.template, { params, recipient, record })
        }))
      )
      const now = new Date(yield* Clock.currentTimeMillis).toISOString()
      const due = notBefore === undefined ? now : new Date(notBefore).toISOString()
      const notificationId = yield* notify.ids.next
      const rows = yield* Effect.forEach(rendered, ({ recipient, message }) =>
        Effect.map(notify.ids.next, (id) => ({ id, recipient, message, messageId: `<${id}@${notify.domain}>` }))
      )
      yield* notify.inTransaction(
        Effect.forEach(
          chunk(rows, 500),
          (part) =>
            q.exec((db) =>
              db.insertInto("aw_notify_email_log").values(
                part.map((r) => ({
                  id: r.id,
                  tenant_id: actor.tenantId,
                  notification_id: notificationId,
                  recipient: r.recipient.email,
                  recipient_name: r.recipient.name ?? null,
                  subject: r.message.subject,
                  template: input.template.kind,
                  status: "queued",
                  attempts: 0,
                  last_error: null,
                  provider_message_id: null,
                  message_id: r.messageId,
                  record_type: record?.type ?? null,
                  record_id: record?.id ?? null,
                  queued_at: now,
                  sent_at: null,
                  last_attempt_at: null,
                  next_attempt_at: due,
                  body_text: r.message.text,
                  body_html: r.message.html,
                  claimed_by: null,
                  claimed_until: null
                }))
              )
            ),
          { discard: true }
        )
      )
      return {
        notificationId,
        template: input.template.kind,
        deliveries: rows.map((r) => ({ id: r.id, recipient: r.recipient.email, messageId: r.messageId }))
      } satisfies Enqueued
    })
  )

export const enqueuePrepared = (
  notify: NotifyContext,
  prepared: Prepared,
  only?: ReadonlyArray<number>
): Effect.Effect<ReadonlyArray<Enqueued>, StorageError.StorageError, Actor.CurrentActor> =>
  notify.provided(
    Effect.gen(function* () {
      const picked =
        only === undefined ? prepared.requests : only.map((i) => prepared.requests[i]!).filter((r) => r !== undefined)
      if (picked.length === 0) return [] as ReadonlyArray<Enqueued>
      const actor = yield* Actor.CurrentActor
      const now = new Date(yield* Clock.currentTimeMillis).toISOString()
      // In `insertColumns` order.
      const log: Array<ReadonlyArray<string | null>> = []
      const results: Array<Enqueued> = new Array(picked.length)
      // Ids in the order one enqueue per request would take them: the notification's, then its messages'.
      let count = 0
      for (const p of picked) count += 1 + p.messages.length
      const fresh = yield* Ids.many(notify.ids, count)
      let taken = 0
      for (let r = 0; r < picked.length; r++) {
        const p = picked[r]!
        const due = p.notBefore ?? now
        const notificationId = fresh[taken++]!
        const deliveries: Array<Delivery> = new Array(p.messages.length)
        for (let m = 0; m < p.messages.length; m++) {
          const { recipient, message } = p.messages[m]!
          const id = fresh[taken++]!
          const messageId = `<${id}@${notify.domain}>`
          log.push([
            id,
            actor.tenantId,
            notificationId,
            recipient.email,
            recipient.name ?? null,
            message.subject,
            p.template,
            "queued",
            messageId,
            p.record?.type ?? null,
            p.record?.id ?? null,
            now,
            due,
            message.text,
            message.html
          ])
          deliveries[m] = { id, recipient: recipient.email, messageId }
        }
        results[r] = { notificationId, template: p.template, deliveries }
      }
      if (log.length > 0) {
        yield* notify.inTransaction(insertMany(notify.dialect, "aw_notify_email_log", insertColumns, log))
      }
      return results as ReadonlyArray<Enqueued>
    })
  )

export const enqueueMany = (
  notify: NotifyContext,
  requests: ReadonlyArray<AnyEnqueueInput>
): Effect.Effect<ReadonlyArray<Enqueued>, Errors.ValidationFailed | StorageError.StorageError, Actor.CurrentActor> =>
  requests.length === 0
    ? Effect.succeed([] as ReadonlyArray<Enqueued>)
    : Effect.flatMap(prepareMany(requests), (prepared) => enqueuePrepared(notify, prepared))
