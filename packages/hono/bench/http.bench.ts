// The Hono adapter at 64 connections over loopback (autocannon, 5 s per run): GET a record and POST a
// transition through `qmsRoutes` (auth, trace id, secure headers, body limit, decoding, problem
// mapping) beside a bare Hono route doing the same work in the same run: the same SQL for the GET,
// the same `Records.transition` call for the POST. SQLite file (WAL), the embedded default.
import { mkdtempSync, rmSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TreeHead } from "@airworthy/audit"
import { Actor } from "@airworthy/core"
import { Programme } from "@airworthy/qms"
import { Records } from "@airworthy/records"
import { Storage } from "@airworthy/storage"
import { Bench } from "@airworthy/testing"
import { SqlClient } from "@effect/sql"
import { type ServerType, serve } from "@hono/node-server"
import autocannon from "autocannon"
import { Effect } from "effect"
import { Hono } from "hono"
import { QmsRuntime, qmsRoutes } from "../src/index.js"

const connections = 64
const duration = 5
const pool = 1024 // > connections, so a record's previous transition has finished before its next one
const tenantId = "bench-mro"
const actor = Actor.make({ tenantId, actorId: "u-bench", displayName: "Bench", roles: ["admin"], traceId: "bench" })

interface Run {
  readonly rps: number
  readonly p99: number
  readonly non2xx: number
}
interface Measured {
  readonly adapter: Run
  readonly bare: Run
}
interface Results {
  readonly get: Measured
  /** A bare route with the raw SELECT (no Records service: no policy check, no decoding). */
  readonly rawSql: Run
  readonly post: Measured
}

const listen = (app: Hono) =>
  new Promise<{ server: ServerType; url: string }>((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` })
    )
  })

const cannon = async (
  url: string,
  requests?: Parameters<typeof autocannon>[0]["requests"],
  seconds = duration
): Promise<Run> => {
  const r = await autocannon({ url, connections, duration: seconds, ...(requests === undefined ? {} : { requests }) })
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx + r.errors }
}

/** Alternates retire/reinstate over a pool of areas, one record per request, round robin. */
const transitions = (prefix: string, ids: ReadonlyArray<string>) => {
  let n = 0
  const state = new Map<string, boolean>()
  return [
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      setupRequest: (req: { method?: string; path?: string; headers?: Record<string, string>; body?: string }) => {
        const id = ids[n++ % ids.length] ?? ""
        const retired = state.get(id) === true
        state.set(id, !retired)
        return {
          ...req,
          path: `${prefix}/records/${id}/transitions/${retired ? "reinstate" : "retire"}`,
          body: retired ? "{}" : JSON.stringify({ reason: "Area merged into base maintenance" })
        }
      }
    }
  ]
}

let measured: Promise<Results> | undefined

const measure = async () => {
  const dir = mkdtempSync(join(tmpdir(), "aw-hono-bench-"))
  const runtime = QmsRuntime.make({
    database: Storage.sqlite({ filename: join(dir, "qms.db") }),
    qms: { signingKey: TreeHead.generateKey() }
  })
  const servers: Array<ServerType> = []
  try {
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
    servers.push(a.server, b.server)
    // Warm both paths (JIT, statement caches) before measuring; not measured.
    await cannon(`${a.url}/qms/records/${record}`, undefined, 2)
    await cannon(`${b.url}/records/${record}`, undefined, 2)
    await cannon(`${b.url}/sql/records/${record}`, undefined, 1)
    const get: Measured = {
      adapter: await cannon(`${a.url}/qms/records/${record}`),
      bare: await cannon(`${b.url}/records/${record}`)
    }
    const rawSql = await cannon(`${b.url}/sql/records/${record}`)
    const post: Measured = {
      adapter: await cannon(a.url, transitions("/qms", adapterPool) as never),
      bare: await cannon(b.url, transitions("", barePool) as never)
    }
    for (const [name, m] of Object.entries({ get, post })) {
      if (m.adapter.non2xx + m.bare.non2xx > 0) {
        console.error(`hono bench ${name}: ${m.adapter.non2xx} adapter / ${m.bare.non2xx} bare non-2xx responses`)
      }
    }
    return { get, rawSql, post }
  } finally {
    for (const s of servers) s.close()
    await runtime.dispose()
    rmSync(dir, { recursive: true, force: true })
  }
}

const results = () => {
  measured ??= measure()
  return measured
}

/** @since 0.1.0 */
export const scenarios: ReadonlyArray<Bench.Scenario> = [
  Bench.scenario("hono GET /records/:id req/s (64 conns, sqlite)", async () => {
    const { get } = await results()
    return {
      unit: "req/s",
      value: get.adapter.rps,
      baseline: "bare Hono route, same Records.get (same SQL)",
      baseline_value: get.bare.rps,
      goal: ">= 0.5"
    }
  }),
  Bench.scenario("hono GET /records/:id p99 (64 conns, sqlite)", async () => {
    const { get } = await results()
    return {
      unit: "ms",
      value: get.adapter.p99,
      baseline: "bare Hono route, same Records.get (same SQL)",
      baseline_value: get.bare.p99
    }
  }),
  Bench.scenario("hono GET /records/:id req/s vs raw SELECT (64 conns, sqlite)", async () => {
    const { get, rawSql } = await results()
    return {
      unit: "req/s",
      value: get.adapter.rps,
      baseline: "bare Hono route, raw SELECT without the Records service",
      baseline_value: rawSql.rps
    }
  }),
  Bench.scenario("hono POST transition req/s (64 conns, sqlite)", async () => {
    const { post } = await results()
    return {
      unit: "req/s",
      value: post.adapter.rps,
      baseline: "bare Hono route, same Records.transition",
      baseline_value: post.bare.rps,
      goal: ">= 0.5"
    }
  }),
  Bench.scenario("hono POST transition p99 (64 conns, sqlite)", async () => {
    const { post } = await results()
    return {
      unit: "ms",
      value: post.adapter.p99,
      baseline: "bare Hono route, same Records.transition",
      baseline_value: post.bare.p99
    }
  })
]
