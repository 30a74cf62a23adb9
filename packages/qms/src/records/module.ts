/**
 * The records module: what every record type shares, over the records runtime — list, create, get,
 * edit, assign, the next steps and transitions, links, comments, attachments, signatures and
 * history. Each operation is authorised by the record type's own permission (`finding.read`, ...)
 * or, for a transition, the transition's permission, checked on the record.
 *
 * @since 0.1.0
 */
import { Errors } from "@airworthy/core"
import { QmsRecord, RecordHooks, Records, RecordType } from "@airworthy/records"
import { Effect, Schema } from "effect"
import * as References from "../internal/references.js"
import { ById, CommaList } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"

const UnmetRequirement = Errors.UnmetRequirement

/**
 * One next step of a record as a UI shows it (see `Workflow.Availability`).
 * @since 0.1.0
 * @category models
 */
export const Availability = Schema.Struct({
  transition: Schema.String,
  label: Schema.String,
  to: Schema.String,
  permission: Schema.String,
  allowed: Schema.Boolean,
  missingPermission: Schema.optional(Schema.String),
  unmet: Schema.Array(UnmetRequirement),
  reasonRequired: Schema.Boolean,
  signature: Schema.optional(Schema.Struct({ meaning: Schema.String }))
})

const writeErrors = [Errors.NotFound, Errors.StaleVersion, Errors.IdempotencyConflict, RecordHooks.HookFailed]

const list = QmsModule.passThrough({
  name: "list",
  operationId: "listRecords",
  summary: "List records (keyset pages, newest first); `type` and `state` take comma-separated lists",
  input: Records.ListFilter,
  output: QmsRecord.Page,
  access: QmsModule.anyActor,
  http: {
    method: "get",
    path: "/records",
    query: Schema.Struct({
      type: Schema.optionalWith(CommaList, { exact: true }),
      state: Schema.optionalWith(CommaList, { exact: true }),
      ownerId: Schema.optionalWith(Schema.String, { exact: true }),
      dueBefore: Schema.optionalWith(Schema.String, { exact: true }),
      text: Schema.optionalWith(Schema.String, { exact: true }),
      cursor: Schema.optionalWith(Schema.String, { exact: true }),
      limit: Schema.optionalWith(Schema.NumberFromString, { exact: true }),
      order: Schema.optionalWith(Schema.Literal("asc", "desc"), { exact: true })
    })
  },
  run: Records.list
})

const create = QmsModule.passThrough({
  name: "create",
  operationId: "createRecord",
  summary: "Create a record of a registered type",
  input: Records.CreateInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.recordPermission("create"),
  errors: [Errors.UnknownReference, Errors.IdempotencyConflict, RecordHooks.HookFailed],
  http: { method: "post", path: "/records", status: 201 },
  // The owner is checked after the create permission (inside the same transaction, so a refused
  // owner leaves nothing behind): an actor without the permission learns nothing about people.
  run: (input) =>
    Records.transaction(
      Effect.tap(Records.create(input), () =>
        typeof input.ownerId === "string" ? References.people("ownerId", [input.ownerId]) : Effect.void
      )
    )
})

const get = QmsModule.operation({
  name: "get",
  operationId: "getRecord",
  summary: "Get a record",
  input: ById,
  output: QmsRecord.QmsRecord,
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id" },
  run: ({ id }) => Records.get(id)
})

const update = QmsModule.passThrough({
  name: "update",
  operationId: "updateRecord",
  summary: "Change data fields (JSON merge patch of `data`)",
  input: Records.UpdateInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.recordPermission("update"),
  errors: writeErrors,
  http: { method: "patch", path: "/records/:id" },
  run: Records.update
})

const assign = QmsModule.passThrough({
  name: "assign",
  operationId: "assignRecord",
  summary: "Give a record an owner (or none)",
  input: Records.AssignInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.recordPermission("assign"),
  errors: [Errors.UnknownReference, ...writeErrors],
  http: { method: "post", path: "/records/:id/assign" },
  run: (input) =>
    Records.transaction(
      Effect.tap(Records.assign(input), () =>
        typeof input.ownerId === "string" ? References.people("ownerId", [input.ownerId]) : Effect.void
      )
    )
})

const available = QmsModule.operation({
  name: "availableTransitions",
  operationId: "availableTransitions",
  summary: "The next steps: allowed, missing permission, every unmet requirement",
  input: ById,
  output: Schema.Array(Availability),
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id/transitions" },
  run: ({ id }) => Records.available(id)
})

const transition = QmsModule.passThrough({
  name: "transition",
  operationId: "transitionRecord",
  summary: "Take a workflow transition",
  input: Records.TransitionInput,
  output: QmsRecord.QmsRecord,
  access: QmsModule.transitionPermission,
  errors: [...writeErrors, Errors.InvalidTransition, Errors.GuardsFailed, Errors.Unauthenticated],
  http: { method: "post", path: "/records/:id/transitions/:transition" },
  run: Records.transition
})

const links = QmsModule.operation({
  name: "links",
  operationId: "recordLinks",
  summary: "Links of a record, both directions",
  input: ById,
  output: Schema.Array(QmsRecord.LinkView),
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id/links" },
  run: ({ id }) => Records.links(id)
})

const link = QmsModule.passThrough({
  name: "link",
  operationId: "linkRecord",
  summary: "Link this record to another with a declared kind",
  input: Schema.Struct({ ...Records.LinkInput.fields, id: Records.LinkInput.fields.from }).pipe(Schema.omit("from")),
  output: QmsRecord.Link,
  access: QmsModule.recordPermission("link"),
  errors: [Errors.UnknownReference, ...writeErrors],
  http: { method: "post", path: "/records/:id/links", status: 201 },
  // A missing record at the other end is the body's `to` (422), not the path's record (404).
  run: ({ id, ...rest }) =>
    Records.link({ ...rest, from: id }).pipe(
      Effect.catchTag("NotFound", (e) =>
        Effect.flatMap(Records.get(id), () =>
          Effect.fail(new Errors.UnknownReference({ field: "to", id: rest.to, expected: "record" }))
        ).pipe(Effect.catchTag("NotFound", () => Effect.fail(e)))
      )
    )
})

const comments = QmsModule.operation({
  name: "comments",
  operationId: "recordComments",
  summary: "Comments of a record",
  input: ById,
  output: Schema.Array(QmsRecord.Comment),
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id/comments" },
  run: ({ id }) => Records.comments(id)
})

const comment = QmsModule.passThrough({
  name: "comment",
  operationId: "commentRecord",
  summary: "Comment on a record",
  input: Records.CommentInput,
  output: QmsRecord.Comment,
  access: QmsModule.recordPermission("comment"),
  errors: writeErrors,
  http: { method: "post", path: "/records/:id/comments", status: 201 },
  run: Records.comment
})

const attach = QmsModule.passThrough({
  name: "attach",
  operationId: "attachToRecord",
  summary: "Attach file metadata (content pinned by SHA-256)",
  input: Records.AttachInput,
  output: QmsRecord.Attachment,
  access: QmsModule.recordPermission("attach"),
  errors: writeErrors,
  http: { method: "post", path: "/records/:id/attachments", status: 201 },
  run: Records.attach
})

const attachments = QmsModule.operation({
  name: "attachments",
  operationId: "recordAttachments",
  summary:
    "Attachments of a record, oldest first; a new version names the one it supersedes, `hasContent` says its bytes can be downloaded",
  input: ById,
  output: Schema.Array(QmsRecord.Attachment),
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id/attachments" },
  run: ({ id }) => Records.attachments(id)
})

const attachment = QmsModule.operation({
  name: "attachment",
  operationId: "recordAttachment",
  summary: "One attachment of a record (metadata; its content is at `…/content`)",
  input: Schema.Struct({
    ...ById.fields,
    attachmentId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))
  }),
  output: QmsRecord.Attachment,
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id/attachments/:attachmentId" },
  run: ({ id, attachmentId }) => Records.attachment(id, attachmentId)
})

const sign = QmsModule.passThrough({
  name: "sign",
  operationId: "signRecord",
  summary: "Sign the record electronically (the host re-authenticates the credential)",
  input: Records.SignInput,
  output: QmsRecord.Signature,
  access: QmsModule.recordPermission("sign"),
  errors: [...writeErrors, Errors.Unauthenticated],
  http: { method: "post", path: "/records/:id/signatures", status: 201 },
  run: Records.sign
})

const history = QmsModule.operation({
  name: "history",
  operationId: "recordHistory",
  summary: "The record's history, one entry per command (weak ETag; 304 on If-None-Match)",
  input: ById,
  output: Schema.Array(QmsRecord.HistoryEntry),
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id/history", etag: true },
  run: ({ id }) => Records.history(id)
})

const operations: readonly [
  typeof list,
  typeof create,
  typeof get,
  typeof update,
  typeof assign,
  typeof available,
  typeof transition,
  typeof links,
  typeof link,
  typeof comments,
  typeof comment,
  typeof attach,
  typeof attachments,
  typeof attachment,
  typeof sign,
  typeof history
] = [
  list,
  create,
  get,
  update,
  assign,
  available,
  transition,
  links,
  link,
  comments,
  comment,
  attach,
  attachments,
  attachment,
  sign,
  history
]

/**
 * The records module, with the `related` link kind any two records may share.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"records", typeof operations> = QmsModule.make({
  name: "records",
  label: "Records",
  links: [RecordType.link({ kind: "related", label: "Related" })],
  operations
})
