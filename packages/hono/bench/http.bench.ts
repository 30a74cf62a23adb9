// The Hono adapter at 64 connections over loopback (autocannon, 5 s per run): GET a record and POST a
// transition through `qmsRoutes` (auth, trace id, secure headers, body limit, decoding, problem
// mapping) beside a bare Hono route doing the same work in the same run: the same SQL for the GET,
// the same `Records.transition` call for the POST. SQLite file (WAL), the embedded default. Both
// servers run in a forked process (http.server.ts), autocannon in this one, so the load generator
// neither steals the server's CPU nor shares its event loop.
import { type ChildProcess, fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Bench } from "@airworthy/testing"
import autocannon from "autocannon"
import type { Ready } from "./http.server.js"

const connections = 64
const duration = 5
const pool = 4096 // >> connections × p99, so a record's previous transition has finished before its next one

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

/**
 * Forks http.server.ts (the adapter and the bare routes, one runtime, one SQLite file) and waits
 * for its URLs. The load generator stays in this process: each side gets its own CPU and event loop.
 */
const start = () =>
  new Promise<{ child: ChildProcess; ready: Ready }>((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./http.server.ts", import.meta.url)), [], {
      execArgv: ["--import", import.meta.resolve("tsx"), "--conditions=@airworthy/source"],
      env: { ...process.env, AW_BENCH_POOL: String(pool) }
    })
    child.once("message", (ready) => resolve({ child, ready: ready as Ready }))
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`hono bench server exited (${code}) before listening`)))
  })

const measure = async () => {
  const { child, ready } = await start()
  try {
    const { adapterUrl, bareUrl, record, adapterPool, barePool } = ready
    // Warm both paths (JIT, statement caches) before measuring; not measured.
    await cannon(`${adapterUrl}/qms/records/${record}`, undefined, 2)
    await cannon(`${bareUrl}/records/${record}`, undefined, 2)
    await cannon(`${bareUrl}/sql/records/${record}`, undefined, 1)
    const get: Measured = {
      adapter: await cannon(`${adapterUrl}/qms/records/${record}`),
      bare: await cannon(`${bareUrl}/records/${record}`)
    }
    const rawSql = await cannon(`${bareUrl}/sql/records/${record}`)
    const post: Measured = {
      adapter: await cannon(adapterUrl, transitions("/qms", adapterPool) as never),
      bare: await cannon(bareUrl, transitions("", barePool) as never)
    }
    for (const [name, m] of Object.entries({ get, post })) {
      if (m.adapter.non2xx + m.bare.non2xx > 0) {
        console.error(`hono bench ${name}: ${m.adapter.non2xx} adapter / ${m.bare.non2xx} bare non-2xx responses`)
      }
    }
    return { get, rawSql, post }
  } finally {
    await new Promise<void>((resolve) => {
      child.removeAllListeners("exit")
      child.once("exit", () => resolve())
      child.send("stop")
    })
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
