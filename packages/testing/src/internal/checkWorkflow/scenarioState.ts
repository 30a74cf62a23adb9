// The state of one run, passed explicitly to each of its parts: its tenant and actors, and what it made so far.
import type { AuditLog } from "@airworthy/audit"
import { Actor, Policy } from "@airworthy/core"
import type { Records, RecordType } from "@airworthy/records"
import { Storage } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import type { ActorSpec } from "../../CheckWorkflow.js"
import { sanitizeName } from "./analysis.js"
import { type Command, entitled } from "./commands.js"
import { type Fingerprint, fingerprint } from "./fingerprint.js"
import { pickFrom, unique } from "./lists.js"
import { topLevelKeys, type ValidValue, validValues } from "./schemaValues.js"
import { probeRole, type Setup } from "./setup.js"

export type Services = Records.Records | AuditLog.AuditLog | Policy.Policy | Storage.Storage | SqlClient.SqlClient

/** A part of a run: it fails with a broken invariant or whatever the runtime failed with. */
export type ScenarioEffect<A, R = never> = Effect.Effect<A, unknown, Services | R>

/** What the runs covered, summed over every run but the ones fast-check shrinks. */
export interface Stats {
  commands: number
  transitions: Record<string, { taken: number; refused: number }>
  states: Record<string, number>
}

/** A record the run made, as the transcript names it. */
export interface Tracked {
  readonly id: string
  readonly type: string
  readonly label: string
}

export interface ScenarioState<R> {
  readonly setup: Setup<R>
  /** Where taken and refused transitions are counted; none while shrinking. */
  readonly stats: Stats | undefined
  readonly tenant: string
  readonly dialect: Storage.Dialect
  readonly can: (actor: Actor.Actor, permission: string) => boolean
  /** The actors commands are given by. */
  readonly cast: ReadonlyArray<Actor.Actor>
  /** The checker's own actor, holding every permission. */
  readonly probe: Actor.Actor
  /** The record type under test and the link-target types, by name. */
  readonly typeByName: ReadonlyMap<string, RecordType.Any<R>>
  readonly validValue: ValidValue
  /** Data paths an update may aim at: the definition's and the schema's top-level members. */
  readonly knownPaths: ReadonlyArray<string>
  /** The records of the type under test, in order of creation. */
  readonly records: Array<Tracked>
  /** The link targets (records of stub types). */
  readonly targets: Array<Tracked>
  /** The commands in words, as they ran. */
  readonly transcript: Array<string>
  /** The states records of the type under test were seen in. */
  readonly reached: Set<string>
  /** Records probed in their terminal state; a terminal state can never be left, so once is enough. */
  readonly probed: Set<string>
  /** The audit sequence up to which the chain is verified. */
  verifiedUpTo: number
  /** What the previous command left: the next one starts from it (probes in between write nothing). */
  latest: Fingerprint | undefined
  /** A record a transition just took into a terminal state, to probe after the command is judged. */
  pendingProbe: Tracked | undefined
}

let tenantCounter = 0

/** A fresh run on a tenant of its own. */
export const makeScenarioState = <R>(setup: Setup<R>, stats: Stats | undefined) =>
  Effect.gen(function* () {
    const { dialect } = yield* Storage.Storage
    const rules = yield* Policy.Policy
    const { type, analysis } = setup
    const tenant = `cw-${sanitizeName(setup.wf.name)}-${++tenantCounter}-${process.pid}`
    const person = (spec: ActorSpec) =>
      Actor.make({
        tenantId: tenant,
        actorId: spec.actorId,
        displayName: spec.displayName ?? spec.actorId,
        roles: spec.roles,
        traceId: `trace-${tenant}`,
        source: "api"
      })
    const state: ScenarioState<R> = {
      setup,
      stats,
      tenant,
      dialect,
      can: (actor, permission) => rules.can(actor, permission),
      cast: setup.cast.map(person),
      probe: person({ actorId: "checkworkflow-probe", roles: [probeRole], displayName: "checkWorkflow" }),
      typeByName: new Map<string, RecordType.Any<R>>([
        [type.name, type],
        ...analysis.stubs.map((s) => [s.type.name, s.type as RecordType.Any<R>] as const)
      ]),
      validValue: validValues(setup.schema, setup.createData),
      knownPaths: unique([...analysis.paths, ...topLevelKeys(setup.schema)]),
      records: [],
      targets: [],
      transcript: [],
      reached: new Set(),
      probed: new Set(),
      verifiedUpTo: 0,
      latest: undefined,
      pendingProbe: undefined
    }
    return state
  })

/** What the database holds for the run's tenant now. */
export const readFingerprint = <R>(state: ScenarioState<R>): ScenarioEffect<Fingerprint> =>
  fingerprint(state.dialect, state.tenant)

export const asProbe = <R, A, E, R2>(state: ScenarioState<R>, self: Effect.Effect<A, E, R2>) =>
  Actor.withActor(self, state.probe)

export const describeActor = (a: Actor.Actor) =>
  `${a.actorId} (${a.roles.length === 0 ? "no roles" : a.roles.join("+")})`

export const canRead = <R>(state: ScenarioState<R>, actor: Actor.Actor, t: RecordType.Any<R>) =>
  state.can(actor, t.permissions.read) || state.can(actor, "record.read")

/** The actor a command is given by: mostly one holding the permission, preferring those `prefer` picks. */
export const chooseActor = <R>(
  state: ScenarioState<R>,
  c: Command,
  permission: string | undefined,
  prefer?: (a: Actor.Actor) => boolean
) => {
  const holders = permission === undefined ? state.cast : state.cast.filter((a) => state.can(a, permission))
  let pool = entitled(c) && holders.length > 0 ? holders : state.cast
  if (prefer !== undefined && pool.some(prefer)) pool = pool.filter(prefer)
  return pickFrom(pool, c.who)
}

/** Runs a records command as `actor`, keeping its outcome. */
export const exec = (actor: Actor.Actor, self: Effect.Effect<unknown, unknown, Records.Records | Actor.CurrentActor>) =>
  Effect.exit(Actor.withActor(self, actor))
