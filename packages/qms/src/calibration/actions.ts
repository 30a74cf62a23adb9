/**
 * Calibration register commands: register an item directly or import the host's tool store, send an
 * item out for calibration, and record the result (which puts it back in service, or quarantines it;
 * an out-of-tolerance result found on arrival opens the impact assessment and raises a finding linked
 * to the tool). Each is one transaction, audited.
 *
 * @since 0.1.0
 */
import { Actor, Errors, Guard } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Directory } from "@airworthy/storage"
import { DuePolicy } from "@airworthy/tasks"
import { Effect, Option, Schema } from "effect"
import * as References from "../internal/references.js"
import { addHours, ExpectedVersion, Id, listAll, nowIso } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import * as Rule from "../Rule.js"
import * as Calibration from "./Calibration.js"
import * as ToolStore from "./ToolStore.js"

type Command<A> = QmsModule.Command<A>

const Text = (max: number) => Schema.String.pipe(Schema.maxLength(max))

/** An ISO-8601 date (`2026-05-01`) or date-time, as an ISO date-time; fails naming the field. */
export const instant = (field: string, value: string): Effect.Effect<string, Errors.ValidationFailed> => {
  const iso = Rule.toDateTime(value)
  return iso === undefined
    ? Effect.fail(new Errors.ValidationFailed({ issues: [{ path: field, message: "an ISO-8601 date or date-time" }] }))
    : Effect.succeed(iso)
}

/**
 * The calibration interval of an item, in hours: its own `intervalDays`, else its class's policy (the
 * tenant's `DuePolicy` row of kind `calibration_<class>`, else `Calibration.intervalDefaults`), else
 * the `general` class's.
 * @since 0.1.0
 * @category policy
 */
export const intervalHours = (data: {
  readonly itemClass: string
  readonly intervalDays?: number | undefined
}): Command<number> =>
  Effect.gen(function* () {
    if (data.intervalDays !== undefined) return data.intervalDays * 24
    const actor = yield* Actor.CurrentActor
    const own = yield* DuePolicy.resolve(
      actor.tenantId,
      Calibration.intervalKind(data.itemClass),
      Calibration.intervalDefaults
    )
    if (Option.isSome(own)) return own.value.hours
    const general = yield* DuePolicy.resolve(actor.tenantId, "calibration_general", Calibration.intervalDefaults)
    return Option.isSome(general) ? general.value.hours : 365 * 24
  })

/** The register's items (not retired) by tool id. */
const registered = (): Command<Map<string, QmsRecord.QmsRecord>> =>
  Effect.map(
    listAll({ type: "calibrated_item", state: ["in_service", "out_for_calibration", "quarantined"] }),
    (items) => new Map(items.map((i) => [String(Guard.valueAt(i.data, "toolId")), i]))
  )

/**
 * The item of a tool id in the register (retired ones excluded), if any.
 * @since 0.1.0
 * @category queries
 */
export const itemOfTool = (toolId: string): Command<Option.Option<QmsRecord.QmsRecord>> =>
  Effect.map(
    listAll({
      type: "calibrated_item",
      state: ["in_service", "out_for_calibration", "quarantined"],
      text: toolId.slice(0, 200)
    }),
    (items) => Option.fromNullable(items.find((i) => Guard.valueAt(i.data, "toolId") === toolId))
  )

/**
 * What `register` takes. The next due date is `nextDueAt` when given, else `lastCalibratedAt` + the
 * interval; an item with neither has no calibration on record and is due at once.
 * @since 0.1.0
 * @category inputs
 */
export const RegisterInput = Schema.Struct({
  toolId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  description: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  partNumber: Schema.optional(Text(100)),
  serialNumber: Schema.optional(Text(100)),
  location: Schema.optional(Text(200)),
  owner: Schema.optional(Text(200)),
  /** The person answering for the item (reminders and findings go to them). */
  ownerId: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))),
  itemClass: Schema.optional(Calibration.ItemClass),
  intervalDays: Schema.optional(Schema.Int.pipe(Schema.between(1, 3650))),
  intervalUses: Schema.optional(Schema.Int.pipe(Schema.between(1, 1_000_000))),
  toleranceClass: Schema.optional(Text(100)),
  standard: Schema.optional(Text(500)),
  lastCalibratedAt: Schema.optional(Text(40)),
  nextDueAt: Schema.optional(Text(40))
})
/** @since 0.1.0 @category inputs */
export type RegisterInput = typeof RegisterInput.Encoded

const createItem = (value: typeof RegisterInput.Type, source: "direct" | "host"): Command<QmsRecord.QmsRecord> =>
  Effect.gen(function* () {
    const itemClass = value.itemClass ?? "general"
    const last =
      value.lastCalibratedAt === undefined ? undefined : yield* instant("lastCalibratedAt", value.lastCalibratedAt)
    let next = value.nextDueAt === undefined ? undefined : yield* instant("nextDueAt", value.nextDueAt)
    if (next === undefined && last !== undefined) {
      next = addHours(last, yield* intervalHours({ itemClass, intervalDays: value.intervalDays }))
    }
    if (next === undefined) next = yield* nowIso
    const optional = (k: keyof typeof value) => (value[k] === undefined || value[k] === "" ? {} : { [k]: value[k] })
    return yield* Records.create({
      type: "calibrated_item",
      ...(value.ownerId === undefined ? {} : { ownerId: value.ownerId }),
      data: {
        toolId: value.toolId,
        description: value.description,
        ...optional("partNumber"),
        ...optional("serialNumber"),
        ...optional("location"),
        ...optional("owner"),
        itemClass,
        ...optional("intervalDays"),
        ...optional("intervalUses"),
        ...(value.intervalUses === undefined ? {} : { usesSinceCalibration: 0 }),
        ...optional("toleranceClass"),
        ...optional("standard"),
        source,
        ...(last === undefined ? {} : { lastCalibratedAt: last }),
        nextDueAt: next
      }
    })
  })

/**
 * Registers a calibrated item directly (`calibration.register`); 409 `ToolAlreadyRegistered` when
 * the tool id is in the register.
 * @since 0.1.0
 * @category operations
 */
export const register = QmsModule.operation({
  name: "register",
  operationId: "registerCalibratedItem",
  summary: "Register a calibrated tool or piece of equipment",
  input: RegisterInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("calibration.register"),
  errors: [Calibration.ToolAlreadyRegistered, Errors.UnknownReference, RecordHooks.HookFailed],
  http: { method: "post", path: "/calibration/items", status: 201 },
  run: (value) =>
    Records.transaction(
      Effect.gen(function* () {
        if (value.ownerId !== undefined) yield* References.people("ownerId", [value.ownerId])
        const existing = yield* itemOfTool(value.toolId)
        if (Option.isSome(existing)) {
          return yield* new Calibration.ToolAlreadyRegistered({
            toolId: value.toolId,
            itemId: existing.value.id,
            itemRef: existing.value.ref
          })
        }
        return yield* createItem(value, "direct")
      })
    )
})

/**
 * Registers an item (the `register` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const registerItem = (input: RegisterInput): Command<QmsRecord.QmsRecord> => QmsModule.invoke(register)(input)

/**
 * What an import did: the items it created, and the tool ids already in the register (left as they
 * are: after its import the register, not the host, keeps the calibration dates).
 * @since 0.1.0
 * @category models
 */
export const Imported = Schema.Struct({
  created: Schema.Array(QmsRecord.QmsRecord),
  existing: Schema.Array(Schema.Struct({ toolId: Schema.String, itemId: Schema.String, itemRef: Schema.String })),
  skipped: Schema.Array(Schema.Struct({ toolId: Schema.String, reason: Schema.String }))
})
/** @since 0.1.0 @category models */
export type Imported = typeof Imported.Type

const decodeRegister = Schema.decodeUnknownEither(RegisterInput)

/**
 * Imports the host's tool store into the register (`calibration.register`): each tool not in the
 * register yet becomes an item (`source: "host"`, due when the host says); tools already registered
 * are listed and left alone; a tool the register cannot hold (no description, a malformed date) is
 * listed as skipped with why. One transaction. 409 `ToolStoreUnavailable` without a tool store port.
 * @since 0.1.0
 * @category operations
 */
export const importTools = QmsModule.operation({
  name: "importTools",
  operationId: "importTools",
  summary: "Import the host's tool store into the register (tools already registered are left alone)",
  input: Schema.Struct({}),
  output: Imported,
  access: QmsModule.permission("calibration.register"),
  errors: [Calibration.ToolStoreUnavailable, RecordHooks.HookFailed],
  http: { method: "post", path: "/calibration/items/import" },
  run: () =>
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const port = yield* ToolStore.optional
      if (Option.isNone(port)) return yield* new Calibration.ToolStoreUnavailable()
      // Asked before the transaction opens: no call to the host while it holds locks.
      const tools = yield* port.value.tools(actor.tenantId)
      return yield* Records.transaction(
        Effect.gen(function* () {
          const known = yield* registered()
          const created: Array<QmsRecord.QmsRecord> = []
          const existing: Array<{ toolId: string; itemId: string; itemRef: string }> = []
          const skipped: Array<{ toolId: string; reason: string }> = []
          for (const tool of tools) {
            const item = known.get(tool.toolId)
            if (item !== undefined) {
              existing.push({ toolId: tool.toolId, itemId: item.id, itemRef: item.ref })
              continue
            }
            const input = decodeRegister({
              toolId: tool.toolId,
              description: tool.description,
              ...(tool.partNumber === undefined ? {} : { partNumber: tool.partNumber }),
              ...(tool.serialNumber === undefined ? {} : { serialNumber: tool.serialNumber }),
              ...(tool.location === undefined ? {} : { location: tool.location }),
              ...(tool.owner === undefined ? {} : { owner: tool.owner }),
              ...(tool.itemClass === undefined ? {} : { itemClass: tool.itemClass }),
              ...(tool.lastCalibratedAt === undefined ? {} : { lastCalibratedAt: tool.lastCalibratedAt }),
              ...(tool.calibrationDue === undefined ? {} : { nextDueAt: tool.calibrationDue })
            })
            if (input._tag === "Left") {
              skipped.push({ toolId: String(tool.toolId), reason: input.left.message.split("\n").slice(-1)[0] ?? "" })
              continue
            }
            const made = yield* Effect.either(createItem(input.right, "host"))
            if (made._tag === "Left") {
              if (made.left._tag !== "ValidationFailed") return yield* Effect.fail(made.left)
              skipped.push({ toolId: tool.toolId, reason: made.left.message })
              continue
            }
            known.set(tool.toolId, made.right)
            created.push(made.right)
          }
          return { created, existing, skipped } satisfies Imported
        })
      )
    })
})

/**
 * Imports the host's tools (the `importTools` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const importFromToolStore: Command<Imported> = QmsModule.invoke(importTools)({})

/**
 * An item and its calibration event.
 * @since 0.1.0
 * @category models
 */
export const Calibrating = Schema.Struct({ item: QmsRecord.QmsRecord, event: QmsRecord.QmsRecord })
/** @since 0.1.0 @category models */
export type Calibrating = typeof Calibrating.Type

const SendOutInput = Schema.Struct({
  id: Id,
  /** The laboratory (default: the item's standard or lab). */
  lab: Schema.optional(Text(500)),
  note: Schema.optional(Text(4000)),
  expectedVersion: ExpectedVersion
})

const itemNamed = (id: string) =>
  Effect.flatMap(Records.get(id), (r) =>
    r.type === "calibrated_item"
      ? Effect.succeed(r)
      : Effect.fail(new Errors.NotFound({ entity: "calibrated item", id }))
  )

/**
 * Sends an item out for calibration (`calibration.send`): opens its calibration event
 * (`CALEV-…`, linked `calibration_of`) and moves the item to `out_for_calibration`, in one
 * transaction. Its `calibration_due` task is done.
 * @since 0.1.0
 * @category operations
 */
export const sendOut = QmsModule.operation({
  name: "sendOut",
  operationId: "sendOutForCalibration",
  summary: "Send an item out for calibration (opens its calibration event)",
  input: SendOutInput,
  output: Calibrating,
  access: QmsModule.permission("calibration.send"),
  errors: [Errors.NotFound, Errors.InvalidTransition, Errors.StaleVersion, RecordHooks.HookFailed],
  http: { method: "post", path: "/calibration/items/:id/actions/send-out" },
  run: ({ id, lab, note, expectedVersion }) =>
    Records.transaction(
      Effect.gen(function* () {
        const item = yield* itemNamed(id)
        if (expectedVersion !== undefined && item.version !== expectedVersion) {
          return yield* new Errors.StaleVersion({ id, expected: expectedVersion, actual: item.version })
        }
        if (item.state !== "in_service" && item.state !== "quarantined") {
          return yield* new Errors.InvalidTransition({ transition: "send_out", state: item.state })
        }
        const standard = Guard.valueAt(item.data, "standard")
        const place = lab ?? (typeof standard === "string" && standard !== "" ? standard : undefined)
        const event = yield* Records.create({
          type: "calibration_event",
          data: {
            itemId: item.id,
            itemRef: item.ref,
            toolId: String(Guard.valueAt(item.data, "toolId")),
            sentAt: yield* nowIso,
            ...(place === undefined ? {} : { lab: place }),
            ...(note === undefined ? {} : { note })
          }
        })
        yield* Records.link({ from: event.id, to: item.id, kind: "calibration_of" })
        yield* Records.update({ id: item.id, data: { openEventId: event.id } }).pipe(Records.unlocking(["openEventId"]))
        const out = yield* Records.transition({ id: item.id, transition: "send_out" })
        return { item: out, event } satisfies Calibrating
      })
    )
})

/**
 * Sends an item out (the `sendOut` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const sendOutForCalibration = (
  itemId: string,
  options: { readonly lab?: string; readonly note?: string } = {}
): Command<Calibrating> => QmsModule.invoke(sendOut)({ id: itemId, ...options })

const ResultInput = Schema.Struct({
  id: Id,
  asFound: Calibration.Tolerance,
  asLeft: Calibration.Tolerance,
  /** When it was calibrated (default now); the next due date counts from it. */
  calibratedAt: Schema.optional(Text(40)),
  certificateNumber: Schema.optional(Text(200)),
  note: Schema.optional(Text(4000)),
  expectedVersion: ExpectedVersion
})

/**
 * What `recordResult` returns: the item, its returned event, and the finding raised for an
 * out-of-tolerance result found on arrival (else null).
 * @since 0.1.0
 * @category models
 */
export const Recorded = Schema.Struct({
  item: QmsRecord.QmsRecord,
  event: QmsRecord.QmsRecord,
  finding: Schema.NullOr(QmsRecord.QmsRecord)
})
/** @since 0.1.0 @category models */
export type Recorded = typeof Recorded.Type

const text = (data: unknown, path: string): string | undefined => {
  const v = Guard.valueAt(data, path)
  return typeof v === "string" && v !== "" ? v : undefined
}

/**
 * Records the result of an item's calibration (`calibration.record`; the event needs its certificate
 * attached first, kind `certificate`). In one transaction: the event is returned with the result as
 * found and as left; left in tolerance, the item's next due date is the calibration date + its
 * interval and it is back in service; left out of tolerance, it is quarantined. Found out of
 * tolerance, the impact assessment lists the work orders the host's tool store says used the tool
 * since its last good calibration, a level 2 finding against 145.A.40 is raised (owned by the item's
 * owner, else the actor; `finding.create` needed) and linked `concerns_tool` to the item, and the
 * owner and the quality managers are told.
 * @since 0.1.0
 * @category operations
 */
export const recordResult = QmsModule.operation({
  name: "recordResult",
  operationId: "recordCalibrationResult",
  summary: "Record a calibration result (next due date; out of tolerance: impact assessment and finding)",
  input: ResultInput,
  output: Recorded,
  access: QmsModule.permission("calibration.record"),
  errors: [
    Errors.NotFound,
    Errors.InvalidTransition,
    Errors.GuardsFailed,
    Errors.StaleVersion,
    Errors.ValidationFailed,
    RecordHooks.HookFailed
  ],
  http: { method: "post", path: "/calibration/items/:id/actions/record-result" },
  run: (input) =>
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const seen = yield* itemNamed(input.id)
      if (input.expectedVersion !== undefined && seen.version !== input.expectedVersion) {
        return yield* new Errors.StaleVersion({ id: seen.id, expected: input.expectedVersion, actual: seen.version })
      }
      const eventId = text(seen.data, "openEventId")
      if (seen.state !== "out_for_calibration" || eventId === undefined) {
        return yield* new Errors.InvalidTransition({ transition: "record_result", state: seen.state })
      }
      const now = yield* nowIso
      const calibratedAt = input.calibratedAt === undefined ? now : yield* instant("calibratedAt", input.calibratedAt)
      const toolId = String(Guard.valueAt(seen.data, "toolId"))
      // The impact assessment asks the host before the transaction opens.
      // Since the last good calibration; with none on record, since the one its due date implies
      // (one interval before it): an assessment errs on the side of more work orders.
      const seenClass = text(seen.data, "itemClass") ?? "general"
      const seenDays = Guard.valueAt(seen.data, "intervalDays")
      const since =
        text(seen.data, "lastCalibratedAt") ??
        addHours(
          seen.dueAt ?? seen.createdAt,
          -(yield* intervalHours({
            itemClass: seenClass,
            intervalDays: typeof seenDays === "number" ? seenDays : undefined
          }))
        )
      let impact: Calibration.EventData["impact"]
      if (input.asFound === "out_of_tolerance") {
        const port = yield* ToolStore.optional
        const uses = Option.isSome(port) ? yield* port.value.usage(actor.tenantId, toolId, since, calibratedAt) : []
        impact = {
          since,
          until: calibratedAt,
          source: Option.isSome(port) ? "host" : "unavailable",
          workOrders: uses.map((u) => ({
            workOrder: u.workOrder,
            issuedAt: u.issuedAt,
            ...(u.issuedTo === undefined ? {} : { issuedTo: u.issuedTo })
          }))
        }
      }
      return yield* Records.transaction(
        Effect.gen(function* () {
          const item = yield* itemNamed(input.id)
          if (item.version !== seen.version) {
            return yield* new Errors.StaleVersion({ id: item.id, expected: seen.version, actual: item.version })
          }
          const inTolerance = input.asLeft === "in_tolerance"
          const itemClass = text(item.data, "itemClass") ?? "general"
          const days = Guard.valueAt(item.data, "intervalDays")
          const nextDueAt = inTolerance
            ? addHours(
                calibratedAt,
                yield* intervalHours({ itemClass, intervalDays: typeof days === "number" ? days : undefined })
              )
            : undefined
          const resultFields = [
            "asFound",
            "asLeft",
            "calibratedAt",
            "returnedAt",
            "certificateNumber",
            "note",
            "nextDueAt",
            "impact"
          ]
          yield* Records.update({
            id: eventId,
            data: {
              asFound: input.asFound,
              asLeft: input.asLeft,
              calibratedAt,
              returnedAt: now,
              ...(input.certificateNumber === undefined ? {} : { certificateNumber: input.certificateNumber }),
              ...(input.note === undefined ? {} : { note: input.note }),
              ...(nextDueAt === undefined ? {} : { nextDueAt }),
              ...(impact === undefined ? {} : { impact })
            }
          }).pipe(Records.unlocking(resultFields))
          let event = yield* Records.transition({ id: eventId, transition: "return" })

          let finding: QmsRecord.QmsRecord | null = null
          if (impact !== undefined) {
            const owner = item.ownerId ?? actor.actorId
            const policy = yield* DuePolicy.resolve(actor.tenantId, "finding_level_2")
            const orders = impact.workOrders.map((w) => w.workOrder)
            finding = yield* Records.create({
              type: "finding",
              ownerId: owner,
              data: {
                title: `${toolId} found out of tolerance at calibration`.slice(0, 500),
                level: "2",
                requirement: "145.A.40",
                description:
                  `${toolId} (${item.ref}) was found out of tolerance on ${calibratedAt} (${event.ref}). ` +
                  `Assess the work it was used on since its last good calibration (${since}): ` +
                  (impact.source === "unavailable"
                    ? "the host's tool store was not connected; find the work orders by hand."
                    : orders.length === 0
                      ? "the tool store reports no issues in that period."
                      : `work orders ${[...new Set(orders)].join(", ")}.`),
                evidence: `Calibration event ${event.ref}${input.certificateNumber === undefined ? "" : `, certificate ${input.certificateNumber}`}`,
                ...(Option.isSome(policy) ? { dueAt: addHours(now, policy.value.hours) } : {})
              }
            })
            yield* Records.link({ from: finding.id, to: item.id, kind: "concerns_tool" })
            event = yield* Records.update({
              id: eventId,
              data: { findingId: finding.id, findingRef: finding.ref }
            }).pipe(Records.unlocking(["findingId", "findingRef"]))
            const directory = yield* Directory.Directory
            yield* Rule.tell(
              [owner, ...(yield* directory.usersWithRole(actor.tenantId, "quality_manager"))],
              Calibration.outOfToleranceTemplate,
              {
                toolId,
                itemRef: item.ref,
                calibratedAt,
                workOrders: [...new Set(orders)].join(", "),
                findingRef: finding.ref
              },
              { type: "calibrated_item", id: item.id }
            )
          }

          const itemPatch: Record<string, unknown> = {
            openEventId: null,
            lastResult: { eventId, asFound: input.asFound, asLeft: input.asLeft, calibratedAt }
          }
          if (inTolerance) {
            itemPatch.lastCalibratedAt = calibratedAt
            itemPatch.nextDueAt = nextDueAt
            if (Guard.valueAt(item.data, "intervalUses") !== undefined) itemPatch.usesSinceCalibration = 0
          }
          yield* Records.update({ id: item.id, data: itemPatch }).pipe(
            Records.unlocking(["openEventId", "lastResult", "lastCalibratedAt", "nextDueAt", "usesSinceCalibration"])
          )
          const back = yield* Records.transition({
            id: item.id,
            transition: inTolerance ? "return_to_service" : "return_unserviceable"
          })
          return { item: back, event, finding } satisfies Recorded
        })
      )
    })
})

/**
 * Records a calibration result (the `recordResult` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const recordCalibrationResult = (
  itemId: string,
  result: {
    readonly asFound: Calibration.Tolerance
    readonly asLeft: Calibration.Tolerance
    readonly calibratedAt?: string
    readonly certificateNumber?: string
    readonly note?: string
  }
): Command<Recorded> => QmsModule.invoke(recordResult)({ id: itemId, ...result })
