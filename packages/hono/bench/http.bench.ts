// The Hono adapter at 64 connections over loopback (autocannon, 5 s per run): GET a record and POST a
// transition through `qmsRoutes` (auth, trace id, secure headers, body limit, decoding, problem
// mapping) beside bare Hono routes doing the same work in the same run: the same `Records.get` /
// `Records.transition` call, and for the GET also the raw SELECT it needs (the record row in the
// actor's tenant, serialised to JSON). Once on a SQLite file (WAL, the embedded default) and once on
// a fresh PostgreSQL database (dropped afterwards). Both servers run in a forked process
// (http.server.ts), autocannon in this one, so the load generator neither steals the server's CPU nor
// shares its event loop.
import { type ChildProcess, fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Bench, TestDatabase } from "@airworthy/testing"
import autocannon from "autocannon"
import { Effect } from "effect"
import type { Ready } from "./http.server.js"

const connections = 64
// Each side is measured in rounds, interleaved with the sides it is compared with (in a rotating
// order), so a burst of load from elsewhere on the machine hits every side alike.
const rounds = 3
const seconds = 3
// >> connections × p99, so a record's previous transition has finished before its next one.
const pools = { sqlite: 4096, postgres: 1024 } as const

interface Run {
  /** Mean requests per second over the rounds. */
  readonly rps: number
  /** Median of the rounds' p99 latencies. */
  readonly p99: number
  readonly non2xx: number
}
interface Measured {
  readonly adapter: Run
  readonly bare: Run
}
interface Results {
  readonly get: Measured
  /** A bare route with the raw SELECT `Records.get` needs (no Records service: no policy check). */
  readonly rawSql: Run
  readonly post: Measured
}

type Requests = Parameters<typeof autocannon>[0]["requests"]
interface Side {
  readonly url: string
  readonly requests?: Requests
}

const cannon = async (side: Side, duration: number) => {
  const r = await autocannon({
    url: side.url,
    connections,
    duration,
    ...(side.requests === undefined ? {} : { requests: side.requests })
  })
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx + r.errors }
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

/** Measures the sides in interleaved rounds, rotating which goes first. */
const interleaved = async <K extends string>(sides: Record<K, Side>): Promise<Record<K, Run>> => {
  const names = Object.keys(sides) as Array<K>
  const runs = new Map<K, Array<{ rps: number; p99: number; non2xx: number }>>(names.map((k) => [k, []]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length] as K
      runs.get(name)?.push(await cannon(sides[name], seconds))
    }
  }
  const out = {} as Record<K, Run>
  for (const [name, rs] of runs) {
    out[name] = {
      rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length,
      p99: median(rs.map((r) => r.p99)),
      non2xx: rs.reduce((a, r) => a + r.non2xx, 0)
    }
  }
  return out
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

type Dialect = "sqlite" | "postgres"

/**
 * Forks http.server.ts (the adapter and the bare routes, one runtime, one database) and waits for
 * its URLs. The load generator stays in this process: each side gets its own CPU and event loop.
 */
const start = (pgUrl: string | undefined, pool: number, rowLevelSecurity = false) =>
  new Promise<{ child: ChildProcess; ready: Ready }>((resolve, reject) => {
    const { AW_BENCH_PG_URL: _, AW_BENCH_RLS: __, ...env } = process.env
    const child = fork(fileURLToPath(new URL("./http.server.ts", import.meta.url)), [], {
      execArgv: ["--import", import.meta.resolve("tsx"), "--conditions=@airworthy/source"],
      env: {
        ...env,
        AW_BENCH_POOL: String(pool),
        ...(pgUrl === undefined ? {} : { AW_BENCH_PG_URL: pgUrl }),
        ...(rowLevelSecurity ? { AW_BENCH_RLS: "1" } : {})
      }
    })
    child.once("message", (ready) => resolve({ child, ready: ready as Ready }))
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`hono bench server exited (${code}) before listening`)))
  })

const stopServer = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners("exit")
    child.once("exit", () => resolve())
    child.send("stop")
  })

interface RlsResults {
  readonly get: { readonly rls: Run; readonly plain: Run }
  readonly post: { readonly rls: Run; readonly plain: Run }
}

/**
 * Row-level security on PostgreSQL: two servers, each on its own database owned by one role that is
 * not a superuser, one with `rowLevelSecurity: true`; the same requests through `qmsRoutes`,
 * interleaved. The baseline is the same request without row-level security.
 */
const measureRowLevelSecurity = (): Promise<RlsResults> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const role = yield* TestDatabase.freshPostgresRole
        const rlsUrl = role.urlOf(yield* TestDatabase.freshPostgresDatabaseOwnedBy(role.name))
        const plainUrl = role.urlOf(yield* TestDatabase.freshPostgresDatabaseOwnedBy(role.name))
        return yield* Effect.promise(async () => {
          const rls = await start(rlsUrl, pools.postgres, true)
          const plain = await start(plainUrl, pools.postgres).catch(async (e) => {
            await stopServer(rls.child)
            throw e
          })
          try {
            const getOf = (r: Ready) => ({ url: `${r.adapterUrl}/qms/records/${r.record}` })
            const postOf = (r: Ready) => ({ url: r.adapterUrl, requests: transitions("/qms", r.adapterPool) as never })
            for (const r of [rls.ready, plain.ready]) await cannon(getOf(r), 2)
            const get = await interleaved({ rls: getOf(rls.ready), plain: getOf(plain.ready) })
            const post = await interleaved({ rls: postOf(rls.ready), plain: postOf(plain.ready) })
            for (const [name, m] of Object.entries({ get, post })) {
              if (m.rls.non2xx + m.plain.non2xx > 0) {
                console.error(`hono bench rls ${name}: ${m.rls.non2xx} rls / ${m.plain.non2xx} plain non-2xx responses`)
              }
            }
            return { get, post }
          } finally {
            await Promise.all([stopServer(rls.child), stopServer(plain.child)])
          }
        })
      })
    )
  )

let rlsMeasured: Promise<RlsResults> | undefined
const rlsResults = () => {
  rlsMeasured ??= measureRowLevelSecurity()
  return rlsMeasured
}

const rlsBaseline = "the same request through qmsRoutes without row-level security (same non-superuser role)"
const rlsScenarios: ReadonlyArray<Bench.Scenario> = (
  [
    ["GET /records/:id", (r: RlsResults) => r.get],
    ["POST transition", (r: RlsResults) => r.post]
  ] as const
).flatMap(([name, pick]) => [
  Bench.scenario(
    `hono ${name} req/s rls (64 conns, postgres)`,
    async () => {
      const m = pick(await rlsResults())
      return { unit: "req/s", value: m.rls.rps, baseline: rlsBaseline, baseline_value: m.plain.rps }
    },
    { postgres: true }
  ),
  Bench.scenario(
    `hono ${name} p99 rls (64 conns, postgres)`,
    async () => {
      const m = pick(await rlsResults())
      return { unit: "ms", value: m.rls.p99, baseline: rlsBaseline, baseline_value: m.plain.p99 }
    },
    { postgres: true }
  )
])

const measure = async (pgUrl?: string): Promise<Results> => {
  const { child, ready } = await start(pgUrl, pgUrl === undefined ? pools.sqlite : pools.postgres)
  try {
    const { adapterUrl, bareUrl, record, adapterPool, barePool } = ready
    const getSides = {
      adapter: { url: `${adapterUrl}/qms/records/${record}` },
      bare: { url: `${bareUrl}/records/${record}` },
      rawSql: { url: `${bareUrl}/sql/records/${record}` }
    }
    // Warm every path (JIT, statement caches) before measuring; not measured.
    for (const side of Object.values(getSides)) await cannon(side, 2)
    const { adapter, bare, rawSql } = await interleaved(getSides)
    const get: Measured = { adapter, bare }
    const post: Measured = await interleaved({
      adapter: { url: adapterUrl, requests: transitions("/qms", adapterPool) as never },
      bare: { url: bareUrl, requests: transitions("", barePool) as never }
    })
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

const measured = new Map<Dialect, Promise<Results>>()

/** One measurement per dialect, shared by its scenarios; PostgreSQL on a fresh database, dropped after. */
const results = (dialect: Dialect): Promise<Results> => {
  let m = measured.get(dialect)
  if (m === undefined) {
    m =
      dialect === "sqlite"
        ? measure()
        : Effect.runPromise(
            Effect.scoped(
              Effect.flatMap(TestDatabase.freshPostgresDatabase, (url) => Effect.promise(() => measure(url)))
            )
          )
    measured.set(dialect, m)
  }
  return m
}

const sameGet = "bare Hono route, same Records.get (same SQL)"
const rawSelect = "bare Hono route, the raw SELECT Records.get needs, row serialised to JSON"
const sameTransition = "bare Hono route, same Records.transition"

// Each comparison: our side and the baseline side of one measurement, under a name and a description.
const comparisons: ReadonlyArray<{
  readonly name: string
  readonly suffix?: string
  readonly baseline: string
  readonly sides: (r: Results) => readonly [ours: Run, baseline: Run]
}> = [
  { name: "GET /records/:id", baseline: sameGet, sides: (r) => [r.get.adapter, r.get.bare] },
  { name: "GET /records/:id", suffix: " vs raw SELECT", baseline: rawSelect, sides: (r) => [r.get.adapter, r.rawSql] },
  { name: "POST transition", baseline: sameTransition, sides: (r) => [r.post.adapter, r.post.bare] }
]

const scenariosFor = (dialect: Dialect): ReadonlyArray<Bench.Scenario> => {
  const on = `64 conns, ${dialect}`
  const options = { postgres: dialect === "postgres" }
  return comparisons.flatMap((c) => [
    Bench.scenario(
      `hono ${c.name} req/s${c.suffix ?? ""} (${on})`,
      async () => {
        const [ours, base] = c.sides(await results(dialect))
        return { unit: "req/s", value: ours.rps, baseline: c.baseline, baseline_value: base.rps, goal: ">= 0.5" }
      },
      options
    ),
    Bench.scenario(
      `hono ${c.name} p99${c.suffix ?? ""} (${on})`,
      async () => {
        const [ours, base] = c.sides(await results(dialect))
        return { unit: "ms", value: ours.p99, baseline: c.baseline, baseline_value: base.p99 }
      },
      options
    )
  ])
}

/** @since 0.1.0 */
export const scenarios: ReadonlyArray<Bench.Scenario> = [
  ...scenariosFor("sqlite"),
  ...scenariosFor("postgres"),
  ...rlsScenarios
]
