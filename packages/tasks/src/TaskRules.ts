/**
 * Rules as data: "when a record of type X is created / enters state Y, create task T for the field
 * or role Z, due per policy or in D hours", installed as records in-transaction hooks, so the task
 * commits or rolls back with the record change.
 *
 * ```ts
 * const rules = TaskRules.layer([
 *   { name: "report_occurrence", recordType: "occurrence", when: { created: true },
 *     task: { kind: "occurrence_report", title: (r) => `Report ${r.ref} to the authority` },
 *     assignTo: { role: "quality_manager" } },
 *   { name: "answer_finding", recordType: "finding", when: { enters: "open" },
 *     task: { kind: "finding_level_2" }, assignTo: { field: "ownerId" } }
 * ])
 * ```
 *
 * @since 0.1.0
 */
import { Actor, Guard } from "@airworthy/core"
import { type QmsRecord, RecordHooks } from "@airworthy/records"
import { Effect, type Layer } from "effect"
import { Directory } from "./Directory.js"
import type * as Task from "./Task.js"
import { Tasks } from "./Tasks.js"

/**
 * Who gets the task: a field of the record (`ownerId`, `createdBy`, or a data path such as
 * `data.responsible`) or the first holder of a role in the `Directory` (by actor id).
 * @since 0.1.0
 * @category models
 */
export type Assignee = { readonly field: string } | { readonly role: string }

/**
 * One rule.
 * @since 0.1.0
 * @category models
 */
export interface Rule {
  /** Lower-case words; recorded on the task (`rule`) and in its audit event. */
  readonly name: string
  readonly recordType: string
  /** On creation, or when the record enters a state (by any transition). */
  readonly when: { readonly created: true } | { readonly enters: string }
  readonly task: {
    readonly kind: string
    /** Default: `<kind words> – <ref> <title>`. */
    readonly title?: string | ((record: QmsRecord.QmsRecord) => string)
    readonly priority?: Task.Priority
    /** Due in this many hours; default the kind's `DuePolicy`. */
    readonly dueInHours?: number
  }
  readonly assignTo: Assignee
  /** Default: the same person as `assignTo`. */
  readonly owner?: Assignee
}

const fieldValue = (record: QmsRecord.QmsRecord, field: string): string | undefined => {
  const direct: Record<string, unknown> = { ownerId: record.ownerId, createdBy: record.createdBy }
  const v = Object.hasOwn(direct, field) ? direct[field] : Guard.valueAt(record.data, field.replace(/^data\./, ""))
  return typeof v === "string" && v.trim() !== "" ? v : undefined
}

/**
 * The hooks of a list of rules (over the `Tasks` and `Directory` in context when the layer is built).
 * @since 0.1.0
 * @category constructors
 */
export const hooks = (
  rules: ReadonlyArray<Rule>
): Effect.Effect<ReadonlyArray<RecordHooks.Hook>, never, Tasks | Directory> =>
  Effect.gen(function* () {
    const tasks = yield* Tasks
    const directory = yield* Directory
    const names = new Set<string>()
    for (const r of rules) {
      if (!/^[a-z][a-z0-9_]*$/.test(r.name))
        return yield* Effect.dieMessage(`Task rule "${r.name}" must be lower-case words`)
      if (names.has(r.name)) return yield* Effect.dieMessage(`Task rule "${r.name}" is declared twice`)
      names.add(r.name)
    }
    const pick = (tenantId: string, record: QmsRecord.QmsRecord, who: Assignee) =>
      "field" in who
        ? Effect.succeed(fieldValue(record, who.field))
        : Effect.map(directory.usersWithRole(tenantId, who.role), (ids) => ids[0])
    const run =
      (rule: Rule): RecordHooks.Run =>
      (change) =>
        Effect.gen(function* () {
          const actor = yield* Actor.CurrentActor
          const record = change.record
          const assignee = yield* pick(actor.tenantId, record, rule.assignTo)
          const owner = rule.owner === undefined ? assignee : yield* pick(actor.tenantId, record, rule.owner)
          const title =
            typeof rule.task.title === "function"
              ? rule.task.title(record)
              : (rule.task.title ?? `${rule.task.kind.replace(/_/g, " ")}: ${record.ref} ${record.title}`.trim())
          const nowMs = yield* Effect.clockWith((c) => c.currentTimeMillis)
          yield* tasks.createByRule(
            {
              kind: rule.task.kind,
              title: title.slice(0, 500),
              records: [{ type: record.type, id: record.id }],
              ...(owner === undefined ? {} : { ownerId: owner }),
              ...(assignee === undefined ? {} : { assigneeId: assignee }),
              ...(rule.task.priority === undefined ? {} : { priority: rule.task.priority }),
              ...(rule.task.dueInHours === undefined
                ? {}
                : { dueAt: new Date(nowMs + rule.task.dueInHours * 3_600_000).toISOString() })
            },
            rule.name
          )
        }).pipe(Effect.asVoid)
    return rules.map((rule) =>
      "created" in rule.when
        ? RecordHooks.onCreated(run(rule), { type: rule.recordType, name: `task_rule.${rule.name}` })
        : RecordHooks.on(
            "transitioned",
            (change) =>
              change.transition?.to === (rule.when as { readonly enters: string }).enters
                ? run(rule)(change)
                : Effect.void,
            { type: rule.recordType, name: `task_rule.${rule.name}` }
          )
    )
  })

/**
 * The rules as the `RecordHooks` layer (merge its hooks with others through `hooks` if the host has more).
 * @since 0.1.0
 * @category layers
 */
export const layer = (rules: ReadonlyArray<Rule>): Layer.Layer<RecordHooks.RecordHooks, never, Tasks | Directory> =>
  RecordHooks.layerEffect(hooks(rules))
