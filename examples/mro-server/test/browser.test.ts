// A real browser (Debian's Chromium through playwright-core) logs in with the session cookie, writes
// through /qms with the CSRF header, and follows /qms/events with its own EventSource while the
// server restarts and other writes land during the outage: it must see every audit event of its
// organisation once and in order, no gap and no duplicate.
import { existsSync, mkdtempSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AuditLog } from "@airworthy/audit"
import { Sqlite } from "@airworthy/storage/sqlite"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type ServerType, serve } from "@hono/node-server"
import { type Browser, chromium, type Page } from "playwright-core"
import { type MroApp, makeApp } from "../src/app.js"

// Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). Without it the test is
// skipped with a warning, except under CI=true, where it fails.
const executablePath = process.env.AIRWORTHY_CHROMIUM ?? "/usr/bin/chromium"
const noBrowser = !existsSync(executablePath) && process.env.CI !== "true"
if (noBrowser)
  console.warn(`\n!!! ${executablePath} not found: the browser test is SKIPPED (apt-get install chromium)\n`)

const dir = mkdtempSync(join(tmpdir(), "mro-browser-"))
const filename = join(dir, "mro.db")
const secret = "browser-test-secret-0123456789abcdef0123"
const signingKey = Buffer.alloc(32, 7).toString("base64")
const open = () => makeApp({ database: Sqlite.layer({ filename }), secret, signingKey })

interface Running {
  readonly mro: MroApp
  readonly server: ServerType
  readonly port: number
}

const listen = async (port: number): Promise<Running> => {
  const mro = await open()
  return new Promise((resolve) => {
    const server = serve({ fetch: mro.app.fetch, port, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ mro, server, port: info.port })
    )
  })
}

const shutdown = async (running: Running) => {
  const server = running.server as unknown as { closeAllConnections?: () => void; close: (cb: () => void) => void }
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections?.() // the open event stream would hold the server otherwise
  })
  await running.mro.dispose()
}

/** What the page keeps on its global object (this file is compiled without the DOM library). */
interface PageGlobals {
  seen: Array<{ id: string; sequence: number }>
  errors: number
  document: { cookie: string }
}

const finding = (title: string) => ({ title, level: "2", requirement: "145.A.40", ownerId: "s-olive" })

/** A write from the page itself: same origin, the session cookie, and the CSRF header unless told not to. */
const postFromPage = (page: Page, path: string, body: unknown, csrf = true) =>
  page.evaluate(
    async ({ path, body, csrf }) => {
      const res = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(csrf ? { "x-airworthy-csrf": "1" } : {}) },
        body: JSON.stringify(body)
      })
      return { status: res.status, body: await res.text() }
    },
    { path, body, csrf }
  )

describe.skipIf(noBrowser)("a browser on the reference server", () => {
  let browser: Browser
  let running: Running

  beforeAll(async () => {
    running = await listen(0)
    browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] })
  })
  afterAll(async () => {
    await browser?.close()
    if (running !== undefined) await shutdown(running)
  })

  it("logs in with the session cookie and follows /qms/events through a restart: no gap, no duplicate", async () => {
    const base = `http://127.0.0.1:${running.port}`
    const page = await browser.newPage()
    await page.goto(`${base}/`)

    // Login: the cookie is set, and no script of the page can read it.
    const login = await page.evaluate(async () => {
      const res = await fetch("/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "quinn@skyline-mro.example", pin: "1111" })
      })
      return { status: res.status, cookies: (globalThis as unknown as PageGlobals).document.cookie }
    })
    assert.strictEqual(login.status, 200)
    assert.notInclude(login.cookies, "mro_session")
    const me = (await page.evaluate(async () => (await fetch("/me")).json())) as { id: string }
    assert.strictEqual(me.id, "s-quinn")

    // The browser's own EventSource, with the cookie, replaying from the start.
    await page.evaluate((from) => {
      const w = globalThis as unknown as PageGlobals
      w.seen = []
      w.errors = 0
      const es = new EventSource(`/qms/events?lastEventId=${from}`)
      es.addEventListener("audit", (e) => {
        const m = e as unknown as { lastEventId: string; data: string }
        w.seen.push({ id: m.lastEventId, sequence: (JSON.parse(m.data) as { sequence: number }).sequence })
      })
      es.addEventListener("error", () => {
        w.errors++
      })
    }, AuditLog.cursorAfter(0))

    // Writes from the page: refused without the CSRF header, accepted with it.
    const refused = await postFromPage(page, "/qms/findings", finding("No header"), false)
    assert.strictEqual(refused.status, 403, refused.body)
    assert.include(refused.body, "csrf_check_failed")
    for (const title of ["Before the restart 1", "Before the restart 2"]) {
      const ok = await postFromPage(page, "/qms/findings", finding(title))
      assert.strictEqual(ok.status, 201, ok.body)
    }
    const count = () => page.evaluate(() => (globalThis as unknown as PageGlobals).seen.length)
    const total = async (mro: MroApp) => {
      const token = await mro.tokenFor("s-quinn")
      const res = await mro.app.request("/qms/audit-trail?order=asc&limit=1000", {
        headers: { authorization: `Bearer ${token}` }
      })
      return ((await res.json()) as { events: Array<{ sequence: number }> }).events.map((e) => e.sequence)
    }
    const before = await total(running.mro)
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).seen.length >= n, before.length, {
      timeout: 20_000
    })

    // The server goes down; two findings are written meanwhile (another instance on the database).
    const port = running.port
    await shutdown(running)
    const other = await open()
    const token = await other.tokenFor("s-avery")
    for (const title of ["During the outage 1", "During the outage 2"]) {
      const res = await other.app.request("/qms/findings", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(finding(title))
      })
      assert.strictEqual(res.status, 201, await res.text())
    }
    await other.dispose()

    // Back on the same port: the EventSource reconnects with its Last-Event-ID; the cookie still works.
    running = await listen(port)
    const after = await postFromPage(page, "/qms/findings", finding("After the restart"))
    assert.strictEqual(after.status, 201, after.body)
    const all = await total(running.mro)
    assert.isAbove(all.length, before.length + 4)
    await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).seen.length >= n, all.length, {
      timeout: 30_000
    })
    const seen = await page.evaluate(() => (globalThis as unknown as PageGlobals).seen)
    assert.deepStrictEqual(
      seen.map((e) => e.sequence),
      all,
      "every audit event once and in order"
    )
    assert.strictEqual(new Set(seen.map((e) => e.id)).size, seen.length)
    assert.isAtLeast(await page.evaluate(() => (globalThis as unknown as PageGlobals).errors), 1)
    assert.strictEqual(await count(), all.length)
  })
})
