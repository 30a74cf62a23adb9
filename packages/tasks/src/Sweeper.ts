/**
 * The durable sweeper: finds ladder steps that are due and performs each exactly once.
 *
 * One sweep, batch by batch:
 * 1. **Claim** (own short transaction): up to `batchSize` due steps that are `pending`, or `claimed`
 *    with an expired lease, become `claimed` by a fresh token with `lease_until = now + lease`.
 *    PostgreSQL selects them `FOR UPDATE SKIP LOCKED`, so concurrent sweepers take disjoint rows.
 * 2. **Resolve** recipients through the `Directory` (outside any transaction: a host directory may be
 *    slow), renewing the lease meanwhile.
 * 3. **Perform** (one transaction): `UPDATE … SET state = 'done' WHERE claimed_by = <token> AND
 *    state = 'claimed' RETURNING …`; only the rows it returns are performed: escalation level raised,
 *    audit events appended (`AuditLog.appendMany`, as `system:task-sweeper`), notifications queued in
 *    the outbox. If the lease expired and another sweeper took a row over, its token no longer
 *    matches and the row is not returned; "performed" and "marked done" commit or roll back together.
 *
 * ```ts
 * const report = yield* Sweeper.runOnce()          // tests: drive time with TestClock
 * Layer.provide(Sweeper.layer({ intervalMillis: 10_000 }), Live)  // production: a background fiber
 * ```
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { type Errors, Ids } from "@airworthy/core"
import { Query, Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Clock, Duration, Effect, Fiber, Layer, Option, Schedule } from "effect"
import { type Contact, Directory } from "./Directory.js"
import { chunk, iso, pgArray, type Tables, type TaskRow } from "./internal/tables.js"
import type * as Ladder from "./Ladder.js"
import { TaskNotifier } from "./TaskNotifier.js"

/**
 * Settings of a sweep.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** Names this sweeper in `claimed_by` (default `sweeper-<uuid>`). */
  readonly sweeperId?: string
  /** Steps per claim (default 500). */
  readonly batchSize?: number
  /** How long a claim holds before another sweeper may take it over (default 30 s, renewed every third). */
  readonly leaseMillis?: number
  /** Pause between sweeps of the background layer (default 10 s). */
  readonly intervalMillis?: number
}

/**
 * What a sweep did.
 * @since 0.1.0
 * @category models
 */
export interface Report {
  /** Steps this sweep performed (marked done with their effects). */
  readonly performed: number
  /** Steps it claimed but another sweeper performed first (its lease had expired). */
  readonly lost: number
  readonly batches: number
}

/**
 * What a sweep needs.
 * @since 0.1.0
 * @category models
 */
export type Requirements =
  | Storage.Storage
  | SqlClient.SqlClient
  | Ids.Ids
  | AuditLog.AuditLog
  | Directory
  | TaskNotifier

interface Claimed {
  readonly tenant_id: string
  readonly task_id: string
  readonly step_index: number | string
  readonly name: string
  readonly kind: string
  readonly recipients: string
  readonly level: number | string
  readonly due_at: string
}

const q = Query.make<Tables>()

const claimSql = {
  pg: `UPDATE aw_task_escalations e SET state = 'claimed', claimed_by = $1, lease_until = $2
FROM (SELECT tenant_id, task_id, step_index FROM aw_task_escalations
      WHERE state IN ('pending', 'claimed') AND due_at <= $3 AND (state = 'pending' OR lease_until < $3)
      ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) c
WHERE e.tenant_id = c.tenant_id AND e.task_id = c.task_id AND e.step_index = c.step_index
RETURNING e.tenant_id, e.task_id, e.step_index, e.name, e.kind, e.recipients, e.level, e.due_at`,
  sqlite: `UPDATE aw_task_escalations SET state = 'claimed', claimed_by = ?, lease_until = ?
WHERE rowid IN (SELECT rowid FROM aw_task_escalations
      WHERE state IN ('pending', 'claimed') AND due_at <= ? AND (state = 'pending' OR lease_until < ?)
      ORDER BY due_at LIMIT ?)
RETURNING tenant_id, task_id, step_index, name, kind, recipients, level, due_at`
}

const claim = (token: string, nowMs: number, leaseMillis: number, batchSize: number) =>
  Effect.flatMap(Storage.Storage, ({ dialect }) => {
    const now = iso(nowMs)
    const until = iso(nowMs + leaseMillis)
    return Query.transaction(
      Query.unsafe<Claimed>(
        claimSql[dialect],
        dialect === "pg" ? [token, until, now, batchSize] : [token, until, now, now, batchSize]
      )
    )
  })

const renew = (token: string, leaseMillis: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
    q.exec((db) =>
      db
        .updateTable("aw_task_escalations")
        .set({ lease_until: iso(nowMs + leaseMillis) })
        .where("claimed_by", "=", token)
        .where("state", "=", "claimed")
    )
  )

const markDone = (token: string, now: string) =>
  q.rows((db) =>
    db
      .updateTable("aw_task_escalations")
      .set({ state: "done", done_at: now, lease_until: null })
      .where("claimed_by", "=", token)
      .where("state", "=", "claimed")
      .returning(["tenant_id", "task_id", "step_index"])
  )

const key = (tenantId: string, taskId: string, index: number) => `${tenantId}\u0000${taskId}\u0000${index}`

const groupBy = <A>(items: ReadonlyArray<A>, f: (a: A) => string): Map<string, Array<A>> => {
  const out = new Map<string, Array<A>>()
  for (const item of items) {
    const k = f(item)
    const list = out.get(k)
    if (list === undefined) out.set(k, [item])
    else list.push(item)
  }
  return out
}

/**
 * Performs every step that is due now, batch by batch, each exactly once across all sweepers.
 * @since 0.1.0
 * @category sweeping
 */
export const runOnce = (
  config: Config = {}
): Effect.Effect<Report, StorageError.StorageError | Errors.ValidationFailed, Requirements> =>
  Effect.gen(function* () {
    const batchSize = Math.max(1, config.batchSize ?? 500)
    const leaseMillis = Math.max(1000, config.leaseMillis ?? 30_000)
    const sweeperId = config.sweeperId ?? `sweeper-${yield* Ids.next}`
    const directory = yield* Directory
    const notifier = yield* TaskNotifier
    let performed = 0
    let lost = 0
    let batches = 0
    while (true) {
      yield* Effect.yieldNow() // let other fibers (another sweeper on the same client) take turns
      const nowMs = yield* Clock.currentTimeMillis
      const token = `${sweeperId}/${yield* Ids.next}`
      const claimed = yield* claim(token, nowMs, leaseMillis, batchSize)
      if (claimed.length === 0) break
      batches++
      const renewing = yield* Effect.fork(
        renew(token, leaseMillis).pipe(
          Effect.ignoreLogged,
          Effect.repeat(Schedule.spaced(Duration.millis(Math.floor(leaseMillis / 3)))),
          Effect.delay(Duration.millis(Math.floor(leaseMillis / 3)))
        )
      )
      const byTenant = groupBy(claimed, (c) => c.tenant_id)
      // Tasks of the claimed steps (still open ones only).
      const tasks = new Map<string, TaskRow>()
      for (const [tenantId, steps] of byTenant) {
        const ids = Array.from(new Set(steps.map((s) => s.task_id)))
        for (const part of chunk(ids, 500)) {
          const rows = yield* q.rows((db) =>
            db
              .selectFrom("aw_tasks")
              .selectAll()
              .where("tenant_id", "=", tenantId)
              .where("id", "in", part)
              .where("status", "in", ["open", "in_progress"])
          )
          for (const r of rows) tasks.set(`${tenantId}\u0000${r.id}`, r)
        }
      }
      // Recipients through the directory, with a cache for this batch.
      const cache = new Map<string, unknown>()
      const cached = <A>(k: string, eff: Effect.Effect<A, StorageError.StorageError>) =>
        cache.has(k) ? Effect.succeed(cache.get(k) as A) : Effect.tap(eff, (a) => Effect.sync(() => cache.set(k, a)))
      const resolve = (tenantId: string, task: TaskRow, to: ReadonlyArray<Ladder.Recipient>) =>
        Effect.gen(function* () {
          const ids = new Set<string>()
          for (const r of to) {
            if (r === "assignee") {
              if (task.assignee_id !== null) ids.add(task.assignee_id)
            } else if (r === "owner") {
              if (task.owner_id !== null) ids.add(task.owner_id)
            } else if (r === "owner_supervisor") {
              if (task.owner_id !== null) {
                const sup = yield* cached(
                  `s\u0000${tenantId}\u0000${task.owner_id}`,
                  directory.supervisorOf(tenantId, task.owner_id)
                )
                if (Option.isSome(sup)) ids.add(sup.value)
              }
            } else {
              const holders = yield* cached(
                `r\u0000${tenantId}\u0000${r.role}`,
                directory.usersWithRole(tenantId, r.role)
              )
              for (const h of holders) ids.add(h)
            }
          }
          // Nobody to tell (no supervisor on file, empty role): the quality managers hear of it instead.
          if (ids.size === 0) {
            for (const h of yield* cached(
              `r\u0000${tenantId}\u0000quality_manager`,
              directory.usersWithRole(tenantId, "quality_manager")
            ))
              ids.add(h)
          }
          const contacts: Array<Contact> = []
          for (const id of ids) {
            const c = yield* cached(`c\u0000${tenantId}\u0000${id}`, directory.contactOf(tenantId, id))
            if (Option.isSome(c)) contacts.push(c.value)
          }
          return { actorIds: Array.from(ids), contacts }
        })
      const plans: Array<{
        readonly step: Claimed
        readonly task: TaskRow
        readonly actorIds: ReadonlyArray<string>
        readonly contacts: ReadonlyArray<Contact>
      }> = []
      for (const step of claimed) {
        const task = tasks.get(`${step.tenant_id}\u0000${step.task_id}`)
        if (task === undefined) continue
        const to = JSON.parse(step.recipients) as ReadonlyArray<Ladder.Recipient>
        const resolved = yield* resolve(step.tenant_id, task, to)
        plans.push({ step, task, ...resolved })
      }
      const planned = new Map(plans.map((p) => [key(p.step.tenant_id, p.step.task_id, Number(p.step.step_index)), p]))
      const doneNow = yield* Query.transaction(
        Effect.gen(function* () {
          const now = iso(yield* Clock.currentTimeMillis)
          const { dialect } = yield* Storage.Storage
          const tenantOrder = Array.from(byTenant.keys()).sort()
          // Lock order everywhere: task rows, then ladder rows, then audit heads, tenants sorted. A
          // command (complete, cancel) locks its task first too, so the two cannot deadlock.
          if (dialect === "pg")
            for (const tenantId of tenantOrder) {
              const ids = Array.from(new Set(byTenant.get(tenantId)!.map((c) => c.task_id))).sort()
              for (const part of chunk(ids, 1000))
                yield* Query.unsafe(
                  `SELECT id FROM aw_tasks WHERE tenant_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE`,
                  [tenantId, `{${part.join(",")}}`]
                )
            }
          const marked = yield* markDone(token, now)
          const mine = marked.flatMap((m) => {
            const p = planned.get(key(m.tenant_id, m.task_id, Number(m.step_index)))
            return p === undefined ? [] : [p]
          })
          const mineByTenant = groupBy(mine, (p) => p.step.tenant_id)
          for (const tenantId of tenantOrder) {
            const list = mineByTenant.get(tenantId)
            if (list === undefined) continue
            // PostgreSQL: one UPDATE for the batch, each task raised to the highest level it reached
            // (the task rows are already locked, so the statement adds no lock-order concern).
            if (dialect === "pg") {
              const highest = new Map<string, number>()
              for (const p of list) {
                const level = Number(p.step.level)
                if (level > 0 && level > (highest.get(p.task.id) ?? 0)) highest.set(p.task.id, level)
              }
              if (highest.size > 0)
                yield* Query.unsafe(
                  `UPDATE aw_tasks t SET escalation_level = v.level, updated_at = $1
FROM unnest($2::text[], $3::int[]) AS v(id, level)
WHERE t.tenant_id = $4 AND t.id = v.id AND t.escalation_level < v.level`,
                  [now, pgArray(Array.from(highest.keys())), pgArray(Array.from(highest.values())), tenantId]
                )
            }
            // SQLite: raise levels lowest first, so a task that catches up on several steps ends at the highest.
            const byLevel = groupBy(list, (p) => String(Number(p.step.level)))
            for (const level of Array.from(byLevel.keys())
              .map(Number)
              .sort((a, b) => a - b)) {
              if (level <= 0 || dialect === "pg") continue
              const ids = Array.from(new Set(byLevel.get(String(level))!.map((p) => p.task.id)))
              for (const part of chunk(ids, 500))
                yield* q.exec((db) =>
                  db
                    .updateTable("aw_tasks")
                    .set({ escalation_level: level, updated_at: now })
                    .where("tenant_id", "=", tenantId)
                    .where("id", "in", part)
                    .where("escalation_level", "<", level)
                )
            }
            yield* AuditLog.asSystem(
              tenantId,
              "task-sweeper",
              "sweeper"
            )(
              Effect.zipRight(
                AuditLog.appendMany(
                  list.map((p) => ({
                    action: p.step.kind === "escalation" ? "task.escalated" : "task.reminded",
                    recordType: "task",
                    recordId: p.task.id,
                    before: { escalationLevel: Number(p.task.escalation_level) },
                    after: {
                      step: p.step.name,
                      stepIndex: Number(p.step.step_index),
                      stepDueAt: p.step.due_at,
                      escalationLevel: Math.max(Number(p.task.escalation_level), Number(p.step.level)),
                      recipients: p.actorIds
                    },
                    ...(p.contacts.length === 0 ? { reason: "Nobody to notify was found in the directory" } : {}),
                    severity: p.step.kind === "escalation" ? ("warning" as const) : ("info" as const)
                  }))
                ),
                (notifier.notifyBatch ?? notifier.notify)(
                  list.map((p) => ({
                    taskId: p.task.id,
                    title: p.task.title,
                    kind: p.task.kind,
                    step: p.step.name,
                    stepKind: p.step.kind as Ladder.Step["kind"],
                    level: Math.max(Number(p.task.escalation_level), Number(p.step.level)),
                    dueAt: p.task.due_at ?? p.step.due_at,
                    recipients: p.contacts
                  }))
                )
              )
            )
          }
          return { marked: marked.length }
        })
      ).pipe(Effect.ensuring(Fiber.interrupt(renewing)))
      performed += doneNow.marked
      lost += claimed.length - doneNow.marked
      if (claimed.length < batchSize) break
    }
    return { performed, lost, batches }
  })

/**
 * A background fiber that sweeps every `intervalMillis` for as long as the layer's scope lives. A
 * failed sweep is logged and the next one retries (claims it held expire with their lease).
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config = {}): Layer.Layer<never, never, Requirements> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const sweeperId = config.sweeperId ?? `sweeper-${yield* Ids.next}`
      const interval = Duration.millis(config.intervalMillis ?? 10_000)
      yield* runOnce({ ...config, sweeperId }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("task sweep failed", cause)),
        Effect.zipRight(Effect.sleep(interval)),
        Effect.forever,
        Effect.forkScoped
      )
    })
  )
