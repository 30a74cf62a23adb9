// `createQms({ smtp })`: a host without Effect sends the outbox over SMTP; here a real SMTP server on
// loopback receives the finding owner's email, and the email log records it as sent.
import type { AddressInfo } from "node:net"
import { afterAll, assert, beforeAll, it } from "@effect/vitest"
import { SMTPServer } from "smtp-server"
import { createQms } from "../src/index.js"

const received: Array<{ readonly to: ReadonlyArray<string>; readonly data: string }> = []
const server = new SMTPServer({
  logger: false,
  authOptional: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  disableReverseLookup: true,
  onData(stream, session, callback) {
    const chunks: Array<Buffer> = []
    stream.on("data", (chunk: Buffer) => chunks.push(chunk))
    stream.on("end", () => {
      received.push({
        to: session.envelope.rcptTo.map((r) => r.address),
        data: Buffer.concat(chunks).toString("utf8")
      })
      callback()
    })
  }
})
let port = 0

beforeAll(
  () =>
    new Promise<void>((resolve) => {
      server.listen(0, "127.0.0.1", () => {
        port = (server.server.address() as AddressInfo).port
        resolve()
      })
    })
)
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

it("sends the queued email to a real SMTP server and the email log says sent", async () => {
  const quinn = { tenantId: "mro-smtp", actorId: "u-quinn", roles: ["quality_manager"] }
  const qms = await createQms({
    database: { sqlite: ":memory:" },
    smtp: { host: "127.0.0.1", port, secure: false, from: "QMS <qms@mro.example>" }
  })
  try {
    await qms.staff.upsert(
      { ...quinn, displayName: "Quinn", email: "quinn@mro.example" },
      { tenantId: "mro-smtp", actorId: "u-olive", displayName: "Olive", email: "olive@mro.example", roles: [] }
    )
    const finding = await qms.findings.raise(
      { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-olive" },
      { actor: quinn }
    )
    let log = await qms.notifications.forRecord({ id: finding.id }, { actor: quinn })
    for (let i = 0; i < 200 && log.some((e) => e.status !== "sent"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      log = await qms.notifications.forRecord({ id: finding.id }, { actor: quinn })
    }
    assert.deepStrictEqual(
      log.map((e) => [e.recipient, e.status]),
      [["olive@mro.example", "sent"]]
    )
    assert.deepStrictEqual(
      received.map((m) => m.to),
      [["olive@mro.example"]]
    )
    assert.include(received[0]?.data ?? "", finding.ref)
    assert.include(received[0]?.data ?? "", `Message-ID: ${log[0]?.messageId}`)
  } finally {
    await qms.dispose()
  }
})
