// The servers of http.bench.ts, in their own process (forked by the bench) so the load generator
// does not share a CPU or an event loop with the server under test. Both servers (the adapter and
// the bare Hono routes) live here and share one runtime and one SQLite file, so they are measured
// the same way. Reports its URLs and record ids over IPC; "stop" closes everything and exits.
import { mkdtempSync, rmSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TreeHead } from "@airworthy/audit"
import { Actor } from "@airworthy/core"
import { Programme } from "@airworthy/qms"
import { Records } from "@airworthy/records"
import { Storage } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import { type ServerType, serve } from "@hono/node-server"
import { Effect } from "effect"
import { Hono } from "hono"
import { QmsRuntime, qmsRoutes } from "../src/index.js"

/** What the server process reports once it listens. */
export interface Ready {
  readonly adapterUrl: string
  readonly bareUrl: string
  readonly record: string
  readonly adapterPool: ReadonlyArray<string>
  readonly barePool: ReadonlyArray<string>
}

const pool = Number(process.env.AW_BENCH_POOL ?? 4096)
const tenantId = "bench-mro"
const actor = Actor.make({ tenantId, actorId: "u-bench", displayName: "Bench", roles: ["admin"], traceId: "bench" })

const listen = (app: Hono) =>
  new Promise<{ server: ServerType; url: string }>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` })
    )
  })

const dir = mkdtempSync(join(tmpdir(), "aw-hono-bench-"))
const runtime = QmsRuntime.make({
  database: Storage.sqlite({ filename: join(dir, "qms.db") }),
  qms: { signingKey: TreeHead.generateKey() }
})
const as = <A, E>(e: Effect.Effect<A, E, QmsRuntime.Services | Actor.CurrentActor>) =>
  runtime.runPromise(Actor.withActor(e, actor))
const areas = (n: number) =>
  as(
    Effect.forEach(Array.from({ length: n }), (_, i) =>
      Effect.map(Programme.defineArea({ name: `Area ${i}`, responsibleIds: ["u-resp"] }), (r) => r.id)
    )
  )
const record = (await areas(1))[0] ?? ""
const adapterPool = await areas(pool)
const barePool = await areas(pool)

const host = new Hono()
host.route("/qms", qmsRoutes({ runtime, authenticate: () => actor, rateLimit: false }))
const bare = new Hono()
bare.get("/records/:id", async (c) => c.json(await as(Records.get(c.req.param("id")))))
bare.get("/sql/records/:id", async (c) => {
  const rows = await runtime.runPromise(
    Effect.flatMap(
      SqlClient.SqlClient,
      (sql) => sql`SELECT * FROM aw_records WHERE tenant_id = ${tenantId} AND id = ${c.req.param("id")}`
    )
  )
  return c.json(rows[0])
})
bare.post("/records/:id/transitions/:t", async (c) => {
  const body = (await c.req.json()) as { reason?: string }
  const id = c.req.param("id")
  const transition = c.req.param("t")
  return c.json(
    await as(
      Records.transition(body.reason === undefined ? { id, transition } : { id, transition, reason: body.reason })
    )
  )
})
const a = await listen(host)
const b = await listen(bare)

const stop = async () => {
  await Promise.all([a, b].map(({ server }) => new Promise((resolve) => server.close(resolve))))
  await runtime.dispose()
  rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}
process.on("message", (m) => {
  if (m === "stop") void stop()
})
process.on("disconnect", () => void stop())
const ready: Ready = { adapterUrl: a.url, bareUrl: b.url, record, adapterPool, barePool }
process.send?.(ready)
