// A real SMTP server on loopback (smtp-server on port 0) whose answers a test controls, and a small
// MIME reader so tests assert what actually arrived: envelope, headers, text and HTML.
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"
import { SMTPServer } from "smtp-server"

export interface SmtpReply {
  readonly code: number
  readonly message: string
}

export interface ReceivedMessage {
  readonly from: string
  readonly to: ReadonlyArray<string>
  readonly messageId: string
  readonly subject: string
  readonly text: string
  readonly html: string
  readonly headers: Readonly<Record<string, string>>
  readonly raw: string
}

/** What the server answers; change the fields while a test runs. Returning undefined accepts. */
export interface SmtpBehaviour {
  connect?: () => SmtpReply | undefined
  rcpt?: (address: string) => SmtpReply | undefined
  data?: (message: ReceivedMessage) => SmtpReply | undefined | Promise<SmtpReply | undefined>
  /** Called right after the server answered 250 to a message. */
  accepted?: (message: ReceivedMessage) => void
}

export interface TestSmtp {
  readonly port: number
  readonly behaviour: SmtpBehaviour
  /** Messages the server accepted (answered 250 to), in order. */
  readonly received: Array<ReceivedMessage>
  readonly stats: { connections: number; dataCommands: number }
  readonly close: () => Promise<void>
}

const replyError = (reply: SmtpReply) => Object.assign(new Error(reply.message), { responseCode: reply.code })

export const startSmtpServer = (
  behaviour: SmtpBehaviour = {},
  options: { readonly auth?: { readonly user: string; readonly pass: string } } = {}
): Promise<TestSmtp> => {
  const received: Array<ReceivedMessage> = []
  const stats = { connections: 0, dataCommands: 0 }
  const server = new SMTPServer({
    logger: false,
    disabledCommands: options.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: options.auth === undefined,
    allowInsecureAuth: true,
    closeTimeout: 50,
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass) {
        callback(null, { user: auth.username })
      } else {
        callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }))
      }
    },
    onConnect(_session, callback) {
      stats.connections++
      const reply = behaviour.connect?.()
      callback(reply ? replyError(reply) : null)
    },
    onRcptTo(address, _session, callback) {
      const reply = behaviour.rcpt?.(address.address)
      callback(reply ? replyError(reply) : null)
    },
    onData(stream, session, callback) {
      stats.dataCommands++
      const chunks: Array<Buffer> = []
      stream.on("data", (c: Buffer) => chunks.push(c))
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8")
        const message = parseMessage(raw, session.envelope)
        Promise.resolve(behaviour.data?.(message)).then(
          (reply) => {
            if (reply) return callback(replyError(reply))
            received.push(message)
            callback(null)
            behaviour.accepted?.(message)
          },
          (error: Error) => callback(error)
        )
      })
    }
  })
  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.server.address() as AddressInfo).port
      resolve({
        port,
        behaviour,
        received,
        stats,
        close: () => new Promise<void>((done) => server.close(() => done()))
      })
    })
  })
}

/** The server for the lifetime of the scope. */
export const smtpServer = (
  behaviour: SmtpBehaviour = {},
  options: { readonly auth?: { readonly user: string; readonly pass: string } } = {}
): Effect.Effect<TestSmtp, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startSmtpServer(behaviour, options)),
    (s) => Effect.promise(() => s.close())
  )

/** A port nothing listens on (a server was there a moment ago). */
export const closedPort: Effect.Effect<number> = Effect.promise(async () => {
  const s = await startSmtpServer()
  await s.close()
  return s.port
})

// ------------------------------------------------------------------ a minimal MIME reader

interface Entity {
  readonly headers: Record<string, string>
  readonly body: string
}

const splitEntity = (raw: string): Entity => {
  const at = raw.indexOf("\r\n\r\n")
  const head = at < 0 ? raw : raw.slice(0, at)
  const body = at < 0 ? "" : raw.slice(at + 4)
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":")
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body }
}

const param = (header: string | undefined, name: string): string | undefined => {
  const m = new RegExp(`${name}="?([^";]+)"?`, "i").exec(header ?? "")
  return m?.[1]
}

const decodeQuotedPrintable = (text: string): string =>
  Buffer.from(
    text
      .replace(/=\r\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    "latin1"
  ).toString("utf8")

const decodeBody = (entity: Entity): string => {
  const encoding = (entity.headers["content-transfer-encoding"] ?? "7bit").toLowerCase()
  const body = entity.body.replace(/\r\n$/, "")
  if (encoding === "quoted-printable") return decodeQuotedPrintable(body)
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8")
  return body
}

/** RFC 2047 encoded words, as nodemailer writes non-ASCII subjects. */
export const decodeWords = (value: string): string =>
  value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : decodeQuotedPrintable(text.replace(/_/g, " "))
    )

const leaves = (entity: Entity): Array<{ type: string; text: string }> => {
  const type = (entity.headers["content-type"] ?? "text/plain").toLowerCase()
  if (type.startsWith("multipart/")) {
    const boundary = param(entity.headers["content-type"], "boundary")
    if (boundary === undefined) return []
    const parts = entity.body.split(`--${boundary}`).slice(1)
    return parts.filter((p) => !p.startsWith("--")).flatMap((p) => leaves(splitEntity(p.replace(/^\r\n/, ""))))
  }
  return [{ type: type.split(";")[0]!.trim(), text: decodeBody(entity) }]
}

export const parseMessage = (
  raw: string,
  envelope: { mailFrom: false | { address: string }; rcptTo: ReadonlyArray<{ address: string }> }
): ReceivedMessage => {
  const entity = splitEntity(raw)
  const parts = leaves(entity)
  return {
    from: envelope.mailFrom === false ? "" : envelope.mailFrom.address,
    to: envelope.rcptTo.map((r) => r.address),
    messageId: entity.headers["message-id"] ?? "",
    subject: decodeWords(entity.headers.subject ?? ""),
    // SMTP carries CRLF line ends; compare with what the sender wrote.
    text: (parts.find((p) => p.type === "text/plain")?.text ?? "").replace(/\r\n/g, "\n"),
    html: (parts.find((p) => p.type === "text/html")?.text ?? "").replace(/\r\n/g, "\n"),
    headers: entity.headers,
    raw
  }
}
