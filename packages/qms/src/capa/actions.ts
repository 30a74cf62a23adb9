/**
 * CAPA commands: `raiseCapaFromFinding` (the one-click action on a finding) and the effectiveness
 * check. Each is one transaction, audited.
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors, Guard } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Effect, Schema } from "effect"
import { ById, Id } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"

type Command<A> = QmsModule.Command<A>

/**
 * What `raiseCapaFromFinding` returns: the CAPA, and whether this call created it (`false`: it
 * already existed and nothing was written).
 * @since 0.1.0
 * @category models
 */
export const Raised = Schema.Struct({ capa: QmsRecord.QmsRecord, created: Schema.Boolean })
/** @since 0.1.0 @category models */
export type Raised = typeof Raised.Type

/**
 * The idempotency key of the CAPA raised for a finding.
 * @since 0.1.0
 * @category rules
 */
export const idempotencyKeyFor = (findingId: string): string => `qms.capa-from-finding:${findingId}`

/**
 * Raises the CAPA for a finding in one transaction (`capa.create`): creates it with the finding's
 * context (title, description, requirement, level, due date), makes the finding's owner its owner,
 * links it (`corrective_action`), opens it (the CAPA rules give the owner the root-cause task and
 * an email) and appends `capa.raised_from_finding`. Idempotent: when the finding already has its
 * CAPA, that CAPA is returned and nothing is written.
 * @since 0.1.0
 * @category operations
 */
export const raiseCapa = QmsModule.operation({
  name: "raiseCapa",
  operationId: "raiseCapa",
  summary: "Raise the finding's CAPA in one step (idempotent: `created: false` when it exists)",
  input: ById,
  output: Raised,
  access: QmsModule.permission("capa.create"),
  errors: [Errors.NotFound, Errors.GuardsFailed, RecordHooks.HookFailed],
  http: { method: "post", path: "/findings/:id/actions/raise-capa" },
  run: ({ id: findingId }) =>
    Records.transaction(
      Effect.gen(function* () {
        const finding = yield* Records.get(findingId)
        if (finding.type !== "finding") return yield* new Errors.NotFound({ entity: "finding", id: findingId })
        const existing = (yield* Records.links(findingId, { kind: "corrective_action", direction: "out" })).at(0)
        if (existing !== undefined) return { capa: yield* Records.get(existing.other.id), created: false } as Raised
        const owner = finding.ownerId ?? finding.createdBy
        const text = (path: string) => {
          const v = Guard.valueAt(finding.data, path)
          return typeof v === "string" && v !== "" ? v : undefined
        }
        const context = {
          title: `${finding.ref}: ${finding.title}`.slice(0, 500),
          description: text("description"),
          findingId,
          findingRef: finding.ref,
          requirement: text("requirement"),
          level: text("level"),
          dueAt: finding.dueAt ?? undefined
        }
        const correlationId = idempotencyKeyFor(findingId)
        const created = yield* Records.create({
          type: "capa",
          ownerId: owner,
          data: Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined)),
          idempotencyKey: idempotencyKeyFor(findingId),
          correlationId
        })
        // A concurrent first call committed meanwhile: its CAPA is replayed; nothing more to write.
        if (created.version !== 1 || created.state !== "draft") return { capa: created, created: false } as Raised
        yield* Records.link({ from: findingId, to: created.id, kind: "corrective_action", correlationId })
        const opened = yield* Records.transition({ id: created.id, transition: "open", correlationId })
        yield* AuditLog.append({
          action: "capa.raised_from_finding",
          recordType: "finding",
          recordId: findingId,
          after: { capaId: opened.id, capaRef: opened.ref, ownerId: owner },
          correlationId
        })
        return { capa: opened, created: true } as Raised
      })
    )
})

/**
 * Raises a finding's CAPA (the `raiseCapa` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const raiseCapaFromFinding = (findingId: string): Command<Raised> =>
  QmsModule.invoke(raiseCapa)({ id: findingId })

const EffectivenessInput = Schema.Struct({
  id: Id,
  result: Schema.Literal("effective", "ineffective"),
  verifiedBy: Schema.optionalWith(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)), { exact: true }),
  plannedAt: Schema.optionalWith(Schema.String, { exact: true })
})

/**
 * Records the effectiveness check of a CAPA in `effectiveness_check` (`capa.update`): the result
 * and who verified it (the current actor unless named).
 * @since 0.1.0
 * @category operations
 */
export const effectiveness = QmsModule.operation({
  name: "recordEffectiveness",
  operationId: "recordEffectiveness",
  summary: "Record the effectiveness check of a CAPA",
  input: EffectivenessInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("capa.update", { on: "id" }),
  errors: [Errors.NotFound, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/capas/:id/actions/record-effectiveness" },
  run: (check) =>
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      return yield* Records.update({
        id: check.id,
        data: {
          effectiveness: {
            result: check.result,
            verifiedBy: check.verifiedBy ?? actor.actorId,
            ...(check.plannedAt === undefined ? {} : { plannedAt: check.plannedAt })
          }
        }
      })
    })
})

/**
 * Records a CAPA's effectiveness check (the `recordEffectiveness` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const recordEffectiveness = (
  capaId: string,
  check: { readonly result: "effective" | "ineffective"; readonly verifiedBy?: string; readonly plannedAt?: string }
): Command<QmsRecord.QmsRecord> => QmsModule.invoke(effectiveness)({ id: capaId, ...check })

const SkipInput = Schema.Struct({ id: Id, rationale: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000)) })

/**
 * Records why a CAPA closes without an effectiveness check (e.g. a documentation-only correction).
 * @since 0.1.0
 * @category operations
 */
export const skipEffectiveness = QmsModule.operation({
  name: "skipEffectivenessCheck",
  operationId: "skipEffectivenessCheck",
  summary: "Record why a CAPA closes without an effectiveness check",
  input: SkipInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("capa.update", { on: "id" }),
  errors: [Errors.NotFound, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/capas/:id/actions/skip-effectiveness-check" },
  run: ({ id, rationale }) => Records.update({ id, data: { effectivenessSkipRationale: rationale } })
})

/**
 * Records why a CAPA skips its effectiveness check (the operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const skipEffectivenessCheck = (capaId: string, rationale: string): Command<QmsRecord.QmsRecord> =>
  QmsModule.invoke(skipEffectiveness)({ id: capaId, rationale })
