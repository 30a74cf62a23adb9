/**
 * The durable sweeper: finds ladder steps that are due and performs each exactly once.
 *
 * One sweep, batch by batch:
 * 1. **Claim** (own short transaction): up to `batchSize` due steps that are not performed yet
 *    (`pending`, or the legacy `claimed`) and whose lease is unset or expired get `claimed_by = <fresh
 *    token>` and `lease_until = now + lease`. The claim does not change `state` (an indexed column),
 *    so on PostgreSQL it can be a HOT update. PostgreSQL selects the rows `FOR UPDATE SKIP LOCKED`,
 *    so concurrent sweepers take disjoint rows.
 * 2. **Resolve** recipients through the `Directory` (outside any transaction: a host directory may be
 *    slow), renewing the lease meanwhile.
 * 3. **Perform** (one transaction): `UPDATE … SET state = 'done' WHERE claimed_by = <token> AND
 *    state IN ('pending', 'claimed') RETURNING …`; only the rows it returns are performed: escalation
 *    level raised, audit events appended (`AuditLog.appendMany`, as `system:task-sweeper`), notifications queued in
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
import { type AuditEvent, AuditLog } from "@airworthy/audit"
import { type Errors, Ids } from "@airworthy/core"
import { Directory, Query, RowLevelSecurity, Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Clock, type Context, Duration, Effect, Exit, Fiber, Layer, Option, Schedule } from "effect"
import { chunk, iso, pgArray, type Tables, type TaskRow } from "./internal/tables.js"
import type * as Ladder from "./Ladder.js"
import { type Notice, type PreparedNotices, TaskNotifier } from "./TaskNotifier.js"

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
  /**
   * PostgreSQL: claim-and-perform loops run side by side in one sweep (default 2; each uses up to two
   * connections). While one batch appends its audit events, the other's rows are written.
   */
  readonly workers?: number
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
  | Directory.Directory
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

/** The task columns the sweeper reads, joined to the claim on PostgreSQL (`t_`-prefixed there). */
type TaskFields = Pick<
  TaskRow,
  "id" | "kind" | "title" | "status" | "owner_id" | "assignee_id" | "due_at" | "escalation_level"
>

interface ClaimedWithTask extends Claimed {
  readonly t_id: string | null
  readonly t_kind: string
  readonly t_title: string
  readonly t_status: string
  readonly t_owner_id: string | null
  readonly t_assignee_id: string | null
  readonly t_due_at: string | null
  readonly t_escalation_level: number | string
}

const q = Query.make<Tables>()

const stepColumns = "tenant_id, task_id, step_index, name, kind, recipients, level, due_at"

const claimSql = {
  // One statement: claim (SKIP LOCKED), and read the open tasks of the claimed steps with it. The
  // task rows are read, not locked: the perform transaction locks them first.
  pg: `WITH c AS MATERIALIZED (
  SELECT tenant_id, task_id, step_index FROM aw_task_escalations
  WHERE state IN ('pending', 'claimed') AND due_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
  ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED
), u AS (
  UPDATE aw_task_escalations e SET claimed_by = $1, lease_until = $2
  FROM c WHERE e.tenant_id = c.tenant_id AND e.task_id = c.task_id AND e.step_index = c.step_index
  RETURNING ${stepColumns
    .split(", ")
    .map((c) => `e.${c}`)
    .join(", ")}
)
SELECT u.*, t.id AS t_id, t.kind AS t_kind, t.title AS t_title, t.status AS t_status, t.owner_id AS t_owner_id,
  t.assignee_id AS t_assignee_id, t.due_at AS t_due_at, t.escalation_level AS t_escalation_level
FROM u LEFT JOIN aw_tasks t ON t.tenant_id = u.tenant_id AND t.id = u.task_id AND t.status IN ('open', 'in_progress')
ORDER BY u.due_at`,
  sqlite: `UPDATE aw_task_escalations SET claimed_by = ?, lease_until = ?
WHERE rowid IN (SELECT rowid FROM aw_task_escalations
      WHERE state IN ('pending', 'claimed') AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
      ORDER BY due_at LIMIT ?)
RETURNING ${stepColumns}`
}

/**
 * PostgreSQL, after the batch's task rows are locked: marks this claim's steps done (only those it
 * still holds) and raises each open task to the highest level it reached, in one statement.
 * Params: [now, token, tenantIds, taskIds, stepIndexes].
 */
const performSqlPg = `WITH done AS (
  UPDATE aw_task_escalations e SET state = 'done', done_at = $1, lease_until = NULL
  FROM unnest($3::text[], $4::text[], $5::int[]) AS k(tenant_id, task_id, step_index)
  WHERE e.tenant_id = k.tenant_id AND e.task_id = k.task_id AND e.step_index = k.step_index
    AND e.claimed_by = $2 AND e.state IN ('pending', 'claimed')
  RETURNING e.tenant_id, e.task_id, e.step_index, e.level
), raised AS (
  UPDATE aw_tasks t SET escalation_level = d.level, updated_at = $1
  FROM (SELECT tenant_id, task_id, max(level) AS level FROM done GROUP BY tenant_id, task_id) d
  WHERE t.tenant_id = d.tenant_id AND t.id = d.task_id AND t.escalation_level < d.level
    AND t.status IN ('open', 'in_progress')
)
SELECT tenant_id, task_id, step_index FROM done`

/** Task rows locked in one order everywhere: tenant, then id (PostgreSQL sorts, then locks). */
const lockTasksSqlPg = `SELECT tenant_id, id, escalation_level FROM aw_tasks
WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
ORDER BY tenant_id, id FOR UPDATE`

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

/** Task ids per tenant of a batch's steps, each once (the PK prefix `(tenant_id, task_id)` finds them). */
const taskIdsByTenant = (steps: ReadonlyArray<Claimed>): Map<string, Array<string>> => {
  const out = new Map<string, Set<string>>()
  for (const s of steps) {
    const set = out.get(s.tenant_id)
    if (set === undefined) out.set(s.tenant_id, new Set([s.task_id]))
    else set.add(s.task_id)
  }
  return new Map(Array.from(out, ([t, ids]) => [t, Array.from(ids)]))
}

const claim = (token: string, nowMs: number, leaseMillis: number, batchSize: number) =>
  Effect.flatMap(Storage.Storage, ({ dialect }) => {
    const now = iso(nowMs)
    const until = iso(nowMs + leaseMillis)
    return Query.transaction(
      dialect === "pg"
        ? Query.unsafe<ClaimedWithTask>(claimSql.pg, [token, until, now, batchSize])
        : Query.unsafe<Claimed>(claimSql.sqlite, [token, until, now, now, batchSize])
    )
  })

/** Steps not yet performed: `claimed` is accepted for rows claimed before claims stopped changing `state`. */
const unperformed = ["pending", "claimed"]

/** A batch's task ids per tenant, in chunks of 500: the `(tenant_id, task_id)` key prefix finds their rows. */
const claimParts = (tasks: Map<string, Array<string>>): Array<readonly [string, ReadonlyArray<string>]> =>
  Array.from(tasks).flatMap(([tenantId, ids]) => chunk(ids, 500).map((part) => [tenantId, part] as const))

// Renewal and SQLite's mark-done find the claim's rows by key (the PK prefix), then check the token.
const renew = (token: string, leaseMillis: number, tasks: Map<string, Array<string>>) =>
  Effect.flatMap(Clock.currentTimeMillis, (nowMs) =>
    Effect.forEach(
      claimParts(tasks),
      ([tenantId, part]) =>
        q.exec((db) =>
          db
            .updateTable("aw_task_escalations")
            .set({ lease_until: iso(nowMs + leaseMillis) })
            .where("tenant_id", "=", tenantId)
            .where("task_id", "in", part)
            .where("claimed_by", "=", token)
            .where("state", "in", unperformed)
        ),
      { discard: true }
    )
  )

const markDoneSqlite = (token: string, now: string, tasks: Map<string, Array<string>>) =>
  Effect.map(
    Effect.forEach(claimParts(tasks), ([tenantId, part]) =>
      q.rows((db) =>
        db
          .updateTable("aw_task_escalations")
          .set({ state: "done", done_at: now, lease_until: null })
          .where("tenant_id", "=", tenantId)
          .where("task_id", "in", part)
          .where("claimed_by", "=", token)
          .where("state", "in", unperformed)
          .returning(["tenant_id", "task_id", "step_index"])
      )
    ),
    (parts) => parts.flat()
  )

interface Plan {
  /** Its position in the batch (and in the batch's prepared notices). */
  readonly index: number
  readonly step: Claimed
  readonly task: TaskFields
  readonly actorIds: ReadonlyArray<string>
  readonly contacts: ReadonlyArray<Directory.Contact>
}

/** A claimed batch, its open tasks read and its recipients resolved, ready to perform. */
interface Batch {
  readonly token: string
  readonly claimed: ReadonlyArray<Claimed>
  readonly tasks: Map<string, Array<string>>
  readonly plans: ReadonlyArray<Plan>
  /** The plans' notices, rendered at the task levels read with the claim. */
  readonly notices: ReadonlyArray<Notice>
  readonly prepared: PreparedNotices | undefined
  readonly renewing: Fiber.RuntimeFiber<unknown>
}

const parsedRecipients = new Map<string, ReadonlyArray<Ladder.Recipient>>()
/** Ladder recipients are a handful of distinct JSON strings: each is parsed once per process. */
const recipientsOf = (json: string): ReadonlyArray<Ladder.Recipient> => {
  let to = parsedRecipients.get(json)
  if (to === undefined) {
    to = JSON.parse(json) as ReadonlyArray<Ladder.Recipient>
    if (parsedRecipients.size < 1000) parsedRecipients.set(json, to)
  }
  return to
}

/**
 * Recipients of every step through the directory. Each distinct look-up (a supervisor, a role, a
 * contact) is made once per batch; the per-step work is a plain loop.
 */
const resolveAll = (directory: Directory.Service, steps: ReadonlyArray<OpenStep>) =>
  Effect.gen(function* () {
    const supervisors = new Map<string, Option.Option<string>>()
    const roles = new Map<string, ReadonlyArray<string>>()
    const contacts = new Map<string, Option.Option<Directory.Contact>>()
    const pair = (tenantId: string, id: string) => `${tenantId}\u0000${id}`
    const fetchMissing = <A>(
      cache: Map<string, A>,
      wanted: Map<string, readonly [string, string]>,
      lookup: (tenantId: string, id: string) => Effect.Effect<A, StorageError.StorageError>
    ) =>
      Effect.forEach(
        Array.from(wanted).filter(([k]) => !cache.has(k)),
        ([k, [tenantId, id]]) => Effect.map(lookup(tenantId, id), (a) => void cache.set(k, a)),
        { discard: true }
      )
    // 1. Supervisors and role holders the steps name.
    const wantSup = new Map<string, readonly [string, string]>()
    const wantRole = new Map<string, readonly [string, string]>()
    for (const { step, task } of steps)
      for (const r of recipientsOf(step.recipients)) {
        if (r === "owner_supervisor") {
          if (task.owner_id !== null) wantSup.set(pair(step.tenant_id, task.owner_id), [step.tenant_id, task.owner_id])
        } else if (typeof r === "object") wantRole.set(pair(step.tenant_id, r.role), [step.tenant_id, r.role])
      }
    yield* fetchMissing(supervisors, wantSup, directory.supervisorOf)
    yield* fetchMissing(roles, wantRole, directory.usersWithRole)
    const idsOf = (step: Claimed, task: TaskFields) => {
      const ids = new Set<string>()
      for (const r of recipientsOf(step.recipients)) {
        if (r === "assignee") {
          if (task.assignee_id !== null) ids.add(task.assignee_id)
        } else if (r === "owner") {
          if (task.owner_id !== null) ids.add(task.owner_id)
        } else if (r === "owner_supervisor") {
          const sup = task.owner_id === null ? undefined : supervisors.get(pair(step.tenant_id, task.owner_id))
          if (sup !== undefined && Option.isSome(sup)) ids.add(sup.value)
        } else for (const h of roles.get(pair(step.tenant_id, r.role)) ?? []) ids.add(h)
      }
      return ids
    }
    const actorIds: Array<Set<string>> = steps.map(({ step, task }) => idsOf(step, task))
    // 2. Nobody to tell (no supervisor on file, empty role): the quality managers hear of it instead.
    const wantQm = new Map<string, readonly [string, string]>()
    steps.forEach(({ step }, i) => {
      if (actorIds[i]!.size === 0)
        wantQm.set(pair(step.tenant_id, "quality_manager"), [step.tenant_id, "quality_manager"])
    })
    yield* fetchMissing(roles, wantQm, directory.usersWithRole)
    steps.forEach(({ step }, i) => {
      if (actorIds[i]!.size === 0)
        for (const h of roles.get(pair(step.tenant_id, "quality_manager")) ?? []) actorIds[i]!.add(h)
    })
    // 3. Contacts.
    const wantContact = new Map<string, readonly [string, string]>()
    steps.forEach(({ step }, i) => {
      for (const id of actorIds[i]!) wantContact.set(pair(step.tenant_id, id), [step.tenant_id, id])
    })
    yield* fetchMissing(contacts, wantContact, directory.contactOf)
    const plans: Array<Plan> = new Array(steps.length)
    for (let i = 0; i < steps.length; i++) {
      const { step, task } = steps[i]!
      const found: Array<Directory.Contact> = []
      for (const id of actorIds[i]!) {
        const c = contacts.get(pair(step.tenant_id, id))
        if (c !== undefined && Option.isSome(c)) found.push(c.value)
      }
      plans[i] = { index: i, step, task, actorIds: Array.from(actorIds[i]!), contacts: found }
    }
    return plans
  })

/** What one sweep works with, read once when it starts. */
interface Sweep {
  readonly sweeperId: string
  readonly batchSize: number
  readonly leaseMillis: number
  readonly dialect: Storage.Dialect
  readonly directory: Directory.Service
  readonly notifier: Context.Tag.Service<TaskNotifier>
}

/** A claimed step and its task, still open. */
interface OpenStep {
  readonly step: Claimed
  readonly task: TaskFields
}

/** A step the perform statement marked done. */
interface Marked {
  readonly tenant_id: string
  readonly task_id: string
  readonly step_index: number | string
}

// Claim (own short transaction), read the open tasks, resolve recipients: no transaction open.
const prepare = (
  sweep: Sweep
): Effect.Effect<Batch | undefined, StorageError.StorageError | Errors.ValidationFailed, Requirements> =>
  Effect.gen(function* () {
    const nowMs = yield* Clock.currentTimeMillis
    const token = `${sweep.sweeperId}/${yield* Ids.next}`
    const claimed = yield* claim(token, nowMs, sweep.leaseMillis, sweep.batchSize)
    if (claimed.length === 0) return undefined
    const tasks = taskIdsByTenant(claimed)
    const renewing = yield* Effect.forkDaemon(
      renew(token, sweep.leaseMillis, tasks).pipe(
        Effect.ignoreLogged,
        Effect.repeat(Schedule.spaced(Duration.millis(Math.floor(sweep.leaseMillis / 3)))),
        Effect.delay(Duration.millis(Math.floor(sweep.leaseMillis / 3)))
      )
    )
    // Whatever fails from here on stops the renewal: a leaked renewer would hold the claims forever.
    return yield* Effect.gen(function* () {
      const open =
        sweep.dialect === "pg" ? openJoined(claimed as ReadonlyArray<ClaimedWithTask>) : yield* openRead(claimed, tasks)
      const plans = yield* resolveAll(sweep.directory, open)
      const notices = plans.map((p) => noticeOf(p, Number(p.task.escalation_level)))
      const prepared = sweep.notifier.prepare === undefined ? undefined : yield* sweep.notifier.prepare(notices)
      return { token, claimed, tasks, plans, notices, prepared, renewing }
    }).pipe(Effect.onError(() => Fiber.interrupt(renewing)))
  })

/** PostgreSQL: the open tasks came with the claim (`t_`-prefixed columns, null for a closed task). */
const openJoined = (claimed: ReadonlyArray<ClaimedWithTask>): Array<OpenStep> => {
  const open: Array<OpenStep> = []
  for (const c of claimed)
    if (c.t_id !== null)
      open.push({
        step: c,
        task: {
          id: c.t_id,
          kind: c.t_kind,
          title: c.t_title,
          status: c.t_status,
          owner_id: c.t_owner_id,
          assignee_id: c.t_assignee_id,
          due_at: c.t_due_at,
          escalation_level: Number(c.t_escalation_level)
        }
      })
  return open
}

/** SQLite: the tasks of the claimed steps (still open ones only), read after the claim. */
const openRead = (claimed: ReadonlyArray<Claimed>, tasks: Map<string, Array<string>>) =>
  Effect.gen(function* () {
    const rows = new Map<string, TaskRow>()
    for (const [tenantId, part] of claimParts(tasks))
      for (const r of yield* q.rows((db) =>
        db
          .selectFrom("aw_tasks")
          .selectAll()
          .where("tenant_id", "=", tenantId)
          .where("id", "in", part)
          .where("status", "in", ["open", "in_progress"])
      ))
        rows.set(`${tenantId}\u0000${r.id}`, r)
    const open: Array<OpenStep> = []
    for (const step of claimed) {
      const task = rows.get(`${step.tenant_id}\u0000${step.task_id}`)
      if (task !== undefined) open.push({ step, task })
    }
    return open
  })

/** Performs a prepared batch in one transaction: only the steps its claim still holds. */
const perform = (sweep: Sweep, batch: Batch) =>
  Query.transaction(
    Effect.gen(function* () {
      const now = iso(yield* Clock.currentTimeMillis)
      const tenantOrder = Array.from(batch.tasks.keys()).sort()
      // Lock order everywhere: task rows, then ladder rows, then audit heads, tenants sorted. A
      // command (complete, cancel) locks its task first too, so the two cannot deadlock.
      const { marked, levels } = yield* markDone(sweep.dialect, batch, now)
      const mineByTenant = markedPlans(batch.plans, marked)
      for (const tenantId of tenantOrder) {
        const list = mineByTenant.get(tenantId)
        if (list === undefined) continue
        yield* performTenant(sweep, batch, tenantId, list, levels, now)
      }
      return marked.length
    })
  ).pipe(Effect.ensuring(Fiber.interrupt(batch.renewing)))

/**
 * Marks the claim's steps done. PostgreSQL locks the batch's task rows first, reading each task's
 * level as locked now (another batch may have raised it since the claim), and raises the levels in
 * the mark-done statement; SQLite's `levels` stay empty.
 */
const markDone = (dialect: Storage.Dialect, batch: Batch, now: string) =>
  Effect.gen(function* () {
    const { token, claimed, tasks } = batch
    const levels = new Map<string, number>()
    if (dialect !== "pg") {
      const marked: ReadonlyArray<Marked> = yield* markDoneSqlite(token, now, tasks)
      return { marked, levels }
    }
    const lockTenants: Array<string> = []
    const lockIds: Array<string> = []
    for (const [tenantId, ids] of tasks)
      for (const id of ids) {
        lockTenants.push(tenantId)
        lockIds.push(id)
      }
    const locked = yield* Query.unsafe<{ tenant_id: string; id: string; escalation_level: number | string }>(
      lockTasksSqlPg,
      [pgArray(lockTenants), pgArray(lockIds)]
    )
    for (const t of locked) levels.set(`${t.tenant_id}\u0000${t.id}`, Number(t.escalation_level))
    const marked: ReadonlyArray<Marked> = yield* Query.unsafe<{
      tenant_id: string
      task_id: string
      step_index: number
    }>(performSqlPg, [
      now,
      token,
      pgArray(claimed.map((c) => c.tenant_id)),
      pgArray(claimed.map((c) => c.task_id)),
      pgArray(claimed.map((c) => Number(c.step_index)))
    ])
    return { marked, levels }
  })

/** The plans of the steps marked done, per tenant (a step whose task was closed has no plan). */
const markedPlans = (plans: ReadonlyArray<Plan>, marked: ReadonlyArray<Marked>): Map<string, Array<Plan>> => {
  const planned = new Map<string, Plan>()
  for (const p of plans) planned.set(key(p.step.tenant_id, p.step.task_id, Number(p.step.step_index)), p)
  const mineByTenant = new Map<string, Array<Plan>>()
  for (const m of marked) {
    const p = planned.get(key(m.tenant_id, m.task_id, Number(m.step_index)))
    if (p === undefined) continue
    const list = mineByTenant.get(m.tenant_id)
    if (list === undefined) mineByTenant.set(m.tenant_id, [p])
    else list.push(p)
  }
  return mineByTenant
}

/** One tenant's performed steps: levels raised (SQLite), notifications queued, audit events appended. */
const performTenant = (
  sweep: Sweep,
  batch: Batch,
  tenantId: string,
  list: ReadonlyArray<Plan>,
  levels: Map<string, number>,
  now: string
) =>
  Effect.gen(function* () {
    // SQLite: raise levels lowest first, so a task that catches up on several steps ends at
    // the highest (PostgreSQL raised them with the mark-done statement).
    if (sweep.dialect !== "pg") yield* raiseLevelsSqlite(tenantId, list, now)
    const { events, ready, redo } = eventsOf(batch, tenantId, list, levels)
    const prepared = batch.prepared
    yield* AuditLog.asSystem(
      tenantId,
      "task-sweeper",
      "sweeper"
    )(
      // Notifications first: the audit append takes the tenant's chain head, held to commit,
      // so a concurrent worker's batch waits for it as briefly as possible.
      Effect.zipRight(
        Effect.zipRight(
          prepared === undefined || ready.length === 0 ? Effect.void : prepared.write(ready),
          redo.length === 0 ? Effect.void : (sweep.notifier.notifyBatch ?? sweep.notifier.notify)(redo)
        ),
        AuditLog.appendMany(events)
      )
    )
  })

const raiseLevelsSqlite = (tenantId: string, list: ReadonlyArray<Plan>, now: string) =>
  Effect.gen(function* () {
    const byLevel = groupBy(list, (p) => String(Number(p.step.level)))
    for (const level of Array.from(byLevel.keys())
      .map(Number)
      .sort((a, b) => a - b)) {
      if (level <= 0) continue
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
  })

/**
 * The audit events of a tenant's performed steps, and their notices: those prepared at the level
 * the task still has (`ready`, by index), and the others rendered again (`redo`).
 */
const eventsOf = (batch: Batch, tenantId: string, list: ReadonlyArray<Plan>, levels: Map<string, number>) => {
  const events: Array<AuditEvent.AppendInputEncoded> = new Array(list.length)
  const ready: Array<number> = [] // prepared notices still right
  const redo: Array<Notice> = [] // rendered at a level that has changed since
  for (let i = 0; i < list.length; i++) {
    const plan = list[i]!
    const { step, task, actorIds, contacts } = plan
    const escalation = step.kind === "escalation"
    const claimedAt = Number(task.escalation_level)
    const before = levels.get(`${tenantId}\u0000${task.id}`) ?? claimedAt
    const level = Math.max(before, Number(step.level))
    events[i] = {
      action: escalation ? "task.escalated" : "task.reminded",
      recordType: "task",
      recordId: task.id,
      before: { escalationLevel: before },
      after: {
        // Members in canonical order: the audit log seals it without sorting.
        escalationLevel: level,
        recipients: actorIds,
        step: step.name,
        stepDueAt: step.due_at,
        stepIndex: Number(step.step_index)
      },
      ...(contacts.length === 0 ? { reason: "Nobody to notify was found in the directory" } : {}),
      severity: escalation ? "warning" : "info"
    }
    if (batch.prepared !== undefined && before === claimedAt) ready.push(plan.index)
    else redo.push(before === claimedAt ? batch.notices[plan.index]! : noticeOf(plan, before))
  }
  return { events, ready, redo }
}

/**
 * Performs every step that is due now, batch by batch, each exactly once across all sweepers. On
 * PostgreSQL the next batch is claimed and resolved while the current one is performed.
 * @since 0.1.0
 * @category sweeping
 */
export const runOnce = (
  config: Config = {}
): Effect.Effect<Report, StorageError.StorageError | Errors.ValidationFailed, Requirements> =>
  Effect.gen(function* () {
    const sweep: Sweep = {
      batchSize: Math.max(1, config.batchSize ?? 500),
      leaseMillis: Math.max(1000, config.leaseMillis ?? 30_000),
      sweeperId: config.sweeperId ?? `sweeper-${yield* Ids.next}`,
      directory: yield* Directory.Directory,
      notifier: yield* TaskNotifier,
      dialect: (yield* Storage.Storage).dialect
    }
    const { batchSize, dialect } = sweep
    let performed = 0
    let lost = 0
    let batches = 0

    // One worker: claim, perform, repeat until a claim comes back short.
    const worker = Effect.gen(function* () {
      yield* Effect.yieldNow()
      let next = yield* prepare(sweep)
      while (next !== undefined) {
        const batch: Batch = next
        batches++
        const full = batch.claimed.length >= batchSize
        // PostgreSQL: claim and resolve the next batch on another connection meanwhile (it takes
        // only ladder rows, SKIP LOCKED, so it cannot wait on this batch's locks).
        const ahead = full && dialect === "pg" ? yield* Effect.fork(prepare(sweep)) : undefined
        const done = yield* perform(sweep, batch).pipe(
          Effect.onError(() => (ahead === undefined ? Effect.void : Effect.ignore(discard(ahead))))
        )
        performed += done
        lost += batch.claimed.length - done
        if (!full) break
        yield* Effect.yieldNow() // let other fibers (another sweeper on the same client) take turns
        next = ahead === undefined ? yield* prepare(sweep) : yield* Fiber.join(ahead)
      }
    })
    // Workers take disjoint claims (SKIP LOCKED) and lock in the same order, exactly like several
    // sweepers on one database; SQLite has one writer, so one worker.
    const workers = dialect === "pg" ? Math.max(1, config.workers ?? 2) : 1
    yield* Effect.all(
      Array.from({ length: workers }, () => worker),
      { concurrency: "unbounded", discard: true }
    )
    return { performed, lost, batches }
    // Every tenant's due steps: across tenants under row-level security (statements still name theirs).
  }).pipe(RowLevelSecurity.acrossTenants)

/** A plan's notice, the task at `taskLevel` before the step. */
const noticeOf = (p: Plan, taskLevel: number): Notice => ({
  taskId: p.task.id,
  title: p.task.title,
  kind: p.task.kind,
  step: p.step.name,
  stepKind: p.step.kind as Ladder.Step["kind"],
  level: Math.max(taskLevel, Number(p.step.level)),
  dueAt: p.task.due_at ?? p.step.due_at,
  recipients: p.contacts
})

/** Stops a batch claimed ahead that will not be performed (its claims expire with their lease). */
const discard = (ahead: Fiber.RuntimeFiber<Batch | undefined, unknown>) =>
  Effect.flatMap(Fiber.interrupt(ahead), (exit) =>
    Exit.isSuccess(exit) && exit.value !== undefined ? Fiber.interrupt(exit.value.renewing) : Effect.void
  )

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
