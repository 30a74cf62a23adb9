/**
 * Workflow definitions as data, their validation, and the pure transition step.
 *
 * A definition names its states, the initial and terminal states, and the transitions between
 * them, each with the permission it needs, its guards, and whether the command must give a reason
 * or a signature. `make` checks a definition once; `step` decides one command against a
 * `GuardContext` without any I/O; `available` tells a UI what each next step is blocked by.
 *
 * @since 0.1.0
 */
import { Array as Arr, Effect, Either, Schema } from "effect"
import { dual } from "effect/Function"
import type { UnmetRequirement } from "./Errors.js"
import {
  type FieldIssue,
  type Forbidden,
  GuardsFailed,
  InvalidTransition,
  problemBase,
  ValidationFailed
} from "./Errors.js"
import * as Guard from "./Guard.js"
import * as Policy from "./Policy.js"

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

/**
 * What a signature given with a transition means. The usual meanings are listed; any is allowed.
 * @since 0.1.0
 * @category models
 */
export type SignatureMeaning = "approved" | "verified" | "reviewed" | "authored" | (string & {})

/**
 * A signature the command must carry, with its meaning.
 * @since 0.1.0
 * @category models
 */
export interface SignatureRequirement {
  readonly meaning: SignatureMeaning
}

/**
 * A state: how to show it, and which data fields may be edited while the record is in it.
 * @since 0.1.0
 * @category models
 */
export interface StateDefinition {
  readonly label?: string
  readonly description?: string
  /** Dotted data paths editable in this state; `rootCause` also allows `rootCause.method`. None if absent. */
  readonly editable?: ReadonlyArray<string>
}

/**
 * A transition as written in a definition.
 * @since 0.1.0
 * @category models
 */
export interface TransitionDefinition<R = never> {
  readonly name: string
  readonly label?: string
  readonly description?: string
  readonly from: string | ReadonlyArray<string>
  readonly to: string
  readonly permission: Policy.Permission
  readonly guards?: ReadonlyArray<Guard.Guard<R>>
  readonly reasonRequired?: boolean
  readonly signature?: SignatureRequirement
}

/**
 * A workflow definition. `R` is what its custom guards need.
 * @since 0.1.0
 * @category models
 */
export interface Definition<R = never> {
  readonly name: string
  readonly label?: string
  readonly states: { readonly [state: string]: StateDefinition }
  readonly initial: string
  readonly terminal: ReadonlyArray<string>
  readonly transitions: ReadonlyArray<TransitionDefinition<R>>
}

/**
 * A state of a checked workflow, with its defaults filled in.
 * @since 0.1.0
 * @category models
 */
export interface State {
  readonly label: string
  readonly description?: string
  readonly editable: ReadonlyArray<string>
}

/**
 * A transition of a checked workflow, with its defaults filled in.
 * @since 0.1.0
 * @category models
 */
export interface Transition<R = never> {
  readonly name: string
  readonly label: string
  readonly description?: string
  readonly from: ReadonlyArray<string>
  readonly to: string
  readonly permission: Policy.Permission
  readonly guards: ReadonlyArray<Guard.Guard<R>>
  readonly reasonRequired: boolean
  readonly signature?: SignatureRequirement
}

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("@airworthy/core/Workflow")
/** @since 0.1.0 @category symbols */
export type TypeId = typeof TypeId

/**
 * A checked workflow: only `make` and `extend` build one, so every value of this type is valid.
 * It is itself a `Definition`, with defaults filled in. Covariant in `R` through `[TypeId]`; it
 * carries no `out` annotation because the published declaration bundle re-exports it as a type
 * alias, where TypeScript refuses variance annotations (TS2637 under `skipLibCheck: false`).
 * @since 0.1.0
 * @category models
 */
export interface Workflow<R = never> extends Definition<R> {
  readonly [TypeId]: { readonly _R: (_: never) => R }
  readonly label: string
  readonly states: { readonly [state: string]: State }
  readonly transitions: ReadonlyArray<Transition<R>>
}

/**
 * Is this a checked workflow?
 * @since 0.1.0
 * @category guards
 */
export const isWorkflow = (u: unknown): u is Workflow<unknown> => typeof u === "object" && u !== null && TypeId in u

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/**
 * One thing wrong with a definition, with where it is.
 * @since 0.1.0
 * @category models
 */
export const DefinitionProblem = Schema.Struct({ code: Schema.String, path: Schema.String, message: Schema.String })
/** @since 0.1.0 @category models */
export type DefinitionProblem = typeof DefinitionProblem.Type

/**
 * A workflow definition was rejected; every problem is listed.
 * @since 0.1.0
 * @category errors
 */
export class WorkflowDefinitionError extends Schema.TaggedError<WorkflowDefinitionError>()("WorkflowDefinitionError", {
  workflow: Schema.String,
  problems: Schema.NonEmptyArray(DefinitionProblem)
}) {
  static readonly problem = {
    problemType: `${problemBase}workflow-definition-invalid`,
    title: "Invalid workflow definition",
    status: 500,
    code: "workflow_definition_invalid"
  } as const
  readonly problemType = WorkflowDefinitionError.problem.problemType
  readonly title = WorkflowDefinitionError.problem.title
  readonly status = WorkflowDefinitionError.problem.status
  readonly code = WorkflowDefinitionError.problem.code
  override get message() {
    return `Workflow '${this.workflow}' is invalid: ${this.problems.map((p) => p.message).join("; ")}`
  }
}

const identifier = /^[A-Za-z][A-Za-z0-9_]*$/
const dataPath = /^[A-Za-z0-9_$]+(\.[A-Za-z0-9_$]+)*$/
const permissionPattern = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/
const guardTags: ReadonlyArray<string> = [
  "RequiredFields",
  "Attachment",
  "VerificationRecorded",
  "Approvals",
  "SeparationOfDuties",
  "LinkedRecord",
  "Custom"
]

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const isText = (u: unknown): u is string => typeof u === "string" && u.trim().length > 0
const quote = (u: unknown): string => (typeof u === "string" ? `'${u}'` : String(u))
const isCount = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 1
const asList = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : typeof u === "string" ? [u] : [])

/**
 * `response_submitted` → `Response submitted`.
 * @since 0.1.0
 * @category utils
 */
export const labelOf = (name: string): string => {
  const words = Guard.humanize(name)
  return words.length === 0 ? name : words[0]!.toUpperCase() + words.slice(1)
}

class Problems {
  readonly list: Array<DefinitionProblem> = []
  add(code: string, path: string, message: string) {
    this.list.push({ code, path, message })
  }
}

const checkGuard = (
  problems: Problems,
  guard: unknown,
  where: string,
  owner: string,
  transitionNames: ReadonlySet<string>
): string | undefined => {
  if (!isRecord(guard) || typeof guard._tag !== "string" || !guardTags.includes(guard._tag)) {
    const tag = isRecord(guard) ? quote(guard._tag) : quote(guard)
    problems.add("unknown_guard", where, `${owner} uses an unknown guard ${tag}`)
    return undefined
  }
  const name = guard.name
  if (!isText(name)) {
    problems.add("invalid_guard", where, `${owner} has a ${guard._tag} guard without a name`)
    return undefined
  }
  const path = `${where}.${name}`
  const the = `Guard '${name}' of ${owner.charAt(0).toLowerCase()}${owner.slice(1)}`
  const bad = (message: string) => problems.add("invalid_guard", path, `${the} ${message}`)
  const checkSince = (since: unknown) => {
    if (since !== "ever" && since !== "entered_state") bad(`has since ${quote(since)}; use 'ever' or 'entered_state'`)
  }
  switch (guard._tag) {
    case "RequiredFields": {
      const fields = Array.isArray(guard.fields) ? guard.fields : []
      if (fields.length === 0) bad("lists no fields")
      for (const field of fields) {
        const fieldPath = isRecord(field) ? field.path : field
        if (typeof fieldPath !== "string" || !dataPath.test(fieldPath))
          bad(`has an invalid field path ${quote(fieldPath)}`)
        if (isRecord(field) && !isText(field.label)) bad(`has an empty label for field ${quote(fieldPath)}`)
      }
      if (guard.mode !== "all" && guard.mode !== "any") bad(`has mode ${quote(guard.mode)}; use 'all' or 'any'`)
      break
    }
    case "Attachment":
      if (!isText(guard.kind)) bad("needs an attachment kind")
      if (!isCount(guard.min)) bad(`needs a minimum of at least 1 attachment (got ${quote(guard.min)})`)
      break
    case "VerificationRecorded":
      if (
        guard.results !== undefined &&
        (!Array.isArray(guard.results) || !guard.results.every(isText) || guard.results.length === 0)
      )
        bad("lists no accepted results; leave results out to accept any")
      checkSince(guard.since)
      break
    case "Approvals":
      if (!isCount(guard.count)) bad(`needs a count of at least 1 approval (got ${quote(guard.count)})`)
      checkSince(guard.since)
      break
    case "SeparationOfDuties": {
      const duty = guard.notThe
      if (!isRecord(duty) || (duty._tag !== "Owner" && duty._tag !== "Creator" && duty._tag !== "Performer")) {
        bad("must name the owner, the creator or the performer of a transition")
      } else if (
        duty._tag === "Performer" &&
        !(typeof duty.transition === "string" && transitionNames.has(duty.transition))
      ) {
        problems.add(
          "unknown_transition",
          path,
          `${the} refers to transition ${quote(duty.transition)}, which the workflow does not have`
        )
      }
      break
    }
    case "LinkedRecord":
      if (!isText(guard.kind)) bad("needs a link kind")
      if (!Array.isArray(guard.states) || guard.states.length === 0 || !guard.states.every(isText))
        bad("needs at least one state for the linked record")
      if (guard.direction !== "out" && guard.direction !== "in" && guard.direction !== "either")
        bad(`has direction ${quote(guard.direction)}; use 'out', 'in' or 'either'`)
      if (guard.mode !== "all" && guard.mode !== "any") bad(`has mode ${quote(guard.mode)}; use 'all' or 'any'`)
      break
    case "Custom":
      if (typeof guard.check !== "function") bad("has no check function")
      if (!isText(guard.message)) bad("needs a message saying what is missing")
      break
  }
  return name
}

const validate = <R>(definition: Definition<R>): Either.Either<Workflow<R>, WorkflowDefinitionError> => {
  const problems = new Problems()
  const raw: Record<string, unknown> = isRecord(definition) ? definition : {}
  const workflowName = isText(raw.name) ? raw.name : "(unnamed)"
  if (!isText(raw.name)) problems.add("invalid_name", "name", "The workflow needs a name")

  // States
  const rawStates: Record<string, unknown> = isRecord(raw.states) ? raw.states : {}
  const stateNames = Object.keys(rawStates)
  const known = new Set(stateNames)
  const listed = stateNames.length === 0 ? "none" : stateNames.join(", ")
  if (stateNames.length === 0) problems.add("empty_states", "states", "The workflow has no states")
  const states: Record<string, State> = {}
  for (const name of stateNames) {
    const state = rawStates[name]
    const path = `states.${name}`
    if (!identifier.test(name)) {
      problems.add(
        "invalid_name",
        path,
        `State name '${name}' must start with a letter and use only letters, digits and _`
      )
    }
    if (!isRecord(state)) {
      problems.add("invalid_state", path, `State '${name}' must be an object (use {} for no options)`)
      continue
    }
    const editable = state.editable === undefined ? [] : state.editable
    if (!Array.isArray(editable)) {
      problems.add("invalid_state", `${path}.editable`, `State '${name}' must list its editable fields as an array`)
    } else {
      for (const field of editable) {
        if (typeof field !== "string" || !dataPath.test(field))
          problems.add(
            "invalid_state",
            `${path}.editable`,
            `State '${name}' lists an invalid editable field ${quote(field)}`
          )
      }
    }
    states[name] = {
      label: isText(state.label) ? state.label : labelOf(name),
      ...(isText(state.description) ? { description: state.description } : {}),
      editable: Array.isArray(editable) ? editable.filter((f): f is string => typeof f === "string") : []
    }
  }

  // Initial and terminal states
  const initial = raw.initial
  if (typeof initial !== "string" || !known.has(initial)) {
    problems.add("unknown_state", "initial", `Initial state ${quote(initial)} is not one of the states (${listed})`)
  }
  const terminalList = Array.isArray(raw.terminal) ? raw.terminal : []
  if (!Array.isArray(raw.terminal))
    problems.add("invalid_terminal", "terminal", "Terminal states must be given as a list")
  const terminal = new Set<string>()
  for (const state of terminalList) {
    if (typeof state !== "string" || !known.has(state)) {
      problems.add("unknown_state", "terminal", `Terminal state ${quote(state)} is not one of the states (${listed})`)
    } else if (terminal.has(state)) {
      problems.add("duplicate_terminal", "terminal", `Terminal state '${state}' is listed twice`)
    } else {
      terminal.add(state)
    }
  }

  // Transitions
  const rawTransitions = Array.isArray(raw.transitions) ? raw.transitions : []
  if (!Array.isArray(raw.transitions)) problems.add("invalid_transitions", "transitions", "Transitions must be a list")
  const transitionNames = new Set(
    rawTransitions.flatMap((t) => (isRecord(t) && typeof t.name === "string" ? [t.name] : []))
  )
  const seen = new Set<string>()
  const transitions: Array<Transition<R>> = []
  rawTransitions.forEach((t, index) => {
    if (!isRecord(t)) {
      problems.add("invalid_transition", `transitions[${index}]`, `Transition ${index + 1} must be an object`)
      return
    }
    const name = typeof t.name === "string" ? t.name : ""
    const path = identifier.test(name) ? `transitions.${name}` : `transitions[${index}]`
    const The = identifier.test(name) ? `Transition '${name}'` : `Transition ${index + 1}`
    if (!identifier.test(name)) {
      problems.add(
        "invalid_name",
        path,
        `${The} needs a name that starts with a letter and uses only letters, digits and _`
      )
    } else if (seen.has(name)) {
      problems.add("duplicate_transition", path, `Two transitions are named '${name}'; transition names must be unique`)
    }
    seen.add(name)
    const from = asList(t.from)
    if (from.length === 0) problems.add("invalid_transition", `${path}.from`, `${The} starts from no state`)
    for (const state of from) {
      if (typeof state !== "string" || !known.has(state)) {
        problems.add("unknown_state", `${path}.from`, `${The} starts from unknown state ${quote(state)}`)
      } else if (terminal.has(state)) {
        problems.add(
          "transition_from_terminal",
          `${path}.from`,
          `${The} leaves terminal state '${state}'; terminal states accept no transitions`
        )
      }
    }
    if (typeof t.to !== "string" || !known.has(t.to)) {
      problems.add("unknown_state", `${path}.to`, `${The} goes to unknown state ${quote(t.to)}`)
    }
    if (typeof t.permission !== "string" || !permissionPattern.test(t.permission)) {
      problems.add(
        "invalid_permission",
        `${path}.permission`,
        `${The} needs a permission such as 'record.close' (got ${quote(t.permission)})`
      )
    }
    if (t.reasonRequired !== undefined && typeof t.reasonRequired !== "boolean") {
      problems.add("invalid_transition", `${path}.reasonRequired`, `${The} must set reasonRequired to true or false`)
    }
    if (t.signature !== undefined && !(isRecord(t.signature) && isText(t.signature.meaning))) {
      problems.add(
        "invalid_signature",
        `${path}.signature`,
        `${The} requires a signature but does not say what it means`
      )
    }
    const guards = t.guards === undefined ? [] : Array.isArray(t.guards) ? t.guards : undefined
    if (guards === undefined) problems.add("invalid_transition", `${path}.guards`, `${The} must list its guards`)
    const guardNames = new Set<string>()
    for (const guard of guards ?? []) {
      const guardName = checkGuard(problems, guard, `${path}.guards`, The, transitionNames)
      if (guardName === undefined) continue
      if (guardNames.has(guardName)) {
        problems.add(
          "duplicate_guard",
          `${path}.guards.${guardName}`,
          `${The} has two guards named '${guardName}'; give one of them a different name`
        )
      }
      guardNames.add(guardName)
    }
    transitions.push({
      name,
      label: isText(t.label) ? t.label : labelOf(name),
      ...(isText(t.description) ? { description: t.description } : {}),
      from: from.filter((s): s is string => typeof s === "string"),
      to: typeof t.to === "string" ? t.to : "",
      permission: typeof t.permission === "string" ? t.permission : "",
      guards: (guards ?? []) as ReadonlyArray<Guard.Guard<R>>,
      reasonRequired: t.reasonRequired === true,
      ...(isRecord(t.signature) && isText(t.signature.meaning) ? { signature: { meaning: t.signature.meaning } } : {})
    })
  })

  // The graph: every state reachable, every non-terminal state with a way out and a way to the end
  const outgoing = new Map<string, Array<string>>(stateNames.map((s) => [s, []]))
  for (const t of transitions) {
    if (!known.has(t.to)) continue
    for (const s of t.from) outgoing.get(s)?.push(t.to)
  }
  const reachable = new Set<string>()
  if (typeof initial === "string" && known.has(initial)) {
    const queue = [initial]
    reachable.add(initial)
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
      for (const next of outgoing.get(s) ?? []) {
        if (!reachable.has(next)) {
          reachable.add(next)
          queue.push(next)
        }
      }
    }
    for (const s of stateNames) {
      if (!reachable.has(s)) {
        problems.add(
          "unreachable_state",
          `states.${s}`,
          `State '${s}' cannot be reached from the initial state '${initial}'`
        )
      }
    }
  }
  const reachesEnd = new Set(terminal)
  for (let changed = true; changed; ) {
    changed = false
    for (const s of stateNames) {
      if (!reachesEnd.has(s) && (outgoing.get(s) ?? []).some((n) => reachesEnd.has(n))) {
        reachesEnd.add(s)
        changed = true
      }
    }
  }
  for (const s of stateNames) {
    if (terminal.has(s)) continue
    if ((outgoing.get(s) ?? []).length === 0) {
      problems.add("dead_end", `states.${s}`, `State '${s}' is not terminal but no transition leads out of it`)
    } else if (terminal.size > 0 && reachable.has(s) && !reachesEnd.has(s)) {
      problems.add("no_path_to_terminal", `states.${s}`, `From state '${s}' no terminal state can ever be reached`)
    }
  }

  if (Arr.isNonEmptyReadonlyArray(problems.list)) {
    return Either.left(new WorkflowDefinitionError({ workflow: workflowName, problems: problems.list }))
  }
  const workflow: Workflow<R> = {
    [TypeId]: { _R: (_: never) => _ },
    name: workflowName,
    label: isText(raw.label) ? raw.label : labelOf(workflowName),
    states,
    initial: initial as string,
    terminal: Array.from(terminal),
    transitions
  }
  return Either.right(workflow)
}

/**
 * Checks a definition and returns the workflow, or every problem found. Never throws.
 *
 * The Either can be yielded inside `Effect.gen`.
 * @since 0.1.0
 * @category constructors
 */
export const make = <R = never>(definition: Definition<R>): Either.Either<Workflow<R>, WorkflowDefinitionError> =>
  validate(definition)

/**
 * Like `make`, but throws the `WorkflowDefinitionError`; for definitions fixed in code.
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = <R = never>(definition: Definition<R>): Workflow<R> =>
  Either.getOrThrowWith(make(definition), (error) => error)

// ---------------------------------------------------------------------------------------------
// Extension
// ---------------------------------------------------------------------------------------------

/**
 * Changes to one existing transition.
 * @since 0.1.0
 * @category models
 */
export interface TransitionChange<R = never> {
  readonly permission?: Policy.Permission
  readonly addGuards?: ReadonlyArray<Guard.Guard<R>>
  /** Guard names to drop. */
  readonly removeGuards?: ReadonlyArray<string>
  /** More states the transition may start from. */
  readonly addFrom?: ReadonlyArray<string>
  readonly reasonRequired?: boolean
  /** A new signature requirement, or `null` to drop it. */
  readonly signature?: SignatureRequirement | null
  readonly label?: string
}

/**
 * What a host changes in a workflow. States given for an existing state override its label,
 * description and editable fields.
 * @since 0.1.0
 * @category models
 */
export interface Extension<R = never> {
  readonly name?: string
  readonly label?: string
  readonly states?: { readonly [state: string]: StateDefinition }
  /** More terminal states. */
  readonly terminal?: ReadonlyArray<string>
  readonly transitions?: ReadonlyArray<TransitionDefinition<R>>
  /** Transitions to drop, by name (e.g. before marking their source state terminal). */
  readonly remove?: ReadonlyArray<string>
  readonly change?: { readonly [transition: string]: TransitionChange<R> }
}

const applyChange = <R, R2>(
  problems: Problems,
  transition: Transition<R>,
  change: TransitionChange<R2>
): TransitionDefinition<R | R2> => {
  const removeGuards = change.removeGuards ?? []
  for (const name of removeGuards) {
    if (!transition.guards.some((g) => g.name === name)) {
      problems.add(
        "unknown_guard",
        `change.${transition.name}.removeGuards`,
        `Transition '${transition.name}' has no guard named '${name}' to remove`
      )
    }
  }
  const signature = change.signature === undefined ? transition.signature : (change.signature ?? undefined)
  const { signature: _, ...rest } = transition
  return {
    ...rest,
    ...(change.label !== undefined ? { label: change.label } : {}),
    ...(signature !== undefined ? { signature } : {}),
    from: [...transition.from, ...(change.addFrom ?? []).filter((s) => !transition.from.includes(s))],
    permission: change.permission ?? transition.permission,
    reasonRequired: change.reasonRequired ?? transition.reasonRequired,
    guards: [
      ...transition.guards.filter((g) => !removeGuards.includes(g.name)),
      ...((change.addGuards ?? []) as ReadonlyArray<Guard.Guard<R | R2>>)
    ]
  }
}

const extendImpl = <R, R2>(
  base: Workflow<R>,
  changes: Extension<R2>
): Either.Either<Workflow<R | R2>, WorkflowDefinitionError> => {
  const problems = new Problems()
  const change = changes.change ?? {}
  const remove = changes.remove ?? []
  const names = new Set(base.transitions.map((t) => t.name))
  for (const name of Object.keys(change)) {
    if (!names.has(name))
      problems.add("unknown_transition", `change.${name}`, `There is no transition '${name}' to change`)
    if (remove.includes(name))
      problems.add("conflicting_change", `change.${name}`, `Transition '${name}' is both changed and removed`)
  }
  for (const name of remove) {
    if (!names.has(name)) problems.add("unknown_transition", "remove", `There is no transition '${name}' to remove`)
  }
  const states: Record<string, StateDefinition> = { ...base.states }
  for (const [name, state] of Object.entries(changes.states ?? {})) {
    states[name] = { ...(states[name] ?? {}), ...state }
  }
  const transitions: Array<TransitionDefinition<R | R2>> = []
  for (const t of base.transitions) {
    if (remove.includes(t.name)) continue
    const c = change[t.name]
    transitions.push(c === undefined ? t : applyChange(problems, t, c))
  }
  const merged: Definition<R | R2> = {
    name: changes.name ?? base.name,
    label: changes.label ?? base.label,
    states,
    initial: base.initial,
    terminal: [...base.terminal, ...(changes.terminal ?? []).filter((s) => !base.terminal.includes(s))],
    transitions: [...transitions, ...(changes.transitions ?? [])]
  }
  const result = validate(merged)
  if (problems.list.length === 0) return result
  const all = [...problems.list, ...(Either.isLeft(result) ? result.left.problems : [])]
  return Either.left(
    new WorkflowDefinitionError({ workflow: merged.name, problems: all as Arr.NonEmptyArray<DefinitionProblem> })
  )
}

/**
 * Adds states, transitions and guards to a workflow, changes permissions, marks states terminal;
 * the result is checked like `make`. The base is not changed.
 * @since 0.1.0
 * @category constructors
 */
export const extend: {
  <R2 = never>(
    changes: Extension<R2>
  ): <R>(base: Workflow<R>) => Either.Either<Workflow<R | R2>, WorkflowDefinitionError>
  <R, R2 = never>(base: Workflow<R>, changes: Extension<R2>): Either.Either<Workflow<R | R2>, WorkflowDefinitionError>
} = dual(2, extendImpl)

/**
 * Like `extend`, but throws the `WorkflowDefinitionError`.
 * @since 0.1.0
 * @category constructors
 */
export const unsafeExtend = <R, R2 = never>(base: Workflow<R>, changes: Extension<R2>): Workflow<R | R2> =>
  Either.getOrThrowWith(extendImpl(base, changes), (error) => error)

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

/**
 * Is the state terminal (accepts no transitions)?
 * @since 0.1.0
 * @category queries
 */
export const isTerminal = (workflow: Workflow<unknown>, state: string): boolean => workflow.terminal.includes(state)

/**
 * The transitions that leave a state (none from a terminal or unknown state).
 * @since 0.1.0
 * @category queries
 */
export const transitionsFrom = <R>(workflow: Workflow<R>, state: string): ReadonlyArray<Transition<R>> =>
  isTerminal(workflow, state) ? [] : workflow.transitions.filter((t) => t.from.includes(state))

/**
 * The transition of that name leaving that state, if there is one.
 * @since 0.1.0
 * @category queries
 */
export const findTransition = <R>(workflow: Workflow<R>, state: string, name: string): Transition<R> | undefined =>
  transitionsFrom(workflow, state).find((t) => t.name === name)

/**
 * The data paths editable in a state.
 * @since 0.1.0
 * @category queries
 */
export const editableFields = (workflow: Workflow<unknown>, state: string): ReadonlyArray<string> =>
  workflow.states[state]?.editable ?? []

/**
 * May this data path be changed in this state? `rootCause` being editable allows `rootCause.method`.
 * @since 0.1.0
 * @category queries
 */
export const isEditable = (workflow: Workflow<unknown>, state: string, path: string): boolean =>
  editableFields(workflow, state).some((e) => path === e || path.startsWith(`${e}.`))

/**
 * Fails with `ValidationFailed`, one issue per path, unless every path is editable in the state.
 * @since 0.1.0
 * @category queries
 */
export const checkEditable = (
  workflow: Workflow<unknown>,
  state: string,
  paths: ReadonlyArray<string>
): Effect.Effect<void, ValidationFailed> => {
  const label = workflow.states[state]?.label ?? state
  const issues: Array<FieldIssue> = paths
    .filter((p) => !isEditable(workflow, state, p))
    .map((path) => ({ path, message: `Cannot be changed while the ${workflow.label.toLowerCase()} is '${label}'` }))
  return issues.length === 0 ? Effect.void : Effect.fail(new ValidationFailed({ issues }))
}

// ---------------------------------------------------------------------------------------------
// The step
// ---------------------------------------------------------------------------------------------

/**
 * The outcome of a permitted step: where the record was, where it goes, and by which transition.
 * @since 0.1.0
 * @category models
 */
export interface Step {
  readonly from: string
  readonly to: string
  readonly transition: string
}

const inputIssues = (transition: Transition<unknown>, input: Guard.CommandInput): ReadonlyArray<FieldIssue> => {
  const issues: Array<FieldIssue> = []
  if (transition.reasonRequired && !(typeof input.reason === "string" && input.reason.trim().length > 0)) {
    issues.push({ path: "reason", message: `A reason is required to ${transition.label.toLowerCase()}` })
  }
  const wanted = transition.signature?.meaning
  if (wanted !== undefined) {
    const given = input.signature?.meaning
    if (given === undefined) {
      issues.push({ path: "signature", message: `This step must be signed with the meaning '${wanted}'` })
    } else if (given !== wanted) {
      issues.push({
        path: "signature.meaning",
        message: `The signature must have the meaning '${wanted}', not '${given}'`
      })
    }
  }
  return issues
}

/**
 * Decides one transition command, without I/O. In order: the transition leaves the current state
 * (else `InvalidTransition`); the actor holds its permission (else `Forbidden`); the command has
 * the reason and signature the transition requires (else `ValidationFailed`, both at once); every
 * guard is met (else `GuardsFailed` listing every unmet requirement).
 * @since 0.1.0
 * @category step
 */
export const step = <R>(
  workflow: Workflow<R>,
  ctx: Guard.GuardContext,
  transition: string
): Effect.Effect<Step, InvalidTransition | Forbidden | ValidationFailed | GuardsFailed, R | Policy.Policy> =>
  Effect.gen(function* () {
    const from = ctx.record.state
    const t = findTransition(workflow, from, transition)
    if (t === undefined) return yield* new InvalidTransition({ transition, state: from })
    yield* Policy.authorizeOn(ctx.actor, t.permission, Guard.relationsOf(ctx))
    const issues = inputIssues(t, ctx.input)
    if (issues.length > 0) return yield* new ValidationFailed({ issues })
    const unmet = yield* Guard.evaluateAll(t.guards, ctx)
    if (Arr.isNonEmptyReadonlyArray(unmet)) return yield* new GuardsFailed({ transition, unmet })
    return { from, to: t.to, transition: t.name }
  })

/**
 * One next step as a UI shows it: whether it may be taken now and what blocks it.
 *
 * `allowed` covers the permission and the guards; the reason and signature are asked for when the
 * step is taken (`reasonRequired`, `signature`).
 * @since 0.1.0
 * @category models
 */
export interface Availability {
  readonly transition: string
  readonly label: string
  readonly to: string
  readonly permission: Policy.Permission
  readonly allowed: boolean
  /** Set when the actor lacks the transition's permission. */
  readonly missingPermission?: Policy.Permission
  readonly unmet: ReadonlyArray<UnmetRequirement>
  readonly reasonRequired: boolean
  readonly signature?: SignatureRequirement
}

/**
 * Every transition leaving the record's current state, each with what blocks it.
 * @since 0.1.0
 * @category step
 */
export const available = <R>(
  workflow: Workflow<R>,
  ctx: Guard.GuardContext
): Effect.Effect<ReadonlyArray<Availability>, never, R | Policy.Policy> =>
  Effect.flatMap(Policy.Policy, (rules) =>
    Effect.forEach(transitionsFrom(workflow, ctx.record.state), (t) =>
      Effect.map(Guard.evaluateAll(t.guards, ctx), (unmet): Availability => {
        const permitted = rules.canOn(ctx.actor, t.permission, Guard.relationsOf(ctx))
        return {
          transition: t.name,
          label: t.label,
          to: t.to,
          permission: t.permission,
          allowed: permitted && unmet.length === 0,
          ...(permitted ? {} : { missingPermission: t.permission }),
          unmet,
          reasonRequired: t.reasonRequired,
          ...(t.signature !== undefined ? { signature: t.signature } : {})
        }
      })
    )
  )

// ---------------------------------------------------------------------------------------------
// Diagram
// ---------------------------------------------------------------------------------------------

const mermaidText = (s: string): string => s.replace(/"/g, "#quot;").replace(/[\r\n]+/g, " ")

/**
 * Renders a Mermaid `stateDiagram-v2`: `[*] --> initial`, `terminal --> [*]`, one edge per
 * transition and source state, labelled with the transition name (and its guards if asked).
 * @since 0.1.0
 * @category rendering
 */
export const toMermaid = (
  definition: Definition<unknown> | Workflow<unknown>,
  options: { readonly guards?: boolean } = {}
): string => {
  const lines = ["stateDiagram-v2"]
  for (const [name, state] of Object.entries(definition.states)) {
    lines.push(`  state "${mermaidText(state.label ?? labelOf(name))}" as ${name}`)
  }
  lines.push(`  [*] --> ${definition.initial}`)
  for (const t of definition.transitions) {
    const guards = t.guards ?? []
    const extra = options.guards === true && guards.length > 0 ? ` (${guards.map((g) => g.name).join(", ")})` : ""
    for (const from of typeof t.from === "string" ? [t.from] : t.from) {
      lines.push(`  ${from} --> ${t.to}: ${mermaidText(t.name + extra)}`)
    }
  }
  for (const s of definition.terminal) lines.push(`  ${s} --> [*]`)
  return `${lines.join("\n")}\n`
}
