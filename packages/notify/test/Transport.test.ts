// The transports on their own: SMTP against a real server on loopback, and the capture transport.
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { NotifyError, Transport } from "../src/index.js"
import { smtpOptions } from "./layers.js"
import { closedPort, smtpServer } from "./support/smtp.js"

const message = (id: string, overrides: Partial<Transport.Message> = {}): Transport.Message => ({
  id,
  messageId: `<${id}@airworthy>`,
  to: { address: "quality@mro.example", name: "Quinn Quality" },
  subject: "CAPA-0012 überfällig – Drehmomentschlüssel",
  text: "The CAPA is overdue.\nPlease respond.",
  html: "<p>The CAPA is <b>overdue</b>.</p>",
  ...overrides
})

const fail = (transport: Transport.Service, m = message("0190a000-0000-7000-8000-000000000001")) =>
  Effect.flip(transport.send(m))

describe("Transport.smtp", () => {
  it.scoped("delivers one message to the server: envelope, subject, text, HTML and our Message-ID", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      const transport = yield* Transport.smtp(smtpOptions(server.port))
      assert.strictEqual(transport.name, `smtp://127.0.0.1:${server.port}`)
      const receipt = yield* transport.send(message("0190a000-0000-7000-8000-0000000000aa"))
      assert.strictEqual(server.received.length, 1)
      const got = server.received[0]!
      assert.strictEqual(got.from, "qms@mro.example")
      assert.deepStrictEqual(got.to, ["quality@mro.example"])
      assert.strictEqual(got.messageId, "<0190a000-0000-7000-8000-0000000000aa@airworthy>")
      assert.strictEqual(got.subject, "CAPA-0012 überfällig – Drehmomentschlüssel")
      assert.strictEqual(got.text, "The CAPA is overdue.\nPlease respond.")
      assert.strictEqual(got.html, "<p>The CAPA is <b>overdue</b>.</p>")
      assert.include(got.headers.to!, "quality@mro.example")
      assert.include(got.headers.to!, "Quinn Quality")
      assert.include(got.headers.from!, "Airworthy QMS")
      assert.strictEqual(got.headers["auto-submitted"], "auto-generated")
      assert.isAbove(receipt.providerMessageId.length, 0)
    })
  )

  it.scoped("logs in with the configured credentials (the password may be Redacted)", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({}, { auth: { user: "qms", pass: "s3cret" } })
      const good = yield* Transport.smtp({
        ...smtpOptions(server.port),
        auth: { user: "qms", pass: Redacted.make("s3cret") }
      })
      yield* good.send(message("0190a000-0000-7000-8000-0000000000b1"))
      assert.strictEqual(server.received.length, 1)
      const bad = yield* Transport.smtp({ ...smtpOptions(server.port), auth: { user: "qms", pass: "wrong" } })
      const error = yield* fail(bad)
      assert.strictEqual(error.reason, "auth")
      assert.isFalse(error.permanent)
      assert.strictEqual(server.received.length, 1)
    })
  )

  it.scoped("classifies a refused recipient (5xx) as permanent and a deferral (4xx) as transient", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({
        rcpt: (address) => (address.startsWith("gone") ? { code: 550, message: "5.1.1 No such user" } : undefined),
        data: (m) => (m.subject.includes("later") ? { code: 451, message: "4.7.1 Greylisted, try later" } : undefined)
      })
      const transport = yield* Transport.smtp(smtpOptions(server.port))
      const gone = yield* fail(
        transport,
        message("0190a000-0000-7000-8000-0000000000c1", { to: { address: "gone@mro.example" } })
      )
      assert.instanceOf(gone, NotifyError.TransportError)
      assert.strictEqual(gone.reason, "rejected")
      assert.strictEqual(gone.responseCode, 550)
      assert.isTrue(gone.permanent)
      assert.include(gone.message, "No such user")
      assert.strictEqual(gone.status, 502)
      const later = yield* fail(transport, message("0190a000-0000-7000-8000-0000000000c2", { subject: "later" }))
      assert.strictEqual(later.reason, "rejected")
      assert.strictEqual(later.responseCode, 451)
      assert.isFalse(later.permanent)
      assert.strictEqual(server.received.length, 0)
    })
  )

  it.scoped("classifies a closed port as a transient connection failure", () =>
    Effect.gen(function* () {
      const transport = yield* Transport.smtp(smtpOptions(yield* closedPort))
      const error = yield* fail(transport)
      assert.strictEqual(error.reason, "connection")
      assert.isFalse(error.permanent)
    })
  )

  it.scoped("classifies a server that refuses the connection (421) as a transient rejection", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({ connect: () => ({ code: 421, message: "4.3.2 Shutting down" }) })
      const transport = yield* Transport.smtp(smtpOptions(server.port))
      const error = yield* fail(transport)
      assert.strictEqual(error.responseCode, 421)
      assert.isFalse(error.permanent)
      assert.strictEqual(server.stats.connections, 1)
    })
  )

  it.scoped("a pooled transport reuses its connection", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      const transport = yield* Transport.smtp({ ...smtpOptions(server.port), pool: { maxConnections: 1 } })
      for (let i = 1; i <= 3; i++) yield* transport.send(message(`0190a000-0000-7000-8000-00000000000${i}`))
      assert.strictEqual(server.received.length, 3)
      assert.strictEqual(server.stats.connections, 1)
    })
  )
})

describe("Transport.capture", () => {
  it.effect("keeps every message in memory, in order, until cleared", () =>
    Effect.gen(function* () {
      const capture = yield* Transport.capture({ from: "qms@lab.example" })
      const a = yield* capture.send(message("0190a000-0000-7000-8000-0000000000d1"))
      const b = yield* capture.send(message("0190a000-0000-7000-8000-0000000000d2", { subject: "Second" }))
      assert.strictEqual(a.providerMessageId, "capture-1")
      assert.strictEqual(b.providerMessageId, "capture-2")
      const kept = yield* capture.messages
      assert.deepStrictEqual(
        kept.map((m) => [m.id, m.subject, m.from]),
        [
          ["0190a000-0000-7000-8000-0000000000d1", "CAPA-0012 überfällig – Drehmomentschlüssel", "qms@lab.example"],
          ["0190a000-0000-7000-8000-0000000000d2", "Second", "qms@lab.example"]
        ]
      )
      yield* capture.clear
      assert.deepStrictEqual(yield* capture.messages, [])
    })
  )
})
