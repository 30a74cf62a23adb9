// The route table: every JSON route with its input Schemas and the one service call it makes. The
// Hono app and the OpenAPI document are both built from it, so they cannot drift apart.
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors, Policy } from "@airworthy/core"
import { EmailLog, Notify } from "@airworthy/notify"
import { Audits, Capa, Findings, Programme } from "@airworthy/qms"
import { QmsRecord, Records } from "@airworthy/records"
import { Task, Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import type * as QmsRuntime from "../QmsRuntime.js"

// biome-ignore lint/suspicious/noExplicitAny: the encoded side of a route's Schema varies per route.
export type AnySchema = Schema.Schema<any, any, never>

export interface RouteInput<Q, B> {
  readonly params: Readonly<Record<string, string>>
  readonly query: Q
  /** The body in its encoded (wire) form, already validated by the route's body Schema. */
  readonly body: B
}

export interface Route {
  readonly method: "get" | "post" | "patch"
  readonly path: string
  readonly operationId: string
  readonly summary: string
  readonly tag: string
  readonly query?: AnySchema
  readonly body?: AnySchema
  readonly response?: AnySchema
  readonly status?: 200 | 201
  readonly etag?: boolean
  readonly run: (
    input: RouteInput<unknown, unknown>
  ) => Effect.Effect<unknown, unknown, QmsRuntime.Services | Actor.CurrentActor>
}

const route = <Q = undefined, B = undefined>(spec: {
  readonly method: Route["method"]
  readonly path: string
  readonly operationId: string
  readonly summary: string
  readonly tag: string
  // biome-ignore lint/suspicious/noExplicitAny: query strings decode to each route's own type.
  readonly query?: Schema.Schema<Q, any, never>
  readonly body?: Schema.Schema<unknown, B> | AnySchema
  readonly response?: AnySchema
  readonly status?: 200 | 201
  readonly etag?: boolean
  readonly run: (input: RouteInput<Q, B>) => Effect.Effect<unknown, unknown, QmsRuntime.Services | Actor.CurrentActor>
}): Route => spec as unknown as Route

const id = (input: RouteInput<unknown, unknown>): string => input.params.id ?? ""
const Int = Schema.NumberFromString.pipe(Schema.int())
const List = Schema.String // comma-separated
const split = (s: string | undefined): ReadonlyArray<string> | undefined =>
  s === undefined
    ? undefined
    : s
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "")
const numbers = (s: string | undefined) =>
  Effect.gen(function* () {
    const parts = split(s)
    if (parts === undefined) return undefined
    const ns = parts.map(Number)
    if (ns.some((n) => !Number.isInteger(n) || n < 0)) {
      return yield* new Errors.ValidationFailed({
        issues: [{ path: "buckets", message: "a comma-separated list of whole days" }]
      })
    }
    return ns
  })

const RecordsQuery = Schema.Struct({
  type: Schema.optional(List),
  state: Schema.optional(List),
  ownerId: Schema.optional(Schema.String),
  dueBefore: Schema.optional(Schema.String),
  text: Schema.optional(Schema.String),
  cursor: Schema.optional(Schema.String),
  limit: Schema.optional(Int),
  order: Schema.optional(Schema.Literal("asc", "desc"))
})

const AuditQuery = Schema.Struct({
  recordType: Schema.optional(Schema.String),
  recordId: Schema.optional(Schema.String),
  actorId: Schema.optional(Schema.String),
  action: Schema.optional(Schema.String),
  severity: Schema.optional(List),
  from: Schema.optional(Schema.String),
  to: Schema.optional(Schema.String),
  cursor: Schema.optional(Schema.String),
  order: Schema.optional(Schema.Literal("asc", "desc")),
  limit: Schema.optional(Int)
})

const SlaQuery = Schema.Struct({
  kind: Schema.optional(Schema.String),
  assigneeId: Schema.optional(Schema.String),
  recordType: Schema.optional(Schema.String),
  buckets: Schema.optional(List)
})

const CloseBody = Schema.Struct({
  expectedVersion: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true })
})
const EvidenceBody = Records.AttachInput.pipe(Schema.omit("id", "kind", "idempotencyKey", "correlationId"))
const VerificationBody = Schema.Struct({
  result: Schema.optionalWith(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)), { exact: true }),
  note: Schema.optionalWith(Schema.String.pipe(Schema.maxLength(4000)), { exact: true })
})
const EffectivenessBody = Schema.Struct({
  result: Schema.Literal("effective", "ineffective"),
  verifiedBy: Schema.optionalWith(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)), { exact: true }),
  plannedAt: Schema.optionalWith(Schema.String, { exact: true })
})
const SkipBody = Schema.Struct({ rationale: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000)) })
const ChecklistBody = Schema.Struct({ checklist: Schema.Array(Audits.ChecklistItem) })

const Record_ = QmsRecord.QmsRecord
const Raised = Schema.Struct({ capa: Record_, created: Schema.Boolean })

/** Every JSON route, relative to where the host mounts the sub-app. */
export const routes: ReadonlyArray<Route> = [
  // ------------------------------------------------------------------ records
  route<typeof RecordsQuery.Type>({
    method: "get",
    path: "/records",
    operationId: "listRecords",
    summary: "List records (keyset pages, newest first); `type` and `state` take comma-separated lists",
    tag: "records",
    query: RecordsQuery,
    response: QmsRecord.Page,
    run: ({ query }) => {
      const { type, state, ...rest } = query
      const types = split(type)
      const states = split(state)
      return Records.list({
        ...rest,
        ...(types === undefined ? {} : { type: types }),
        ...(states === undefined ? {} : { state: states })
      })
    }
  }),
  route<undefined, Records.CreateInput>({
    method: "post",
    path: "/records",
    operationId: "createRecord",
    summary: "Create a record of a registered type",
    tag: "records",
    body: Records.CreateInput,
    response: Record_,
    status: 201,
    run: ({ body }) => Records.create(body)
  }),
  route({
    method: "get",
    path: "/records/:id",
    operationId: "getRecord",
    summary: "Get a record",
    tag: "records",
    response: Record_,
    run: (i) => Records.get(id(i))
  }),
  route<undefined, Omit<Records.UpdateInput, "id">>({
    method: "patch",
    path: "/records/:id",
    operationId: "updateRecord",
    summary: "Change data fields (JSON merge patch of `data`)",
    tag: "records",
    body: Records.UpdateInput.pipe(Schema.omit("id")),
    response: Record_,
    run: (i) => Records.update({ ...i.body, id: id(i) })
  }),
  route<undefined, Omit<Records.AssignInput, "id">>({
    method: "post",
    path: "/records/:id/assign",
    operationId: "assignRecord",
    summary: "Give a record an owner (or none)",
    tag: "records",
    body: Records.AssignInput.pipe(Schema.omit("id")),
    response: Record_,
    run: (i) => Records.assign({ ...i.body, id: id(i) })
  }),
  route({
    method: "get",
    path: "/records/:id/transitions",
    operationId: "availableTransitions",
    summary: "The next steps: allowed, missing permission, every unmet requirement",
    tag: "records",
    run: (i) => Records.available(id(i))
  }),
  route<undefined, Omit<Records.TransitionInput, "id" | "transition">>({
    method: "post",
    path: "/records/:id/transitions/:transition",
    operationId: "transitionRecord",
    summary: "Take a workflow transition",
    tag: "records",
    body: Records.TransitionInput.pipe(Schema.omit("id", "transition")),
    response: Record_,
    run: (i) => Records.transition({ ...i.body, id: id(i), transition: i.params.transition ?? "" })
  }),
  route({
    method: "get",
    path: "/records/:id/links",
    operationId: "recordLinks",
    summary: "Links of a record, both directions",
    tag: "records",
    run: (i) => Records.links(id(i))
  }),
  route<undefined, Omit<Records.LinkInput, "from">>({
    method: "post",
    path: "/records/:id/links",
    operationId: "linkRecord",
    summary: "Link this record to another with a declared kind",
    tag: "records",
    body: Records.LinkInput.pipe(Schema.omit("from")),
    status: 201,
    run: (i) => Records.link({ ...i.body, from: id(i) })
  }),
  route({
    method: "get",
    path: "/records/:id/comments",
    operationId: "recordComments",
    summary: "Comments of a record",
    tag: "records",
    run: (i) => Records.comments(id(i))
  }),
  route<undefined, Omit<Records.CommentInput, "id">>({
    method: "post",
    path: "/records/:id/comments",
    operationId: "commentRecord",
    summary: "Comment on a record",
    tag: "records",
    body: Records.CommentInput.pipe(Schema.omit("id")),
    status: 201,
    run: (i) => Records.comment({ ...i.body, id: id(i) })
  }),
  route<undefined, Omit<Records.AttachInput, "id">>({
    method: "post",
    path: "/records/:id/attachments",
    operationId: "attachToRecord",
    summary: "Attach file metadata (content pinned by SHA-256)",
    tag: "records",
    body: Records.AttachInput.pipe(Schema.omit("id")),
    status: 201,
    run: (i) => Records.attach({ ...i.body, id: id(i) })
  }),
  route<undefined, Omit<Records.SignInput, "id">>({
    method: "post",
    path: "/records/:id/signatures",
    operationId: "signRecord",
    summary: "Sign the record electronically (the host re-authenticates the credential)",
    tag: "records",
    body: Records.SignInput.pipe(Schema.omit("id")),
    status: 201,
    run: (i) => Records.sign({ ...i.body, id: id(i) })
  }),
  route({
    method: "get",
    path: "/records/:id/history",
    operationId: "recordHistory",
    summary: "The record's history, one entry per command (weak ETag; 304 on If-None-Match)",
    tag: "records",
    response: Schema.Array(QmsRecord.HistoryEntry),
    etag: true,
    run: (i) => Records.history(id(i))
  }),
  route({
    method: "get",
    path: "/records/:id/tasks",
    operationId: "recordTasks",
    summary: "Tasks linked to a record",
    tag: "tasks",
    response: Schema.Array(Task.Task),
    run: (i) => Effect.flatMap(Records.get(id(i)), (record) => Tasks.byRecord({ type: record.type, id: record.id }))
  }),
  // ------------------------------------------------------------------ notifications (the email log)
  route({
    method: "get",
    path: "/records/:id/notifications",
    operationId: "recordNotifications",
    summary: "The record's email log: who was told what and when, one entry per recipient",
    tag: "notifications",
    response: Schema.Array(EmailLog.Entry),
    run: (i) =>
      Effect.flatMap(Records.get(id(i)), (record) => Notify.emailLog({ recordType: record.type, recordId: record.id }))
  }),
  route({
    method: "get",
    path: "/tasks/:id/notifications",
    operationId: "taskNotifications",
    summary: "The reminders and escalations sent about a task, one entry per recipient",
    tag: "notifications",
    response: Schema.Array(EmailLog.Entry),
    run: (i) => Effect.flatMap(Tasks.get(id(i)), (task) => Notify.emailLog({ recordType: "task", recordId: task.id }))
  }),
  route({
    method: "get",
    path: "/notifications/:id",
    operationId: "notificationMessage",
    summary: "One message of the email log with the exact subject, text and HTML it is sent with",
    tag: "notifications",
    response: EmailLog.Message,
    run: (i) =>
      Effect.gen(function* () {
        const message = yield* Notify.message(id(i))
        // Readable by whoever may read what it concerns: the task, the record, else the audit trail.
        const { recordType, recordId } = message.entry
        if (recordType === "task" && recordId !== null) yield* Tasks.get(recordId)
        else if (recordId !== null) yield* Records.get(recordId)
        else yield* Policy.authorize("audit_trail.read")
        return message
      })
  }),
  // ------------------------------------------------------------------ programme and audits
  route<undefined, Programme.DefineAreaInput>({
    method: "post",
    path: "/programme/areas",
    operationId: "defineArea",
    summary: "Define an area of the approval in the audit programme",
    tag: "programme",
    body: Programme.DefineAreaInput,
    response: Record_,
    status: 201,
    run: ({ body }) => Programme.defineArea(body)
  }),
  route({
    method: "get",
    path: "/programme/due-list",
    operationId: "programmeDueList",
    summary: "The audit programme's due list, earliest first",
    tag: "programme",
    run: () => Programme.dueList
  }),
  route<undefined, Audits.PlanAuditInput>({
    method: "post",
    path: "/audits",
    operationId: "planAudit",
    summary: "Plan an internal audit (independence checked at once)",
    tag: "audits",
    body: Audits.PlanAuditInput,
    response: Record_,
    status: 201,
    run: ({ body }) => Audits.planAudit(body)
  }),
  route<undefined, typeof ChecklistBody.Encoded>({
    method: "post",
    path: "/audits/:id/actions/record-checklist",
    operationId: "recordChecklist",
    summary: "Record the checklist results of an audit in progress",
    tag: "audits",
    body: ChecklistBody,
    response: Record_,
    run: (i) => Audits.recordChecklist(id(i), i.body.checklist)
  }),
  // ------------------------------------------------------------------ findings
  route<undefined, Findings.RaiseFindingInput>({
    method: "post",
    path: "/findings",
    operationId: "raiseFinding",
    summary: "Raise a finding (due date from its level's policy; owner's task and email)",
    tag: "findings",
    body: Findings.RaiseFindingInput,
    response: Record_,
    status: 201,
    run: ({ body }) => Findings.raiseFinding(body)
  }),
  route<{ readonly buckets?: string | undefined }>({
    method: "get",
    path: "/findings/open",
    operationId: "openFindings",
    summary: "Open findings by level, area and age",
    tag: "findings",
    query: Schema.Struct({ buckets: Schema.optional(List) }),
    run: ({ query }) =>
      Effect.flatMap(numbers(query.buckets), (buckets) =>
        Findings.openFindings(buckets === undefined ? {} : { buckets })
      )
  }),
  route({
    method: "get",
    path: "/findings/:id/timeline",
    operationId: "findingTimeline",
    summary: "Everything that happened to a finding and its CAPA, in time order",
    tag: "findings",
    run: (i) => Findings.findingTimeline(id(i))
  }),
  route({
    method: "post",
    path: "/findings/:id/actions/raise-capa",
    operationId: "raiseCapa",
    summary: "Raise the finding's CAPA in one step (idempotent: `created: false` when it exists)",
    tag: "findings",
    response: Raised,
    run: (i) => Capa.raiseCapaFromFinding(id(i))
  }),
  route<undefined, typeof CloseBody.Encoded>({
    method: "post",
    path: "/findings/:id/actions/close",
    operationId: "closeFinding",
    summary: "Close a finding, or 422 listing every unmet requirement",
    tag: "findings",
    body: CloseBody,
    response: Record_,
    run: (i) => Findings.closeFinding(id(i), i.body)
  }),
  route<undefined, typeof EvidenceBody.Encoded>({
    method: "post",
    path: "/findings/:id/actions/attach-evidence",
    operationId: "attachEvidence",
    summary: "Attach objective evidence to a finding",
    tag: "findings",
    body: EvidenceBody,
    status: 201,
    run: (i) => Findings.attachEvidence(id(i), i.body)
  }),
  route<undefined, typeof VerificationBody.Encoded>({
    method: "post",
    path: "/findings/:id/actions/record-verification",
    operationId: "recordFindingVerification",
    summary: "Record the independent verification of a finding's corrective action",
    tag: "findings",
    body: VerificationBody,
    status: 201,
    run: (i) => Findings.recordVerification(id(i), i.body)
  }),
  // ------------------------------------------------------------------ CAPA
  route({
    method: "get",
    path: "/capas/overdue",
    operationId: "overdueCapas",
    summary: "CAPAs past due and not closed, most overdue first",
    tag: "capa",
    response: Schema.Array(Record_),
    run: () => Capa.overdueCapas
  }),
  route<undefined, typeof EffectivenessBody.Encoded>({
    method: "post",
    path: "/capas/:id/actions/record-effectiveness",
    operationId: "recordEffectiveness",
    summary: "Record the effectiveness check of a CAPA",
    tag: "capa",
    body: EffectivenessBody,
    response: Record_,
    run: (i) => Capa.recordEffectiveness(id(i), i.body)
  }),
  route<undefined, typeof SkipBody.Encoded>({
    method: "post",
    path: "/capas/:id/actions/skip-effectiveness-check",
    operationId: "skipEffectivenessCheck",
    summary: "Record why a CAPA closes without an effectiveness check",
    tag: "capa",
    body: SkipBody,
    response: Record_,
    run: (i) => Capa.skipEffectivenessCheck(id(i), i.body.rationale)
  }),
  // ------------------------------------------------------------------ tasks
  route<{ readonly includeClosed?: "true" | "false" | undefined }>({
    method: "get",
    path: "/tasks/mine",
    operationId: "myTasks",
    summary: "The actor's tasks",
    tag: "tasks",
    query: Schema.Struct({ includeClosed: Schema.optional(Schema.Literal("true", "false")) }),
    response: Schema.Array(Task.Task),
    run: ({ query }) => Tasks.mine({ includeClosed: query.includeClosed === "true" })
  }),
  route<typeof SlaQuery.Type>({
    method: "get",
    path: "/tasks/sla-buckets",
    operationId: "slaBuckets",
    summary: "Open tasks of one queue (kind, assigneeId or recordType) counted by age",
    tag: "tasks",
    query: SlaQuery,
    run: ({ query }) =>
      Effect.gen(function* () {
        const queue: Task.Queue | undefined =
          query.kind !== undefined
            ? { kind: query.kind }
            : query.assigneeId !== undefined
              ? { assigneeId: query.assigneeId }
              : query.recordType !== undefined
                ? { recordType: query.recordType }
                : undefined
        if (queue === undefined) {
          return yield* new Errors.ValidationFailed({
            issues: [{ path: "kind", message: "give one of kind, assigneeId or recordType" }]
          })
        }
        const buckets = yield* numbers(query.buckets)
        return yield* Tasks.slaBuckets(buckets === undefined ? { queue } : { queue, buckets })
      })
  }),
  // ------------------------------------------------------------------ audit trail
  route<typeof AuditQuery.Type>({
    method: "get",
    path: "/audit-trail",
    operationId: "queryAuditTrail",
    summary: "Audit events of the actor's tenant, filtered; page with `cursor` ← `nextCursor`",
    tag: "audit-trail",
    query: AuditQuery,
    run: ({ query }) => {
      const { recordType, recordId, severity, ...rest } = query
      const severities = split(severity)
      return AuditLog.query({
        ...rest,
        ...(recordType !== undefined && recordId !== undefined ? { record: { type: recordType, id: recordId } } : {}),
        ...(severities === undefined ? {} : { severity: severities as ReadonlyArray<"info"> })
      })
    }
  }),
  route({
    method: "get",
    path: "/audit-trail/verify",
    operationId: "verifyAuditTrail",
    summary: "Recompute the tenant's hash chain and checkpoints; names the first bad event",
    tag: "audit-trail",
    run: () =>
      Effect.gen(function* () {
        yield* Policy.authorize("audit_trail.verify")
        const actor = yield* Actor.CurrentActor
        return yield* AuditLog.verify(actor.tenantId)
      })
  })
]
