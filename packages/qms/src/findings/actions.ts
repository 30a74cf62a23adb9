/**
 * Finding commands a quality manager and auditors use: raise a finding (due date from its level's
 * policy), attach evidence, record the independent verification, and `closeFinding`, which either
 * closes or lists every unmet requirement at once. Each is one transaction, audited.
 *
 * @since 0.1.0
 */
import { Actor, Errors, Guard } from "@airworthy/core"
import { type QmsRecord, Records } from "@airworthy/records"
import { DuePolicy } from "@airworthy/tasks"
import { Effect, Option, Schema } from "effect"
import { addHours, type Command, decodeInput, nowIso } from "../internal/support.js"
import * as Finding from "./Finding.js"

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
 * Raises a finding: created with its owner and due date, linked to its audit; the response task and
 * the owner's email are written by the finding rules in the same transaction.
 * @since 0.1.0
 * @category actions
 */
export const raiseFinding = (input: RaiseFindingInput): Command<QmsRecord.QmsRecord> =>
  Effect.gen(function* () {
    const value = yield* decodeInput(RaiseFindingInput)(input)
    const actor = yield* Actor.CurrentActor
    return yield* Records.transaction(
      Effect.gen(function* () {
        let areaId = value.areaId
        if (value.auditId !== undefined) {
          const audit = yield* Records.get(value.auditId)
          if (audit.type !== "internal_audit") {
            return yield* new Errors.ValidationFailed({ issues: [{ path: "auditId", message: "is not an audit" }] })
          }
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

/**
 * Attaches objective evidence (metadata of a stored file, kind `evidence`) to a finding.
 * @since 0.1.0
 * @category actions
 */
export const attachEvidence = (
  findingId: string,
  file: { readonly name: string; readonly mediaType: string; readonly size: number; readonly sha256: string }
): Command<QmsRecord.Attachment> => Records.attach({ id: findingId, kind: "evidence", ...file })

/**
 * Records the verification of a finding's corrective action (permission `finding.verify`). Closing
 * counts only a verification made since the finding entered `verification`, by someone other than
 * its owner.
 * @since 0.1.0
 * @category actions
 */
export const recordVerification = (
  findingId: string,
  options: { readonly result?: string; readonly note?: string } = {}
): Command<QmsRecord.Verification> =>
  Records.recordVerification({
    id: findingId,
    result: options.result ?? "verified",
    ...(options.note === undefined ? {} : { note: options.note })
  })

/**
 * Closes a finding when its evidence is attached and an independent verification is recorded;
 * otherwise fails with one `GuardsFailed` (422) listing every unmet requirement, including the
 * finding not yet being in verification. A finding already closed is returned as it is.
 * @since 0.1.0
 * @category actions
 */
export const closeFinding = (
  findingId: string,
  options: { readonly expectedVersion?: number } = {}
): Command<QmsRecord.QmsRecord> =>
  Records.transaction(
    Effect.gen(function* () {
      const finding = yield* Records.get(findingId)
      if (finding.type !== "finding") return yield* new Errors.NotFound({ entity: "finding", id: findingId })
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
        id: findingId,
        transition: "close",
        ...(options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion })
      })
    })
  )

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
