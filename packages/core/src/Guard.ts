/**
 * Guards: the named, typed requirements a workflow transition checks before it may happen.
 *
 * A guard is plain data (a tagged object with its configuration), so a definition can be
 * inspected, validated and drawn; only `custom` guards carry a function. Every guard reads one
 * pure snapshot, the `GuardContext`, that the records runtime builds before a command, and
 * answers with every requirement it finds unmet, each in words a quality manager understands.
 *
 * @since 0.1.0
 */
import { DateTime, Effect, Schema } from "effect"
import { Actor } from "./Actor.js"
import type { UnmetRequirement } from "./Errors.js"
import { ActorId } from "./Ids.js"

// ---------------------------------------------------------------------------------------------
// The context
// ---------------------------------------------------------------------------------------------

/**
 * The record a command acts on, as the guard sees it.
 * @since 0.1.0
 * @category models
 */
export const RecordSnapshot = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  state: Schema.String,
  version: Schema.Int,
  ownerId: Schema.NullOr(ActorId),
  createdBy: ActorId,
  data: Schema.Unknown
})
/** @since 0.1.0 @category models */
export type RecordSnapshot = typeof RecordSnapshot.Type

/**
 * A file attached to the record, with its kind (`evidence`, `photo`, `certificate`, ...).
 * @since 0.1.0
 * @category models
 */
export const AttachmentRef = Schema.Struct({ kind: Schema.String, id: Schema.String })
/** @since 0.1.0 @category models */
export type AttachmentRef = typeof AttachmentRef.Type

/**
 * A verification recorded on the record, with its result (`effective`, `ineffective`, ...).
 * @since 0.1.0
 * @category models
 */
export const Verification = Schema.Struct({
  by: ActorId,
  at: Schema.DateTimeUtcFromSelf,
  result: Schema.optional(Schema.String)
})
/** @since 0.1.0 @category models */
export type Verification = typeof Verification.Type

/**
 * An approval recorded on the record.
 * @since 0.1.0
 * @category models
 */
export const Approval = Schema.Struct({ by: ActorId, at: Schema.DateTimeUtcFromSelf })
/** @since 0.1.0 @category models */
export type Approval = typeof Approval.Type

/**
 * An electronic signature on the record and what it means (`approved`, `verified`, ...).
 * @since 0.1.0
 * @category models
 */
export const SignatureRef = Schema.Struct({ by: ActorId, meaning: Schema.String, at: Schema.DateTimeUtcFromSelf })
/** @since 0.1.0 @category models */
export type SignatureRef = typeof SignatureRef.Type

/**
 * A link from (`out`) or to (`in`) another record, with that record's current state.
 * @since 0.1.0
 * @category models
 */
export const LinkRef = Schema.Struct({
  kind: Schema.String,
  direction: Schema.Literal("out", "in"),
  recordId: Schema.String,
  recordType: Schema.String,
  state: Schema.String
})
/** @since 0.1.0 @category models */
export type LinkRef = typeof LinkRef.Type

/**
 * A transition the record went through.
 * @since 0.1.0
 * @category models
 */
export const HistoryEntry = Schema.Struct({
  transition: Schema.String,
  by: ActorId,
  at: Schema.DateTimeUtcFromSelf,
  from: Schema.String,
  to: Schema.String
})
/** @since 0.1.0 @category models */
export type HistoryEntry = typeof HistoryEntry.Type

/**
 * What the command itself carries: the reason for the change and the signature given.
 * @since 0.1.0
 * @category models
 */
export const CommandInput = Schema.Struct({
  reason: Schema.optional(Schema.String),
  signature: Schema.optional(Schema.Struct({ meaning: Schema.String }))
})
/** @since 0.1.0 @category models */
export type CommandInput = typeof CommandInput.Type

/**
 * Everything a guard may look at: a pure, read-only snapshot built before the command runs.
 * @since 0.1.0
 * @category models
 */
export const GuardContext = Schema.Struct({
  actor: Actor,
  record: RecordSnapshot,
  attachments: Schema.Array(AttachmentRef),
  verifications: Schema.Array(Verification),
  approvals: Schema.Array(Approval),
  signatures: Schema.Array(SignatureRef),
  links: Schema.Array(LinkRef),
  history: Schema.Array(HistoryEntry),
  input: CommandInput,
  /**
   * The actor's relations to the record (`owner`, `creator`, and any its record type declares), for
   * grants limited to them (`finding.update@owner`); when absent, worked out by `relationsOf`.
   * @since 0.1.0
   */
  relations: Schema.optional(Schema.Array(Schema.String))
})
/** @since 0.1.0 @category models */
export type GuardContext = typeof GuardContext.Type

/**
 * The actor's relations to the record: the context's own list, else `owner` (the record's owner)
 * and `creator` (who created it) as they apply.
 * @since 0.1.0
 * @category utils
 */
export const relationsOf = (ctx: GuardContext): ReadonlyArray<string> => {
  if (ctx.relations !== undefined) return ctx.relations
  const relations: Array<string> = []
  if (ctx.record.ownerId === ctx.actor.actorId) relations.push("owner")
  if (ctx.record.createdBy === ctx.actor.actorId) relations.push("creator")
  return relations
}

/**
 * Builds a context, with every list empty unless given.
 * @since 0.1.0
 * @category constructors
 */
export const makeContext = (input: {
  readonly actor: Actor
  readonly record: RecordSnapshot
  readonly attachments?: ReadonlyArray<AttachmentRef>
  readonly verifications?: ReadonlyArray<Verification>
  readonly approvals?: ReadonlyArray<Approval>
  readonly signatures?: ReadonlyArray<SignatureRef>
  readonly links?: ReadonlyArray<LinkRef>
  readonly history?: ReadonlyArray<HistoryEntry>
  readonly input?: CommandInput
}): GuardContext => ({
  actor: input.actor,
  record: input.record,
  attachments: input.attachments ?? [],
  verifications: input.verifications ?? [],
  approvals: input.approvals ?? [],
  signatures: input.signatures ?? [],
  links: input.links ?? [],
  history: input.history ?? [],
  input: input.input ?? {}
})

// ---------------------------------------------------------------------------------------------
// The guards
// ---------------------------------------------------------------------------------------------

/**
 * A field of the record's data, by dotted path, with an optional label for messages.
 * @since 0.1.0
 * @category models
 */
export type Field = string | { readonly path: string; readonly label: string }

/**
 * Which entries count: all of them, or only those made since the record entered its current
 * state (so a verification from before a rejection does not count again).
 * @since 0.1.0
 * @category models
 */
export type Since = "ever" | "entered_state"

/**
 * The named fields of the record's data must be filled in (`all`), or at least one of them (`any`).
 * @since 0.1.0
 * @category models
 */
export interface RequiredFields {
  readonly _tag: "RequiredFields"
  readonly name: string
  readonly fields: ReadonlyArray<Field>
  readonly mode: "all" | "any"
}

/**
 * At least `min` attachments of a kind.
 * @since 0.1.0
 * @category models
 */
export interface Attachment {
  readonly _tag: "Attachment"
  readonly name: string
  readonly kind: string
  readonly min: number
}

/**
 * A verification is recorded; optionally by someone other than the owner, with an accepted result.
 * @since 0.1.0
 * @category models
 */
export interface VerificationRecorded {
  readonly _tag: "VerificationRecorded"
  readonly name: string
  readonly independent: boolean
  readonly results: ReadonlyArray<string> | undefined
  readonly since: Since
}

/**
 * At least `count` approvals from distinct people.
 * @since 0.1.0
 * @category models
 */
export interface Approvals {
  readonly _tag: "Approvals"
  readonly name: string
  readonly count: number
  readonly independent: boolean
  readonly since: Since
}

/**
 * Whose earlier involvement rules the actor out.
 * @since 0.1.0
 * @category models
 */
export type Duty =
  | { readonly _tag: "Owner" }
  | { readonly _tag: "Creator" }
  | { readonly _tag: "Performer"; readonly transition: string }

/**
 * The actor performing the transition must not be the owner, the creator, or whoever last
 * performed a given transition.
 * @since 0.1.0
 * @category models
 */
export interface SeparationOfDuties {
  readonly _tag: "SeparationOfDuties"
  readonly name: string
  readonly notThe: Duty
}

/**
 * Linked records of a link kind must be in one of some states (`all` of them, or `any` one).
 * @since 0.1.0
 * @category models
 */
export interface LinkedRecord {
  readonly _tag: "LinkedRecord"
  readonly name: string
  readonly kind: string
  readonly states: ReadonlyArray<string>
  readonly recordType: string | undefined
  readonly direction: "out" | "in" | "either"
  readonly mode: "all" | "any"
}

/**
 * What a custom guard answers: `true` (met), `false` (unmet, with the guard's message), or the
 * unmet requirements themselves.
 * @since 0.1.0
 * @category models
 */
export type CustomResult = boolean | ReadonlyArray<{ readonly code: string; readonly message: string }>

/**
 * A host-written check. `R` is what its Effect needs; workflows carry it to `Workflow.step`.
 * @since 0.1.0
 * @category models
 */
export interface Custom<R = never> {
  readonly _tag: "Custom"
  readonly name: string
  readonly message: string
  readonly check: (ctx: GuardContext) => Effect.Effect<CustomResult, never, R>
}

/**
 * Any guard. Only custom guards need services, so only they carry `R`.
 * @since 0.1.0
 * @category models
 */
export type Guard<R = never> =
  | RequiredFields
  | Attachment
  | VerificationRecorded
  | Approvals
  | SeparationOfDuties
  | LinkedRecord
  | Custom<R>

// ---------------------------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------------------------

/**
 * The fields must be filled in. Present means not undefined, null, blank text or an empty list.
 * @since 0.1.0
 * @category constructors
 */
export const requiredFields = (
  fields: ReadonlyArray<Field>,
  options: { readonly name?: string; readonly mode?: "all" | "any" } = {}
): RequiredFields => ({
  _tag: "RequiredFields",
  name: options.name ?? (options.mode === "any" ? "one_of_fields" : "required_fields"),
  fields,
  mode: options.mode ?? "all"
})

/**
 * At least one of the fields must be filled in.
 * @since 0.1.0
 * @category constructors
 */
export const oneOfFields = (fields: ReadonlyArray<Field>, options: { readonly name?: string } = {}): RequiredFields =>
  requiredFields(fields, { ...options, mode: "any" })

/**
 * Evidence of a kind must be attached (at least `min`, default 1).
 * @since 0.1.0
 * @category constructors
 */
export const attachment = (
  kind: string,
  options: { readonly name?: string; readonly min?: number } = {}
): Attachment => ({
  _tag: "Attachment",
  name: options.name ?? `attachment.${kind}`,
  kind,
  min: options.min ?? 1
})

/**
 * A verification must be recorded. `independent`: by someone other than the owner (the creator
 * when the record has no owner). `results`: only these results count. `since` defaults to
 * `entered_state`.
 * @since 0.1.0
 * @category constructors
 */
export const verification = (
  options: {
    readonly name?: string
    readonly independent?: boolean
    readonly results?: ReadonlyArray<string>
    readonly since?: Since
  } = {}
): VerificationRecorded => ({
  _tag: "VerificationRecorded",
  name: options.name ?? "verification",
  independent: options.independent ?? false,
  results: options.results,
  since: options.since ?? "entered_state"
})

/**
 * At least `count` distinct people must have approved. `independent`: the owner's approval does
 * not count. `since` defaults to `entered_state`.
 * @since 0.1.0
 * @category constructors
 */
export const approvals = (
  count: number,
  options: { readonly name?: string; readonly independent?: boolean; readonly since?: Since } = {}
): Approvals => ({
  _tag: "Approvals",
  name: options.name ?? "approvals",
  count,
  independent: options.independent ?? false,
  since: options.since ?? "entered_state"
})

/**
 * The actor performing the transition must not be the record's owner, its creator, or the one
 * who last performed `transition`.
 * @since 0.1.0
 * @category constructors
 */
export const separationOfDuties = (
  notThe: "owner" | "creator" | { readonly performerOf: string },
  options: { readonly name?: string } = {}
): SeparationOfDuties => {
  const duty: Duty =
    notThe === "owner"
      ? { _tag: "Owner" }
      : notThe === "creator"
        ? { _tag: "Creator" }
        : { _tag: "Performer", transition: notThe.performerOf }
  const suffix = duty._tag === "Performer" ? `performer.${duty.transition}` : notThe
  return { _tag: "SeparationOfDuties", name: options.name ?? `separation_of_duties.${suffix}`, notThe: duty }
}

/**
 * Records linked with `kind` must be in one of `states`: `all` of them (and at least one
 * linked), or `any` one. `direction` defaults to `out`.
 * @since 0.1.0
 * @category constructors
 */
export const linkedRecord = (options: {
  readonly kind: string
  readonly states: string | ReadonlyArray<string>
  readonly recordType?: string
  readonly direction?: "out" | "in" | "either"
  readonly mode?: "all" | "any"
  readonly name?: string
}): LinkedRecord => ({
  _tag: "LinkedRecord",
  name: options.name ?? `linked_record.${options.kind}`,
  kind: options.kind,
  states: typeof options.states === "string" ? [options.states] : options.states,
  recordType: options.recordType,
  direction: options.direction ?? "out",
  mode: options.mode ?? "all"
})

/**
 * A host-written check. Return `false` to fail with `message`, or a list of unmet requirements.
 * @since 0.1.0
 * @category constructors
 */
export const custom = <R = never>(
  name: string,
  check: (ctx: GuardContext) => Effect.Effect<CustomResult, never, R>,
  options: { readonly message?: string } = {}
): Custom<R> => ({
  _tag: "Custom",
  name,
  message: options.message ?? `Requirement not met: ${humanize(name)}`,
  check
})

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/**
 * `rootCause.method` → `root cause method`; `dueAt` → `due at`.
 * @since 0.1.0
 * @category utils
 */
export const humanize = (path: string): string =>
  path
    .split(/[._]/)
    .filter((s) => s.length > 0)
    .map((s) => s.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase())
    .join(" ")

const capitalize = (s: string): string => (s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1))

/**
 * The value at a dotted path in the record's data (array indexes allowed), or undefined.
 * @since 0.1.0
 * @category utils
 */
export const valueAt = (data: unknown, path: string): unknown => {
  let current: unknown = data
  for (const segment of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined
    current = Object.hasOwn(current, segment) ? (current as Record<string, unknown>)[segment] : undefined
  }
  return current
}

/**
 * Is the value filled in: not undefined, null, blank text or an empty list?
 * @since 0.1.0
 * @category utils
 */
export const isPresent = (value: unknown): boolean =>
  value !== undefined &&
  value !== null &&
  !(typeof value === "string" && value.trim().length === 0) &&
  !(Array.isArray(value) && value.length === 0)

const fieldPath = (field: Field): string => (typeof field === "string" ? field : field.path)
const fieldLabel = (field: Field): string => (typeof field === "string" ? humanize(field) : field.label)

/**
 * The owner of the record for separation of duties: its owner, or its creator if it has none.
 * @since 0.1.0
 * @category utils
 */
export const responsible = (ctx: GuardContext): ActorId => ctx.record.ownerId ?? ctx.record.createdBy

/**
 * When the record last entered its current state, if its history says.
 * @since 0.1.0
 * @category utils
 */
export const enteredStateAt = (ctx: GuardContext): DateTime.Utc | undefined => {
  let at: DateTime.Utc | undefined
  for (const entry of ctx.history) {
    if (entry.to === ctx.record.state && (at === undefined || DateTime.greaterThan(entry.at, at))) at = entry.at
  }
  return at
}

const inRound = <A extends { readonly at: DateTime.Utc }>(
  ctx: GuardContext,
  since: Since,
  entries: ReadonlyArray<A>
): ReadonlyArray<A> => {
  const from = since === "entered_state" ? enteredStateAt(ctx) : undefined
  return from === undefined ? entries : entries.filter((e) => DateTime.greaterThanOrEqualTo(e.at, from))
}

const unmet = (guard: string, code: string, message: string): UnmetRequirement => ({ guard, code, message })

const checkRequiredFields = (guard: RequiredFields, ctx: GuardContext): ReadonlyArray<UnmetRequirement> => {
  const missing = guard.fields.filter((f) => !isPresent(valueAt(ctx.record.data, fieldPath(f))))
  if (guard.mode === "all") {
    return missing.map((f) => unmet(guard.name, "field.required", `${capitalize(fieldLabel(f))} must be filled in`))
  }
  return missing.length < guard.fields.length
    ? []
    : [
        unmet(
          guard.name,
          "field.one_of_required",
          guard.fields.length === 1
            ? `${capitalize(fieldLabel(guard.fields[0]!))} must be filled in`
            : `One of these must be filled in: ${guard.fields.map(fieldLabel).join(", or ")}`
        )
      ]
}

const checkAttachment = (guard: Attachment, ctx: GuardContext): ReadonlyArray<UnmetRequirement> => {
  const found = ctx.attachments.filter((a) => a.kind === guard.kind).length
  if (found >= guard.min) return []
  return [
    unmet(
      guard.name,
      "attachment.missing",
      guard.min === 1
        ? `Evidence of kind '${guard.kind}' must be attached`
        : `At least ${guard.min} attachments of kind '${guard.kind}' must be attached (${found} attached)`
    )
  ]
}

const checkVerification = (guard: VerificationRecorded, ctx: GuardContext): ReadonlyArray<UnmetRequirement> => {
  const round = inRound(ctx, guard.since, ctx.verifications)
  const owner = responsible(ctx)
  const independent = guard.independent ? round.filter((v) => v.by !== owner) : round
  const accepted =
    guard.results === undefined
      ? independent
      : independent.filter((v) => v.result !== undefined && guard.results!.includes(v.result))
  if (accepted.length > 0) return []
  if (round.length === 0) return [unmet(guard.name, "verification.missing", "A verification must be recorded")]
  if (independent.length === 0) {
    return [
      unmet(
        guard.name,
        "verification.not_independent",
        "The verification must be recorded by someone other than the owner of this record"
      )
    ]
  }
  return [
    unmet(
      guard.name,
      "verification.result",
      `A verification with the result ${guard.results!.map((r) => `'${r}'`).join(" or ")} must be recorded`
    )
  ]
}

const checkApprovals = (guard: Approvals, ctx: GuardContext): ReadonlyArray<UnmetRequirement> => {
  const owner = responsible(ctx)
  const counted = inRound(ctx, guard.since, ctx.approvals).filter((a) => !guard.independent || a.by !== owner)
  const distinct = new Set(counted.map((a) => a.by)).size
  if (distinct >= guard.count) return []
  const others = guard.independent ? " other than the owner" : ""
  return [
    unmet(
      guard.name,
      "approvals.insufficient",
      guard.count === 1
        ? `An approval from someone${others} is required`
        : `${guard.count} approvals from different people${others} are required (${distinct} given)`
    )
  ]
}

const checkSeparation = (guard: SeparationOfDuties, ctx: GuardContext): ReadonlyArray<UnmetRequirement> => {
  const actor = ctx.actor.actorId
  switch (guard.notThe._tag) {
    case "Owner":
      return ctx.record.ownerId === actor
        ? [unmet(guard.name, "separation_of_duties.owner", "Someone other than the owner of this record must do this")]
        : []
    case "Creator":
      return ctx.record.createdBy === actor
        ? [
            unmet(
              guard.name,
              "separation_of_duties.creator",
              "Someone other than the person who raised this record must do this"
            )
          ]
        : []
    case "Performer": {
      const transition = guard.notThe.transition
      let last: GuardContext["history"][number] | undefined
      for (const entry of ctx.history) {
        if (entry.transition === transition && (last === undefined || DateTime.greaterThanOrEqualTo(entry.at, last.at)))
          last = entry
      }
      return last !== undefined && last.by === actor
        ? [
            unmet(
              guard.name,
              "separation_of_duties.performer",
              `Someone other than the person who did '${humanize(transition)}' must do this`
            )
          ]
        : []
    }
  }
}

const checkLinkedRecord = (guard: LinkedRecord, ctx: GuardContext): ReadonlyArray<UnmetRequirement> => {
  const links = ctx.links.filter(
    (l) =>
      l.kind === guard.kind &&
      (guard.direction === "either" || l.direction === guard.direction) &&
      (guard.recordType === undefined || l.recordType === guard.recordType)
  )
  const what = guard.recordType === undefined ? "record" : guard.recordType
  const states = guard.states.map((s) => `'${s}'`).join(" or ")
  if (links.length === 0) {
    return [
      unmet(guard.name, "link.missing", `A linked ${what} (${humanize(guard.kind)}) in state ${states} is required`)
    ]
  }
  const wrong = links.filter((l) => !guard.states.includes(l.state))
  if (guard.mode === "any") {
    return wrong.length < links.length
      ? []
      : [
          unmet(
            guard.name,
            "link.state",
            `At least one linked ${what} (${humanize(guard.kind)}) must be in state ${states}`
          )
        ]
  }
  return wrong.map((l) =>
    unmet(
      guard.name,
      "link.state",
      `Linked ${l.recordType} ${l.recordId} (${humanize(guard.kind)}) must be in state ${states}; it is '${l.state}'`
    )
  )
}

/**
 * Every requirement this guard finds unmet; empty when the guard is satisfied.
 * @since 0.1.0
 * @category evaluation
 */
export const evaluate = <R = never>(
  guard: Guard<R>,
  ctx: GuardContext
): Effect.Effect<ReadonlyArray<UnmetRequirement>, never, R> => {
  switch (guard._tag) {
    case "RequiredFields":
      return Effect.succeed(checkRequiredFields(guard, ctx))
    case "Attachment":
      return Effect.succeed(checkAttachment(guard, ctx))
    case "VerificationRecorded":
      return Effect.succeed(checkVerification(guard, ctx))
    case "Approvals":
      return Effect.succeed(checkApprovals(guard, ctx))
    case "SeparationOfDuties":
      return Effect.succeed(checkSeparation(guard, ctx))
    case "LinkedRecord":
      return Effect.succeed(checkLinkedRecord(guard, ctx))
    case "Custom":
      return Effect.map(guard.check(ctx), (result) =>
        result === true
          ? []
          : result === false
            ? [unmet(guard.name, guard.name, guard.message)]
            : result.map((u) => unmet(guard.name, u.code, u.message))
      )
  }
}

/**
 * Every requirement the guards find unmet, in guard order; never stops at the first.
 * @since 0.1.0
 * @category evaluation
 */
export const evaluateAll = <R = never>(
  guards: ReadonlyArray<Guard<R>>,
  ctx: GuardContext
): Effect.Effect<ReadonlyArray<UnmetRequirement>, never, R> =>
  Effect.map(
    Effect.forEach(guards, (g) => evaluate(g, ctx)),
    (lists) => lists.flat()
  )
