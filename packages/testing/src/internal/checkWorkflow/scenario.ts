// One run of a check: the first record, the commands in turn, the end-of-run checks, told as an outcome.
import { Actor, Workflow } from "@airworthy/core"
import { Records } from "@airworthy/records"
import { Cause, Effect, Exit, Option } from "effect"
import type { Invariant } from "../../CheckWorkflow.js"
import type { Command } from "./commands.js"
import { describeError, short } from "./failures.js"
import { Broken, broken, checkChain, checkHistory, probeTerminal } from "./invariants.js"
import { runCommand } from "./runCommand.js"
import {
  describeActor,
  makeScenarioState,
  readFingerprint,
  type ScenarioState,
  type Services,
  type Stats
} from "./scenarioState.js"
import { sampleOf } from "./schemaValues.js"
import type { Setup } from "./setup.js"

/** How a run ended: the invariant it broke, if any, and the commands in words. */
export interface Outcome {
  readonly broken?: { readonly invariant: Invariant; readonly detail: string }
  readonly transcript: ReadonlyArray<string>
  readonly states: ReadonlySet<string>
}

/** Runs the commands on a fresh tenant; every failure, the checker's own too, ends up in the outcome. */
export const runScenario = <R>(
  setup: Setup<R>,
  commands: ReadonlyArray<Command>,
  stats: Stats | undefined
): Effect.Effect<Outcome, never, Services | R> =>
  Effect.gen(function* () {
    const state = yield* makeScenarioState(setup, stats)
    const { transcript, reached } = state
    return yield* playScenario(state, commands).pipe(
      Effect.matchCause({
        onSuccess: (): Outcome => ({ transcript, states: reached }),
        onFailure: (cause): Outcome => {
          const failure = Cause.failureOption(cause)
          if (Option.isSome(failure) && failure.value instanceof Broken)
            return {
              broken: { invariant: failure.value.invariant, detail: failure.value.detail },
              transcript,
              states: reached
            }
          return {
            broken: {
              invariant: "checker-ran",
              detail: `the checker itself failed: ${short(Option.isSome(failure) ? describeError(failure.value) : Cause.pretty(cause), 600)}`
            },
            transcript,
            states: reached
          }
        }
      })
    )
  }) as Effect.Effect<Outcome, never, Services | R>

const playScenario = <R>(state: ScenarioState<R>, commands: ReadonlyArray<Command>) =>
  Effect.gen(function* () {
    const { wf, type, createData } = state.setup
    // The first record, created by someone allowed to.
    const creator = state.cast.find((a) => state.can(a, type.permissions.create)) ?? state.probe
    yield* state.setup.tick
    const first = yield* Effect.exit(
      Actor.withActor(Records.create({ type: type.name, data: sampleOf(createData, 1) }), creator)
    )
    if (Exit.isFailure(first)) {
      const error = Cause.failureOption(first.cause)
      return yield* broken(
        "checker-ran",
        `the first ${type.name} could not be created by ${describeActor(creator)} with ${short(JSON.stringify(sampleOf(createData, 1)))}: ${Option.isSome(error) ? describeError(error.value) : short(Cause.pretty(first.cause))}`
      )
    }
    const created = first.value
    state.records.push({ id: created.id, type: type.name, label: `${type.name} #1 (${created.ref})` })
    state.transcript.push(
      `0. ${describeActor(creator)} creates ${type.name} #1 (${created.ref}) → ok (${created.state}, v1)`
    )
    state.reached.add(created.state)

    for (const [i, c] of commands.entries()) yield* runCommand(state, c, i + 1)

    // End of run: every record's history against the definition, terminal records refuse everything, the chain verifies.
    const last = yield* readFingerprint(state)
    for (const r of state.records) yield* checkHistory(state, r, last.rows.get(r.id)!)
    for (const r of state.records) {
      const row = last.rows.get(r.id)!
      if (Workflow.isTerminal(wf, row.state) && !state.probed.has(r.id)) yield* probeTerminal(state, r)
    }
    yield* checkChain(state, true, last.counts.audit_sequence ?? 0)
  })
