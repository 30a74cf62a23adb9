/**
 * The email log: one entry per recipient of every notification, kept as evidence of who was told
 * what and when. Evidence packs include it.
 *
 * Status moves `queued` → (`failed` → ...) → `sent` or `dead`:
 * - `queued`: waiting for the dispatcher, not attempted yet
 * - `failed`: the last attempt failed; another is due at `nextAttemptAt`
 * - `sent`: the provider accepted it (`sentAt`, `providerMessageId`)
 * - `dead`: given up after the last attempt or a permanent rejection (`lastError` says why)
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Where a message is in its life.
 * @since 0.1.0
 * @category models
 */
export const Status = Schema.Literal("queued", "sent", "failed", "dead")
/** @since 0.1.0 @category models */
export type Status = typeof Status.Type

/**
 * One recipient of one notification.
 * @since 0.1.0
 * @category models
 */
export class Entry extends Schema.Class<Entry>("@airworthy/notify/EmailLog/Entry")({
  /** The log row id; the `Message-ID` header is derived from it. */
  id: Schema.String,
  tenantId: Schema.String,
  /** Groups the recipients of one `Notify.enqueue`. */
  notificationId: Schema.String,
  recipient: Schema.String,
  recipientName: Schema.NullOr(Schema.String),
  subject: Schema.String,
  template: Schema.String,
  status: Status,
  attempts: Schema.Number,
  lastError: Schema.NullOr(Schema.String),
  providerMessageId: Schema.NullOr(Schema.String),
  /** The `Message-ID` header every attempt carries, e.g. `<0190...@airworthy>`. */
  messageId: Schema.String,
  recordType: Schema.NullOr(Schema.String),
  recordId: Schema.NullOr(Schema.String),
  queuedAt: Schema.String,
  sentAt: Schema.NullOr(Schema.String),
  lastAttemptAt: Schema.NullOr(Schema.String),
  nextAttemptAt: Schema.NullOr(Schema.String)
}) {}

/**
 * One message as it was rendered and is (or was) sent: the entry and its bodies. What an inspector
 * asks for when the log says a reminder went out.
 * @since 0.1.0
 * @category models
 */
export class Message extends Schema.Class<Message>("@airworthy/notify/EmailLog/Message")({
  entry: Entry,
  subject: Schema.String,
  text: Schema.String,
  html: Schema.String
}) {}

/**
 * Which entries to read (all conditions must hold); always within the actor's tenant.
 * @since 0.1.0
 * @category models
 */
export interface Filter {
  readonly recordType?: string
  readonly recordId?: string
  readonly status?: Status | ReadonlyArray<Status>
  readonly notificationId?: string
  /** At most this many, oldest first; default 1000. */
  readonly limit?: number
}
