/**
 * CAPA commands: `raiseCapaFromFinding` (the one-click action on a finding) and the effectiveness
 * check. Each is one transaction, audited.
 *
 * @since 0.1.0
 */
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors, Guard, Policy } from "@airworthy/core"
import { type QmsRecord, Records } from "@airworthy/records"
import { Tasks } from "@airworthy/tasks"
import { Effect } from "effect"
import { type Command, tell, toDateTime } from "../internal/support.js"
import * as Capa from "./Capa.js"

/**
 * What `raiseCapaFromFinding` returns: the CAPA, and whether this call created it (`false`: it
 * already existed and nothing was written).
 * @since 0.1.0
 * @category models
 */
export interface Raised {
  readonly capa: QmsRecord.QmsRecord
  readonly created: boolean
}

/**
 * The idempotency key of the CAPA raised for a finding.
 * @since 0.1.0
 * @category rules
 */
export const idempotencyKeyFor = (findingId: string): string => `qms.capa-from-finding:${findingId}`

/**
 * Raises the CAPA for a finding in one transaction: creates it with the finding's context (title,
 * description, requirement, level, due date), makes the finding's owner its owner, links it
 * (`corrective_action`), opens it, creates the owner's root-cause task, queues the owner's email and
 * appends `capa.raised_from_finding`. Idempotent: when the finding already has its CAPA, that CAPA is
 * returned and nothing is written.
 * @since 0.1.0
 * @category actions
 */
export const raiseCapaFromFinding = (findingId: string): Command<Raised> =>
  Effect.gen(function* () {
    yield* Policy.authorize("capa.create")
    return yield* Records.transaction(
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
        const tasks = yield* Tasks.Tasks
        const due = toDateTime(opened.dueAt)
        yield* tasks.createByRule(
          {
            kind: Capa.taskKinds.rootCause,
            title: `Find the root cause and plan actions for ${opened.ref}`,
            records: [
              { type: "capa", id: opened.id },
              { type: "finding", id: findingId }
            ],
            ownerId: owner,
            assigneeId: owner,
            ...(due === undefined ? {} : { dueAt: due })
          },
          "raise_capa_from_finding"
        )
        yield* tell(
          [owner],
          Capa.raisedTemplate,
          { ref: opened.ref, findingRef: finding.ref, dueAt: opened.dueAt },
          { type: "capa", id: opened.id }
        )
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
 * Records the effectiveness check of a CAPA in `effectiveness_check`: the result and who verified
 * it (the current actor unless named).
 * @since 0.1.0
 * @category actions
 */
export const recordEffectiveness = (
  capaId: string,
  check: { readonly result: "effective" | "ineffective"; readonly verifiedBy?: string; readonly plannedAt?: string }
): Command<QmsRecord.QmsRecord> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    return yield* Records.update({
      id: capaId,
      data: {
        effectiveness: {
          result: check.result,
          verifiedBy: check.verifiedBy ?? actor.actorId,
          ...(check.plannedAt === undefined ? {} : { plannedAt: check.plannedAt })
        }
      }
    })
  })

/**
 * Records why a CAPA closes without an effectiveness check (e.g. a documentation-only correction).
 * @since 0.1.0
 * @category actions
 */
export const skipEffectivenessCheck = (capaId: string, rationale: string): Command<QmsRecord.QmsRecord> =>
  Records.update({ id: capaId, data: { effectivenessSkipRationale: rationale } })
