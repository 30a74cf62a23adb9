/**
 * Certifying staff authorisations (145.A.35): who may certify what (aircraft types, licence
 * categories, tasks), from when until when, on which valid training; with their workflow.
 *
 * @since 0.1.0
 */
import { Workflow } from "@airworthy/core"
import { RecordType } from "@airworthy/records"
import { Schema } from "effect"

const Item = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64))

/**
 * Licence categories (Part-66) an authorisation may cover.
 * @since 0.1.0
 * @category models
 */
export const Category = Schema.Literal("A", "B1", "B2", "B2L", "B3", "C")

/**
 * What an authorisation covers: every item listed (an empty list covers nothing of that kind).
 * @since 0.1.0
 * @category models
 */
export const Scope = Schema.Struct({
  aircraftTypes: Schema.Array(Item).pipe(Schema.maxItems(100)),
  categories: Schema.Array(Category),
  tasks: Schema.Array(Item).pipe(Schema.maxItems(200))
})
/** @since 0.1.0 @category models */
export type Scope = typeof Scope.Type

/**
 * What a certification asks to be covered: any of an aircraft type, a category and a task.
 * @since 0.1.0
 * @category models
 */
export const Asked = Schema.Struct({
  aircraftType: Schema.optional(Item),
  category: Schema.optional(Category),
  task: Schema.optional(Item)
})
/** @since 0.1.0 @category models */
export type Asked = typeof Asked.Type

/**
 * An authorisation's data (`authorisation`, `AUTH-2026-0001`), owned by the person it authorises.
 * @since 0.1.0
 * @category models
 */
export const AuthorisationData = Schema.Struct({
  personId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128)),
  /** The authorisation number on the holder's certificate, e.g. `CS-042`. */
  number: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  scope: Scope,
  validFrom: Schema.String,
  expiresAt: Schema.String,
  /** Training requirements whose records must be valid for the authorisation to be used. */
  prerequisites: Schema.Array(Schema.String).pipe(Schema.maxItems(50))
})
/** @since 0.1.0 @category models */
export type AuthorisationData = typeof AuthorisationData.Type

/**
 * The authorisation workflow: drafted → issued (active; its prerequisites must be valid) →
 * suspended with a reason → reinstated (prerequisites checked again), or revoked with a reason.
 * Expiry is its date, checked whenever it is used.
 * @since 0.1.0
 * @category workflows
 */
export const workflow: Workflow.Workflow = Workflow.unsafeMake({
  name: "authorisation",
  label: "Certification authorisation",
  states: {
    draft: { label: "Draft", editable: ["number", "scope", "validFrom", "expiresAt", "prerequisites"] },
    active: { label: "Active", description: "Issued; valid between its dates while its training is valid" },
    suspended: { label: "Suspended", description: "Not to be used until reinstated" },
    revoked: { label: "Revoked" }
  },
  initial: "draft",
  terminal: ["revoked"],
  transitions: [
    { name: "issue", from: "draft", to: "active", permission: "authorisation.issue" },
    { name: "suspend", from: "active", to: "suspended", permission: "authorisation.suspend", reasonRequired: true },
    { name: "reinstate", from: "suspended", to: "active", permission: "authorisation.issue" },
    {
      name: "revoke",
      from: ["draft", "active", "suspended"],
      to: "revoked",
      permission: "authorisation.suspend",
      reasonRequired: true
    }
  ]
})

/**
 * The authorisation record type; its due date is its expiry.
 * @since 0.1.0
 * @category record types
 */
export const recordType = RecordType.make({
  name: "authorisation",
  label: "Certification authorisation",
  prefix: "AUTH",
  schema: AuthorisationData,
  workflow,
  title: (d) => `${d.number}: ${d.personId}`,
  dueAt: (d) => d.expiresAt,
  permissions: {
    read: "authorisation.read",
    create: "authorisation.issue",
    update: "authorisation.issue",
    assign: "authorisation.issue",
    verify: "authorisation.issue",
    approve: "authorisation.issue",
    comment: "record.comment",
    attach: "authorisation.issue",
    link: "authorisation.issue",
    sign: "record.sign"
  }
})
