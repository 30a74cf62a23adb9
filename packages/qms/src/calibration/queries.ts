/**
 * What the host and the quality staff ask the calibration register: may this tool be issued now (the
 * tool control port), what is due, and the one-click "generate the due list and send it".
 *
 * @since 0.1.0
 */
import { Actor, Errors, Guard } from "@airworthy/core"
import { Notify } from "@airworthy/notify"
import { QmsRecord, RecordHooks, Records } from "@airworthy/records"
import { Directory, Query, RowLevelSecurity } from "@airworthy/storage"
import { Effect, Option, Schema, Stream } from "effect"
import * as Concession from "../concessions/Concession.js"
import * as References from "../internal/references.js"
import { nowMillis } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"
import { instant, itemOfTool } from "./actions.js"
import * as Calibration from "./Calibration.js"
import { toPdf } from "./pdf.js"

type Command<A> = QmsModule.Command<A>

const day = 86_400_000

// The promoted columns of the records table the due list reads (the records package owns the table).
interface RegisterTables {
  readonly aw_records: {
    readonly tenant_id: string
    readonly id: string
    readonly type: string
    readonly ref: string
    readonly state: string
    readonly due_at: string | null
    readonly data: string
  }
}
const registerRows = Query.make<RegisterTables>()

/**
 * A tool may be issued: its status, due date, and the concession that allows it when it is overdue
 * or quarantined (else null).
 * @since 0.1.0
 * @category models
 */
export const Usable = Schema.Struct({
  usable: Schema.Literal(true),
  toolId: Schema.String,
  itemId: Schema.String,
  itemRef: Schema.String,
  status: Calibration.Status,
  dueAt: Schema.NullOr(Schema.String),
  concession: Schema.NullOr(Schema.Struct({ id: Schema.String, ref: Schema.String, validUntil: Schema.String }))
})
/** @since 0.1.0 @category models */
export type Usable = typeof Usable.Type

const UsableInput = Schema.Struct({
  toolId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  /** The instant of use (default now), ISO-8601. */
  at: Schema.optional(Schema.String.pipe(Schema.maxLength(40))),
  /** The work order the tool is issued to (a concession limited to work orders covers only those). */
  workOrder: Schema.optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)))
})

// The first approved or active concession on the item that covers this use.
const coveringConcession = (itemId: string, at: number, workOrder: string | undefined) =>
  Effect.gen(function* () {
    const links = yield* Records.links(itemId, { kind: "concession_for", direction: "in" })
    for (const l of links) {
      if (l.other.state !== "approved" && l.other.state !== "active") continue
      const c = yield* Records.get(l.other.id)
      if (Concession.covers(c, at, workOrder)) {
        return Option.some({ id: c.id, ref: c.ref, validUntil: String(Guard.valueAt(c.data, "validUntil")) })
      }
    }
    return Option.none()
  })

/**
 * Whether a tool may be issued at an instant (`calibration.read`): the tool control port the host's
 * work-order system calls when a tool is issued. Usable when in service and within its calibration
 * (by date and by uses); otherwise 409 `ToolOverdue` (with the due date) or `ToolQuarantined` (also
 * out for calibration or retired), unless an approved concession covers the instant (and the work
 * order, when it names work orders). A tool out for calibration or retired is never covered. 404 for
 * a tool id not in the register.
 * @since 0.1.0
 * @category operations
 */
export const usable = QmsModule.operation({
  name: "checkUsable",
  operationId: "checkToolUsable",
  summary: "May this tool be issued now? (tool control: ToolOverdue / ToolQuarantined unless a concession covers it)",
  input: UsableInput,
  output: Usable,
  access: QmsModule.permission("calibration.read"),
  errors: [Calibration.ToolOverdue, Calibration.ToolQuarantined, Errors.NotFound, Errors.ValidationFailed],
  http: {
    method: "get",
    path: "/calibration/tools/:toolId/usable",
    query: Schema.Struct({
      at: Schema.optional(Schema.String),
      workOrder: Schema.optional(Schema.String)
    })
  },
  run: ({ toolId, at, workOrder }) =>
    Effect.gen(function* () {
      const atMillis = at === undefined ? yield* nowMillis : Date.parse(yield* instant("at", at))
      const found = yield* itemOfTool(toolId)
      if (Option.isNone(found)) return yield* new Errors.NotFound({ entity: "calibrated item", id: toolId })
      const item = found.value
      const status = Calibration.statusOf(item, atMillis)
      const base = { toolId, itemId: item.id, itemRef: item.ref, dueAt: item.dueAt }
      if (status === "in_service" || status === "due_soon") {
        return { usable: true, ...base, status, concession: null } satisfies Usable
      }
      if (status === "overdue" || status === "quarantined") {
        const concession = yield* coveringConcession(item.id, atMillis, workOrder)
        if (Option.isSome(concession)) {
          return { usable: true, ...base, status, concession: concession.value } satisfies Usable
        }
      }
      if (status === "overdue") {
        const never =
          Guard.valueAt(item.data, "lastCalibratedAt") === undefined && Guard.valueAt(item.data, "source") === "direct"
        return yield* new Calibration.ToolOverdue({
          ...base,
          reason: Calibration.usesSpent(item.data) ? "uses" : never ? "never_calibrated" : "due_date"
        })
      }
      return yield* new Calibration.ToolQuarantined({ ...base, state: item.state })
    })
})

/**
 * The tool control port (the `checkUsable` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const checkUsable = (
  toolId: string,
  at?: string,
  options: { readonly workOrder?: string } = {}
): Command<Usable> => QmsModule.invoke(usable)({ toolId, ...(at === undefined ? {} : { at }), ...options })

/**
 * One line of the due list.
 * @since 0.1.0
 * @category models
 */
export const DueLine = Schema.Struct({
  itemId: Schema.String,
  ref: Schema.String,
  toolId: Schema.String,
  description: Schema.String,
  location: Schema.NullOr(Schema.String),
  owner: Schema.NullOr(Schema.String),
  itemClass: Schema.String,
  state: Schema.String,
  status: Calibration.Status,
  dueAt: Schema.String,
  /** Whole days past due (0 or more), or until due (negative). */
  daysOverdue: Schema.Number
})
/** @since 0.1.0 @category models */
export type DueLine = typeof DueLine.Type

/**
 * The due list: items in service or quarantined that are overdue or due within `withinDays`, earliest
 * first.
 * @since 0.1.0
 * @category models
 */
export const DueList = Schema.Struct({
  generatedAt: Schema.String,
  withinDays: Schema.Number,
  location: Schema.NullOr(Schema.String),
  owner: Schema.NullOr(Schema.String),
  total: Schema.Number,
  overdue: Schema.Number,
  lines: Schema.Array(DueLine)
})
/** @since 0.1.0 @category models */
export type DueList = typeof DueList.Type

const Filters = {
  /** Days ahead (default 30). */
  withinDays: Schema.optional(Schema.Int.pipe(Schema.between(0, 3650))),
  /** Only items kept here (exact, ignoring case). */
  location: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  /** Only items this department or person answers for (exact, ignoring case). */
  owner: Schema.optional(Schema.String.pipe(Schema.maxLength(200)))
}

const same = (a: unknown, b: string | undefined) =>
  b === undefined || (typeof a === "string" && a.trim().toLowerCase() === b.trim().toLowerCase())

/**
 * Computes the due list as the actor sees it.
 * @since 0.1.0
 * @category queries
 */
export const computeDueList = (filters: {
  readonly withinDays?: number | undefined
  readonly location?: string | undefined
  readonly owner?: string | undefined
}): Command<DueList> =>
  Effect.gen(function* () {
    const now = yield* nowMillis
    const withinDays = filters.withinDays ?? 30
    const horizon = new Date(now + withinDays * day + 1).toISOString()
    const actor = yield* Actor.CurrentActor
    // One indexed read of the promoted columns: the operation's unlimited `calibration.read` covers every
    // item of the tenant, so there is nothing per record to filter (see docs/decisions.md).
    const rows = yield* RowLevelSecurity.withTenant(actor.tenantId)(
      registerRows.rows((db) =>
        db
          .selectFrom("aw_records")
          .select(["id", "ref", "state", "due_at", "data"])
          .where("tenant_id", "=", actor.tenantId)
          .where("type", "=", "calibrated_item")
          .where("state", "in", ["in_service", "quarantined"])
          .where("due_at", "<", horizon)
          .orderBy("due_at")
          .orderBy("ref")
      )
    )
    const lines: Array<DueLine> = []
    let overdue = 0
    for (const row of rows) {
      if (row.due_at === null) continue
      const item = {
        id: row.id,
        ref: row.ref,
        state: row.state,
        dueAt: row.due_at,
        data: JSON.parse(row.data) as unknown
      }
      if (!same(Guard.valueAt(item.data, "location"), filters.location)) continue
      if (!same(Guard.valueAt(item.data, "owner"), filters.owner)) continue
      const status = Calibration.statusOf(item, now, withinDays)
      if (status === "overdue") overdue++
      const str = (path: string) => {
        const v = Guard.valueAt(item.data, path)
        return typeof v === "string" ? v : null
      }
      lines.push({
        itemId: item.id,
        ref: item.ref,
        toolId: str("toolId") ?? "",
        description: str("description") ?? "",
        location: str("location"),
        owner: str("owner"),
        itemClass: str("itemClass") ?? "general",
        state: item.state,
        status,
        dueAt: item.dueAt,
        daysOverdue: Math.floor((now - Date.parse(item.dueAt)) / day)
      })
    }
    return {
      generatedAt: new Date(now).toISOString(),
      withinDays,
      location: filters.location ?? null,
      owner: filters.owner ?? null,
      total: lines.length,
      overdue,
      lines
    } satisfies DueList
  })

/**
 * The due list (`calibration.read`): items in service or quarantined, overdue or due within
 * `withinDays` (default 30), by `location` and `owner` when given, earliest due first.
 * @since 0.1.0
 * @category operations
 */
export const due = QmsModule.operation({
  name: "dueList",
  operationId: "calibrationDueList",
  summary: "The calibration due list: overdue and due within N days, by location and owner",
  input: Schema.Struct(Filters),
  output: DueList,
  access: QmsModule.permission("calibration.read"),
  http: {
    method: "get",
    path: "/calibration/due-list",
    query: Schema.Struct({
      withinDays: Schema.optional(Schema.NumberFromString),
      location: Schema.optional(Schema.String),
      owner: Schema.optional(Schema.String)
    })
  },
  run: computeDueList
})

/**
 * The due list (the `dueList` operation, for Effect callers).
 * @since 0.1.0
 * @category queries
 */
export const dueList = (filters: typeof DueListInput.Encoded = {}): Command<DueList> => QmsModule.invoke(due)(filters)

const DueListInput = Schema.Struct(Filters)

// A cell that a spreadsheet would read as a formula is prefixed with an apostrophe.
const cell = (value: string | number | null): string => {
  const s = value === null ? "" : String(value)
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/**
 * The due list as CSV (RFC 4180, CRLF, a header row; cells that would start a formula are prefixed
 * with `'`).
 * @since 0.1.0
 * @category exports
 */
export const toCsv = (list: DueList): string => {
  const header = ["Ref", "Tool", "Description", "Location", "Owner", "Class", "State", "Status", "Due", "Days overdue"]
  const rows = list.lines.map((l) =>
    [
      l.ref,
      l.toolId,
      l.description,
      l.location,
      l.owner,
      l.itemClass,
      l.state,
      l.status,
      l.dueAt.slice(0, 10),
      l.daysOverdue
    ]
      .map(cell)
      .join(",")
  )
  return `${[header.join(","), ...rows].join("\r\n")}\r\n`
}

const GenerateInput = Schema.Struct({
  ...Filters,
  /** People to send it to (actor ids of the directory). */
  recipients: Schema.optional(
    Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))).pipe(Schema.maxItems(100))
  ),
  /** Everyone holding these roles receives it too (e.g. `quality_manager`). */
  roles: Schema.optional(
    Schema.Array(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64))).pipe(Schema.maxItems(20))
  )
})

/**
 * What `generateAndSend` returns: the due list record (`CDL-…`), its CSV and PDF attachments, and
 * the addresses it was sent to.
 * @since 0.1.0
 * @category models
 */
export const Generated = Schema.Struct({
  dueList: QmsRecord.QmsRecord,
  csv: QmsRecord.Attachment,
  pdf: QmsRecord.Attachment,
  sentTo: Schema.Array(Schema.String)
})
/** @since 0.1.0 @category models */
export type Generated = typeof Generated.Type

/**
 * One click: generate the due list and send it (`calibration.send_due_list`). In one transaction the
 * list is computed, stored as a due list record (`CDL-…`, audited) with the CSV and a PDF as its
 * attachments (kind `due_list`, in the blob store: `GET /records/:id/attachments/:attachmentId/content`
 * downloads them), emailed to each recipient (one email-log row each, on the due list record) and
 * the record moves to `sent`. Without recipients it is generated only. 422 `UnknownReference` for a
 * recipient not in the directory.
 * @since 0.1.0
 * @category operations
 */
export const generate = QmsModule.operation({
  name: "generateAndSend",
  operationId: "generateCalibrationDueList",
  summary: "Generate the calibration due list (CSV stored with the audit trail) and email it to a distribution list",
  input: GenerateInput,
  output: Generated,
  access: QmsModule.permission("calibration.send_due_list"),
  errors: [Errors.UnknownReference, RecordHooks.HookFailed],
  http: { method: "post", path: "/calibration/due-lists", status: 201 },
  run: (input) =>
    Records.transaction(
      Effect.gen(function* () {
        const actor = yield* Actor.CurrentActor
        const directory = yield* Directory.Directory
        const named = input.recipients ?? []
        yield* References.people("recipients", named)
        const byRole: Array<string> = []
        for (const role of input.roles ?? []) byRole.push(...(yield* directory.usersWithRole(actor.tenantId, role)))
        const people = [...new Set([...named, ...byRole])]
        const contacts: Array<{ email: string; name: string; actorId: string }> = []
        for (const id of people) {
          const c = yield* directory.contactOf(actor.tenantId, id)
          if (Option.isSome(c)) contacts.push({ email: c.value.email, name: c.value.displayName, actorId: id })
        }
        const list = yield* computeDueList(input)
        const record = yield* Records.create({
          type: "calibration_due_list",
          data: {
            generatedAt: list.generatedAt,
            withinDays: list.withinDays,
            ...(input.location === undefined ? {} : { location: input.location }),
            ...(input.owner === undefined ? {} : { owner: input.owner }),
            items: list.total,
            overdue: list.overdue,
            recipients: contacts.map((c) => c.actorId)
          }
        })
        const bytes = new TextEncoder().encode(toCsv(list))
        const csv = yield* Records.upload(
          {
            id: record.id,
            kind: "due_list",
            name: `calibration-due-list-${list.generatedAt.slice(0, 10)}.csv`,
            mediaType: "text/csv"
          },
          Stream.make(bytes)
        ).pipe(
          Effect.catchIf(
            (e): e is Exclude<typeof e, QmsModule.Failure> => !Errors.isProblem(e) || e.status >= 500,
            (e) => Effect.die(e)
          )
        )
        const pdfBytes = yield* Effect.promise(() => toPdf(list, record.ref))
        const pdf = yield* Records.upload(
          {
            id: record.id,
            kind: "due_list",
            name: `calibration-due-list-${list.generatedAt.slice(0, 10)}.pdf`,
            mediaType: "application/pdf"
          },
          Stream.make(pdfBytes)
        ).pipe(
          Effect.catchIf(
            (e): e is Exclude<typeof e, QmsModule.Failure> => !Errors.isProblem(e) || e.status >= 500,
            (e) => Effect.die(e)
          )
        )
        if (contacts.length === 0) return { dueList: record, csv, pdf, sentTo: [] } satisfies Generated
        const shown = list.lines.slice(0, 50)
        const lines = shown
          .map(
            (l) =>
              `${l.dueAt.slice(0, 10)}  ${l.status.padEnd(11)} ${l.toolId}  ${l.description}${l.location === null ? "" : ` (${l.location})`}`
          )
          .join("\n")
        yield* Notify.enqueue({
          template: Calibration.dueListTemplate,
          params: {
            ref: record.ref,
            generatedAt: list.generatedAt,
            withinDays: list.withinDays,
            items: list.total,
            overdue: list.overdue,
            lines: list.total > shown.length ? `${lines}\n… and ${list.total - shown.length} more in the CSV` : lines
          },
          recipients: contacts.map((c) => ({ email: c.email, name: c.name })),
          record: { type: "calibration_due_list", id: record.id }
        })
        const sent = yield* Records.transition({ id: record.id, transition: "send" })
        return { dueList: sent, csv, pdf, sentTo: contacts.map((c) => c.email) } satisfies Generated
      })
    )
})

/**
 * Generates the due list and sends it (the `generateAndSend` operation, for Effect callers).
 * @since 0.1.0
 * @category actions
 */
export const generateAndSendDueList = (input: typeof GenerateInput.Encoded): Command<Generated> =>
  QmsModule.invoke(generate)(input)
