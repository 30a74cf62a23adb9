import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { AuditLog } from "@airworthy/audit"
import { TestDatabase } from "@airworthy/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type ServerType, serve } from "@hono/node-server"
import { Effect, Option } from "effect"
import { EventSource } from "eventsource"
import type { Hono } from "hono"
import { type QmsRuntime, Sse } from "../src/index.js"
import { client, finding, freshTenant, mount, runtimeFor, staff } from "./helpers.js"

const dropAll = (server: ServerType) => (server as Server).closeAllConnections()

interface Received {
  readonly type: string
  readonly id: string
  readonly data: string
}

const listen = (app: Hono) =>
  new Promise<{ server: ServerType; base: string }>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, base: `http://127.0.0.1:${info.port}/qms` })
    )
  })

/** An EventSource client collecting `audit` and `reset` events; `until` waits for a condition. */
const subscribe = (url: string, tenant: string, headers: Record<string, string> = {}) => {
  const received: Array<Received> = []
  const waiters: Array<{ check: () => boolean; resolve: () => void }> = []
  const es = new EventSource(url, {
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        headers: { ...(init?.headers as Record<string, string>), "x-tenant": tenant, "x-actor": "u-quinn", ...headers }
      })
  })
  const push = (type: string) => (e: MessageEvent) => {
    received.push({ type, id: e.lastEventId, data: e.data })
    for (const w of [...waiters]) {
      if (w.check()) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    }
  }
  es.addEventListener("audit", push("audit"))
  es.addEventListener("reset", push("reset"))
  es.addEventListener("message", push("message"))
  const until = (check: () => boolean) =>
    new Promise<void>((resolve) => (check() ? resolve() : waiters.push({ check, resolve })))
  return { es, received, until }
}

const sequences = (rs: ReadonlyArray<Received>) =>
  rs.filter((r) => r.type === "audit").map((r) => (JSON.parse(r.data) as { sequence: number }).sequence)

describe("Sse.format", () => {
  it("refuses CR/LF in ids and event names and keeps line breaks in data inside the event", () => {
    assert.throws(() => Sse.format({ id: "1\n\nevent: reset", data: "x" }), Sse.UnsafeField)
    assert.throws(() => Sse.format({ event: "audit\r\ndata: forged", data: "x" }), Sse.UnsafeField)
    assert.throws(() => Sse.format({ event: "", data: "x" }), Sse.UnsafeField)
    assert.strictEqual(
      Sse.format({ id: "abc", event: "audit", data: "one\r\nevent: reset\ntwo" }),
      "event: audit\nid: abc\ndata: one\ndata: event: reset\ndata: two\n\n"
    )
    assert.strictEqual(Sse.comment("a\nb"), ": a b\n\n")
  })
})

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  describe.skipIf(target.skip)(`${target.name} events`, () => {
    let runtime: QmsRuntime.QmsRuntime
    let app: Hono
    let server: ServerType
    let base: string
    beforeAll(async () => {
      runtime = runtimeFor(target.layer)
      await runtime.runtime()
      app = mount({ runtime, rateLimit: false, events: { heartbeatMillis: 50, retryMillis: 50 } })
      ;({ server, base } = await listen(app))
    })
    afterAll(async () => {
      dropAll(server)
      await new Promise((r) => server.close(r))
      await runtime.dispose()
    })

    const allSequences = async (tenant: string) => {
      const page = await client(app, tenant).get("/audit-trail?order=asc&limit=1000")
      return (page.json.events as Array<{ sequence: number }>).map((e) => e.sequence)
    }

    it("replays after a cursor, resumes after a disconnect with Last-Event-ID: every event once, in order", async () => {
      const tenant = freshTenant("sse")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      const f = await api.post("/findings", finding)
      const before = await allSequences(tenant)
      const first = subscribe(`${base}/events?lastEventId=${AuditLog.cursorAfter(0)}`, tenant)
      await first.until(() => sequences(first.received).length === before.length)
      first.es.close()
      const lastId = first.received.at(-1)?.id ?? ""
      await api.post(`/records/${f.json.id}/comments`, { body: "line one\r\nevent: reset\r\ndata: forged" })
      await api.post(`/findings/${f.json.id}/actions/raise-capa`)
      const second = subscribe(`${base}/events`, tenant, { "last-event-id": lastId })
      const middle = await allSequences(tenant)
      await second.until(() => sequences(first.received).length + sequences(second.received).length === middle.length)
      await api.post(`/records/${f.json.id}/comments`, { body: "sentinel" })
      const all = await allSequences(tenant)
      await second.until(() => sequences(second.received).includes(all.at(-1) ?? -1))
      second.es.close()
      assert.deepStrictEqual([...sequences(first.received), ...sequences(second.received)], all)
      assert.isFalse([...first.received, ...second.received].some((r) => r.type === "reset"))
      const ids = [...first.received, ...second.received].map((r) => r.id)
      assert.strictEqual(new Set(ids).size, ids.length)
    })

    it("the client reconnects by itself after the server drops it and misses nothing", async () => {
      const tenant = freshTenant("drop")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      await api.post("/findings", finding)
      const start = (await allSequences(tenant)).length
      const sub = subscribe(`${base}/events`, tenant)
      // A first connect without a cursor starts at the head: wait until it is open, then write.
      await new Promise<void>((resolve) =>
        sub.es.readyState === EventSource.OPEN
          ? resolve()
          : sub.es.addEventListener("open", () => resolve(), { once: true })
      )
      const a = await api.post("/findings", { ...finding, title: "A" })
      const afterA = await allSequences(tenant)
      await sub.until(() => sequences(sub.received).includes(afterA.at(-1) ?? -1))
      dropAll(server)
      await api.post(`/records/${a.json.id}/comments`, { body: "while disconnected" })
      await api.post("/findings", { ...finding, title: "B" })
      const all = await allSequences(tenant)
      await sub.until(() => sequences(sub.received).includes(all.at(-1) ?? -1))
      sub.es.close()
      assert.deepStrictEqual(sequences(sub.received), all.slice(start))
    })

    it("an unknown, malformed or expired cursor gets event: reset, then live events", async () => {
      const tenant = freshTenant("reset")
      await staff(runtime, tenant)
      const api = client(app, tenant)
      for (const cursor of ["garbage", AuditLog.cursorAfter(10_000)]) {
        const sub = subscribe(`${base}/events?lastEventId=${cursor}`, tenant)
        await sub.until(() => sub.received.length >= 1)
        assert.strictEqual(sub.received[0]?.type, "reset")
        await api.post("/findings", finding)
        const all = await allSequences(tenant)
        await sub.until(() => sequences(sub.received).includes(all.at(-1) ?? -1))
        sub.es.close()
      }
    })

    it("a subscriber sees only its own tenant's events", async () => {
      const mine = freshTenant("mine")
      await staff(runtime, mine)
      const theirs = freshTenant("theirs")
      const sub = subscribe(`${base}/events?lastEventId=${AuditLog.cursorAfter(0)}`, mine)
      await new Promise<void>((resolve) => sub.es.addEventListener("open", () => resolve(), { once: true }))
      const other = await client(app, theirs).post("/findings", finding)
      const own = await client(app, mine).post("/findings", finding)
      await sub.until(() =>
        sub.received.some((r) => (JSON.parse(r.data) as { record: { id: string } }).record.id === own.json.id)
      )
      sub.es.close()
      assert.isFalse(sub.received.some((r) => r.data.includes(other.json.id)))
      assert.deepStrictEqual(sequences(sub.received), await allSequences(mine))
    })

    it("sends a comment heartbeat while idle", async () => {
      const tenant = freshTenant("beat")
      await staff(runtime, tenant)
      const controller = new AbortController()
      const res = await fetch(`${base}/events`, {
        headers: { "x-tenant": tenant, "x-actor": "u-quinn" },
        signal: controller.signal
      })
      assert.strictEqual(res.headers.get("content-type"), "text/event-stream; charset=utf-8")
      const reader = res.body!.getReader()
      const decoder = new TextDecoder()
      let text = ""
      while (!text.includes(": heartbeat\n\n")) {
        const chunk = await reader.read()
        if (chunk.done) break
        text += decoder.decode(chunk.value)
      }
      controller.abort()
      assert.include(text, "retry: 50\n")
      assert.include(text, ": heartbeat\n\n")
    })

    if (target.dialect === "pg") {
      it("a change written on another app instance reaches this instance's subscribers (LISTEN/NOTIFY)", async () => {
        const info = await runtime.runPromise(Effect.serviceOption(TestDatabase.TestDatabaseInfo))
        const again = Option.getOrThrow(info).connectAgain
        assert.isDefined(again)
        const other = runtimeFor(again!, 77)
        try {
          const otherApp = mount({ runtime: other, rateLimit: false })
          const tenant = freshTenant("cross")
          await staff(runtime, tenant)
          const sub = subscribe(`${base}/events`, tenant)
          await new Promise<void>((resolve) => sub.es.addEventListener("open", () => resolve(), { once: true }))
          const written = await client(otherApp, tenant).post("/findings", finding)
          assert.strictEqual(written.status, 201)
          const all = await allSequences(tenant)
          await sub.until(() => sequences(sub.received).includes(all.at(-1) ?? -1))
          sub.es.close()
          assert.deepStrictEqual(sequences(sub.received), all)
        } finally {
          await other.dispose()
        }
      })
    }
  })
}
