/**
 * Concession commands: request one for a calibrated item (scope and period), approve it with a reason
 * and a signature (it becomes active at once when its period has begun), and bring concessions up to
 * date (activate the approved ones whose period began, expire those whose period ended). Rejecting and
 * closing are workflow transitions (`POST /records/:id/transitions/reject|close`).
 *
 * @since 0.1.0
 */
import { Errors, Guard } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Effect, Option, Schema } from "effect"
import { instant, itemOfTool } from "../calibration/actions.js"
import { ExpectedVersion, Id, listAll, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"

type Command<A> = QmsModule.Command<A>

/**
 * What `request` takes: the calibrated item (`itemId`, or the host's `toolId`), the work orders it
 * covers (none: any), its period (`validFrom` default now; `validUntil` after it), why, and conditions.
 * @since 0.1.0
 * @category inputs
 */
export const RequestInput = Schema.Struct({
  itemId: Schema.optional(Id),
  toolId: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64))),
  workOrders: Schema.optional(
    Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64))).pipe(Schema.maxItems(200))
  ),
  validFrom: Schema.optional(Schema.String.pipe(Schema.maxLength(40))),
  validUntil: Schema.String.pipe(Schema.maxLength(40)),
  justification: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000)),
  conditions: Schema.optional(Schema.String.pipe(Schema.maxLength(4000))),
  requirement: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(100)))
})
/** @since 0.1.0 @category inputs */
export type RequestInput = typeof RequestInput.Encoded

const invalid = (path: string, message: string) => new Errors.ValidationFailed({ issues: [{ path, message }] })

/**
 * Requests a concession for a calibrated item (`concession.create`): created `requested`, linked
 * `concession_for` to the item; the quality managers get the decision task and an email (the
 * concession rules). 400 when neither or both of `itemId`/`toolId` are given or the period is empty.
 * @since 0.1.0
 * @category operations
 */
export const request = QmsModule.operation({
  name: "request",
  operationId: "requestConcession",
  summary: "Request a time-limited concession for a calibrated item (scope: work orders, period)",
  input: RequestInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("concession.create"),
  errors: [Errors.UnknownReference, Errors.ValidationFailed, RecordHooks.HookFailed],
  http: { method: "post", path: "/concessions", status: 201 },
  run: (input) =>
    Records.transaction(
      Effect.gen(function* () {
        if ((input.itemId === undefined) === (input.toolId === undefined)) {
          return yield* invalid("itemId", "Name the calibrated item: itemId or toolId (one of them)")
        }
        const item =
          input.itemId !== undefined
            ? yield* Records.get(input.itemId).pipe(
                Effect.catchTag("NotFound", () => Effect.succeed(undefined)),
                Effect.map((r) => (r?.type === "calibrated_item" ? r : undefined))
              )
            : Option.getOrUndefined(yield* itemOfTool(input.toolId ?? ""))
        if (item === undefined) {
          const field = input.itemId !== undefined ? "itemId" : "toolId"
          return yield* new Errors.UnknownReference({
            field,
            id: input.itemId ?? input.toolId ?? "",
            expected: "calibrated item"
          })
        }
        const from = input.validFrom === undefined ? yield* nowIso : yield* instant("validFrom", input.validFrom)
        const until = yield* instant("validUntil", input.validUntil)
        if (until <= from) return yield* invalid("validUntil", "The concession must end after it begins")
        const concession = yield* Records.create({
          type: "concession",
          data: {
            subjectType: "calibrated_item",
            subjectId: item.id,
            subjectRef: item.ref,
            toolId: String(Guard.valueAt(item.data, "toolId")),
            requirement: input.requirement ?? "145.A.40",
            workOrders: [...new Set(input.workOrders ?? [])],
            validFrom: from,
            validUntil: until,
            justification: input.justification,
            ...(input.conditions === undefined ? {} : { conditions: input.conditions })
          }
        })
        yield* Records.link({ from: concession.id, to: item.id, kind: "concession_for" })
        return concession
      })
    )
})

/**
 * Requests a concession (the `request` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const requestConcession = (input: RequestInput): Command<QmsRecord.QmsRecord> => QmsModule.invoke(request)(input)

const ApproveInput = Schema.Struct({
  id: Id,
  /** Why it is acceptable: kept in the history and the audit event. */
  reason: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000)),
  /** The approver's electronic signature (the host may ask for the PIN or password in `credential`). */
  signature: Schema.Struct({
    meaning: Schema.optional(Schema.Literal("approved")),
    credential: Schema.optional(Schema.Redacted(Schema.String.pipe(Schema.maxLength(1024))))
  }),
  expectedVersion: ExpectedVersion
})

/**
 * Approves a concession (the `approve` transition's permission, `concession.approve`): signed
 * `approved` with the reason, by someone other than its requester; when its period has begun it is
 * `active` in the same transaction, otherwise `approved` until `refresh` activates it.
 * @since 0.1.0
 * @category operations
 */
export const approve = QmsModule.passThrough({
  name: "approve",
  operationId: "approveConcession",
  summary: "Approve a concession with a reason and an electronic signature (active at once when its period has begun)",
  input: ApproveInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.transitionPermission,
  errors: [
    Errors.NotFound,
    Errors.InvalidTransition,
    Errors.GuardsFailed,
    Errors.StaleVersion,
    Errors.Unauthenticated,
    RecordHooks.HookFailed
  ],
  http: { method: "post", path: "/concessions/:id/actions/approve" },
  run: (input) =>
    Records.transaction(
      Effect.gen(function* () {
        const concession = yield* Records.get(input.id)
        if (concession.type !== "concession") {
          return yield* new Errors.NotFound({ entity: "concession", id: input.id })
        }
        const approved = yield* Records.transition({
          id: input.id,
          transition: "approve",
          reason: input.reason,
          signature: {
            meaning: "approved",
            ...(input.signature.credential === undefined ? {} : { credential: input.signature.credential })
          },
          ...(input.expectedVersion === undefined ? {} : { expectedVersion: input.expectedVersion })
        })
        const from = String(Guard.valueAt(approved.data, "validFrom"))
        if (from > (yield* nowIso)) return approved
        return yield* Records.transition({ id: input.id, transition: "activate" })
      })
    )
})

/**
 * Approves a concession (the `approve` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const approveConcession = (
  id: string,
  reason: string,
  signature: { readonly credential?: string } = {}
): Command<QmsRecord.QmsRecord> => QmsModule.invoke(approve)({ id, reason, signature })

/**
 * What `refresh` changed.
 * @since 0.1.0
 * @category models
 */
export const Refreshed = Schema.Struct({
  activated: Schema.Array(Schema.String),
  expired: Schema.Array(Schema.String)
})
/** @since 0.1.0 @category models */
export type Refreshed = typeof Refreshed.Type

/**
 * Brings the tenant's concessions up to date (`concession.expire`): approved ones whose period has
 * begun become active, approved or active ones whose period has ended expire (their tasks close and
 * the tool control port stops counting them at once anyway). For the host's scheduler, or a click.
 * @since 0.1.0
 * @category operations
 */
export const refresh = QmsModule.operation({
  name: "refresh",
  operationId: "refreshConcessions",
  summary: "Activate concessions whose period has begun and expire those whose period has ended",
  input: Schema.Struct({}),
  output: Refreshed,
  access: QmsModule.permission("concession.expire"),
  errors: [RecordHooks.HookFailed],
  http: { method: "post", path: "/concessions/actions/refresh" },
  run: () =>
    Records.transaction(
      Effect.gen(function* () {
        const now = yield* nowIso
        const current = yield* listAll({ type: "concession", state: ["approved", "active"], order: "asc" })
        const activated: Array<string> = []
        const expired: Array<string> = []
        for (const c of current) {
          if (c.dueAt !== null && c.dueAt <= now) {
            yield* Records.transition({ id: c.id, transition: "expire" })
            expired.push(c.ref)
          } else if (c.state === "approved" && String(Guard.valueAt(c.data, "validFrom")) <= now) {
            yield* Records.transition({ id: c.id, transition: "activate" })
            activated.push(c.ref)
          }
        }
        return { activated, expired } satisfies Refreshed
      })
    )
})

/**
 * Brings concessions up to date (the `refresh` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const refreshConcessions: Command<Refreshed> = QmsModule.invoke(refresh)({})
