// One command of a run: resolved, run against the Records service, and judged against every invariant.
import { Cause, Effect, Exit, Option } from "effect"
import {
  runAssign,
  runCreate,
  runEvidence,
  runLink,
  runTarget,
  runTransition,
  runUpdate,
  type Step
} from "./commandRunners.js"
import type { Command, Kind } from "./commands.js"
import { describeError, short } from "./failures.js"
import { differences, type Fingerprint } from "./fingerprint.js"
import { type Aim, resolveFulfil } from "./fulfil.js"
import { broken, checkChain, checkHistory, checkStates, probeTerminal } from "./invariants.js"
import { pickFrom } from "./lists.js"
import type { OnRecord } from "./model.js"
import { readFingerprint, type ScenarioState, type Tracked } from "./scenarioState.js"

export const runCommand = <R>(state: ScenarioState<R>, raw: Command, index: number) =>
  Effect.gen(function* () {
    yield* state.setup.tick
    // What the previous command left is what this one starts from (probes in between write nothing).
    const before = state.latest ?? (yield* readFingerprint(state))
    const focus = state.records.length === 0 ? undefined : pickFrom(state.records, raw.on)
    const focusRow = focus === undefined ? undefined : before.rows.get(focus.id)
    let c = raw
    let aim: Aim | undefined
    if (raw.kind === "fulfil") {
      if (focus === undefined || focusRow === undefined) return
      const resolved = yield* resolveFulfil(state, raw, focus, focusRow, before)
      c = resolved.c
      aim = resolved.aim
    }
    const on = focus === undefined || focusRow === undefined ? undefined : { focus, focusRow, before }
    const ran = yield* runResolved(state, c, aim, before, on)
    if (ran === undefined) return
    if (ran._tag === "Skipped") {
      state.transcript.push(`${index}. ${ran.note}`)
      return
    }
    yield* judgeStep(state, ran, { index, kind: c.kind, aim, before, focus })
  })

/** Runs the command by its kind; nothing when it needs a record and the run has none to act on. */
const runResolved = <R>(
  state: ScenarioState<R>,
  c: Command,
  aim: Aim | undefined,
  before: Fingerprint,
  on: OnRecord | undefined
) =>
  Effect.gen(function* () {
    switch (c.kind) {
      case "create":
        return yield* runCreate(state, c, before)
      case "target":
        return yield* runTarget(state, c, aim, before)
      // Resolved by the caller into one of the kinds below.
      case "fulfil":
        return undefined
    }
    if (on === undefined) return undefined
    switch (c.kind) {
      case "update":
        return yield* runUpdate(state, c, aim, on)
      case "assign":
        return yield* runAssign(state, c, on)
      case "transition":
        return yield* runTransition(state, c, aim, on)
      case "link":
        return yield* runLink(state, c, aim, on)
      default:
        return yield* runEvidence(state, c, aim, on)
    }
  })

interface Judged {
  readonly index: number
  readonly kind: Kind
  readonly aim: Aim | undefined
  readonly before: Fingerprint
  /** The record the command was aimed at (for a create, the one it was drawn on). */
  readonly focus: Tracked | undefined
}

/** Tells the command in the transcript and checks what it did against the model and the invariants. */
const judgeStep = <R>(state: ScenarioState<R>, step: Step<R>, { index, kind, aim, before, focus }: Judged) =>
  Effect.gen(function* () {
    const n = `${index}.`
    let line = step.line
    if (aim !== undefined && aim.why !== "" && !line.includes(aim.why)) line = `${line} [${aim.why}]`
    const after = yield* readFingerprint(state)
    state.latest = after
    if (Exit.isSuccess(step.exit)) {
      const row = focus === undefined ? undefined : after.rows.get(focus.id)
      state.transcript.push(
        `${n} ${line} → ok${row !== undefined && kind !== "target" && kind !== "create" ? ` (${row.state}, v${row.version})` : ""}`
      )
      if (step.permission !== undefined && !state.can(step.actor, step.permission))
        return yield* broken("permission-held", `${line} succeeded although the actor lacks ${step.permission}`)
      yield* step.judge(after, line)
    } else {
      const error = Cause.failureOption(step.exit.cause)
      if (Option.isNone(error)) {
        state.transcript.push(`${n} ${line} → died`)
        return yield* broken("typed-failures", `${line} died: ${short(Cause.pretty(step.exit.cause), 400)}`)
      }
      state.transcript.push(`${n} ${line} → refused: ${describeError(error.value)}`)
      const diff = differences(before, after)
      if (diff.length > 0)
        return yield* broken(
          "failure-changes-nothing",
          `${line} failed (${describeError(error.value)}) but wrote: ${diff.join("; ")}`
        )
      yield* step.judgeFailure
    }
    yield* checkStates(state, after)
    if (focus !== undefined && Exit.isSuccess(step.exit)) yield* checkHistory(state, focus, after.rows.get(focus.id)!)
    if (state.setup.verifyEveryCommand) yield* checkChain(state, false, after.counts.audit_sequence ?? 0)
    if (state.pendingProbe !== undefined) {
      const p = state.pendingProbe
      state.pendingProbe = undefined
      yield* probeTerminal(state, p)
    }
  })
