/**
 * Notifications through a transactional outbox. `enqueue` renders a template for each recipient
 * and writes one outbox row and one email-log row per recipient **in the caller's transaction**:
 * if that transaction rolls back, nothing is ever sent. The `Dispatcher` sends after commit.
 *
 * ```ts
 * yield* Query.transaction(Effect.gen(function* () {
 *   yield* saveFinding
 *   yield* Notify.enqueue({
 *     template: findingRaised,
 *     params: { ref: "FND-0042", title: "Torque wrench overdue", dueAt: "2026-05-01" },
 *     recipients: [{ email: "quality@mro.example", name: "Quinn Quality" }],
 *     record: { type: "finding", id: finding.id }
 *   })
 * }))
 * ```
 *
 * @since 0.1.0
 */
import { Actor, Errors, Ids } from "@airworthy/core"
import { Query, Storage, type StorageError } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import { Clock, Context, Effect, Layer, Option, Schema } from "effect"
import type * as EmailLog from "./EmailLog.js"
import { fromRow, type Tables } from "./internal/store.js"
import { decode } from "./internal/validation.js"
import * as Template from "./Template.js"

/**
 * What to send, to whom, about which record.
 * @since 0.1.0
 * @category models
 */
export interface EnqueueInput<K extends string, P, I> {
  readonly template: Template.Template<K, P, I>
  /** Decoded by the template's Schema; bad parameters fail with `ValidationFailed` and nothing is written. */
  readonly params: I
  /** One message (and one email-log row) each; the same address twice is sent once. */
  readonly recipients: ReadonlyArray<Template.RecipientInput>
  /** The record the notification concerns; the email log is queryable by it. */
  readonly record?: { readonly type: string; readonly id: string }
  /** Do not send before this instant (ISO-8601); default: as soon as the transaction commits. */
  readonly notBefore?: string
}

/**
 * One queued message.
 * @since 0.1.0
 * @category models
 */
export interface Delivery {
  /** The outbox and email-log row id. */
  readonly id: string
  readonly recipient: string
  /** The `Message-ID` header every attempt of this message carries. */
  readonly messageId: string
}

/**
 * What `enqueue` wrote.
 * @since 0.1.0
 * @category models
 */
export interface Enqueued {
  readonly notificationId: string
  readonly template: string
  readonly deliveries: ReadonlyArray<Delivery>
}

/**
 * Settings of `Notify.layer`.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** The right-hand side of generated `Message-ID`s, `<id@domain>`; default `airworthy`. */
  readonly messageIdDomain?: string
}

/**
 * The notification service.
 * @since 0.1.0
 * @category tags
 */
export class Notify extends Context.Tag("@airworthy/notify/Notify")<
  Notify,
  {
    readonly enqueue: <K extends string, P, I>(
      input: EnqueueInput<K, P, I>
    ) => Effect.Effect<Enqueued, Errors.ValidationFailed | StorageError.StorageError, Actor.CurrentActor>
    readonly emailLog: (
      filter?: EmailLog.Filter
    ) => Effect.Effect<ReadonlyArray<EmailLog.Entry>, StorageError.StorageError, Actor.CurrentActor>
  }
>() {}

const q = Query.make<Tables>()

const chunk = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const Recipients = Schema.Array(Template.Recipient).pipe(
  Schema.minItems(1, { message: () => "at least one recipient is required" })
)
const NotBefore = Schema.String.pipe(
  Schema.filter((s) => !Number.isNaN(Date.parse(s)), { message: () => "must be an ISO-8601 date-time" })
)

const domainPattern = /^[A-Za-z0-9.-]+$/

/**
 * Builds the service over the storage in context.
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Config = {}
): Effect.Effect<Notify["Type"], never, Storage.Storage | SqlClient.SqlClient | Ids.Ids> =>
  Effect.gen(function* () {
    const domain = config.messageIdDomain ?? "airworthy"
    if (!domainPattern.test(domain)) {
      return yield* Effect.dieMessage(`Notify: messageIdDomain "${domain}" must be a host name`)
    }
    const ids = yield* Ids.Ids
    // Only these services: the whole context could hold a transaction open while the layer was built.
    const context = Context.make(Storage.Storage, yield* Storage.Storage).pipe(
      Context.add(SqlClient.SqlClient, yield* SqlClient.SqlClient),
      Context.add(Ids.Ids, ids)
    )

    // Methods run with the layer's services but keep the caller's context on top, so a caller's
    // open transaction (SqlClient.TransactionConnection) is the one they write in.
    const provided = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.provide(self, context) as Effect.Effect<A, E, Exclude<R, Storage.Storage | SqlClient.SqlClient | Ids.Ids>>

    const inTransaction = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (tx) =>
        Option.isSome(tx) ? self : Query.transaction(self)
      )

    const enqueue = <K extends string, P, I>(input: EnqueueInput<K, P, I>) =>
      provided(
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          // Validate everything before writing anything; every problem is reported at once.
          const [params, recipients, record, notBefore] = yield* Effect.all(
            [
              Template.decodeParams(input.template, input.params),
              decode(Recipients, "recipients")(input.recipients),
              input.record === undefined
                ? Effect.succeed(undefined)
                : decode(Template.RecordRef, "record")(input.record),
              input.notBefore === undefined
                ? Effect.succeed(undefined)
                : decode(NotBefore, "notBefore")(input.notBefore)
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
          const notificationId = yield* ids.next
          const rows = yield* Effect.forEach(rendered, ({ recipient, message }) =>
            Effect.map(ids.next, (id) => ({ id, recipient, message, messageId: `<${id}@${domain}>` }))
          )
          yield* inTransaction(
            Effect.forEach(
              chunk(rows, 500),
              (part) =>
                Effect.zipRight(
                  q.exec((db) =>
                    db.insertInto("aw_notify_outbox").values(
                      part.map((r) => ({
                        id: r.id,
                        tenant_id: actor.tenantId,
                        notification_id: notificationId,
                        template: input.template.kind,
                        to_address: r.recipient.email,
                        to_name: r.recipient.name ?? null,
                        subject: r.message.subject,
                        body_text: r.message.text,
                        body_html: r.message.html,
                        message_id: r.messageId,
                        attempts: 0,
                        next_attempt_at: due,
                        claimed_by: null,
                        claimed_until: null,
                        created_at: now,
                        done_at: null
                      }))
                    )
                  ),
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
                        next_attempt_at: due
                      }))
                    )
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

    const emailLog = (filter: EmailLog.Filter = {}) =>
      provided(
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          const statuses =
            filter.status === undefined
              ? undefined
              : typeof filter.status === "string"
                ? [filter.status]
                : filter.status
          const limit = Math.max(1, Math.min(filter.limit ?? 1000, 10_000))
          const rows = yield* q.rows((db) => {
            let query = db.selectFrom("aw_notify_email_log").selectAll().where("tenant_id", "=", actor.tenantId)
            if (filter.recordType !== undefined) query = query.where("record_type", "=", filter.recordType)
            if (filter.recordId !== undefined) query = query.where("record_id", "=", filter.recordId)
            if (filter.notificationId !== undefined) query = query.where("notification_id", "=", filter.notificationId)
            if (statuses !== undefined) {
              query =
                statuses.length === 0 ? query.where((eb) => eb.val(1), "=", 0) : query.where("status", "in", statuses)
            }
            return query.orderBy("queued_at").orderBy("id").limit(limit)
          })
          return rows.map(fromRow)
        })
      )

    return { enqueue, emailLog }
  })

/**
 * The notification service over the host's storage. Requires `Storage`, `SqlClient` and `Ids`;
 * run `NotifyMigrations.migrations` first.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: Config = {}
): Layer.Layer<Notify, never, Storage.Storage | SqlClient.SqlClient | Ids.Ids> => Layer.effect(Notify, make(config))

/**
 * Puts a notification in the outbox, in the current transaction (or its own), as the current actor.
 * @since 0.1.0
 * @category accessors
 */
export const enqueue = <K extends string, P, I>(
  input: EnqueueInput<K, P, I>
): Effect.Effect<Enqueued, Errors.ValidationFailed | StorageError.StorageError, Notify | Actor.CurrentActor> =>
  Effect.flatMap(Notify, (s) => s.enqueue(input))

/**
 * Reads the email log of the actor's tenant: per record, per status, per notification.
 * @since 0.1.0
 * @category accessors
 */
export const emailLog = (
  filter: EmailLog.Filter = {}
): Effect.Effect<ReadonlyArray<EmailLog.Entry>, StorageError.StorageError, Notify | Actor.CurrentActor> =>
  Effect.flatMap(Notify, (s) => s.emailLog(filter))
