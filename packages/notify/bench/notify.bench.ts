// Outbox dispatch rate (claim, send to the capture transport, record) on PostgreSQL, beside pg-boss
// (v10) in the same run on the same database as the peer baseline.
import { Actor, Ids } from "@airworthy/core"
import { Migrations } from "@airworthy/storage"
import { Postgres } from "@airworthy/storage/pg"
import { Bench, TestDatabase } from "@airworthy/testing"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"
import PgBoss from "pg-boss"
import { Dispatcher, Notify, NotifyMigrations, Template, Transport } from "../src/index.js"

const total = 20_000
const batch = 500

const capaOverdue = Template.make(
  {
    kind: "capa.overdue",
    subject: ({ params }) => `CAPA ${params.ref} is overdue`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\n${params.ref} was due ${params.dueAt}.`,
    html: ({ params, recipient }) =>
      Template.html`<p>Dear ${recipient.name ?? recipient.email},</p><p>${params.ref} was due ${params.dueAt}.</p>`
  },
  Schema.Struct({ ref: Schema.String, dueAt: Schema.String })
)

const actor = Actor.make({ tenantId: "bench-mro", actorId: "u-bench", displayName: "Bench", roles: [], traceId: "t" })

const enqueue = (n: number, tag: string) =>
  Effect.forEach(
    Array.from({ length: Math.ceil(n / batch) }, (_, i) => i),
    (i) =>
      Notify.enqueue({
        template: capaOverdue,
        params: { ref: `CAPA-${i}`, dueAt: "2026-05-01" },
        recipients: Array.from({ length: Math.min(batch, n - i * batch) }, (_, j) => ({
          email: `${tag}-${i}-${j}@mro.example`,
          name: `Technician ${j}`
        }))
      }),
    { discard: true }
  ).pipe(Actor.withActor(actor))

const ours = async (url: string, withEnqueue: boolean) => {
  const runtime = ManagedRuntime.make(
    Notify.layer().pipe(Layer.provideMerge(Ids.layer), Layer.provideMerge(Postgres.layer({ url, maxConnections: 4 })))
  )
  try {
    const capture = await runtime.runPromise(Transport.capture())
    const dispatcher = await runtime.runPromise(
      Dispatcher.make({ batchSize: batch, concurrency: 10, parallelRounds: 3 }).pipe(
        Effect.provideService(Transport.Transport, capture)
      )
    )
    await runtime.runPromise(Migrations.run([NotifyMigrations.migrations]))
    await runtime.runPromise(Effect.zipRight(enqueue(1_000, "warm"), dispatcher.drain))
    if (!withEnqueue) await runtime.runPromise(enqueue(total, "m"))
    await runtime.runPromise(capture.clear)
    const value = await Bench.throughput(total, () =>
      runtime.runPromise(withEnqueue ? Effect.zipRight(enqueue(total, "e"), dispatcher.drain) : dispatcher.drain)
    )
    const sent = (await runtime.runPromise(capture.messages)).length
    if (sent !== total) throw new Error(`dispatched ${sent} of ${total}`)
    return value
  } finally {
    await runtime.dispose()
  }
}

const pgBoss = async (url: string, withSend: boolean) => {
  const boss = new PgBoss({ connectionString: url, schema: "pgboss", max: 4, supervise: false, schedule: false })
  boss.on("error", () => undefined)
  await boss.start()
  try {
    const queue = withSend ? "notify-bench-send" : "notify-bench"
    await boss.createQueue(queue)
    const send = async (n: number, tag: string) => {
      for (let i = 0; i < n; i += batch) {
        await boss.insert(
          Array.from({ length: Math.min(batch, n - i) }, (_, j) => ({
            name: queue,
            data: { to: `${tag}-${i + j}@mro.example`, subject: "CAPA overdue" }
          }))
        )
      }
    }
    const work = async () => {
      let done = 0
      for (;;) {
        const jobs = await boss.fetch(queue, { batchSize: batch })
        if (jobs.length === 0) return done
        await boss.complete(
          queue,
          jobs.map((j) => j.id)
        )
        done += jobs.length
      }
    }
    await send(1_000, "warm")
    await work()
    if (!withSend) await send(total, "m")
    let done = 0
    const value = await Bench.throughput(total, async () => {
      if (withSend) await send(total, "e")
      done = await work()
    })
    if (done !== total) throw new Error(`pg-boss completed ${done} of ${total}`)
    return value
  } finally {
    await boss.stop({ graceful: false, close: true, wait: true })
  }
}

const withPgDatabase = <A>(body: (url: string) => Promise<A>) =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(TestDatabase.freshPostgresDatabase, (url) => Effect.promise(() => body(url))))
  )

export const scenarios: ReadonlyArray<Bench.Scenario> = [
  Bench.scenario(
    "notify.pg.outbox.dispatch",
    () =>
      withPgDatabase(async (url) => {
        const baseline_value = await pgBoss(url, false)
        const value = await ours(url, false)
        return {
          unit: "msg/s",
          value,
          baseline: `pg-boss 10 fetch(batchSize ${batch})+complete`,
          baseline_value,
          goal: ">= 5000 msg/s"
        }
      }),
    { postgres: true }
  ),
  Bench.scenario(
    "notify.pg.outbox.enqueue+dispatch",
    () =>
      withPgDatabase(async (url) => {
        const baseline_value = await pgBoss(url, true)
        const value = await ours(url, true)
        return {
          unit: "msg/s",
          value,
          baseline: `pg-boss 10 send (insert ${batch}/call)+fetch+complete`,
          baseline_value
        }
      }),
    { postgres: true }
  )
]
