// The escalation sweep over 100k open tasks with 10k steps due, on PostgreSQL, beside a bare
// `SELECT … FOR UPDATE SKIP LOCKED` claim + `UPDATE` of the same 10k rows by hand, in the same run.
// The seeded tables are vacuumed, as autovacuum keeps a live database (otherwise the first pass over
// 200k freshly inserted rows also sets their hint bits, whoever makes it). A sweeper runs in a
// long-lived process, so the figure is a sweep in a warmed-up process: one whole sweep of the same
// 10k steps first (its time is printed as `warmup_value`: the first sweep in the process), then the
// steps and the task levels are reset and the tables vacuumed, and the baseline and the sweep are measured.
import { performance } from "node:perf_hooks"
import { AuditLog, AuditMigrations, TreeHead } from "@airworthy/audit"
import { Ids } from "@airworthy/core"
import { Notify, NotifyMigrations } from "@airworthy/notify"
import { TaskReminders } from "@airworthy/qms"
import { RecordsMigrations } from "@airworthy/records"
import { Migrations, Query } from "@airworthy/storage"
import { Postgres } from "@airworthy/storage/pg"
import { Bench, TestDatabase } from "@airworthy/testing"
import { Effect, Layer, Runtime } from "effect"
import { StaffDirectory, Sweeper, TaskNotifier, TasksMigrations } from "../src/index.js"

const total = 100_000
const due = 10_000
const tenant = "bench"

const seed = (pastIso: string, futureIso: string) =>
  Effect.gen(function* () {
    yield* Query.unsafe(
      `INSERT INTO aw_tasks (tenant_id, id, kind, title, status, priority, owner_id, assignee_id, due_at, escalation_level, rule, created_by, created_at, updated_at, closed_by, closed_at)
       SELECT $1, 'task-' || lpad(g::text, 6, '0'), 'capa_action', 'Bench task ' || g, 'open', 'normal', 'u-owner', 'u-owner',
              CASE WHEN g <= $2 THEN $3 ELSE $4 END, 0, NULL, 'u-quality', $3, $3, NULL, NULL
       FROM generate_series(1, $5::int) g`,
      [tenant, due, pastIso, futureIso, total]
    )
    yield* Query.unsafe(
      `INSERT INTO aw_task_escalations (tenant_id, task_id, step_index, name, kind, recipients, level, due_at, state, claimed_by, lease_until, done_at)
       SELECT tenant_id, id, 2, 'due', 'due', '["owner"]', 1, due_at, 'pending', NULL, NULL, NULL FROM aw_tasks WHERE tenant_id = $1`,
      [tenant]
    )
    yield* Query.unsafe("VACUUM ANALYZE aw_task_escalations")
    yield* Query.unsafe("VACUUM ANALYZE aw_tasks")
    yield* StaffDirectory.upsert(
      {
        tenantId: tenant,
        actorId: "u-owner",
        displayName: "Olive Owner",
        email: "olive@mro.example",
        roles: [],
        supervisorId: "u-sup"
      },
      {
        tenantId: tenant,
        actorId: "u-quality",
        displayName: "Quinn",
        email: "quinn@mro.example",
        roles: ["quality_manager"]
      }
    )
  })

// The due steps pending again, their tasks back at level 0, dead rows vacuumed (as autovacuum would).
const resetDue = (pastIso: string) =>
  Effect.all(
    [
      Query.unsafe(
        `UPDATE aw_task_escalations SET state = 'pending', claimed_by = NULL, lease_until = NULL, done_at = NULL WHERE tenant_id = $1 AND due_at <= $2`,
        [tenant, pastIso]
      ),
      Query.unsafe(`UPDATE aw_tasks SET escalation_level = 0 WHERE tenant_id = $1 AND escalation_level > 0`, [tenant]),
      Query.unsafe("VACUUM ANALYZE aw_task_escalations"),
      Query.unsafe("VACUUM ANALYZE aw_tasks")
    ],
    { discard: true }
  )

// The same claim and mark-done by hand: 500 rows per transaction, nothing else.
const bare = (nowIso: string) =>
  Effect.gen(function* () {
    while (true) {
      const rows = yield* Query.transaction(
        Effect.gen(function* () {
          const claimed = yield* Query.unsafe<{ task_id: string }>(
            `SELECT task_id FROM aw_task_escalations WHERE state IN ('pending', 'claimed') AND due_at <= $1 ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED`,
            [nowIso]
          )
          if (claimed.length > 0)
            yield* Query.unsafe(
              `UPDATE aw_task_escalations SET state = 'done', done_at = $1 WHERE tenant_id = $2 AND step_index = 2 AND task_id = ANY($3::text[])`,
              [nowIso, tenant, `{${claimed.map((c) => c.task_id).join(",")}}`]
            )
          return claimed.length
        })
      )
      if (rows < 500) return
    }
  })

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await run()
  return (performance.now() - start) / 1000
}

const scenario = (name: string, notifier: "outbox" | "none") =>
  Bench.scenario(
    name,
    () =>
      Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const url = yield* TestDatabase.freshPostgresDatabase
            const db = Postgres.layer({ url, maxConnections: 4 })
            const notifierLayer =
              notifier === "outbox"
                ? TaskReminders.layer
                : Layer.succeed(TaskNotifier.TaskNotifier, { notify: () => Effect.void })
            const live = Layer.mergeAll(StaffDirectory.layer, notifierLayer).pipe(
              Layer.provideMerge(Notify.layer()),
              Layer.provideMerge(AuditLog.layer({ signingKey: TreeHead.generateKey() })),
              Layer.provideMerge(Ids.layer),
              Layer.provideMerge(db)
            )
            return yield* Effect.gen(function* () {
              yield* Migrations.run([
                AuditMigrations.migrations,
                RecordsMigrations.migrations,
                NotifyMigrations.migrations,
                TasksMigrations.migrations
              ])
              const now = Date.now()
              const past = new Date(now - 3_600_000).toISOString()
              yield* seed(past, new Date(now + 30 * 86_400_000).toISOString())
              const runtime = yield* Effect.runtime<Layer.Layer.Success<typeof live>>()
              const run = <A, E>(e: Effect.Effect<A, E, Layer.Layer.Success<typeof live>>) =>
                Runtime.runPromise(runtime)(e)
              const sweep = Effect.gen(function* () {
                let performed = 0
                const seconds = yield* Effect.promise(() =>
                  timed(() => run(Effect.map(Sweeper.runOnce({ batchSize: 500 }), (r) => (performed = r.performed))))
                )
                if (performed !== due) throw new Error(`the sweep performed ${performed} steps, expected ${due}`)
                yield* resetDue(past)
                return seconds
              })
              const warmup = yield* sweep
              const baseline = yield* Effect.promise(() => timed(() => run(bare(new Date().toISOString()))))
              yield* resetDue(past)
              const seconds = yield* sweep
              return {
                unit: "s",
                value: seconds,
                baseline: `bare FOR UPDATE SKIP LOCKED claim + UPDATE of the same ${due} rows, 500 per transaction (s)`,
                baseline_value: baseline,
                warmup_value: warmup,
                goal: "< 2 s"
              }
            }).pipe(Effect.provide(live))
          })
        )
      ),
    { postgres: true }
  )

export const scenarios: ReadonlyArray<Bench.Scenario> = [
  scenario("tasks.pg.sweep.10k_due_of_100k", "outbox"),
  scenario("tasks.pg.sweep.10k_due_of_100k.without_notifications", "none")
]
