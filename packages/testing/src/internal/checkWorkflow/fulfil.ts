// A `fulfil` command: look at what blocks the next steps of a record and pick the command that meets one of it.
import { Guard, Workflow } from "@airworthy/core"
import { Records } from "@airworthy/records"
import { Effect } from "effect"
import type { LinkNeed, Stub } from "./analysis.js"
import type { Command, Kind } from "./commands.js"
import type { Fingerprint, Row } from "./fingerprint.js"
import { pickFrom } from "./lists.js"
import { fieldPath, plainPath } from "./recordData.js"
import { asProbe, type ScenarioEffect, type ScenarioState, type Tracked } from "./scenarioState.js"

/** What a `fulfil` command resolved to: the concrete thing that meets one unmet requirement. */
export interface Aim {
  readonly why: string
  readonly transition?: string
  readonly attachKind?: string
  readonly path?: string
  readonly result?: string
  readonly avoid?: ReadonlyArray<string>
  readonly link?: { readonly need: LinkNeed; readonly target: Tracked }
  readonly move?: { readonly target: Tracked; readonly state: string }
  readonly create?: Stub
}

export interface Resolved {
  readonly c: Command
  readonly aim: Aim | undefined
}

/** Turns a `fulfil` command into the command that meets one unmet requirement of a next step. */
export const resolveFulfil = <R>(
  state: ScenarioState<R>,
  c: Command,
  focus: Tracked,
  row: Row,
  fp: Fingerprint
): ScenarioEffect<Resolved> =>
  Effect.gen(function* () {
    const { wf } = state.setup
    const leaving = Workflow.transitionsFrom(wf, row.state)
    if (leaving.length === 0) return { c: { ...c, kind: "transition" as Kind }, aim: undefined } satisfies Resolved
    // Nothing to fulfil: step forward, preferring steps that need no reason (not rejections or cancellations).
    const onward = leaving.filter((t) => !t.reasonRequired)
    const step = pickFrom(onward.length > 0 && c.seed % 5 !== 0 ? onward : leaving, c.pick)
    const forward: Resolved = {
      c: { ...c, kind: "transition" as Kind, holder: 0, properly: 0 },
      aim: { why: "", transition: step.name }
    }
    // Generation only needs to know what blocks the next steps: the runtime's own answer will do.
    const available = yield* asProbe(state, Records.available(focus.id))
    const rotated = leaving.map((_, i) => leaving[(i + c.pick) % leaving.length]!)
    for (const t of rotated) {
      const blocked = available.find((a) => a.transition === t.name)?.unmet ?? []
      for (const g of t.guards) {
        const unmet = blocked.filter((u) => u.guard === g.name)
        if (unmet.length === 0) continue
        const why = `to meet '${t.name}': ${unmet[0]!.message}`
        const resolved = yield* meetGuard(state, g, { c, focus, row, fp, why })
        if (resolved !== undefined) return resolved
      }
    }
    return forward
  })

interface Unmet {
  readonly c: Command
  readonly focus: Tracked
  readonly row: Row
  readonly fp: Fingerprint
  /** The requirement in words, as the runtime told it. */
  readonly why: string
}

/** The command that meets the unmet guard `g`, if the run can make one. */
const meetGuard = <R>(state: ScenarioState<R>, g: Guard.Guard<R>, { c, focus, row, fp, why }: Unmet) =>
  Effect.gen(function* () {
    const { wf, type, analysis } = state.setup
    const as = (kind: Kind, aim: Omit<Aim, "why">): Resolved => ({
      c: { ...c, kind, holder: 0, properly: 0 },
      aim: { why, ...aim }
    })
    switch (g._tag) {
      case "RequiredFields": {
        const missing = g.fields
          .map(fieldPath)
          .filter((p) => plainPath(p) && Workflow.isEditable(wf, row.state, p))
          .filter((p) => !Guard.isPresent(Guard.valueAt(row.data, p)))
        if (missing.length > 0) return as("update", { path: pickFrom(missing, c.seed) })
        break
      }
      case "Attachment":
        return as("attach", { attachKind: g.kind })
      case "VerificationRecorded":
        return as("verify", { result: g.results === undefined ? "effective" : pickFrom(g.results, c.seed) })
      case "Approvals":
        return as("approve", {
          avoid: (yield* asProbe(state, Records.approvals(focus.id))).map((a) => a.approvedBy)
        })
      case "LinkedRecord": {
        const targetType = g.recordType ?? "checked_target"
        const need = analysis.linkNeeds.find((l) => l.kind === g.kind && l.targetType === targetType)
        const stub = analysis.stubs.find((s) => s.type.name === targetType)
        if (need === undefined) break
        const links = (yield* asProbe(state, Records.links(focus.id, { kind: g.kind }))).map((l) => ({
          recordId: l.other.id,
          recordType: l.other.type,
          state: l.other.state
        }))
        const wrong = links.find((l) => l.recordType === targetType && !g.states.includes(l.state))
        const wrongTarget = state.targets.find((x) => x.id === wrong?.recordId)
        if (wrongTarget !== undefined && stub !== undefined)
          return as("target", { move: { target: wrongTarget, state: pickFrom(g.states, c.seed) } })
        const linked = new Set(links.map((l) => l.recordId))
        const pool = (targetType === type.name ? state.records : state.targets).filter(
          (x) => x.type === targetType && x.id !== focus.id && !linked.has(x.id)
        )
        const ready = pool.filter((x) => g.states.includes(fp.rows.get(x.id)?.state ?? ""))
        if (ready.length > 0) return as("link", { link: { need, target: pickFrom(ready, c.seed) } })
        if (stub !== undefined && pool.length > 0)
          return as("target", { move: { target: pickFrom(pool, c.seed), state: pickFrom(g.states, c.seed) } })
        if (stub !== undefined) return as("target", { create: stub })
        break
      }
      case "Custom": {
        // What a custom guard reads is unknown; the fields editable now are the likely lever.
        const editable = Workflow.editableFields(wf, row.state).filter(plainPath)
        if (editable.length > 0) return as("update", { path: pickFrom(editable, c.seed) })
        break
      }
      default:
        break
    }
    return undefined as Resolved | undefined
  })
