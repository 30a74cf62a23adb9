/**
 * What follows a record change, declared in the module next to the record type: "when a finding is
 * raised, give its owner a response task and an email; when it closes, complete its open tasks".
 * Rules run in the command's transaction, so their tasks and emails commit or roll back with it.
 * This is the one home of a command's side effects: actions do not create tasks or send emails.
 *
 * ```ts
 * Rule.make({
 *   name: "finding_raised", recordType: "finding", on: Rule.created,
 *   reactions: [
 *     Rule.task({ kind: "finding_response", title: (r) => `Respond to ${r.ref}`, assignee: Rule.owner }),
 *     Rule.notify({ template: raisedTemplate, to: Rule.owner, params: (r) => ({ ref: r.ref }) })
 *   ]
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Actor, Guard } from "@airworthy/core"
import { Notify, type Template } from "@airworthy/notify"
import { type QmsRecord, RecordHooks } from "@airworthy/records"
import { Directory } from "@airworthy/storage"
import { type Task, Tasks } from "@airworthy/tasks"
import { Effect, Option } from "effect"

/**
 * Which change a rule follows: the record's creation, one transition by name, entering a state (by
 * any transition), reaching any terminal state of its workflow, or an edit that changes a data
 * field (`changes("level")`).
 * @since 0.1.0
 * @category models
 */
export type Trigger =
  | { readonly _tag: "created" }
  | { readonly _tag: "transition"; readonly name: string }
  | { readonly _tag: "enters"; readonly state: string }
  | { readonly _tag: "ends" }
  | { readonly _tag: "changes"; readonly path: string }

/** @since 0.1.0 @category triggers */
export const created: Trigger = { _tag: "created" }
/** @since 0.1.0 @category triggers */
export const transition = (name: string): Trigger => ({ _tag: "transition", name })
/** @since 0.1.0 @category triggers */
export const enters = (state: string): Trigger => ({ _tag: "enters", state })
/** @since 0.1.0 @category triggers */
export const ends: Trigger = { _tag: "ends" }
/**
 * An edit (`updated`) after which the data field at `path` (dotted) differs from before.
 * @since 0.1.0
 * @category triggers
 */
export const changes = (path: string): Trigger => ({ _tag: "changes", path })

/**
 * Who a task or email is for: people named by the record (its owner, its creator, a data path such
 * as `data.responsible`), the holders of a role in the `Directory`, or any function of the record.
 * @since 0.1.0
 * @category models
 */
export type Who =
  | { readonly _tag: "field"; readonly path: string }
  | { readonly _tag: "role"; readonly role: string }
  | { readonly _tag: "of"; readonly pick: (record: QmsRecord.QmsRecord) => ReadonlyArray<string | null | undefined> }

/**
 * The record's owner, else whoever created it.
 * @since 0.1.0
 * @category people
 */
export const owner: Who = { _tag: "of", pick: (r) => [r.ownerId ?? r.createdBy] }

/**
 * A field of the record: `ownerId`, `createdBy`, or a data path (`data.responsible`).
 * @since 0.1.0
 * @category people
 */
export const field = (path: string): Who => ({ _tag: "field", path })

/**
 * The holders of a role in the tenant's `Directory` (a task goes to the first of them).
 * @since 0.1.0
 * @category people
 */
export const role = (name: string): Who => ({ _tag: "role", role: name })

/**
 * Anyone the record names.
 * @since 0.1.0
 * @category people
 */
export const of = (pick: (record: QmsRecord.QmsRecord) => ReadonlyArray<string | null | undefined>): Who => ({
  _tag: "of",
  pick
})

/**
 * What the rule does.
 * - `task`: a task for one person, linked to the record (and any other records named);
 * - `notify`: an email from a template to people;
 * - `closeTasks`: the record's open tasks are completed (or cancelled), all or only some kinds;
 * - `run`: anything else, as an Effect in the same transaction.
 * @since 0.1.0
 * @category models
 */
export type Reaction =
  | {
      readonly _tag: "task"
      readonly kind: (change: RecordHooks.Change) => string
      readonly title: (record: QmsRecord.QmsRecord) => string
      readonly assignee: Who
      readonly owner?: Who
      readonly priority?: (record: QmsRecord.QmsRecord) => Task.Priority | undefined
      readonly dueAt?: (record: QmsRecord.QmsRecord) => string | null | undefined
      readonly alsoLinks?: (record: QmsRecord.QmsRecord) => ReadonlyArray<Task.RecordRef>
    }
  | {
      readonly _tag: "notify"
      // biome-ignore lint/suspicious/noExplicitAny: each rule's template has its own parameters.
      readonly template: Template.Template<string, any, any>
      readonly to: Who
      readonly params: (record: QmsRecord.QmsRecord) => unknown
    }
  | {
      readonly _tag: "closeTasks"
      readonly outcome: "complete" | "cancel" | "by_end_state"
      readonly kinds?: (kind: string) => boolean
    }
  | { readonly _tag: "run"; readonly run: (change: RecordHooks.Change) => Effect.Effect<void, Failure, Needs> }

/**
 * What a rule's `run` may use: the records hook services and the tasks, directory and outbox.
 * @since 0.1.0
 * @category models
 */
export type Needs = RecordHooks.Services | Tasks.Tasks | Directory.Directory | Notify.Notify

/**
 * What a rule may fail with (the command then fails and nothing is written).
 * @since 0.1.0
 * @category models
 */
export type Failure = RecordHooks.Failure

/**
 * A task for one person.
 * @since 0.1.0
 * @category reactions
 */
export const task = (spec: {
  readonly kind: string | ((change: RecordHooks.Change) => string)
  readonly title: (record: QmsRecord.QmsRecord) => string
  readonly assignee: Who
  readonly owner?: Who
  readonly priority?: (record: QmsRecord.QmsRecord) => Task.Priority | undefined
  readonly dueAt?: (record: QmsRecord.QmsRecord) => string | null | undefined
  readonly alsoLinks?: (record: QmsRecord.QmsRecord) => ReadonlyArray<Task.RecordRef>
}): Reaction => {
  const kind = spec.kind
  return { ...spec, _tag: "task", kind: typeof kind === "string" ? () => kind : kind }
}

/**
 * An email from a template to people (those the directory has no address for are skipped: their
 * tasks still reach them).
 * @since 0.1.0
 * @category reactions
 */
export const notify = <K extends string, P, I>(spec: {
  readonly template: Template.Template<K, P, I>
  readonly to: Who
  readonly params: (record: QmsRecord.QmsRecord) => I
}): Reaction => ({ _tag: "notify", ...spec })

/**
 * The record's open tasks are completed, or cancelled, or completed when the record reached a
 * terminal state named `closed` and cancelled otherwise (`by_end_state`). A task the actor may not
 * complete stays open for its owner.
 * @since 0.1.0
 * @category reactions
 */
export const closeTasks = (
  outcome: "complete" | "cancel" | "by_end_state",
  kinds?: (kind: string) => boolean
): Reaction => ({ _tag: "closeTasks", outcome, ...(kinds === undefined ? {} : { kinds }) })

/**
 * Anything else, in the same transaction.
 * @since 0.1.0
 * @category reactions
 */
export const run = (body: (change: RecordHooks.Change) => Effect.Effect<void, Failure, Needs>): Reaction => ({
  _tag: "run",
  run: body
})

/**
 * One rule.
 * @since 0.1.0
 * @category models
 */
export interface Rule {
  /** Lower-case words; the hook's name and the `rule` recorded on the tasks it creates. */
  readonly name: string
  readonly recordType: string
  readonly on: Trigger
  readonly reactions: ReadonlyArray<Reaction>
}

const rulePattern = /^[a-z][a-z0-9_]*$/

/**
 * Declares a rule; throws when its name is malformed.
 * @since 0.1.0
 * @category constructors
 */
export const make = (rule: Rule): Rule => {
  if (!rulePattern.test(rule.name)) throw new Error(`Rule "${rule.name}" must be lower-case words`)
  return rule
}

const fieldValue = (record: QmsRecord.QmsRecord, path: string): string | undefined => {
  const direct: Record<string, unknown> = { ownerId: record.ownerId, createdBy: record.createdBy }
  const v = Object.hasOwn(direct, path) ? direct[path] : Guard.valueAt(record.data, path.replace(/^data\./, ""))
  return typeof v === "string" && v.trim() !== "" ? v : undefined
}

const people = (
  directory: Directory.Service,
  tenantId: string,
  record: QmsRecord.QmsRecord,
  who: Who
): Effect.Effect<ReadonlyArray<string>, Failure> => {
  const clean = (ids: ReadonlyArray<unknown>) => [
    ...new Set(ids.filter((x): x is string => typeof x === "string" && x.trim() !== ""))
  ]
  switch (who._tag) {
    case "field":
      return Effect.succeed(clean([fieldValue(record, who.path)]))
    case "role":
      return Effect.map(directory.usersWithRole(tenantId, who.role), clean)
    case "of":
      return Effect.succeed(clean(who.pick(record)))
  }
}

/**
 * A date (`2026-05-01`) or date-time as an ISO-8601 date-time, as tasks expect; undefined when
 * absent or unreadable.
 * @since 0.1.0
 * @category utils
 */
export const toDateTime = (value: string | null | undefined): string | undefined => {
  if (value === null || value === undefined || value.trim() === "") return undefined
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/**
 * Queues a notification to the given people (by actor id), in the current transaction. People the
 * directory has no address for are skipped.
 * @since 0.1.0
 * @category reactions
 */
export const tell = <K extends string, P, I>(
  actorIds: ReadonlyArray<string | null | undefined>,
  template: Template.Template<K, P, I>,
  params: I,
  record: { readonly type: string; readonly id: string }
): Effect.Effect<void, Failure, Notify.Notify | Directory.Directory | Actor.CurrentActor> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const directory = yield* Directory.Directory
    const ids = [...new Set(actorIds.filter((x): x is string => typeof x === "string" && x !== ""))]
    const recipients: Array<{ email: string; name: string }> = []
    for (const id of ids) {
      const contact = yield* directory.contactOf(actor.tenantId, id)
      if (Option.isSome(contact)) recipients.push({ email: contact.value.email, name: contact.value.displayName })
    }
    if (recipients.length === 0) return
    yield* Notify.enqueue({ template, params, recipients, record })
  })

const closeOpenTasks = (
  rule: string,
  tasks: Tasks.Service,
  change: RecordHooks.Change,
  outcome: "complete" | "cancel" | "by_end_state",
  kinds: (kind: string) => boolean
) =>
  Effect.gen(function* () {
    const r = change.record
    const complete = outcome === "complete" || (outcome === "by_end_state" && change.transition?.to === "closed")
    for (const t of yield* tasks.byRecord({ type: r.type, id: r.id })) {
      if ((t.status !== "open" && t.status !== "in_progress") || !kinds(t.kind)) continue
      // As the rule, not as the actor: whoever moved the record on need not hold task permissions.
      yield* tasks.closeByRule({ id: t.id }, complete ? "complete" : "cancel", rule)
    }
  })

const perform = (
  rule: string,
  reaction: Reaction,
  services: { readonly tasks: Tasks.Service; readonly directory: Directory.Service },
  change: RecordHooks.Change
): Effect.Effect<void, Failure, Needs> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const r = change.record
    switch (reaction._tag) {
      case "task": {
        const assignee = (yield* people(services.directory, actor.tenantId, r, reaction.assignee))[0]
        const owner =
          reaction.owner === undefined
            ? assignee
            : (yield* people(services.directory, actor.tenantId, r, reaction.owner))[0]
        const due = toDateTime(reaction.dueAt?.(r))
        const priority = reaction.priority?.(r)
        yield* services.tasks.createByRule(
          {
            kind: reaction.kind(change),
            title: reaction.title(r).slice(0, 500),
            records: [{ type: r.type, id: r.id }, ...(reaction.alsoLinks?.(r) ?? [])],
            ...(owner === undefined ? {} : { ownerId: owner }),
            ...(assignee === undefined ? {} : { assigneeId: assignee }),
            ...(priority === undefined ? {} : { priority }),
            ...(due === undefined ? {} : { dueAt: due })
          },
          rule
        )
        return
      }
      case "notify": {
        const to = yield* people(services.directory, actor.tenantId, r, reaction.to)
        yield* tell(to, reaction.template, reaction.params(r), { type: r.type, id: r.id })
        return
      }
      case "closeTasks":
        return yield* closeOpenTasks(rule, services.tasks, change, reaction.outcome, reaction.kinds ?? (() => true))
      case "run":
        return yield* reaction.run(change)
    }
  })

/**
 * Performs reactions for a change, as the named rule (for a `run` reaction that decides at run time
 * what to do, e.g. one task per planned action).
 * @since 0.1.0
 * @category reactions
 */
export const react = (
  change: RecordHooks.Change,
  rule: string,
  reactions: ReadonlyArray<Reaction>
): Effect.Effect<void, Failure, Needs> =>
  Effect.gen(function* () {
    const services = { tasks: yield* Tasks.Tasks, directory: yield* Directory.Directory }
    for (const reaction of reactions) yield* perform(rule, reaction, services, change)
  })

/**
 * The rules as records hooks, over the `Tasks`, `Directory` and `Notify` services in context when
 * the layer is built.
 * @since 0.1.0
 * @category constructors
 */
export const hooks = (
  rules: ReadonlyArray<Rule>
): Effect.Effect<ReadonlyArray<RecordHooks.Hook>, never, Tasks.Tasks | Directory.Directory | Notify.Notify> =>
  Effect.gen(function* () {
    const names = new Set<string>()
    for (const r of rules) {
      if (names.has(r.name)) return yield* Effect.dieMessage(`Rule "${r.name}" is declared twice`)
      names.add(r.name)
    }
    const services = { tasks: yield* Tasks.Tasks, directory: yield* Directory.Directory }
    const context = yield* Effect.context<Tasks.Tasks | Directory.Directory | Notify.Notify>()
    return rules.map((rule): RecordHooks.Hook => {
      const body: RecordHooks.Run = (change) =>
        Effect.forEach(rule.reactions, (reaction) => perform(rule.name, reaction, services, change), {
          discard: true
        }).pipe(Effect.provide(context))
      const options = { type: rule.recordType, name: `rule.${rule.name}` }
      const on = rule.on
      switch (on._tag) {
        case "created":
          return RecordHooks.onCreated(body, options)
        case "transition":
          return RecordHooks.onTransition(on.name, body, options)
        case "enters":
          return RecordHooks.on("transitioned", (c) => (c.transition?.to === on.state ? body(c) : Effect.void), options)
        case "changes":
          return RecordHooks.on(
            "updated",
            (c) =>
              c.before !== undefined &&
              JSON.stringify(Guard.valueAt(c.before.data, on.path)) !==
                JSON.stringify(Guard.valueAt(c.record.data, on.path))
                ? body(c)
                : Effect.void,
            options
          )
        default:
          return RecordHooks.on("transitioned", (c) => (c.record.closedAt !== null ? body(c) : Effect.void), options)
      }
    })
  })
