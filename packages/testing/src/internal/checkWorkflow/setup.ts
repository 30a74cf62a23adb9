// What every run of one check shares: the record type under test, what to generate, who acts, and the layer.
import { Guard, Policy, type Workflow } from "@airworthy/core"
import { RecordType } from "@airworthy/records"
import type { StorageError } from "@airworthy/storage"
import { Arbitrary, type Clock, type Effect, type FastCheck as fc, type Layer, Schema } from "effect"
import type { ActorSpec, Options } from "../../CheckWorkflow.js"
import * as RecordsTestLayer from "../../RecordsTestLayer.js"
import { type Analysis, analyse, derivedSchema, prefixOf, sanitizeName } from "./analysis.js"
import { makeClock } from "./clock.js"

export interface Setup<R> {
  readonly wf: Workflow.Workflow<R>
  readonly type: RecordType.Any<R>
  readonly analysis: Analysis
  readonly schema: Schema.Schema<unknown, unknown>
  readonly createData: fc.Arbitrary<unknown>
  readonly patches: fc.Arbitrary<{ readonly [key: string]: unknown }> | undefined
  readonly cast: ReadonlyArray<ActorSpec>
  readonly verifyEveryCommand: boolean
  readonly tick: Effect.Effect<void>
}

/** The role of the checker's own actor, who may do anything: it reads, probes and moves link targets. */
export const probeRole = "checkworkflow_probe"

const defaultCast = (policy: Policy.Rules): ReadonlyArray<ActorSpec> => [
  ...Object.keys(policy.roles)
    .filter((r) => r !== probeRole)
    .flatMap((role) => [1, 2].map((i) => ({ actorId: `u-${role}-${i}`, roles: [role] }))),
  { actorId: "u-nobody", roles: [] }
]

/** The runs' setup from the definition and the options, with the clock they run on and the records layer. */
export const makeSetup = <R, A, I>(
  wf: Workflow.Workflow<R>,
  options: Options<A, I>,
  seed: number
): {
  readonly setup: Setup<R>
  readonly clock: Clock.Clock
  readonly layer: Layer.Layer<RecordsTestLayer.Services, StorageError.StorageError, R>
} => {
  const rt = options.recordType
  const name = sanitizeName(rt?.name ?? wf.name)
  const analysis = analyse(wf, name)
  const schema = (rt?.schema ?? derivedSchema(analysis.paths)) as Schema.Schema<unknown, unknown>
  const title =
    (rt?.title as ((d: unknown) => string) | undefined) ??
    ((d: unknown) => {
      const t = Guard.valueAt(d, "title")
      return typeof t === "string" ? t : ""
    })
  const type = RecordType.make<unknown, unknown, R>({
    name,
    prefix: rt?.prefix ?? prefixOf(name),
    schema,
    workflow: wf,
    title,
    ...(rt?.permissions ? { permissions: rt.permissions } : {})
  })
  const createData = rt?.data ?? Arbitrary.make(schema).map((a) => Schema.encodeSync(schema)(a))
  const policyConfig: Policy.Config = {
    ...options.policy,
    roles: { ...options.policy?.roles, [probeRole]: ["*"] }
  }
  const rules = Policy.make(policyConfig)
  const { clock, tick } = makeClock(Date.parse("2026-01-05T08:00:00.000Z"))
  const setup: Setup<R> = {
    wf,
    type,
    analysis,
    schema,
    createData,
    patches: rt?.editable,
    cast: options.actors ?? defaultCast(rules),
    verifyEveryCommand: options.verifyChain !== "end-of-run",
    tick
  }
  const layer = RecordsTestLayer.make<R>({
    types: [type, ...analysis.stubs.map((s) => s.type as RecordType.Any<R>)],
    links: analysis.linkNeeds
      .map((l) => l.kind)
      .filter((k, i, all) => all.indexOf(k) === i)
      .map((kind) => RecordType.link({ kind })),
    policy: policyConfig,
    seed: seed % 1000,
    ...(options.database ? { database: options.database } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.interceptAuditLog ? { interceptAuditLog: options.interceptAuditLog } : {})
  })
  return { setup, clock, layer }
}
