/**
 * Controlled documents (145.A.45, the MOE and its procedures) and their revisions: the data, the two
 * workflows, the record types, the notifications and the task kinds that go with them.
 *
 * @since 0.1.0
 */
import { Guard, Workflow } from "@airworthy/core"
import { Template } from "@airworthy/notify"
import { RecordType } from "@airworthy/records"
import { Schema } from "effect"

/**
 * What a controlled document is.
 * @since 0.1.0
 * @category models
 */
export const Category = Schema.Literal("moe", "procedure", "form", "work_instruction", "maintenance_data", "other")
/** @since 0.1.0 @category models */
export type Category = typeof Category.Type

const PersonId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))
const Role = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64))

/**
 * Who receives a document's revisions: everyone holding one of `roles` (through the host's
 * `Directory`) and the people named.
 * @since 0.1.0
 * @category models
 */
export const Distribution = Schema.Struct({
  roles: Schema.Array(Role).pipe(Schema.maxItems(50)),
  people: Schema.Array(PersonId).pipe(Schema.maxItems(1000))
})
/** @since 0.1.0 @category models */
export type Distribution = typeof Distribution.Type

/**
 * What was published as a document's current revision: the revision, when, to whom, and the
 * digests of its content, so the published content cannot change unnoticed.
 * @since 0.1.0
 * @category models
 */
export const Current = Schema.Struct({
  revisionId: Schema.String,
  ref: Schema.String,
  revision: Schema.String,
  publishedAt: Schema.String,
  publishedBy: Schema.String,
  /** When each recipient's acknowledgement is due. */
  acknowledgeBy: Schema.String,
  recipients: Schema.Array(Schema.String),
  content: Schema.Array(Schema.Struct({ name: Schema.String, sha256: Schema.String }))
})
/** @since 0.1.0 @category models */
export type Current = typeof Current.Type

/**
 * A controlled document's data (record type `controlled_document`, `DOC-2026-0001`).
 * @since 0.1.0
 * @category models
 */
export const DocumentData = Schema.Struct({
  /** The organisation's document number, e.g. `MOE` or `QP-07`; unique per tenant. */
  number: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(500)),
  category: Category,
  /** Months between periodic reviews, counted from each publication or confirmed review. */
  reviewIntervalMonths: Schema.Int.pipe(Schema.between(1, 120)),
  distribution: Distribution,
  /** Days each recipient has to acknowledge a new revision (default 14). */
  acknowledgementDays: Schema.optional(Schema.Int.pipe(Schema.between(1, 365))),
  current: Schema.optional(Current),
  /** When the next periodic review is due (set when a revision is published or a review confirmed). */
  nextReviewAt: Schema.optional(Schema.String),
  lastReviewedAt: Schema.optional(Schema.String)
})
/** @since 0.1.0 @category models */
export type DocumentData = typeof DocumentData.Type

/**
 * The days a recipient has to acknowledge a revision when the document does not say.
 * @since 0.1.0
 * @category constants
 */
export const defaultAcknowledgementDays = 14

/**
 * The days a person has for the training a revision requires when it does not say.
 * @since 0.1.0
 * @category constants
 */
export const defaultTrainingDays = 30

/**
 * A document is active (its revisions are issued) or withdrawn (no longer in use, with a reason).
 * @since 0.1.0
 * @category workflows
 */
export const documentWorkflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "controlled_document",
  label: "Controlled document",
  states: {
    active: {
      label: "Active",
      description: "In use; new revisions are drafted, reviewed, approved and published",
      editable: ["title", "category", "reviewIntervalMonths", "distribution", "acknowledgementDays"]
    },
    withdrawn: { label: "Withdrawn", description: "No longer in use" }
  },
  initial: "active",
  terminal: ["withdrawn"],
  transitions: [
    { name: "withdraw", from: "active", to: "withdrawn", permission: "document.withdraw", reasonRequired: true }
  ]
})

/**
 * The training a revision requires of the people in `roles` (e.g. a changed procedure).
 * @since 0.1.0
 * @category models
 */
export const TrainingRequired = Schema.Struct({
  roles: Schema.NonEmptyArray(Role),
  /** The training requirement it is recorded against, if any. */
  requirementId: Schema.optional(Schema.String),
  /** Days to complete it after publication (default 30). */
  dueDays: Schema.optional(Schema.Int.pipe(Schema.between(1, 365)))
})
/** @since 0.1.0 @category models */
export type TrainingRequired = typeof TrainingRequired.Type

/**
 * A revision's data (record type `document_revision`, `REV-2026-0001`). Its content is attached
 * (kind `content`, bytes in the blob store); reviewers' comments are the record's comments.
 * @since 0.1.0
 * @category models
 */
export const RevisionData = Schema.Struct({
  documentId: Schema.String,
  documentNumber: Schema.String,
  documentTitle: Schema.String,
  /** The revision number, counted per document from 1. */
  revision: Schema.String,
  changeSummary: Schema.optional(Schema.String.pipe(Schema.maxLength(10_000))),
  trainingRequired: Schema.optional(TrainingRequired)
})
/** @since 0.1.0 @category models */
export type RevisionData = typeof RevisionData.Type

/**
 * The meaning of an acknowledgement signature.
 * @since 0.1.0
 * @category constants
 */
export const acknowledgementMeaning = "read_and_understood"

/**
 * The revision workflow: draft → in review (reviewers comment; back to draft with a reason) →
 * approved (an electronic signature meaning "approved", by someone other than its author) →
 * published (current; only through `documents.publishRevision`, which supersedes the prior one and
 * notifies the distribution) → superseded by the next; any revision may be withdrawn with a reason.
 * @since 0.1.0
 * @category workflows
 */
export const revisionWorkflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "document_revision",
  label: "Document revision",
  states: {
    draft: {
      label: "Draft",
      description: "Being written: content attached (kind 'content') and the change summary",
      editable: ["changeSummary", "trainingRequired"]
    },
    in_review: { label: "In review", description: "Reviewers comment; it goes back to draft or on to approval" },
    approved: { label: "Approved", description: "Signed as approved; waits to be published" },
    published: { label: "Published", description: "The current revision; recipients acknowledge it" },
    superseded: { label: "Superseded", description: "Replaced by a later published revision" },
    withdrawn: { label: "Withdrawn", description: "Withdrawn from use with a reason" }
  },
  initial: "draft",
  terminal: ["superseded", "withdrawn"],
  transitions: [
    {
      name: "submit_for_review",
      from: "draft",
      to: "in_review",
      permission: "document.author",
      guards: [
        Guard.requiredFields([{ path: "changeSummary", label: "change summary" }], { name: "change_summary" }),
        Guard.attachment("content")
      ]
    },
    { name: "return_to_draft", from: "in_review", to: "draft", permission: "document.review", reasonRequired: true },
    {
      name: "approve",
      from: "in_review",
      to: "approved",
      permission: "document.approve",
      signature: { meaning: "approved" },
      guards: [Guard.separationOfDuties("creator", { name: "approver_not_author" })]
    },
    { name: "publish", from: "approved", to: "published", permission: "document.publish" },
    { name: "supersede", from: "published", to: "superseded", permission: "document.publish" },
    {
      name: "withdraw",
      from: ["draft", "in_review", "approved", "published"],
      to: "withdrawn",
      permission: "document.withdraw",
      reasonRequired: true
    }
  ]
})

const documentPermissions = {
  read: "document.read",
  create: "document.create",
  update: "document.update",
  assign: "document.update",
  verify: "document.review",
  approve: "document.approve",
  comment: "document.review",
  attach: "document.author",
  link: "document.update",
  sign: "document.acknowledge"
} as const

/**
 * The controlled document record type (`DOC-2026-0001`); its due date is the next periodic review.
 * @since 0.1.0
 * @category record types
 */
export const documentType = RecordType.make({
  name: "controlled_document",
  label: "Controlled document",
  prefix: "DOC",
  schema: DocumentData,
  workflow: documentWorkflow,
  title: (d) => `${d.number}: ${d.title}`,
  dueAt: (d) => d.nextReviewAt,
  permissions: documentPermissions
})

/**
 * The document revision record type (`REV-2026-0001`). Its signatures are the approval and each
 * recipient's acknowledgement (`read_and_understood`, permission `document.acknowledge`).
 * @since 0.1.0
 * @category record types
 */
export const revisionType = RecordType.make({
  name: "document_revision",
  label: "Document revision",
  prefix: "REV",
  schema: RevisionData,
  workflow: revisionWorkflow,
  title: (d) => `${d.documentNumber} revision ${d.revision}: ${d.documentTitle}`,
  permissions: documentPermissions
})

/**
 * The task kinds of document control.
 * @since 0.1.0
 * @category rules
 */
export const taskKinds = {
  acknowledgement: "document_acknowledgement",
  periodicReview: "document_periodic_review",
  training: "document_training"
} as const

/**
 * Asks a recipient to read and acknowledge a newly published revision.
 * @since 0.1.0
 * @category notifications
 */
export const distributionTemplate = Template.make(
  {
    kind: "document.distributed",
    subject: ({ params }) => `${params.number} revision ${params.revision} is published: please read and acknowledge`,
    text: ({ params, recipient }) =>
      `Dear ${recipient.name ?? recipient.email},\n\n${params.number} ${params.title}, revision ${params.revision}, ` +
      `is now the current revision (${params.ref}).\nWhat changed: ${params.changeSummary}\n` +
      `Please read it and acknowledge that you have read and understood it by ${params.acknowledgeBy}.`,
    html: ({ params }) =>
      Template.html`<p><b>${params.number}</b> ${params.title}, revision ${params.revision}, is now current (${params.ref}).</p><p>What changed: ${params.changeSummary}</p><p>Please read and acknowledge it by ${params.acknowledgeBy}.</p>`
  },
  Schema.Struct({
    ref: Schema.String,
    number: Schema.String,
    title: Schema.String,
    revision: Schema.String,
    changeSummary: Schema.String,
    acknowledgeBy: Schema.String
  })
)
