/**
 * Finding commands a quality manager and auditors use: raise a finding (due date from its level's
 * policy), attach evidence, record the independent verification, and close, which either closes or
 * lists every unmet requirement at once. Each is one transaction, audited, declared as an operation
 * of the findings module.
 *
 * @since 0.1.0
 */
import { Actor, Errors, Guard } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { DuePolicy } from "@airworthy/tasks"
import { Effect, Option, Schema } from "effect"
import * as References from "../internal/references.js"
import { addHours, ExpectedVersion, Id, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Finding from "./Finding.js"

type Command<A> = QmsModule.Command<A>

/**
 * What `raiseFinding` takes. Without `dueAt` the due date comes from the level's `DuePolicy`
 * (the tenant's override, else 24 h for level 1 and 90 days for level 2; observations none).
 * @since 0.1.0
 * @category inputs
 */
export const RaiseFindingInput = Schema.Struct({
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  level: Finding.Level,
  requirement: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(100)),
  description: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000))),
  evidence: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000))),
  /** Who must respond (the finding owner). */
  ownerId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  /** The audit that found it: its area is copied and the finding is linked to it (`raised_in`). */
  auditId: Schema.optional(Schema.String),
  areaId: Schema.optional(Schema.String),
  dueAt: Schema.optional(Schema.String),
  idempotencyKey: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)))
})
/** @since 0.1.0 @category inputs */
export type RaiseFindingInput = typeof RaiseFindingInput.Encoded

/**
 * Raises a finding (`finding.create`): created with its owner and due date, linked to its audit;
 * the response task and the owner's email follow from the finding rules in the same transaction.
 * @since 0.1.0
 * @category operations
 */
export const raise = QmsModule.operation({
  name: "raise",
  operationId: "raiseFinding",
  summary: "Raise a finding (due date from its level's policy; owner's task and email)",
  input: RaiseFindingInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("finding.create"),
  errors: [Errors.UnknownReference, Errors.IdempotencyConflict, RecordHooks.HookFailed],
  http: { method: "post", path: "/findings", status: 201 },
  run: (value) =>
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      return yield* Records.transaction(
        Effect.gen(function* () {
          yield* References.people("ownerId", [value.ownerId])
          let areaId = value.areaId
          if (areaId !== undefined) yield* References.record("areaId", areaId, "audit_area", "audit programme area")
          if (value.auditId !== undefined) {
            const audit = yield* References.record("auditId", value.auditId, "internal_audit", "audit")
            const fromAudit = Guard.valueAt(audit.data, "areaId")
            if (areaId === undefined && typeof fromAudit === "string") areaId = fromAudit
          }
          let dueAt = value.dueAt
          if (dueAt === undefined) {
            const policy = yield* DuePolicy.resolve(actor.tenantId, Finding.taskKind(value.level))
            if (Option.isSome(policy)) dueAt = addHours(yield* nowIso, policy.value.hours)
          }
          const finding = yield* Records.create({
            type: "finding",
            ownerId: value.ownerId,
            data: {
              title: value.title,
              level: value.level,
              requirement: value.requirement,
              ...(value.description === undefined ? {} : { description: value.description }),
              ...(value.evidence === undefined ? {} : { evidence: value.evidence }),
              ...(value.auditId === undefined ? {} : { auditId: value.auditId }),
              ...(areaId === undefined ? {} : { areaId }),
              ...(dueAt === undefined ? {} : { dueAt })
            },
            ...(value.idempotencyKey === undefined ? {} : { idempotencyKey: value.idempotencyKey })
          })
          if (value.auditId !== undefined && finding.version === 1 && finding.state === "open") {
            yield* Records.link({ from: finding.id, to: value.auditId, kind: "raised_in" })
          }
          return finding
        })
      )
    })
})

/**
 * Raises a finding (the `raise` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const raiseFinding: (input: RaiseFindingInput) => Command<QmsRecord.QmsRecord> = QmsModule.invoke(raise)

const ReclassifyInput = Schema.Struct({
  id: Id,
  level: Finding.Level,
  /** Why the level changes; kept in the audit event and the history. */
  reason: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(2000)),
  expectedVersion: ExpectedVersion
})

/**
 * Changes a finding's level (`finding.reclassify`) with a reason, before it closes. Its due date is
 * derived again from the new level's policy, counted from when the finding was raised (an
 * observation has none unless the tenant sets one); the response task follows (the finding rules).
 * One `finding.updated` audit event carries the reason, the old and the new level and due date.
 * The generic record update refuses the level: this is the one way to change it.
 * @since 0.1.0
 * @category operations
 */
export const reclassify = QmsModule.operation({
  name: "reclassify",
  operationId: "reclassifyFinding",
  summary: "Change a finding's level with a reason; its due date is derived again",
  input: ReclassifyInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("finding.reclassify"),
  errors: [Errors.NotFound, Errors.InvalidTransition, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/findings/:id/actions/reclassify" },
  run: ({ id, level, reason, expectedVersion }) =>
    Records.transaction(
      Effect.gen(function* () {
        const actor = yield* Actor.CurrentActor
        const finding = yield* Records.get(id)
        if (finding.type !== "finding") return yield* new Errors.NotFound({ entity: "finding", id })
        if (finding.closedAt !== null) {
          return yield* new Errors.InvalidTransition({ transition: "reclassify", state: finding.state })
        }
        if (Guard.valueAt(finding.data, "level") === level) return finding
        const policy = yield* DuePolicy.resolve(actor.tenantId, Finding.taskKind(level))
        const dueAt = Option.isSome(policy) ? addHours(finding.createdAt, policy.value.hours) : null
        return yield* Records.update({
          id,
          data: { level, dueAt },
          reason,
          ...(expectedVersion === undefined ? {} : { expectedVersion })
        }).pipe(Records.unlocking(["level", "dueAt"]))
      })
    )
})

/**
 * Changes a finding's level (the `reclassify` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const reclassifyFinding = (
  findingId: string,
  change: { readonly level: Finding.Level; readonly reason: string; readonly expectedVersion?: number }
): Command<QmsRecord.QmsRecord> => QmsModule.invoke(reclassify)({ id: findingId, ...change })

const EvidenceInput = Records.AttachInput.pipe(Schema.omit("kind", "idempotencyKey", "correlationId"))

/**
 * Attaches objective evidence (metadata of a stored file, kind `evidence`) to a finding.
 * @since 0.1.0
 * @category operations
 */
export const attach = QmsModule.operation({
  name: "attachEvidence",
  operationId: "attachEvidence",
  summary: "Attach objective evidence to a finding",
  input: EvidenceInput,
  output: QmsRecord.Attachment,
  access: QmsModule.permission("record.attach", { on: "id" }),
  errors: [Errors.NotFound, RecordHooks.HookFailed],
  http: { method: "post", path: "/findings/:id/actions/attach-evidence", status: 201 },
  run: ({ id, ...file }) => Records.attach({ id, kind: "evidence", ...file })
})

/**
 * Attaches evidence to a finding (the `attachEvidence` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const attachEvidence = (
  findingId: string,
  file: { readonly name: string; readonly mediaType: string; readonly size: number; readonly sha256: string }
): Command<QmsRecord.Attachment> => QmsModule.invoke(attach)({ id: findingId, ...file })

const VerificationInput = Schema.Struct({
  id: Id,
  result: Schema.optionalWith(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)), { exact: true }),
  note: Schema.optionalWith(Schema.String.pipe(Schema.maxLength(4000)), { exact: true })
})

/**
 * Records the verification of a finding's corrective action (`finding.verify`). Closing counts only
 * a verification made since the finding entered `verification`, by someone other than its owner.
 * @since 0.1.0
 * @category operations
 */
export const verify = QmsModule.operation({
  name: "recordVerification",
  operationId: "recordFindingVerification",
  summary: "Record the independent verification of a finding's corrective action",
  input: VerificationInput,
  output: QmsRecord.Verification,
  access: QmsModule.permission("finding.verify"),
  errors: [Errors.NotFound, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/findings/:id/actions/record-verification", status: 201 },
  run: ({ id, result, note }) =>
    Records.recordVerification({ id, result: result ?? "verified", ...(note === undefined ? {} : { note }) })
})

/**
 * Records a finding's verification (the `recordVerification` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const recordVerification = (
  findingId: string,
  options: { readonly result?: string; readonly note?: string } = {}
): Command<QmsRecord.Verification> => QmsModule.invoke(verify)({ id: findingId, ...options })

const CloseInput = Schema.Struct({
  id: Id,
  expectedVersion: ExpectedVersion
})

/**
 * Closes a finding (`finding.close`, checked before anything else) when its evidence is attached and
 * an independent verification is recorded; otherwise fails with one `GuardsFailed` (422) listing
 * every unmet requirement, including the finding not yet being in verification. A finding already
 * closed is returned as it is.
 * @since 0.1.0
 * @category operations
 */
export const close = QmsModule.operation({
  name: "close",
  operationId: "closeFinding",
  summary: "Close a finding, or 422 listing every unmet requirement",
  input: CloseInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("finding.close"),
  errors: [Errors.NotFound, Errors.GuardsFailed, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/findings/:id/actions/close" },
  run: ({ id, expectedVersion }) =>
    Records.transaction(
      Effect.gen(function* () {
        const finding = yield* Records.get(id)
        if (finding.type !== "finding") return yield* new Errors.NotFound({ entity: "finding", id })
        if (finding.state === "closed") return finding
        const unmet = yield* unmetForClosing(finding)
        if (unmet.length > 0) {
          return yield* new Errors.GuardsFailed({
            transition: "close",
            unmet: unmet as [Errors.UnmetRequirement, ...Array<Errors.UnmetRequirement>]
          })
        }
        // The workflow checks again (and applies any guard a host added to `close`).
        return yield* Records.transition({
          id,
          transition: "close",
          ...(expectedVersion === undefined ? {} : { expectedVersion })
        })
      })
    )
})

/**
 * Closes a finding (the `close` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const closeFinding = (
  findingId: string,
  options: { readonly expectedVersion?: number } = {}
): Command<QmsRecord.QmsRecord> => QmsModule.invoke(close)({ id: findingId, ...options })

/**
 * Every requirement for closing a finding that is not met yet (empty: it can be closed).
 * @since 0.1.0
 * @category rules
 */
export const unmetForClosing = (finding: QmsRecord.QmsRecord): Command<ReadonlyArray<Errors.UnmetRequirement>> =>
  Effect.gen(function* () {
    const unmet: Array<Errors.UnmetRequirement> = []
    if (finding.state !== "verification") {
      const label = Finding.workflow.states[finding.state]?.label ?? finding.state
      unmet.push({
        guard: "state",
        code: "state.not_in_verification",
        message: `The finding must be in verification to close; it is '${label}'`
      })
    }
    const attachments = yield* Records.attachments(finding.id)
    if (!attachments.some((a) => a.kind === "evidence")) {
      unmet.push({
        guard: "attachment.evidence",
        code: "attachment.missing",
        message: "Evidence of kind 'evidence' must be attached"
      })
    }
    const history = yield* Records.history(finding.id)
    const entered = history.filter((h) => h.toState === "verification" && h.transition !== null).at(-1)?.at
    const verifications = (yield* Records.verifications(finding.id)).filter(
      (v) => finding.state === "verification" && entered !== undefined && v.verifiedAt >= entered
    )
    const owner = finding.ownerId ?? finding.createdBy
    if (verifications.length === 0) {
      unmet.push({
        guard: "verification",
        code: "verification.missing",
        message: "A verification must be recorded after the finding entered verification"
      })
    } else if (!verifications.some((v) => v.verifiedBy !== owner)) {
      unmet.push({
        guard: "verification",
        code: "verification.not_independent",
        message: "The verification must be recorded by someone other than the finding's owner"
      })
    }
    return unmet
  })
