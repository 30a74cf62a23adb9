// The servers of http.bench.ts, in their own process (forked by the bench) so the load generator
// does not share a CPU or an event loop with the server under test. Both servers (the adapter and
// the bare Hono routes) live here and share one runtime and one database (a SQLite file, or the
// PostgreSQL database named by AW_BENCH_PG_URL), so they are measured the same way. Reports its
// URLs and record ids over IPC; "stop" closes everything and exits.
import { mkdtempSync, rmSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TreeHead } from "@airworthy/audit"
import { Actor } from "@airworthy/core"
import { Programme } from "@airworthy/qms"
import { Records } from "@airworthy/records"
import { Postgres } from "@airworthy/storage/pg"
import { Sqlite } from "@airworthy/storage/sqlite"
import { StaffDirectory } from "@airworthy/tasks"
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

// Requests still being handled (autocannon drops its sockets at the end of a run, not the requests
// the server has queued): "stop" waits for them, so disposing the runtime does not interrupt them.
let inFlight = 0
const listen = (app: Hono) =>
  new Promise<{ server: ServerType; url: string }>((resolve) => {
    const fetch = async (request: Request, env: unknown) => {
      inFlight++
      try {
        return await app.fetch(request, env)
      } finally {
        inFlight--
      }
    }
    const server = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` })
    )
  })

const pgUrl = process.env.AW_BENCH_PG_URL
const dir = mkdtempSync(join(tmpdir(), "aw-hono-bench-"))
const runtime = QmsRuntime.make({
  database:
    pgUrl === undefined
      ? Sqlite.layer({ filename: join(dir, "qms.db") })
      : Postgres.layer({ url: pgUrl, maxConnections: 10, rowLevelSecurity: process.env.AW_BENCH_RLS === "1" }),
  qms: { signingKey: TreeHead.generateKey() }
})
const as = <A, E>(e: Effect.Effect<A, E, QmsRuntime.Services | Actor.CurrentActor>) =>
  runtime.runPromise(Actor.withActor(e, actor))
// The responsible person of the seeded areas is a person of the tenant (references are checked).
await runtime.runPromise(
  StaffDirectory.upsert({ tenantId, actorId: "u-resp", displayName: "Resp", email: "resp@mro.example", roles: [] })
)
const areas = (n: number) =>
  as(
    Effect.forEach(
      Array.from({ length: n }),
      (_, i) => Effect.map(Programme.defineArea({ name: `Area ${i}`, responsibleIds: ["u-resp"] }), (r) => r.id),
      // PostgreSQL takes concurrent writers (the pool's size); SQLite has one writer anyway.
      { concurrency: pgUrl === undefined ? 1 : 10 }
    )
  )
const record = (await areas(1))[0] ?? ""
const adapterPool = await areas(pool)
const barePool = await areas(pool)

const host = new Hono()
host.route("/qms", qmsRoutes({ runtime, authenticate: () => actor, rateLimit: false }))
const bare = new Hono()
bare.get("/records/:id", async (c) => c.json(await as(Records.get(c.req.param("id")))))
// The raw-SELECT baseline: the one statement `Records.get` needs (the record row, scoped to the
// actor's tenant), its row serialised to JSON; no Records service, no Effect beyond running the SQL.
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
  for (let waited = 0; inFlight > 0 && waited < 30_000; waited += 50) await new Promise((r) => setTimeout(r, 50))
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
