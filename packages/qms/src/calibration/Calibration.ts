/**
 * The calibration register (EASA 145.A.40): calibrated tools and equipment, their calibration events,
 * the due lists generated from them, the interval policy per item class, and the typed refusals the
 * tool control port answers with.
 *
 * @since 0.1.0
 */
import { Errors, Guard, Workflow } from "@airworthy/core"
import { Template } from "@airworthy/notify"
import { RecordType } from "@airworthy/records"
import type { DuePolicy } from "@airworthy/tasks"
import { Effect, Schema } from "effect"

const Text = (max: number) => Schema.String.pipe(Schema.maxLength(max))
const Name = (max: number) => Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(max))

/**
 * An item class: the key of its calibration interval policy (`torque_wrench` → DuePolicy kind
 * `calibration_torque_wrench`).
 * @since 0.1.0
 * @category models
 */
export const ItemClass = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9_]*$/, { message: () => "lower-case letters, digits and _ (e.g. torque_wrench)" }),
  Schema.maxLength(48)
)

/**
 * A calibration result, as found (before any adjustment) or as left (after it).
 * @since 0.1.0
 * @category models
 */
export const Tolerance = Schema.Literal("in_tolerance", "out_of_tolerance")
/** @since 0.1.0 @category models */
export type Tolerance = typeof Tolerance.Type

/**
 * A calibrated item's data. `toolId` is the host's tool or equipment id (`TW-114`), unique in the
 * register; `nextDueAt` is derived (from the last calibration and the interval) and changed only by
 * the calibration commands.
 * @since 0.1.0
 * @category models
 */
export const ItemData = Schema.Struct({
  toolId: Name(64),
  description: Name(500),
  partNumber: Schema.optional(Text(100)),
  serialNumber: Schema.optional(Text(100)),
  /** Where it is kept: store, hangar, tool board. */
  location: Schema.optional(Text(200)),
  /** Who answers for it: a department or a person's name (the record's owner is a person of the directory). */
  owner: Schema.optional(Text(200)),
  itemClass: ItemClass,
  /** The interval of this item, over its class's policy. */
  intervalDays: Schema.optional(Schema.Int.pipe(Schema.between(1, 3650))),
  /** Calibrate again after this many uses (issues to work orders), whichever comes first. */
  intervalUses: Schema.optional(Schema.Int.pipe(Schema.between(1, 1_000_000))),
  usesSinceCalibration: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  toleranceClass: Schema.optional(Text(100)),
  /** The standard or laboratory it is calibrated to or by (traceable to a national standard). */
  standard: Schema.optional(Text(500)),
  source: Schema.optional(Schema.Literal("direct", "host")),
  lastCalibratedAt: Schema.optional(Schema.String),
  nextDueAt: Schema.optional(Schema.String),
  /** The calibration event under way (sent out, not yet returned). */
  openEventId: Schema.optional(Schema.String),
  lastResult: Schema.optional(
    Schema.Struct({
      eventId: Schema.String,
      asFound: Tolerance,
      asLeft: Tolerance,
      calibratedAt: Schema.String
    })
  )
})
/** @since 0.1.0 @category models */
export type ItemData = typeof ItemData.Type

const descriptive = [
  "description",
  "partNumber",
  "serialNumber",
  "location",
  "owner",
  "itemClass",
  "intervalDays",
  "intervalUses",
  "usesSinceCalibration",
  "toleranceClass",
  "standard"
]

const noOpenEvent = (ctx: Guard.GuardContext) => !Guard.isPresent(Guard.valueAt(ctx.record.data, "openEventId"))

/**
 * Back in service only when the last calibration left the item in tolerance and no calibration is
 * under way.
 * @since 0.1.0
 * @category guards
 */
export const leftInTolerance: Guard.Custom = Guard.custom("left_in_tolerance", (ctx) => {
  const unmet: Array<{ code: string; message: string }> = []
  if (!noOpenEvent(ctx)) unmet.push({ code: "calibration.open", message: "Record the calibration result first" })
  if (Guard.valueAt(ctx.record.data, "lastResult.asLeft") !== "in_tolerance") {
    unmet.push({
      code: "calibration.not_in_tolerance",
      message: "The last calibration must have left the item in tolerance"
    })
  }
  return Effect.succeed(unmet.length === 0 ? true : unmet)
})

/**
 * Back from calibration unserviceable: the result is recorded and left the item out of tolerance.
 * @since 0.1.0
 * @category guards
 */
export const leftOutOfTolerance: Guard.Custom = Guard.custom("left_out_of_tolerance", (ctx) => {
  const unmet: Array<{ code: string; message: string }> = []
  if (!noOpenEvent(ctx)) unmet.push({ code: "calibration.open", message: "Record the calibration result first" })
  if (Guard.valueAt(ctx.record.data, "lastResult.asLeft") !== "out_of_tolerance") {
    unmet.push({ code: "calibration.in_tolerance", message: "The last calibration left the item in tolerance" })
  }
  return Effect.succeed(unmet.length === 0 ? true : unmet)
})

/**
 * The item's life: in service → out for calibration (a calibration event is opened) → back in service
 * when left in tolerance, or quarantined when not; quarantined by hand with a reason; released from
 * quarantine (with a reason) only after an in-tolerance calibration; retired with a reason. `due soon`
 * and `overdue` are not states: they are read from the due date at the moment asked (see `statusOf`).
 * @since 0.1.0
 * @category workflows
 */
export const itemWorkflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "calibrated_item",
  label: "Calibrated item",
  states: {
    in_service: {
      label: "In service",
      description: "Available for issue while its calibration is valid",
      editable: descriptive
    },
    out_for_calibration: {
      label: "Out for calibration",
      description: "Sent to the laboratory; not available for issue",
      editable: ["location", "owner", "standard"]
    },
    quarantined: {
      label: "Quarantined",
      description: "Withdrawn from use (out of tolerance, damaged or suspect); not available for issue",
      editable: descriptive
    },
    retired: { label: "Retired", description: "Removed from the register's active items" }
  },
  initial: "in_service",
  terminal: ["retired"],
  transitions: [
    {
      name: "send_out",
      from: ["in_service", "quarantined"],
      to: "out_for_calibration",
      permission: "calibration.send",
      guards: [Guard.requiredFields([{ path: "openEventId", label: "the calibration event" }], { name: "event_open" })]
    },
    {
      name: "return_to_service",
      from: "out_for_calibration",
      to: "in_service",
      permission: "calibration.record",
      guards: [leftInTolerance]
    },
    {
      name: "return_unserviceable",
      from: "out_for_calibration",
      to: "quarantined",
      permission: "calibration.record",
      guards: [leftOutOfTolerance]
    },
    {
      name: "quarantine",
      from: "in_service",
      to: "quarantined",
      permission: "calibration.quarantine",
      reasonRequired: true
    },
    {
      name: "release",
      from: "quarantined",
      to: "in_service",
      permission: "calibration.release",
      reasonRequired: true,
      guards: [leftInTolerance]
    },
    {
      name: "retire",
      from: ["in_service", "out_for_calibration", "quarantined"],
      to: "retired",
      permission: "calibration.retire",
      reasonRequired: true
    }
  ]
})

/**
 * The calibrated item record type (`TOOL-2026-0001`); its due date is the next calibration's.
 * @since 0.1.0
 * @category record types
 */
export const itemType = RecordType.make({
  name: "calibrated_item",
  label: "Calibrated item",
  prefix: "TOOL",
  schema: ItemData,
  workflow: itemWorkflow,
  title: (d) => `${d.toolId} ${d.description}`,
  dueAt: (d) => d.nextDueAt,
  permissions: {
    read: "calibration.read",
    create: "calibration.register",
    update: "calibration.update",
    assign: "calibration.update",
    verify: "calibration.record",
    approve: "calibration.release"
  }
})

/**
 * A calibration event's data: sent out (to which laboratory, when), returned with its result as found
 * and as left, the certificate number (the certificate itself is an attachment of kind
 * `certificate`), the next due date it gave, and for an out-of-tolerance result the impact
 * assessment and the finding raised.
 * @since 0.1.0
 * @category models
 */
export const EventData = Schema.Struct({
  itemId: Schema.String,
  itemRef: Schema.String,
  toolId: Schema.String,
  lab: Schema.optional(Text(500)),
  sentAt: Schema.String,
  note: Schema.optional(Text(4000)),
  returnedAt: Schema.optional(Schema.String),
  calibratedAt: Schema.optional(Schema.String),
  asFound: Schema.optional(Tolerance),
  asLeft: Schema.optional(Tolerance),
  certificateNumber: Schema.optional(Text(200)),
  nextDueAt: Schema.optional(Schema.String),
  impact: Schema.optional(
    Schema.Struct({
      /** The last good calibration (or the item's registration when there was none). */
      since: Schema.String,
      until: Schema.String,
      /** Whether the host answered: `unavailable` when no tool store port is configured. */
      source: Schema.Literal("host", "unavailable"),
      workOrders: Schema.Array(
        Schema.Struct({ workOrder: Schema.String, issuedAt: Schema.String, issuedTo: Schema.optional(Schema.String) })
      )
    })
  ),
  findingId: Schema.optional(Schema.String),
  findingRef: Schema.optional(Schema.String)
})
/** @since 0.1.0 @category models */
export type EventData = typeof EventData.Type

/**
 * A calibration event is sent out, then returned with its result; returning needs the result (as
 * found and as left) and the certificate attached.
 * @since 0.1.0
 * @category workflows
 */
export const eventWorkflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "calibration_event",
  label: "Calibration event",
  states: {
    sent_out: { label: "Sent out", description: "At the laboratory", editable: ["lab", "note", "certificateNumber"] },
    returned: { label: "Returned", description: "Calibrated; result and certificate recorded" }
  },
  initial: "sent_out",
  terminal: ["returned"],
  transitions: [
    {
      name: "return",
      from: "sent_out",
      to: "returned",
      permission: "calibration.record",
      guards: [
        Guard.requiredFields(
          [
            { path: "asFound", label: "the result as found" },
            { path: "asLeft", label: "the result as left" }
          ],
          { name: "result_recorded" }
        ),
        Guard.attachment("certificate")
      ]
    }
  ]
})

/**
 * The calibration event record type (`CALEV-2026-0001`), linked `calibration_of` to its item.
 * @since 0.1.0
 * @category record types
 */
export const eventType = RecordType.make({
  name: "calibration_event",
  label: "Calibration event",
  prefix: "CALEV",
  schema: EventData,
  workflow: eventWorkflow,
  title: (d) => `Calibration of ${d.toolId}`,
  permissions: {
    read: "calibration.read",
    create: "calibration.send",
    update: "calibration.record",
    assign: "calibration.record",
    verify: "calibration.record",
    approve: "calibration.record"
  }
})

/**
 * A generated due list: the filters it was made with, its counts and to whom it was sent; the CSV
 * itself is its attachment (kind `due_list`), downloadable as any attachment's content.
 * @since 0.1.0
 * @category models
 */
export const DueListData = Schema.Struct({
  generatedAt: Schema.String,
  withinDays: Schema.Int,
  location: Schema.optional(Schema.String),
  owner: Schema.optional(Schema.String),
  items: Schema.Int,
  overdue: Schema.Int,
  recipients: Schema.Array(Schema.String)
})

/**
 * A due list is generated, and sent (once) to its distribution list.
 * @since 0.1.0
 * @category workflows
 */
export const dueListWorkflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "calibration_due_list",
  label: "Calibration due list",
  states: {
    generated: { label: "Generated" },
    sent: { label: "Sent", description: "Emailed to its distribution list" }
  },
  initial: "generated",
  terminal: ["sent"],
  transitions: [
    {
      name: "send",
      from: "generated",
      to: "sent",
      permission: "calibration.send_due_list",
      guards: [
        Guard.requiredFields([{ path: "recipients", label: "at least one recipient" }], { name: "recipients" }),
        Guard.attachment("due_list")
      ]
    }
  ]
})

/**
 * The due list record type (`CDL-2026-0001`).
 * @since 0.1.0
 * @category record types
 */
export const dueListType = RecordType.make({
  name: "calibration_due_list",
  label: "Calibration due list",
  prefix: "CDL",
  schema: DueListData,
  workflow: dueListWorkflow,
  title: (d) => `Calibration due list ${d.generatedAt.slice(0, 10)} (${d.withinDays} days)`,
  permissions: {
    read: "calibration.read",
    create: "calibration.send_due_list",
    update: "calibration.send_due_list",
    assign: "calibration.send_due_list",
    verify: "calibration.send_due_list",
    approve: "calibration.send_due_list"
  }
})

/**
 * The DuePolicy kind of an item class's calibration interval.
 * @since 0.1.0
 * @category policy
 */
export const intervalKind = (itemClass: string): string => `calibration_${itemClass}`

/**
 * The built-in calibration intervals per item class, under each tenant's `DuePolicy` rows of the same
 * kind: `general` 12 months; `torque_wrench` 12 months (ISO 6789-2; the item's `intervalUses` adds the
 * 5,000-cycle limit where the manufacturer sets one). A class without a policy gets `general`.
 * @since 0.1.0
 * @category policy
 */
export const intervalDefaults: { readonly [kind: string]: DuePolicy.DuePolicy } = {
  calibration_general: {
    kind: "calibration_general",
    hours: 365 * 24,
    source: "Company default: every calibrated item at least every 12 months (145.A.40)"
  },
  calibration_torque_wrench: {
    kind: "calibration_torque_wrench",
    hours: 365 * 24,
    source: "ISO 6789-2:2017: 12 months (or 5,000 cycles) for hand torque tools"
  }
}

/**
 * Where an item stands at an instant: its workflow state, or for an item in service `overdue` (past
 * its due date, no due date known, or its uses spent), `due_soon` (due within `soonDays`) or
 * `in_service`.
 * @since 0.1.0
 * @category models
 */
export const Status = Schema.Literal(
  "in_service",
  "due_soon",
  "overdue",
  "out_for_calibration",
  "quarantined",
  "retired"
)
/** @since 0.1.0 @category models */
export type Status = typeof Status.Type

/**
 * The status of an item at `atMillis`.
 * @since 0.1.0
 * @category models
 */
export const statusOf = (
  item: { readonly state: string; readonly dueAt: string | null; readonly data: unknown },
  atMillis: number,
  soonDays = 30
): Status => {
  if (item.state !== "in_service") return item.state as Status
  if (usesSpent(item.data)) return "overdue"
  if (item.dueAt === null) return "overdue"
  const due = Date.parse(item.dueAt)
  if (due <= atMillis) return "overdue"
  return due <= atMillis + soonDays * 86_400_000 ? "due_soon" : "in_service"
}

/** Whether an item's uses since its calibration reached its use interval. */
export const usesSpent = (data: unknown): boolean => {
  const limit = Guard.valueAt(data, "intervalUses")
  const used = Guard.valueAt(data, "usesSinceCalibration")
  return typeof limit === "number" && typeof used === "number" && used >= limit
}

const problem = (code: string, title: string, status: number): Errors.Problem => ({
  problemType: `${Errors.problemBase}${code.replace(/_/g, "-")}`,
  title,
  status,
  code
})

/**
 * The tool may not be issued: its calibration is past due (or its uses are spent, or it was never
 * calibrated) and no valid concession covers it. 409, with the due date.
 * @since 0.1.0
 * @category errors
 */
export class ToolOverdue extends Schema.TaggedError<ToolOverdue>()("ToolOverdue", {
  toolId: Schema.String,
  itemId: Schema.String,
  itemRef: Schema.String,
  dueAt: Schema.NullOr(Schema.String),
  reason: Schema.Literal("due_date", "uses", "never_calibrated")
}) {
  static readonly problem = problem("tool_overdue", "Tool calibration overdue", 409)
  readonly problemType = ToolOverdue.problem.problemType
  readonly title = ToolOverdue.problem.title
  readonly status = ToolOverdue.problem.status
  readonly code = ToolOverdue.problem.code
  /** Added to the HTTP problem body. */
  get extensions() {
    return { toolId: this.toolId, itemRef: this.itemRef, dueAt: this.dueAt, reason: this.reason }
  }
  override get message() {
    if (this.reason === "never_calibrated") return `${this.toolId} (${this.itemRef}) has no calibration recorded`
    if (this.reason === "uses") return `${this.toolId} (${this.itemRef}) has used up its calibration interval in uses`
    return `${this.toolId} (${this.itemRef}) was due for calibration on ${this.dueAt}`
  }
}

/**
 * The tool may not be issued: it is quarantined, out for calibration or retired (and no valid
 * concession covers a quarantined tool). 409, with its state and due date.
 * @since 0.1.0
 * @category errors
 */
export class ToolQuarantined extends Schema.TaggedError<ToolQuarantined>()("ToolQuarantined", {
  toolId: Schema.String,
  itemId: Schema.String,
  itemRef: Schema.String,
  state: Schema.String,
  dueAt: Schema.NullOr(Schema.String)
}) {
  static readonly problem = problem("tool_quarantined", "Tool withdrawn from use", 409)
  readonly problemType = ToolQuarantined.problem.problemType
  readonly title = ToolQuarantined.problem.title
  readonly status = ToolQuarantined.problem.status
  readonly code = ToolQuarantined.problem.code
  /** Added to the HTTP problem body. */
  get extensions() {
    return { toolId: this.toolId, itemRef: this.itemRef, state: this.state, dueAt: this.dueAt }
  }
  override get message() {
    const what = this.state.replace(/_/g, " ")
    return `${this.toolId} (${this.itemRef}) is ${what} and may not be issued`
  }
}

/**
 * The tool id is already in the register. 409.
 * @since 0.1.0
 * @category errors
 */
export class ToolAlreadyRegistered extends Schema.TaggedError<ToolAlreadyRegistered>()("ToolAlreadyRegistered", {
  toolId: Schema.String,
  itemId: Schema.String,
  itemRef: Schema.String
}) {
  static readonly problem = problem("tool_already_registered", "Tool already registered", 409)
  readonly problemType = ToolAlreadyRegistered.problem.problemType
  readonly title = ToolAlreadyRegistered.problem.title
  readonly status = ToolAlreadyRegistered.problem.status
  readonly code = ToolAlreadyRegistered.problem.code
  override get message() {
    return `${this.toolId} is already in the register as ${this.itemRef}`
  }
}

/**
 * The host has no tool store port configured (`Qms.layer({ toolStore })`). 409: the request is
 * sound, the installation cannot serve it (a 5xx would read as our failure).
 * @since 0.1.0
 * @category errors
 */
export class ToolStoreUnavailable extends Schema.TaggedError<ToolStoreUnavailable>()("ToolStoreUnavailable", {}) {
  static readonly problem = problem("tool_store_unavailable", "No tool store connected", 409)
  readonly problemType = ToolStoreUnavailable.problem.problemType
  readonly title = ToolStoreUnavailable.problem.title
  readonly status = ToolStoreUnavailable.problem.status
  readonly code = ToolStoreUnavailable.problem.code
  override get message() {
    return "The host system has not connected its tool store; register items directly"
  }
}

/**
 * Tells the tool owner (and the quality manager) that a calibration came back out of tolerance.
 * @since 0.1.0
 * @category notifications
 */
export const outOfToleranceTemplate = Template.make(
  {
    kind: "calibration.out_of_tolerance",
    subject: ({ params }) => `${params.toolId} found out of tolerance: finding ${params.findingRef}`,
    text: ({ params }) =>
      `${params.toolId} (${params.itemRef}) was found out of tolerance at calibration on ${params.calibratedAt}.\n` +
      `Work orders that used it since its last good calibration: ${params.workOrders || "none reported"}.\n` +
      `Finding ${params.findingRef} has been raised for the impact assessment.`,
    html: ({ params }) =>
      Template.html`<p><b>${params.toolId}</b> (${params.itemRef}) was found out of tolerance at calibration on ${params.calibratedAt}.</p><p>Work orders that used it since its last good calibration: ${params.workOrders || "none reported"}.</p><p>Finding <b>${params.findingRef}</b> has been raised for the impact assessment.</p>`
  },
  Schema.Struct({
    toolId: Schema.String,
    itemRef: Schema.String,
    calibratedAt: Schema.String,
    workOrders: Schema.String,
    findingRef: Schema.String
  })
)

/**
 * The due list as sent to its distribution list.
 * @since 0.1.0
 * @category notifications
 */
export const dueListTemplate = Template.make(
  {
    kind: "calibration.due_list",
    subject: ({ params }) =>
      `Calibration due list ${params.ref}: ${params.overdue} overdue, ${params.items} due within ${params.withinDays} days`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\nCalibration due list ${params.ref} (${params.generatedAt}): ` +
      `${params.items} items due within ${params.withinDays} days, ${params.overdue} overdue.\n\n${params.lines}`,
    html: ({ params }) =>
      Template.html`<p>Calibration due list <b>${params.ref}</b> (${params.generatedAt}): ${params.items} items due within ${params.withinDays} days, ${params.overdue} overdue.</p><pre>${params.lines}</pre>`
  },
  Schema.Struct({
    ref: Schema.String,
    generatedAt: Schema.String,
    withinDays: Schema.Number,
    items: Schema.Number,
    overdue: Schema.Number,
    lines: Schema.String
  })
)

/**
 * The task kind of an item's coming calibration (reminders before it is due, escalation after, by
 * `ladder`).
 * @since 0.1.0
 * @category rules
 */
export const dueTaskKind = "calibration_due"

/**
 * The ladder of `calibration_due` tasks: reminders 14 and 2 days before due to the assignee, at due
 * the owner, 2 days overdue the owner's supervisor, 7 days overdue the quality manager.
 * @since 0.1.0
 * @category rules
 */
export const ladder = [
  { name: "reminder_14d", kind: "reminder", offsetHours: -14 * 24, to: ["assignee"], level: 0 },
  { name: "reminder_2d", kind: "reminder", offsetHours: -2 * 24, to: ["assignee"], level: 0 },
  { name: "due", kind: "due", offsetHours: 0, to: ["owner", "assignee"], level: 1 },
  { name: "supervisor", kind: "escalation", offsetHours: 48, to: ["owner_supervisor"], level: 2 },
  { name: "quality_manager", kind: "escalation", offsetHours: 7 * 24, to: [{ role: "quality_manager" }], level: 3 }
] as const
