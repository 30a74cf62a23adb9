// Each kind of command run against the Records service: who gives it, with what, and how it is to be judged.
import { type Actor, type Guard, Workflow } from "@airworthy/core"
import { type QmsRecord, Records } from "@airworthy/records"
import { Effect, Exit } from "effect"
import { type Command, pickTransition, proper } from "./commands.js"
import { short } from "./failures.js"
import type { Fingerprint } from "./fingerprint.js"
import type { Aim } from "./fulfil.js"
import { guardContext } from "./guardContext.js"
import { checkEvents } from "./invariants.js"
import { pickFrom, unique } from "./lists.js"
import {
  expectAssigned,
  expectCreated,
  expectEvidence,
  expectLinked,
  expectRefusedAsStepSays,
  expectTargetCreated,
  expectTransitioned,
  expectUpdated,
  type OnRecord,
  type TransitionAttempt
} from "./model.js"
import { isObject, nest, plainPath } from "./recordData.js"
import {
  asProbe,
  canRead,
  chooseActor,
  describeActor,
  exec,
  type ScenarioEffect,
  type ScenarioState
} from "./scenarioState.js"
import { sampleOf, wrongValue } from "./schemaValues.js"

/** A command that ran: by whom, needing which permission, in words, its outcome and how to judge it. */
export interface Step<R> {
  readonly _tag: "Step"
  readonly actor: Actor.Actor
  /** Checked for 'permission-held' on success; transitions are checked through 'guards-held'. */
  readonly permission: string | undefined
  readonly line: string
  readonly exit: Exit.Exit<unknown, unknown>
  /** Judges a success; `line` is the command in words as the transcript has it. */
  readonly judge: (after: Fingerprint, line: string) => ScenarioEffect<void, R>
  /** Judges a typed failure, beyond 'failure-changes-nothing'. */
  readonly judgeFailure: ScenarioEffect<void, R>
}

/** A command that found nothing to act on, with a note for the transcript. */
export interface Skipped {
  readonly _tag: "Skipped"
  readonly note: string
}

const ran = <R>(step: Omit<Step<R>, "_tag" | "judgeFailure"> & Partial<Pick<Step<R>, "judgeFailure">>): Step<R> => ({
  _tag: "Step",
  judgeFailure: Effect.void,
  ...step
})

export const runCreate = <R>(state: ScenarioState<R>, c: Command, before: Fingerprint) =>
  Effect.gen(function* () {
    const { type, createData } = state.setup
    const permission = type.permissions.create
    const actor = chooseActor(state, c, permission)
    const good = proper(c)
    const sample = sampleOf(createData, c.seed)
    const data = good
      ? sample
      : c.pick % 2 === 0
        ? { ...(isObject(sample) ? sample : {}), unexpected_field: "x" }
        : wrongValue(sample)
    const ownerId = good && c.pick % 3 === 0 ? pickFrom(state.cast, c.pick).actorId : undefined
    const exit = yield* exec(actor, Records.create({ type: type.name, data, ...(ownerId ? { ownerId } : {}) }))
    return ran<R>({
      actor,
      permission,
      line: `${describeActor(actor)} creates a ${type.name}${ownerId ? ` owned by ${ownerId}` : ""} with ${good ? "valid" : "invalid"} data ${short(JSON.stringify(data), 100)}`,
      exit,
      judge: (after) => expectCreated(state, before, (exit as Exit.Success<QmsRecord.QmsRecord, never>).value, after)
    })
  })

/** The merge patch of an update: the aim's path, a valid or wrong value, a frozen path or an unknown field. */
const choosePatch = <R>(state: ScenarioState<R>, c: Command, aim: Aim | undefined, inState: string) => {
  const { wf, analysis, patches } = state.setup
  const { knownPaths, validValue } = state
  const editable = Workflow.editableFields(wf, inState).filter(plainPath)
  const wanted = (analysis.requiredByState.get(inState) ?? []).filter(
    (p) => plainPath(p) && Workflow.isEditable(wf, inState, p)
  )
  if (aim?.path !== undefined) {
    const value = validValue(aim.path, c.seed, true)
    return { patch: nest(aim.path, value === undefined ? null : value), what: `${aim.path} (${aim.why})` }
  }
  if (proper(c)) {
    if (patches !== undefined && c.pick % 3 === 0)
      return { patch: { ...sampleOf(patches, c.seed) }, what: "a host patch" }
    const candidates = unique([...wanted, ...editable])
    const path = pickFrom(candidates.length > 0 ? candidates : knownPaths.length > 0 ? knownPaths : ["title"], c.pick)
    const value = validValue(path, c.seed)
    return {
      patch: nest(path, value === undefined ? null : value),
      what: `${path} (${Workflow.isEditable(wf, inState, path) ? "editable" : "not editable"}, valid)`
    }
  }
  const variant = c.pick % 3
  const frozen = knownPaths.filter((p) => !Workflow.isEditable(wf, inState, p))
  if (variant === 0 && frozen.length > 0) {
    const path = pickFrom(frozen, Math.floor(c.pick / 3))
    const value = validValue(path, c.seed)
    return { patch: nest(path, value === undefined ? null : value), what: `${path} (not editable in '${inState}')` }
  }
  if (variant === 1 && knownPaths.length > 0) {
    const path = pickFrom(editable.length > 0 ? editable : knownPaths, Math.floor(c.pick / 3))
    return { patch: nest(path, wrongValue(validValue(path, c.seed))), what: `${path} (invalid value)` }
  }
  return { patch: { unexpected_field: "x" } as Record<string, unknown>, what: "a field the schema does not have" }
}

export const runUpdate = <R>(state: ScenarioState<R>, c: Command, aim: Aim | undefined, on: OnRecord) =>
  Effect.gen(function* () {
    const { focus, focusRow } = on
    const permission = state.setup.type.permissions.update
    const actor = chooseActor(state, c, permission)
    const inState = focusRow.state
    const { patch, what } = choosePatch(state, c, aim, inState)
    const exit = yield* exec(
      actor,
      Records.update({ id: focus.id, expectedVersion: focusRow.version, data: patch, reason: "checkWorkflow" })
    )
    return ran<R>({
      actor,
      permission,
      line: `${describeActor(actor)} updates ${focus.label} in '${inState}': ${what} ${short(JSON.stringify(patch), 100)}`,
      exit,
      judge: (after) => expectUpdated(state, on, after)
    })
  })

export const runAssign = <R>(state: ScenarioState<R>, c: Command, on: OnRecord) =>
  Effect.gen(function* () {
    const { focus, focusRow } = on
    const permission = state.setup.type.permissions.assign
    const actor = chooseActor(state, c, permission)
    const ownerId = c.pick % 4 === 0 ? null : pickFrom(state.cast, c.pick).actorId
    const exit = yield* exec(actor, Records.assign({ id: focus.id, ownerId, expectedVersion: focusRow.version }))
    return ran<R>({
      actor,
      permission,
      line: `${describeActor(actor)} assigns ${focus.label} to ${ownerId ?? "nobody"}`,
      exit,
      judge: (after) => expectAssigned(state, on, after)
    })
  })

interface TransitionInput {
  reason?: string
  signature?: { meaning: string; credential: string }
}

/** The reason and signature given: as required, or blank, missing or with the wrong meaning. */
const transitionInput = (
  t: Pick<Workflow.Transition<unknown>, "reasonRequired" | "signature">,
  c: Command
): TransitionInput => {
  const good = proper(c)
  const variant = c.seed % 3
  const wrongMeaning = t.signature?.meaning === "reviewed" ? "authored" : "reviewed"
  const input: TransitionInput = {}
  if (good) {
    if (t.reasonRequired || c.seed % 2 === 0) input.reason = "Checked by checkWorkflow"
    if (t.signature) input.signature = { meaning: t.signature.meaning, credential: "pin" }
  } else if (variant === 1) {
    input.reason = "   "
    input.signature = { meaning: wrongMeaning, credential: "pin" }
  } else if (variant === 2) {
    input.reason = "Checked by checkWorkflow"
    if (!t.signature) input.signature = { meaning: wrongMeaning, credential: "pin" }
  }
  return input
}

/** A transition, first decided by the workflow step on the checker's snapshot, then run. */
export const runTransition = <R>(
  state: ScenarioState<R>,
  c: Command,
  aim: Aim | undefined,
  on: OnRecord
): ScenarioEffect<Step<R>, R> =>
  Effect.gen(function* () {
    const { wf, type } = state.setup
    const { focus, focusRow } = on
    const inState = focusRow.state
    const leaving = Workflow.transitionsFrom(wf, inState)
    const all = wf.transitions
    const t =
      all.find((x) => x.name === aim?.transition && x.from.includes(inState)) ?? pickTransition(c.pick, leaving, all)
    const actor = chooseActor(state, c, t.permission)
    const input = transitionInput(t, c)
    const commandInput: Guard.CommandInput = {
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      ...(input.signature !== undefined ? { signature: { meaning: input.signature.meaning } } : {})
    }
    const context = yield* asProbe(state, guardContext(actor, focus.id, commandInput))
    const predicted: Exit.Exit<unknown, unknown> = canRead(state, actor, type)
      ? yield* Effect.exit(Workflow.step(wf, context, t.name))
      : Exit.fail({ _tag: "Forbidden", missing_permission: type.permissions.read })
    const exit = yield* exec(
      actor,
      Records.transition({ id: focus.id, transition: t.name, expectedVersion: focusRow.version, ...input })
    )
    const given = [
      input.reason === undefined ? "no reason" : input.reason.trim() === "" ? "a blank reason" : "a reason",
      input.signature === undefined ? "no signature" : `a signature meaning '${input.signature.meaning}'`
    ].join(", ")
    if (state.stats !== undefined) {
      const s = state.stats.transitions[t.name] ?? { taken: 0, refused: 0 }
      state.stats.transitions[t.name] = s
      if (Exit.isSuccess(exit)) s.taken++
      else s.refused++
    }
    const attempt: TransitionAttempt = { ...on, transition: t.name, actor, context, predicted }
    return ran<R>({
      actor,
      permission: undefined,
      line: `${describeActor(actor)} takes '${t.name}' on ${focus.label} in '${inState}' with ${given}`,
      exit,
      judge: (after) => expectTransitioned(state, attempt, after),
      judgeFailure: Exit.isFailure(exit) ? expectRefusedAsStepSays(attempt, exit) : Effect.void
    })
  })

/** An evidence entry: who records it, the records command, its audit action and its words. */
const evidenceEntry = <R>(state: ScenarioState<R>, c: Command, aim: Aim | undefined, on: OnRecord) => {
  const { type, analysis } = state.setup
  const permissions = type.permissions
  const { focus, focusRow } = on
  const owner = focusRow.ownerId ?? focusRow.createdBy
  const good = proper(c)
  switch (c.kind) {
    case "attach": {
      const actor = chooseActor(state, c, permissions.attach)
      const kinds = analysis.attachmentKinds.length > 0 ? analysis.attachmentKinds : ["document"]
      const kind = aim?.attachKind ?? (good ? pickFrom(kinds, c.pick) : "unrelated")
      return {
        permission: permissions.attach,
        actor,
        effect: Records.attach({
          id: focus.id,
          kind,
          name: `evidence-${c.seed}.pdf`,
          mediaType: "application/pdf",
          size: c.seed,
          sha256: c.seed.toString(16).padStart(64, "0")
        }),
        action: "attached",
        line: `${describeActor(actor)} attaches ${kind} evidence to ${focus.label}`
      }
    }
    case "verify": {
      const actor = chooseActor(
        state,
        c,
        permissions.verify,
        good ? (a) => a.actorId !== owner : (a) => a.actorId === owner
      )
      const result =
        aim?.result !== undefined
          ? aim.result
          : good
            ? pickFrom(analysis.results, c.pick)
            : c.pick % 2 === 0
              ? "inconclusive"
              : pickFrom(analysis.results, c.pick)
      return {
        permission: permissions.verify,
        actor,
        effect: Records.recordVerification({ id: focus.id, result, expectedVersion: focusRow.version }),
        action: "verification_recorded",
        line: `${describeActor(actor)} records a verification '${result}' on ${focus.label} (${actor.actorId === owner ? "the owner" : "not the owner"})`
      }
    }
    case "approve": {
      const avoid = aim?.avoid ?? []
      const actor = chooseActor(
        state,
        c,
        permissions.approve,
        good ? (a) => a.actorId !== owner && !avoid.includes(a.actorId) : (a) => a.actorId === owner
      )
      return {
        permission: permissions.approve,
        actor,
        effect: Records.approve({ id: focus.id, expectedVersion: focusRow.version }),
        action: "approved",
        line: `${describeActor(actor)} approves ${focus.label} (${actor.actorId === owner ? "the owner" : "not the owner"})`
      }
    }
    case "sign": {
      const actor = chooseActor(state, c, permissions.sign)
      const meaning = pickFrom(analysis.meanings, c.pick)
      return {
        permission: permissions.sign,
        actor,
        effect: Records.sign({ id: focus.id, meaning, credential: "pin", expectedVersion: focusRow.version }),
        action: "signed",
        line: `${describeActor(actor)} signs ${focus.label} meaning '${meaning}'`
      }
    }
    default: {
      const actor = chooseActor(state, c, permissions.comment)
      return {
        permission: permissions.comment,
        actor,
        effect: Records.comment({ id: focus.id, body: good ? "Checked by checkWorkflow" : "  " }),
        action: "commented",
        line: `${describeActor(actor)} comments on ${focus.label}${good ? "" : " with a blank body"}`
      }
    }
  }
}

/** Attach, verify, approve, sign or comment. */
export const runEvidence = <R>(state: ScenarioState<R>, c: Command, aim: Aim | undefined, on: OnRecord) =>
  Effect.gen(function* () {
    const { permission, actor, effect, action, line } = evidenceEntry(state, c, aim, on)
    const exit = yield* exec(actor, effect)
    return ran<R>({
      actor,
      permission,
      line,
      exit,
      judge: (after, finalLine) => expectEvidence(state, on, action, finalLine, after)
    })
  })

/** Links the record to another (or unlinks them), in the direction a guard reads the link. */
export const runLink = <R>(
  state: ScenarioState<R>,
  c: Command,
  aim: Aim | undefined,
  on: OnRecord
): ScenarioEffect<Step<R> | Skipped, R> =>
  Effect.gen(function* () {
    const { type, analysis } = state.setup
    const { focus, before } = on
    const need = aim?.link?.need ?? pickFrom(analysis.linkNeeds, c.pick)
    const pool =
      need.targetType === type.name
        ? state.records.filter((r) => r.id !== focus.id)
        : state.targets.filter((t) => t.type === need.targetType)
    if (pool.length === 0)
      return { _tag: "Skipped", note: `(no ${need.targetType} to link ${focus.label} to yet)` } satisfies Skipped
    const other = aim?.link?.target ?? pickFrom(pool, c.seed)
    const out = need.direction === "out" || (need.direction === "either" && c.seed % 2 === 0)
    const from = out ? focus : other
    const to = out ? other : focus
    const fromType = state.typeByName.get(from.type)!
    const permission = fromType.permissions.link
    const actor = chooseActor(state, c, permission)
    const existing = yield* asProbe(state, Records.links(from.id, { kind: need.kind, direction: "out" }))
    const linked = existing.some((l) => l.other.id === to.id)
    const removing = linked && !proper(c)
    const input = { from: from.id, to: to.id, kind: need.kind }
    const exit = yield* exec(actor, removing ? Records.unlink(input) : Records.link(input))
    return ran<R>({
      actor,
      permission,
      line: `${describeActor(actor)} ${removing ? "unlinks" : "links"} ${from.label} → ${to.label} (${need.kind})${linked && !removing ? ", already linked" : ""}`,
      exit,
      judge: (after) => expectLinked(state, before, { from, to, linked, removing }, after)
    })
  })

/** A fixture move by the checker: a link target created, or moved to a state. */
export const runTarget = <R>(state: ScenarioState<R>, c: Command, aim: Aim | undefined, before: Fingerprint) =>
  Effect.gen(function* () {
    const { analysis } = state.setup
    const stub =
      aim?.create ??
      analysis.stubs.find((s) => s.type.name === aim?.move?.target.type) ??
      pickFrom(analysis.stubs, c.pick)
    const typeName = stub.type.name
    const mine = state.targets.filter((t) => t.type === typeName)
    if (aim?.create !== undefined || (aim?.move === undefined && (mine.length === 0 || c.seed % 3 === 0))) {
      const exit = yield* exec(state.probe, Records.create({ type: typeName, data: {} }))
      return ran<R>({
        actor: state.probe,
        permission: undefined,
        line: `(fixture) a ${typeName} to link to is created`,
        exit,
        judge: (after) =>
          expectTargetCreated(state, before, typeName, (exit as Exit.Success<QmsRecord.QmsRecord, never>).value, after)
      })
    }
    const target = aim?.move?.target ?? pickFrom(mine, c.seed)
    const moveTo = aim?.move?.state ?? pickFrom(stub.states, Math.floor(c.pick / 7))
    const exit = yield* exec(state.probe, Records.transition({ id: target.id, transition: `to_${moveTo}` }))
    return ran<R>({
      actor: state.probe,
      permission: undefined,
      line: `(fixture) ${target.label} is moved to '${moveTo}'`,
      exit,
      judge: () =>
        checkEvents(state, before, [target.id], [`${typeName}.transition.to_${moveTo}`], "moving a link target")
    })
  })
