/**
 * Transports hand one rendered message to a mail provider: `smtp` (nodemailer) for production and
 * `capture` (in memory) for development and tests. The dispatcher adds the per-send timeout,
 * retries and the circuit breaker around `send`.
 *
 * ```ts
 * const mail = Transport.layerSmtp({ host: "smtp.mro.example", port: 587, secure: false, from: "QMS <qms@mro.example>" })
 * ```
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Redacted, Ref, type Scope } from "effect"
import nodemailer from "nodemailer"
import type SMTPTransport from "nodemailer/lib/smtp-transport/index.js"
import { TransportError } from "./NotifyError.js"

/**
 * One message for one recipient, as the dispatcher hands it to a transport.
 * @since 0.1.0
 * @category models
 */
export interface Message {
  /** The outbox row (and email-log row) id. */
  readonly id: string
  /** The stable `Message-ID` header, `<id@domain>`: the same on every attempt, so receivers de-duplicate. */
  readonly messageId: string
  readonly to: { readonly address: string; readonly name?: string | undefined }
  readonly subject: string
  readonly text: string
  readonly html: string
}

/**
 * What the provider said when it accepted a message.
 * @since 0.1.0
 * @category models
 */
export interface Receipt {
  /** The provider's own id (SMTP: the queue id of the `250` answer, or the whole answer). */
  readonly providerMessageId: string
}

/**
 * A mail transport.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Names the provider in logs and keys its circuit breaker, e.g. `smtp://mail.mro.example:587`. */
  readonly name: string
  readonly send: (message: Message) => Effect.Effect<Receipt, TransportError>
}

/**
 * The transport the dispatcher sends through.
 * @since 0.1.0
 * @category tags
 */
export class Transport extends Context.Tag("@airworthy/notify/Transport")<Transport, Service>() {}

/**
 * Provides a transport value.
 * @since 0.1.0
 * @category layers
 */
export const layer = (service: Service): Layer.Layer<Transport> => Layer.succeed(Transport, service)

// ------------------------------------------------------------------ SMTP

/**
 * Settings of the SMTP transport.
 * @since 0.1.0
 * @category models
 */
export interface SmtpOptions {
  readonly host: string
  readonly port: number
  /** `true` for implicit TLS (port 465); `false` upgrades with STARTTLS when the server offers it. */
  readonly secure: boolean
  readonly auth?: { readonly user: string; readonly pass: string | Redacted.Redacted<string> }
  /** The sender, e.g. `"Airworthy QMS <qms@mro.example>"`. */
  readonly from: string
  /** Refuse to send unless STARTTLS succeeds (when `secure` is false). */
  readonly requireTLS?: boolean
  /** Passed to Node's TLS, e.g. `{ rejectUnauthorized: false }` for a lab server. */
  readonly tls?: { readonly rejectUnauthorized?: boolean; readonly servername?: string }
  /** Keep up to this many connections open and reuse them; default: one connection per message. */
  readonly pool?: { readonly maxConnections: number }
  /** Socket-level limits in milliseconds (nodemailer's); the dispatcher's per-send timeout still applies. */
  readonly connectionTimeoutMs?: number
  readonly socketTimeoutMs?: number
  /** Overrides the transport's name (default `smtp://host:port`). */
  readonly name?: string
}

const detailOf = (error: unknown): string => {
  const e = error as { response?: unknown; message?: unknown }
  const text = typeof e?.response === "string" && e.response.length > 0 ? e.response : String(e?.message ?? error)
  return text.replace(/\s+/g, " ").trim().slice(0, 500)
}

/**
 * Classifies a nodemailer failure.
 * @since 0.1.0
 * @category errors
 */
export const fromNodemailerError = (transport: string, error: unknown): TransportError => {
  const e = error as { code?: unknown; responseCode?: unknown }
  const code = typeof e?.code === "string" ? e.code : ""
  const responseCode = typeof e?.responseCode === "number" ? e.responseCode : undefined
  const reason =
    code === "EAUTH"
      ? "auth"
      : code === "ETIMEDOUT"
        ? "timeout"
        : responseCode !== undefined && (code === "EENVELOPE" || code === "EMESSAGE" || code === "EPROTOCOL")
          ? "rejected"
          : code === "ECONNECTION" || code === "ESOCKET" || code === "EDNS" || code === "ECONNREFUSED"
            ? "connection"
            : "protocol"
  return new TransportError({
    transport,
    reason,
    permanent: reason === "rejected" && responseCode !== undefined && responseCode >= 500 && responseCode < 600,
    ...(responseCode !== undefined ? { responseCode } : {}),
    detail: detailOf(error)
  })
}

const queueId = (response: string): string => {
  const match = /queued as\s+<?([^\s>]+)>?/i.exec(response) ?? /\bid=<?([^\s>]+)>?/i.exec(response)
  return (match?.[1] ?? response).trim().slice(0, 200)
}

/**
 * An SMTP transport through nodemailer, closed when the scope closes.
 * @since 0.1.0
 * @category constructors
 */
export const smtp = (options: SmtpOptions): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const name = options.name ?? `smtp://${options.host}:${options.port}`
    const config: SMTPTransport.Options = {
      host: options.host,
      port: options.port,
      secure: options.secure,
      ...(options.auth
        ? {
            auth: {
              user: options.auth.user,
              pass: Redacted.isRedacted(options.auth.pass) ? Redacted.value(options.auth.pass) : options.auth.pass
            }
          }
        : {}),
      ...(options.requireTLS !== undefined ? { requireTLS: options.requireTLS } : {}),
      ...(options.tls ? { tls: { ...options.tls } } : {}),
      ...(options.connectionTimeoutMs !== undefined ? { connectionTimeout: options.connectionTimeoutMs } : {}),
      ...(options.socketTimeoutMs !== undefined ? { socketTimeout: options.socketTimeoutMs } : {}),
      disableFileAccess: true,
      disableUrlAccess: true
    }
    const transporter = yield* Effect.acquireRelease(
      Effect.sync(() =>
        options.pool
          ? nodemailer.createTransport({ ...config, pool: true, maxConnections: options.pool.maxConnections })
          : nodemailer.createTransport(config)
      ),
      (t) => Effect.sync(() => t.close())
    )
    const send = (message: Message) =>
      Effect.async<Receipt, TransportError>((resume) => {
        transporter.sendMail(
          {
            from: options.from,
            to: message.to.name ? { name: message.to.name, address: message.to.address } : message.to.address,
            subject: message.subject,
            text: message.text,
            html: message.html,
            messageId: message.messageId,
            // RFC 3834: tells out-of-office responders not to answer.
            headers: { "Auto-Submitted": "auto-generated" }
          },
          (error, info) => {
            if (error) resume(Effect.fail(fromNodemailerError(name, error)))
            else resume(Effect.succeed({ providerMessageId: queueId(String(info?.response ?? "")) }))
          }
        )
      })
    return { name, send }
  })

/**
 * The SMTP transport as a layer.
 * @since 0.1.0
 * @category layers
 */
export const layerSmtp = (options: SmtpOptions): Layer.Layer<Transport> => Layer.scoped(Transport, smtp(options))

// ------------------------------------------------------------------ capture

/**
 * A message the capture transport kept.
 * @since 0.1.0
 * @category models
 */
export interface Captured extends Message {
  readonly from: string
  readonly providerMessageId: string
}

/**
 * The capture transport: a transport plus what it has kept.
 * @since 0.1.0
 * @category models
 */
export interface Capture extends Service {
  /** Every message sent so far, oldest first. */
  readonly messages: Effect.Effect<ReadonlyArray<Captured>>
  /** Forgets what was kept. */
  readonly clear: Effect.Effect<void>
}

/**
 * A transport that keeps messages in memory instead of sending them (development and tests).
 * @since 0.1.0
 * @category constructors
 */
export const capture = (options: { readonly name?: string; readonly from?: string } = {}): Effect.Effect<Capture> =>
  Effect.gen(function* () {
    const kept = yield* Ref.make<Array<Captured>>([])
    let counter = 0
    const from = options.from ?? "Airworthy QMS <qms@localhost>"
    return {
      name: options.name ?? "capture",
      send: (message) =>
        Ref.modify(kept, (list) => {
          const providerMessageId = `capture-${++counter}`
          list.push({ ...message, from, providerMessageId })
          return [{ providerMessageId }, list] as const
        }),
      messages: Effect.map(Ref.get(kept), (list) => [...list]),
      clear: Ref.set(kept, [])
    }
  })
