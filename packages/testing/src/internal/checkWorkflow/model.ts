// The model: what each command should have done to the records, given the database before it.
import { type Actor, Guard, Workflow } from "@airworthy/core"
import type { QmsRecord } from "@airworthy/records"
import { Cause, Effect, Exit, Option } from "effect"
import { describeError, failureKey, stepErrors } from "./failures.js"
import type { Fingerprint, Row } from "./fingerprint.js"
import { broken, checkData, checkEvents } from "./invariants.js"
import { changedPaths, isObject, jsonEquals } from "./recordData.js"
import { describeActor, type ScenarioEffect, type ScenarioState, type Tracked } from "./scenarioState.js"

/** A command on one record of the run: the record, and what it was before the command. */
export interface OnRecord {
  readonly focus: Tracked
  readonly focusRow: Row
  readonly before: Fingerprint
}

/** A created record is stored in the initial state at version 1, with its created event and valid data. */
export const expectCreated = <R>(
  state: ScenarioState<R>,
  before: Fingerprint,
  created: QmsRecord.QmsRecord,
  after: Fingerprint
): ScenarioEffect<void, R> =>
  Effect.gen(function* () {
    const { type, wf } = state.setup
    const row = after.rows.get(created.id)
    if (row === undefined) return yield* broken("failure-changes-nothing", `the created ${type.name} is not stored`)
    if (row.state !== wf.initial)
      return yield* broken(
        "defined-transitions",
        `a new ${type.name} starts in '${row.state}', not in the initial state '${wf.initial}'`
      )
    if (row.version !== 1)
      return yield* broken("version-increment", `a new ${type.name} starts at version ${row.version}`)
    const tracked = {
      id: row.id,
      type: type.name,
      label: `${type.name} #${state.records.length + 1} (${row.ref})`
    }
    state.records.push(tracked)
    yield* checkEvents(state, before, [row.id], [`${type.name}.created`], "create")
    yield* checkData(state, row)
  })

/** An update changes only fields editable in the state, one version up if anything changed, never the state. */
export const expectUpdated = <R>(
  state: ScenarioState<R>,
  { focus, focusRow, before }: OnRecord,
  after: Fingerprint
): ScenarioEffect<void, R> =>
  Effect.gen(function* () {
    const { wf, type } = state.setup
    const inState = focusRow.state
    const row = after.rows.get(focus.id)!
    const changed = changedPaths(focusRow.data, row.data)
    if (row.state !== focusRow.state)
      return yield* broken(
        "defined-transitions",
        `an update moved ${focus.label} from '${focusRow.state}' to '${row.state}'`
      )
    const frozen = changed.filter((p) => !Workflow.isEditable(wf, inState, p))
    if (frozen.length > 0)
      return yield* broken(
        "editable-only",
        `an update of ${focus.label} in '${inState}' changed ${frozen.join(", ")}, not editable there`
      )
    const expectedVersion = changed.length > 0 ? focusRow.version + 1 : focusRow.version
    if (row.version !== expectedVersion)
      return yield* broken(
        "version-increment",
        `an update ${changed.length > 0 ? `changing ${changed.join(", ")}` : "changing nothing"} took ${focus.label} from version ${focusRow.version} to ${row.version}`
      )
    yield* checkEvents(state, before, [focus.id], changed.length > 0 ? [`${type.name}.updated`] : [], "an update")
    yield* checkData(state, row)
  })

/** Assigning moves no state, and is one version up only when the owner changed. */
export const expectAssigned = <R>(
  state: ScenarioState<R>,
  { focus, focusRow, before }: OnRecord,
  after: Fingerprint
): ScenarioEffect<void, R> =>
  Effect.gen(function* () {
    const row = after.rows.get(focus.id)!
    const changed = row.ownerId !== focusRow.ownerId
    if (row.state !== focusRow.state)
      return yield* broken(
        "defined-transitions",
        `assigning moved ${focus.label} from '${focusRow.state}' to '${row.state}'`
      )
    if (row.version !== focusRow.version + (changed ? 1 : 0))
      return yield* broken(
        "version-increment",
        `assigning took ${focus.label} from version ${focusRow.version} to ${row.version}`
      )
    yield* checkEvents(state, before, [focus.id], changed ? [`${state.setup.type.name}.assigned`] : [], "an assignment")
  })

/** A transition tried on a record, and what the workflow step decided on the checker's snapshot before it. */
export interface TransitionAttempt extends OnRecord {
  readonly transition: string
  readonly actor: Actor.Actor
  readonly context: Guard.GuardContext
  readonly predicted: Exit.Exit<unknown, unknown>
}

const stepFailureOf = (predicted: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(predicted) ? Cause.failureOption(predicted.cause) : Option.none()

/** 'step-agrees' for a refused transition: the workflow step refuses it too, for the same reason. */
export const expectRefusedAsStepSays = (
  attempt: Pick<TransitionAttempt, "transition" | "focus" | "focusRow" | "predicted">,
  exit: Exit.Failure<unknown, unknown>
) =>
  Effect.gen(function* () {
    const { transition, focus, focusRow, predicted } = attempt
    const inState = focusRow.state
    const stepFailure = stepFailureOf(predicted)
    const actual = Cause.failureOption(exit.cause)
    if (Option.isNone(actual)) return
    const error = actual.value
    const tag = isObject(error) ? error._tag : undefined
    if (tag === "HookFailed") return
    if (Exit.isSuccess(predicted))
      return yield* broken(
        "step-agrees",
        `the workflow step allows '${transition}' on ${focus.label} in '${inState}', but the runtime refused it: ${describeError(error)}`
      )
    const expectedKey = Option.isSome(stepFailure) ? failureKey(stepFailure.value) : "?"
    if (typeof tag !== "string" || !stepErrors.has(tag) || failureKey(error) !== expectedKey)
      return yield* broken(
        "step-agrees",
        `'${transition}' on ${focus.label} in '${inState}': the workflow step says ${Option.isSome(stepFailure) ? describeError(stepFailure.value) : "?"}, the runtime said ${describeError(error)}`
      )
  })

/**
 * A successful transition is defined from the state, had its permission and guards on the state before
 * it, takes the record to its target one version up with the data unchanged, and appended its event.
 */
export const expectTransitioned = <R>(
  state: ScenarioState<R>,
  attempt: TransitionAttempt,
  after: Fingerprint
): ScenarioEffect<void, R> =>
  Effect.gen(function* () {
    const { wf, type } = state.setup
    const { transition, focus, focusRow, before, actor, context, predicted } = attempt
    const inState = focusRow.state
    const stepFailure = stepFailureOf(predicted)
    const defined = Workflow.findTransition(wf, inState, transition)
    if (defined === undefined)
      return yield* broken(
        "defined-transitions",
        `'${transition}' succeeded on ${focus.label} from '${inState}', where the definition has no such transition`
      )
    const unmet = yield* Guard.evaluateAll(defined.guards, context)
    const missing: Array<string> = []
    if (!state.can(actor, defined.permission)) missing.push(`the permission ${defined.permission}`)
    if (Option.isSome(stepFailure) && isObject(stepFailure.value) && stepFailure.value._tag === "ValidationFailed")
      missing.push(describeError(stepFailure.value))
    missing.push(...unmet.map((u) => `${u.guard}: ${u.message}`))
    if (missing.length > 0)
      return yield* broken(
        "guards-held",
        `'${transition}' succeeded on ${focus.label} by ${describeActor(actor)} although, before it, these did not hold: ${missing.join("; ")}`
      )
    if (Exit.isFailure(predicted))
      return yield* broken(
        "guards-held",
        `'${transition}' succeeded on ${focus.label} although the workflow step refuses it: ${Option.isSome(stepFailure) ? describeError(stepFailure.value) : "?"}`
      )
    const row = after.rows.get(focus.id)!
    if (row.state !== defined.to)
      return yield* broken(
        "defined-transitions",
        `'${transition}' should take ${focus.label} from '${inState}' to '${defined.to}', but it is in '${row.state}'`
      )
    if (row.version !== focusRow.version + 1)
      return yield* broken(
        "version-increment",
        `'${transition}' took ${focus.label} from version ${focusRow.version} to ${row.version}`
      )
    if (row.data !== undefined && !jsonEquals(row.data, focusRow.data))
      return yield* broken("editable-only", `'${transition}' changed the data of ${focus.label}`)
    yield* checkEvents(
      state,
      before,
      [focus.id],
      [`${type.name}.transition.${transition}`.toLowerCase()],
      `'${transition}'`
    )
    if (Workflow.isTerminal(wf, row.state)) state.pendingProbe = focus
  })

/**
 * An evidence entry (attachment, verification, approval, signature, comment) moves no state and no
 * version, and appends its one event. `line` is the command in words, as the transcript has it.
 */
export const expectEvidence = <R>(
  state: ScenarioState<R>,
  { focus, focusRow, before }: OnRecord,
  action: string,
  line: string,
  after: Fingerprint
): ScenarioEffect<void, R> =>
  Effect.gen(function* () {
    const row = after.rows.get(focus.id)!
    if (row.state !== focusRow.state)
      return yield* broken(
        "defined-transitions",
        `${line.slice(line.indexOf(") ") + 2)} moved it from '${focusRow.state}' to '${row.state}' without a transition`
      )
    if (row.version !== focusRow.version)
      return yield* broken(
        "version-increment",
        `a ${action.replace("_", " ")} entry changed the version of ${focus.label} from ${focusRow.version} to ${row.version}`
      )
    yield* checkEvents(
      state,
      before,
      [focus.id],
      [`${state.setup.type.name}.${action}`],
      line.slice(line.indexOf(") ") + 2)
    )
  })

/** A link or unlink between two records of the run. */
export interface LinkChange {
  readonly from: Tracked
  readonly to: Tracked
  /** They were linked before the command. */
  readonly linked: boolean
  readonly removing: boolean
}

/** Linking moves neither record, and appends an event on both sides unless the link was there already. */
export const expectLinked = <R>(
  state: ScenarioState<R>,
  before: Fingerprint,
  { from, to, linked, removing }: LinkChange,
  after: Fingerprint
): ScenarioEffect<void, R> =>
  Effect.gen(function* () {
    for (const r of [from, to]) {
      const a = before.rows.get(r.id)
      const b = after.rows.get(r.id)
      if (a !== undefined && b !== undefined && (a.state !== b.state || a.version !== b.version))
        return yield* broken(
          a.state !== b.state ? "defined-transitions" : "version-increment",
          `a link command changed ${r.label} (state ${a.state} → ${b.state}, version ${a.version} → ${b.version})`
        )
    }
    const what = removing ? "unlinked" : "linked"
    const expected = linked && !removing ? [] : [`${from.type}.${what}`, `${to.type}.${what}`]
    yield* checkEvents(
      state,
      before,
      [from.id, to.id],
      expected,
      `${removing ? "unlinking" : "linking"} ${from.label} → ${to.label}`
    )
  })

/** A link target the checker created is tracked, with its created event. */
export const expectTargetCreated = <R>(
  state: ScenarioState<R>,
  before: Fingerprint,
  typeName: string,
  created: QmsRecord.QmsRecord,
  after: Fingerprint
): ScenarioEffect<void, R> =>
  Effect.gen(function* () {
    const row = after.rows.get(created.id)!
    state.targets.push({ id: row.id, type: typeName, label: `${typeName} ${row.ref}` })
    yield* checkEvents(state, before, [row.id], [`${typeName}.created`], "creating a link target")
  })
