/**
 * Audit commands: plan an audit of a programme area (the area's responsible people are copied onto
 * it and the team is checked for independence at once), record checklist results.
 *
 * @since 0.1.0
 */
import { Errors, Guard } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Effect, Schema } from "effect"
import * as References from "../internal/references.js"
import { Id } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Audit from "./Audit.js"

type Command<A> = QmsModule.Command<A>

/**
 * What `planAudit` takes.
 * @since 0.1.0
 * @category inputs
 */
export const PlanAuditInput = Schema.Struct({
  areaId: Schema.String,
  title: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500))),
  scope: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
  leadAuditorId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  teamIds: Schema.optional(Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)))),
  plannedAt: Schema.String,
  checklist: Schema.optional(Schema.Array(Audit.ChecklistItem))
})
/** @since 0.1.0 @category inputs */
export type PlanAuditInput = typeof PlanAuditInput.Encoded

/**
 * Plans an audit of an active programme area (`audit.plan`). A lead auditor or team member
 * responsible for the area is refused here already (`GuardsFailed`, `auditor_independence`), not
 * only when the audit starts.
 * @since 0.1.0
 * @category operations
 */
export const plan = QmsModule.operation({
  name: "plan",
  operationId: "planAudit",
  summary: "Plan an internal audit (independence checked at once)",
  input: PlanAuditInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("audit.plan"),
  errors: [Errors.UnknownReference, Errors.GuardsFailed, RecordHooks.HookFailed],
  http: { method: "post", path: "/audits", status: 201 },
  run: (value) =>
    Records.transaction(
      Effect.gen(function* () {
        const area = yield* References.record("areaId", value.areaId, "audit_area", "audit programme area")
        yield* References.people("leadAuditorId", [value.leadAuditorId])
        yield* References.people("teamIds", value.teamIds ?? [])
        if (area.state !== "active") {
          return yield* new Errors.ValidationFailed({
            issues: [{ path: "areaId", message: `${area.ref} is retired from the programme` }]
          })
        }
        const responsible = Guard.valueAt(area.data, "responsibleIds")
        const data = {
          title: value.title ?? `Audit of ${area.title}`,
          areaId: area.id,
          ...(value.scope === undefined ? {} : { scope: value.scope }),
          areaResponsibleIds: Array.isArray(responsible) ? responsible : [],
          leadAuditorId: value.leadAuditorId,
          teamIds: value.teamIds ?? [],
          plannedAt: value.plannedAt,
          checklist: value.checklist ?? []
        }
        // The planner need not be independent, only the people who will audit.
        const conflicts = Audit.independenceConflicts(data)
        if (conflicts.length > 0) {
          return yield* new Errors.GuardsFailed({
            transition: "plan",
            unmet: conflicts.map((who) => ({
              guard: Audit.independentOfArea.name,
              ...Audit.independenceMessage(who)
            })) as [Errors.UnmetRequirement, ...Array<Errors.UnmetRequirement>]
          })
        }
        const audit = yield* Records.create({ type: "internal_audit", data, ownerId: value.leadAuditorId })
        yield* Records.link({ from: audit.id, to: area.id, kind: "audits_area" })
        return audit
      })
    )
})

/**
 * Plans an audit (the `plan` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const planAudit = (input: PlanAuditInput): Command<QmsRecord.QmsRecord> => QmsModule.invoke(plan)(input)

const ChecklistInput = Schema.Struct({ id: Id, checklist: Schema.Array(Audit.ChecklistItem) })

/**
 * Records checklist results while the audit is in progress (the whole checklist, as it now stands;
 * `audit.update`).
 * @since 0.1.0
 * @category operations
 */
export const checklist = QmsModule.operation({
  name: "recordChecklist",
  operationId: "recordChecklist",
  summary: "Record the checklist results of an audit in progress",
  input: ChecklistInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("audit.update"),
  errors: [Errors.NotFound, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/audits/:id/actions/record-checklist" },
  run: ({ id, checklist }) => Records.update({ id, data: { checklist } })
})

/**
 * Records checklist results (the `recordChecklist` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const recordChecklist = (
  auditId: string,
  items: ReadonlyArray<typeof Audit.ChecklistItem.Encoded>
): Command<QmsRecord.QmsRecord> => QmsModule.invoke(checklist)({ id: auditId, checklist: items })
