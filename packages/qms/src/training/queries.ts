/**
 * What a quality manager asks about training: the recurrent-training due list (who is missing,
 * expired or soon due on which requirement) and one person's training.
 *
 * @since 0.1.0
 */
import { Actor, Guard } from "@airworthy/core"
import { QmsRecord } from "@airworthy/records"
import { Query, type Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { holdersOf } from "../documents/rules.js"
import { listAll, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Training from "./Training.js"

/**
 * One line of the due list.
 * @since 0.1.0
 * @category models
 */
export const DueLine = Schema.Struct({
  personId: Schema.String,
  requirementId: Schema.String,
  code: Schema.String,
  title: Schema.String,
  /** `missing`: never completed; `expired`: past its expiry; `due_soon`: expires within the window. */
  status: Schema.Literal("missing", "expired", "due_soon"),
  completedAt: Schema.NullOr(Schema.String),
  expiresAt: Schema.NullOr(Schema.String),
  recordId: Schema.NullOr(Schema.String)
})
/** @since 0.1.0 @category models */
export type DueLine = typeof DueLine.Type

interface RecordRow {
  readonly id: string
  readonly owner_id: string | null
  readonly due_at: string | null
  readonly data: string
}

interface Tables {
  readonly aw_records: RecordRow & {
    readonly tenant_id: string
    readonly type: string
    readonly state: string
  }
}

/**
 * Every current training record of the tenant, as `person|requirement` → record (the promoted
 * columns and the stored data, read once in one statement).
 * @since 0.1.0
 * @category queries
 */
export const currentRecords = (
  tenantId: string
): Effect.Effect<
  Map<string, { id: string; completedAt: string; expiresAt: string | null }>,
  StorageError.StorageError,
  Storage.Storage | SqlClient.SqlClient
> =>
  Effect.map(
    Query.rows<Tables, RecordRow>((db) =>
      db
        .selectFrom("aw_records")
        .select(["id", "owner_id", "due_at", "data"])
        .where("tenant_id", "=", tenantId)
        .where("type", "=", "training_record")
        .where("state", "=", "current")
    ),
    (rows) => {
      const byKey = new Map<string, { id: string; completedAt: string; expiresAt: string | null }>()
      for (const row of rows) {
        const data = JSON.parse(row.data) as { requirementId?: string; completedAt?: string }
        byKey.set(`${row.owner_id}|${data.requirementId}`, {
          id: row.id,
          completedAt: data.completedAt ?? "",
          expiresAt: row.due_at
        })
      }
      return byKey
    }
  )

const order = { expired: 0, missing: 1, due_soon: 2 } as const

/**
 * The due list: for every active requirement, every person holding one of its roles (through the
 * `Directory`) whose training is missing, expired, or expiring within `withinDays` (default 60);
 * expired first, then missing, then due soon, each by expiry.
 * @since 0.1.0
 * @category queries
 */
export const computeDueList = (options: {
  readonly withinDays: number
  readonly personId?: string | undefined
}): QmsModule.Command<ReadonlyArray<DueLine>> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const now = yield* nowIso
    const horizon = new Date(Date.parse(now) + options.withinDays * 86_400_000).toISOString()
    const requirements = yield* listAll({ type: "training_requirement", state: "active", order: "asc" })
    const records = yield* currentRecords(actor.tenantId)
    const lines: Array<DueLine> = []
    // Requirements usually share their roles: each set of roles is asked of the directory once.
    const holders = new Map<string, ReadonlyArray<string>>()
    const holdersOfRoles = (roles: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const key = [...roles].sort().join(" ")
        const known = holders.get(key)
        if (known !== undefined) return known
        const found = yield* holdersOf(actor.tenantId, roles)
        holders.set(key, found)
        return found
      })
    for (const requirement of requirements) {
      const req = Schema.decodeUnknownSync(Training.RequirementData)(requirement.data)
      const everyone = yield* holdersOfRoles(req.roles)
      if (options.personId !== undefined && !everyone.includes(options.personId)) continue
      const people = options.personId === undefined ? everyone : [options.personId]
      for (const personId of people) {
        const held = records.get(`${personId}|${requirement.id}`)
        const line = { personId, requirementId: requirement.id, code: req.code, title: req.title }
        if (held === undefined) {
          lines.push({ ...line, status: "missing", completedAt: null, expiresAt: null, recordId: null })
        } else if (held.expiresAt !== null && held.expiresAt < horizon) {
          lines.push({
            ...line,
            status: held.expiresAt < now ? "expired" : "due_soon",
            completedAt: held.completedAt,
            expiresAt: held.expiresAt,
            recordId: held.id
          })
        }
      }
    }
    return lines.sort(
      (a, b) =>
        order[a.status] - order[b.status] ||
        (a.expiresAt ?? "").localeCompare(b.expiresAt ?? "") ||
        a.personId.localeCompare(b.personId) ||
        a.code.localeCompare(b.code)
    )
  })

const DueInput = Schema.Struct({
  withinDays: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 3650)), { default: () => 60 }),
  personId: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)))
})

/**
 * The recurrent-training due list (`training.read`).
 * @since 0.1.0
 * @category operations
 */
export const dueList = QmsModule.operation({
  name: "dueList",
  operationId: "trainingDueList",
  summary: "Training missing, expired or expiring within `withinDays` (default 60), per person and requirement",
  input: DueInput,
  output: Schema.Array(DueLine),
  access: QmsModule.permission("training.read"),
  http: {
    method: "get",
    path: "/training/due-list",
    query: Schema.Struct({
      withinDays: Schema.optionalWith(Schema.NumberFromString, { exact: true }),
      personId: Schema.optionalWith(Schema.String, { exact: true })
    })
  },
  run: ({ withinDays, personId }) => computeDueList({ withinDays, personId })
})

/**
 * The due list (the `dueList` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const trainingDueList = (options: typeof DueInput.Encoded = {}): QmsModule.Command<ReadonlyArray<DueLine>> =>
  QmsModule.invoke(dueList)(options)

/**
 * A person's training: their current training records and the due-list lines that concern them.
 * @since 0.1.0
 * @category models
 */
export const PersonTraining = Schema.Struct({
  personId: Schema.String,
  records: Schema.Array(QmsRecord.QmsRecord),
  due: Schema.Array(DueLine)
})

/**
 * One person's training (`training.read`).
 * @since 0.1.0
 * @category operations
 */
export const person = QmsModule.operation({
  name: "person",
  operationId: "personTraining",
  summary: "A person's training records and what of it is missing, expired or due soon",
  input: Schema.Struct({ personId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)) }),
  output: PersonTraining,
  access: QmsModule.permission("training.read"),
  http: { method: "get", path: "/training/people/:personId" },
  run: ({ personId }) =>
    Effect.gen(function* () {
      const records = yield* listAll({ type: "training_record", state: "current", ownerId: personId, order: "asc" })
      const due = yield* computeDueList({ withinDays: 60, personId })
      return {
        personId,
        records: [...records].sort((a, b) =>
          String(Guard.valueAt(a.data, "requirementCode")).localeCompare(
            String(Guard.valueAt(b.data, "requirementCode"))
          )
        ),
        due
      }
    })
})

/**
 * A person's training (the `person` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const personTraining = (personId: string) => QmsModule.invoke(person)({ personId })
