/**
 * Notifications through a transactional outbox. `enqueue` renders a template for each recipient
 * and writes one email-log row per recipient, status `queued`, **in the caller's transaction**: if
 * that transaction rolls back, nothing is ever sent. The `Dispatcher` sends after commit.
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
import { Clock, Context, Effect, Either, Layer, Option, Schema } from "effect"
import * as EmailLog from "./EmailLog.js"
import { entryColumns, fromRow, insertColumns, type Tables } from "./internal/store.js"
import { cacheKey, decode, decoderEither, recipientsFast, recordFast } from "./internal/validation.js"
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
 * One request of `enqueueMany`: any template, with its parameters.
 * @since 0.2.0
 * @category models
 */
// biome-ignore lint/suspicious/noExplicitAny: each request has its own template and parameter types.
export type AnyEnqueueInput = EnqueueInput<string, any, any>

/**
 * One queued message.
 * @since 0.1.0
 * @category models
 */
export interface Delivery {
  /** The email-log row id. */
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
 * One rendered message of a prepared request.
 * @since 0.3.0
 * @category models
 */
export interface PreparedMessage {
  readonly recipient: Template.Recipient
  readonly message: Template.Rendered
}

/**
 * One validated and rendered request, recipients de-duplicated, not yet written.
 * @since 0.3.0
 * @category models
 */
export interface PreparedRequest {
  readonly template: string
  readonly record: Template.RecordRef | undefined
  /** `notBefore`, normalised to ISO-8601; `undefined`: due when written. */
  readonly notBefore: string | undefined
  readonly messages: ReadonlyArray<PreparedMessage>
}

/**
 * What `prepareMany` returns and `enqueuePrepared` writes: requests in input order.
 * @since 0.3.0
 * @category models
 */
export interface Prepared {
  readonly requests: ReadonlyArray<PreparedRequest>
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
    /**
     * Several notifications at once, with `enqueue`'s validation and semantics (the caller's
     * transaction; nothing written when any request is bad, issue paths `requests.<index>.<field>`),
     * rendered once per distinct template, parameters, recipient and record, and written with
     * multi-row inserts. One `Enqueued` per request, in order.
     */
    readonly enqueueMany: (
      requests: ReadonlyArray<AnyEnqueueInput>
    ) => Effect.Effect<ReadonlyArray<Enqueued>, Errors.ValidationFailed | StorageError.StorageError, Actor.CurrentActor>
    /**
     * `enqueueMany`'s first half, with no transaction and no actor: validates every request (the
     * same errors) and renders the messages. Run it before the transaction that writes them.
     */
    readonly prepareMany: (requests: ReadonlyArray<AnyEnqueueInput>) => Effect.Effect<Prepared, Errors.ValidationFailed>
    /**
     * `enqueueMany`'s second half: writes prepared requests (all, or those at the `only` indexes,
     * in that order) as the current actor, in the caller's transaction (or its own).
     */
    readonly enqueuePrepared: (
      prepared: Prepared,
      only?: ReadonlyArray<number>
    ) => Effect.Effect<ReadonlyArray<Enqueued>, StorageError.StorageError, Actor.CurrentActor>
    readonly emailLog: (
      filter?: EmailLog.Filter
    ) => Effect.Effect<ReadonlyArray<EmailLog.Entry>, StorageError.StorageError, Actor.CurrentActor>
    /**
     * One message of the actor's tenant with the subject, text and HTML it was rendered with (what
     * every attempt sends); `NotFound` for an id of another tenant or none.
     */
    readonly message: (
      id: string
    ) => Effect.Effect<EmailLog.Message, Errors.NotFound | StorageError.StorageError, Actor.CurrentActor>
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

/** A PostgreSQL array literal (text form) of strings, numbers and NULLs. */
const pgArray = (values: ReadonlyArray<string | number | null>): string => {
  let out = "{"
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ","
    const v = values[i]
    if (v === null || v === undefined) out += "NULL"
    else if (typeof v === "number") out += String(v)
    // Most values need no escaping; checking first skips a regex replace per value.
    else out += v.includes('"') || v.includes("\\") ? `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"` : `"${v}"`
  }
  return `${out}}`
}

/** Bound parameters per statement: SQLite's default maximum is 32766, PostgreSQL's 65535. */
const parameterLimit = { sqlite: 32_766, pg: 65_535 } as const
/** Rows per statement, also bounded so a statement's text stays reasonable. */
const maxRowsPerInsert = 2_000

const insertSql = (dialect: Storage.Dialect, table: string, columns: ReadonlyArray<string>, rows: number): string => {
  const tuples: Array<string> = []
  let n = 0
  for (let r = 0; r < rows; r++) {
    const slots: Array<string> = []
    for (let c = 0; c < columns.length; c++) slots.push(dialect === "pg" ? `$${++n}` : "?")
    tuples.push(`(${slots.join(", ")})`)
  }
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`
}

/**
 * One multi-row INSERT per chunk of rows, each chunk under the dialect's parameter limit. On
 * PostgreSQL the rows go as one array per column (`INSERT ... SELECT * FROM unnest(...)`): a
 * statement of a few parameters that the server parses once, whatever the row count.
 */
const insertMany = (
  dialect: Storage.Dialect,
  table: string,
  columns: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string | null>>
) => {
  if (dialect === "pg") {
    const statement = `INSERT INTO ${table} (${columns.join(", ")}) SELECT * FROM unnest(${columns
      .map((_, i) => `$${i + 1}::text[]`)
      .join(", ")})`
    return Effect.forEach(
      chunk(rows, 5_000),
      (part) =>
        Query.unsafe(
          statement,
          columns.map((_, c) => pgArray(part.map((r) => r[c] ?? null)))
        ),
      { discard: true }
    )
  }
  const perStatement = Math.max(1, Math.min(maxRowsPerInsert, Math.floor(parameterLimit[dialect] / columns.length)))
  return Effect.forEach(
    chunk(rows, perStatement),
    (part) => Query.unsafe(insertSql(dialect, table, columns, part.length), part.flat()),
    { discard: true }
  )
}

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

    const decodeRecipients = decoderEither(Recipients, "recipients")
    const decodeRecord = decoderEither(Template.RecordRef, "record")
    const decodeNotBefore = decoderEither(NotBefore, "notBefore")
    // Decoders per template Schema, built once.
    const paramDecoders = new WeakMap<object, (input: unknown) => Either.Either<unknown, Array<Errors.FieldIssue>>>()
    const paramsDecoder = (template: Template.Any) => {
      let d = paramDecoders.get(template.schema)
      if (d === undefined) {
        d = decoderEither(template.schema, "params")
        paramDecoders.set(template.schema, d)
      }
      return d
    }

    const prepareMany = (requests: ReadonlyArray<AnyEnqueueInput>): Effect.Effect<Prepared, Errors.ValidationFailed> =>
      Effect.try({
        try: (): Prepared => {
          // Validate every request before writing anything; every problem is reported at once, its
          // path prefixed with the request's index. Equal inputs are decoded once.
          const decodedCache = new Map<unknown, Map<string, Either.Either<unknown, Array<Errors.FieldIssue>>>>()
          const cachedDecode = (
            kind: unknown,
            decoder: (input: unknown) => Either.Either<unknown, Array<Errors.FieldIssue>>,
            input: unknown,
            k: string | undefined = cacheKey(input)
          ) => {
            if (k === undefined) return decoder(input)
            let byKey = decodedCache.get(kind)
            if (byKey === undefined) {
              byKey = new Map()
              decodedCache.set(kind, byKey)
            }
            let result = byKey.get(k)
            if (result === undefined) {
              result = decoder(input)
              byKey.set(k, result)
            }
            return result
          }
          const issues: Array<Errors.FieldIssue> = []
          const valid: Array<{
            readonly input: AnyEnqueueInput
            readonly params: unknown
            readonly paramsKey: string | undefined
            readonly recipients: ReadonlyArray<Template.Recipient>
            readonly record: Template.RecordRef | undefined
            readonly notBefore: string | undefined
          }> = []
          for (let i = 0; i < requests.length; i++) {
            const input = requests[i]!
            const paramsKey = cacheKey(input.params)
            // Plainly valid recipients and records (the common case) are checked by hand; anything
            // else goes through the Schema, which names every bad field.
            const recipients = recipientsFast(input.recipients)
            const record = input.record === undefined ? undefined : recordFast(input.record)
            const results = [
              cachedDecode(input.template.schema, paramsDecoder(input.template), input.params, paramsKey),
              recipients !== undefined
                ? Either.right(recipients)
                : cachedDecode(Recipients, decodeRecipients, input.recipients),
              input.record === undefined
                ? Either.right(undefined)
                : record !== undefined
                  ? Either.right(record)
                  : cachedDecode(Template.RecordRef, decodeRecord, input.record),
              input.notBefore === undefined ? Either.right(undefined) : decodeNotBefore(input.notBefore)
            ] as const
            let ok = true
            for (const r of results)
              if (Either.isLeft(r)) {
                ok = false
                for (const issue of r.left) issues.push({ ...issue, path: `requests.${i}.${issue.path}` })
              }
            if (ok)
              valid.push({
                input,
                params: (results[0] as Either.Right<unknown, unknown>).right,
                paramsKey,
                recipients: (results[1] as Either.Right<unknown, ReadonlyArray<Template.Recipient>>).right,
                record: (results[2] as Either.Right<unknown, Template.RecordRef | undefined>).right,
                notBefore: (results[3] as Either.Right<unknown, string | undefined>).right
              })
          }
          if (issues.length > 0) throw new Errors.ValidationFailed({ issues })

          const prepared: Array<PreparedRequest> = new Array(valid.length)
          // Rendered once per template, parameters, recipient and record.
          const renderCache = new Map<Template.Any, Map<string, Template.Rendered>>()
          for (let i = 0; i < valid.length; i++) {
            const v = valid[i]!
            const template = v.input.template
            const seen = new Set<string>()
            const messages: Array<PreparedMessage> = []
            const recordKey = v.paramsKey === undefined ? undefined : cacheKey(v.record)
            let byKey = renderCache.get(template)
            if (byKey === undefined) {
              byKey = new Map()
              renderCache.set(template, byKey)
            }
            for (const recipient of v.recipients) {
              // Recipients are de-duplicated by address, case-insensitively.
              const address = recipient.email.toLowerCase()
              if (seen.has(address)) continue
              seen.add(address)
              let message: Template.Rendered | undefined
              const key =
                v.paramsKey === undefined || recordKey === undefined
                  ? undefined
                  : `${v.paramsKey}\u0000${cacheKey(recipient)}\u0000${recordKey}`
              if (key !== undefined) message = byKey.get(key)
              if (message === undefined) {
                message = Template.renderDecoded(template, { params: v.params, recipient, record: v.record })
                if (key !== undefined) byKey.set(key, message)
              }
              messages.push({ recipient, message })
            }
            prepared[i] = {
              template: template.kind,
              record: v.record,
              notBefore: v.notBefore === undefined ? undefined : new Date(v.notBefore).toISOString(),
              messages
            }
          }
          return { requests: prepared }
        },
        catch: (e) => {
          if (e instanceof Errors.ValidationFailed) return e
          throw e
        }
      })

    const enqueuePrepared = (prepared: Prepared, only?: ReadonlyArray<number>) =>
      provided(
        Effect.gen(function* () {
          const picked =
            only === undefined
              ? prepared.requests
              : only.map((i) => prepared.requests[i]!).filter((r) => r !== undefined)
          if (picked.length === 0) return [] as ReadonlyArray<Enqueued>
          const actor = yield* Actor.CurrentActor
          const { dialect } = yield* Storage.Storage
          const now = new Date(yield* Clock.currentTimeMillis).toISOString()
          // In `insertColumns` order.
          const log: Array<ReadonlyArray<string | null>> = []
          const results: Array<Enqueued> = new Array(picked.length)
          // Ids in the order one enqueue per request would take them: the notification's, then its messages'.
          let count = 0
          for (const p of picked) count += 1 + p.messages.length
          const fresh = yield* Ids.many(ids, count)
          let taken = 0
          for (let r = 0; r < picked.length; r++) {
            const p = picked[r]!
            const due = p.notBefore ?? now
            const notificationId = fresh[taken++]!
            const deliveries: Array<Delivery> = new Array(p.messages.length)
            for (let m = 0; m < p.messages.length; m++) {
              const { recipient, message } = p.messages[m]!
              const id = fresh[taken++]!
              const messageId = `<${id}@${domain}>`
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
          if (log.length > 0) yield* inTransaction(insertMany(dialect, "aw_notify_email_log", insertColumns, log))
          return results as ReadonlyArray<Enqueued>
        })
      )

    const enqueueMany = (requests: ReadonlyArray<AnyEnqueueInput>) =>
      requests.length === 0
        ? Effect.succeed([] as ReadonlyArray<Enqueued>)
        : Effect.flatMap(prepareMany(requests), (prepared) => enqueuePrepared(prepared))

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
            let query = db
              .selectFrom("aw_notify_email_log")
              .select(entryColumns)
              .where("tenant_id", "=", actor.tenantId)
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

    const message = (id: string) =>
      provided(
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

    return { enqueue, enqueueMany, prepareMany, enqueuePrepared, emailLog, message }
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
 * Puts several notifications in the outbox at once (see the service's `enqueueMany`), in the
 * current transaction (or its own), as the current actor.
 * @since 0.2.0
 * @category accessors
 */
export const enqueueMany = (
  requests: ReadonlyArray<AnyEnqueueInput>
): Effect.Effect<
  ReadonlyArray<Enqueued>,
  Errors.ValidationFailed | StorageError.StorageError,
  Notify | Actor.CurrentActor
> => Effect.flatMap(Notify, (s) => s.enqueueMany(requests))

/**
 * A typed request for `enqueueMany`: checks the parameters against the template at compile time.
 * @since 0.2.0
 * @category constructors
 */
export const request = <K extends string, P, I>(input: EnqueueInput<K, P, I>): AnyEnqueueInput => input

/**
 * Reads the email log of the actor's tenant: per record, per status, per notification.
 * @since 0.1.0
 * @category accessors
 */
export const emailLog = (
  filter: EmailLog.Filter = {}
): Effect.Effect<ReadonlyArray<EmailLog.Entry>, StorageError.StorageError, Notify | Actor.CurrentActor> =>
  Effect.flatMap(Notify, (s) => s.emailLog(filter))

/**
 * One message of the actor's tenant with its rendered bodies (see the service's `message`).
 * @since 0.3.0
 * @category accessors
 */
export const message = (
  id: string
): Effect.Effect<EmailLog.Message, Errors.NotFound | StorageError.StorageError, Notify | Actor.CurrentActor> =>
  Effect.flatMap(Notify, (s) => s.message(id))
