// The invariants on what the run's tenant holds: histories, states, data, the audit log, terminal states.
import { AuditLog } from "@airworthy/audit"
import { Workflow } from "@airworthy/core"
import { Records } from "@airworthy/records"
import { Cause, Data, Effect, Either, Exit, Option, Schema } from "effect"
import type { Invariant } from "../../CheckWorkflow.js"
import { describeError, short } from "./failures.js"
import { differences, type Fingerprint, type Row } from "./fingerprint.js"
import { unique } from "./lists.js"
import { isObject } from "./recordData.js"
import { asProbe, readFingerprint, type ScenarioEffect, type ScenarioState, type Tracked } from "./scenarioState.js"

/** A check found a broken invariant: the run stops and fast-check shrinks it. */
export class Broken extends Data.TaggedError("Broken")<{ readonly invariant: Invariant; readonly detail: string }> {}

export const broken = (invariant: Invariant, detail: string) => Effect.fail(new Broken({ invariant, detail }))

/** 'defined-transitions' and 'version-increment' over the record's whole history. */
export const checkHistory = <R>(state: ScenarioState<R>, record: Tracked, row: Row): ScenarioEffect<void> =>
  Effect.gen(function* () {
    const workflow = state.typeByName.get(record.type)!.workflow
    const entries = yield* asProbe(state, Records.history(record.id))
    let current = workflow.initial
    let version = 0
    for (const e of entries) {
      if (e.kind === "created") {
        if (e.version !== 1)
          return yield* broken("version-increment", `${record.label} was created at version ${e.version}, not 1`)
        version = 1
      } else if (e.kind === "updated" || e.kind === "assigned" || e.kind === "transitioned") {
        if (e.version !== version + 1)
          return yield* broken(
            "version-increment",
            `${record.label}: its '${e.kind}' history entry is at version ${e.version}; the one before was at ${version}`
          )
        version = e.version
      }
      if (e.kind !== "transitioned") continue
      const t = Workflow.findTransition(workflow, e.fromState ?? "", e.transition ?? "")
      if (e.fromState !== current)
        return yield* broken(
          "defined-transitions",
          `${record.label}: the history has '${e.transition}' leaving '${e.fromState}', but the record was in '${current}'`
        )
      if (t === undefined || t.to !== e.toState)
        return yield* broken(
          "defined-transitions",
          `${record.label}: the history has '${e.transition}' from '${e.fromState}' to '${e.toState}', which the definition does not have`
        )
      current = t.to
    }
    if (current !== row.state)
      return yield* broken(
        "defined-transitions",
        `${record.label} is in state '${row.state}', but its transitions lead to '${current}': something other than a transition moved it`
      )
    if (row.version !== version)
      return yield* broken(
        "version-increment",
        `${record.label} is at version ${row.version}, but its history has ${version} changes of the record`
      )
  })

/** 'state-known' for every record of the tenant; notes the states the type under test reached. */
export const checkStates = <R>(state: ScenarioState<R>, fp: Fingerprint) =>
  Effect.gen(function* () {
    for (const row of fp.rows.values()) {
      const t = state.typeByName.get(row.type)
      if (t === undefined) continue
      if (!Object.hasOwn(t.workflow.states, row.state))
        return yield* broken(
          "state-known",
          `record ${row.ref} is in state '${row.state}', which the '${t.workflow.name}' definition does not have`
        )
      if (row.type === state.setup.type.name) state.reached.add(row.state)
    }
  })

/** 'data-valid': the stored data decodes with the record type's schema. */
export const checkData = <R>(state: ScenarioState<R>, row: Row) => {
  const decoded = Schema.decodeUnknownEither(state.setup.type.schema, { onExcessProperty: "error", errors: "all" })(
    row.data
  )
  return Either.isLeft(decoded)
    ? broken(
        "data-valid",
        `record ${row.ref} holds data its schema rejects: ${short(JSON.stringify(row.data))} (${short(decoded.left.message, 200)})`
      )
    : Effect.void
}

/** 'audit-chain': the whole chain, or only the events since the last check (linked to the stored hash before them). */
export const checkChain = <R>(state: ScenarioState<R>, whole: boolean, upTo: number): ScenarioEffect<void> =>
  Effect.gen(function* () {
    if (!whole && upTo <= state.verifiedUpTo) return
    const result = yield* AuditLog.verify(state.tenant, whole ? undefined : { from: state.verifiedUpTo + 1 })
    state.verifiedUpTo = Math.max(state.verifiedUpTo, upTo)
    if (!result.ok)
      return yield* broken(
        "audit-chain",
        `the audit chain of the run's tenant does not verify: event ${result.firstBadSequence} is bad (${result.fault}: ${result.detail})`
      )
  })

const newAuditActions = <R>(state: ScenarioState<R>, after: number, recordIds: ReadonlySet<string>) =>
  asProbe(
    state,
    AuditLog.query({ order: "asc", limit: 1000, ...(after > 0 ? { cursor: AuditLog.cursorAfter(after) } : {}) })
  ).pipe(Effect.map((page) => page.events.filter((e) => recordIds.has(e.record.id)).map((e) => e.action)))

/** 'audit-events': a successful command appended exactly `expected` on the records `ids`, since `before`. */
export const checkEvents = <R>(
  state: ScenarioState<R>,
  before: Fingerprint,
  ids: ReadonlyArray<string>,
  expected: ReadonlyArray<string>,
  what: string
): ScenarioEffect<void> =>
  Effect.gen(function* () {
    const seen = yield* newAuditActions(state, before.counts.audit_sequence ?? 0, new Set(ids))
    if (JSON.stringify(seen) !== JSON.stringify(expected))
      return yield* broken(
        "audit-events",
        `${what} succeeded and appended the audit events [${seen.join(", ")}] instead of [${expected.join(", ")}]`
      )
  })

/** 'terminal-accepts-nothing': every transition of the workflow, tried on a record in a terminal state. */
export const probeTerminal = <R>(state: ScenarioState<R>, record: Tracked): ScenarioEffect<void> =>
  Effect.gen(function* () {
    const { wf } = state.setup
    state.probed.add(record.id)
    const before = yield* readFingerprint(state)
    const names = unique(wf.transitions.map((t) => t.name))
    for (const name of names) {
      const t = wf.transitions.find((x) => x.name === name)!
      const exit = yield* Effect.exit(
        asProbe(
          state,
          Records.transition({
            id: record.id,
            transition: name,
            reason: "checkWorkflow probes a terminal state",
            signature: { meaning: t.signature?.meaning ?? "approved", credential: "checkworkflow" }
          })
        )
      )
      const row = before.rows.get(record.id)!
      if (Exit.isSuccess(exit))
        return yield* broken(
          "terminal-accepts-nothing",
          `${record.label} is in terminal state '${row.state}', yet transition '${name}' succeeded`
        )
      const error = Cause.failureOption(exit.cause)
      if (Option.isNone(error) || !isObject(error.value) || error.value._tag !== "InvalidTransition")
        return yield* broken(
          "terminal-accepts-nothing",
          `${record.label} is in terminal state '${row.state}'; transition '${name}' failed with ${Option.isSome(error) ? describeError(error.value) : short(Cause.pretty(exit.cause))} instead of InvalidTransition`
        )
    }
    const after = yield* readFingerprint(state)
    const diff = differences(before, after)
    if (diff.length > 0)
      return yield* broken(
        "terminal-accepts-nothing",
        `refused transitions from terminal state wrote something: ${diff.join("; ")}`
      )
    state.transcript.push(`   (every transition of ${record.label} refused in its terminal state, nothing written)`)
  })
