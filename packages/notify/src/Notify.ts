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
import type { Actor, Errors, Ids } from "@airworthy/core"
import type { Storage, StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Context, Effect, Layer } from "effect"
import type * as EmailLog from "./EmailLog.js"
import * as Enqueue from "./internal/enqueue.js"
import * as NotifyContext from "./internal/notifyContext.js"
import * as Prepare from "./internal/prepare.js"
import * as Reads from "./internal/reads.js"
import type * as Template from "./Template.js"

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
 * @since 0.1.0
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
 * @since 0.1.0
 * @category models
 */
export interface PreparedMessage {
  readonly recipient: Template.Recipient
  readonly message: Template.Rendered
}

/**
 * One validated and rendered request, recipients de-duplicated, not yet written.
 * @since 0.1.0
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
 * @since 0.1.0
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

/**
 * Builds the service over the storage in context.
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Config = {}
): Effect.Effect<Notify["Type"], never, Storage.Storage | SqlClient.SqlClient | Ids.Ids> =>
  Effect.map(NotifyContext.make(config), (notify) => ({
    enqueue: (input) => Enqueue.enqueue(notify, input),
    enqueueMany: (requests) => Enqueue.enqueueMany(notify, requests),
    prepareMany: Prepare.prepareMany,
    enqueuePrepared: (prepared, only) => Enqueue.enqueuePrepared(notify, prepared, only),
    emailLog: (filter) => Reads.emailLog(notify, filter),
    message: (id) => Reads.message(notify, id)
  }))

/**
 * The notification service over the host's storage. Requires `Storage`, `SqlClient` and `Ids`;
 * run `NotifyMigrations.migrations` first.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: Config = {}
): Layer.Layer<Notify, never, Storage.Storage | SqlClient.SqlClient | Ids.Ids> => Layer.effect(Notify, make(config))

// Effect's accessors would erase `enqueue`'s type parameters, and with them the check of `params` against the template.
/**
 * Puts a notification in the outbox, in the current transaction (or its own), as the current actor.
 * @since 0.1.0
 * @category accessors
 */
export const enqueue = <K extends string, P, I>(
  input: EnqueueInput<K, P, I>
): Effect.Effect<Enqueued, Errors.ValidationFailed | StorageError.StorageError, Notify | Actor.CurrentActor> =>
  Effect.flatMap(Notify, (s) => s.enqueue(input))

const accessors = Effect.serviceFunctions(Notify)

/**
 * Puts several notifications in the outbox at once (see the service's `enqueueMany`), in the
 * current transaction (or its own), as the current actor.
 * @since 0.1.0
 * @category accessors
 */
export const enqueueMany = accessors.enqueueMany

/**
 * A typed request for `enqueueMany`: checks the parameters against the template at compile time.
 * @since 0.1.0
 * @category constructors
 */
export const request = <K extends string, P, I>(input: EnqueueInput<K, P, I>): AnyEnqueueInput => input

/**
 * Reads the email log of the actor's tenant: per record, per status, per notification.
 * @since 0.1.0
 * @category accessors
 */
export const emailLog = accessors.emailLog

/**
 * One message of the actor's tenant with its rendered bodies (see the service's `message`).
 * @since 0.1.0
 * @category accessors
 */
export const message = accessors.message
