/**
 * `checkWorkflow`: a model-based property test of any workflow definition (the built-in ones or a
 * host's own) on a real database, through the records runtime.
 *
 * Each run is a random sequence of commands on a fresh tenant: create, update (editable and
 * non-editable fields, valid and invalid data), assign, every transition with and without its
 * requirements (reason, signature meaning, evidence, verification by the owner or by someone else,
 * approvals, linked records in the right or wrong state), by actors with and without the permission.
 * What to generate is read from the definition: its guards say which evidence kinds, verification
 * results, approvals, link kinds and data paths matter. After every command the invariants below are
 * checked; on failure fast-check shrinks the sequence and the error names the broken invariant and
 * lists the commands in words.
 *
 * ```ts
 * it.effect("the finding workflow keeps its promises", () =>
 *   checkWorkflow(BuiltinWorkflows.finding, { runs: 200, recordType: { schema: FindingData } }))
 * ```
 *
 * @since 0.1.0
 */
import type { AuditLog } from "@airworthy/audit"
import { type Policy, Workflow } from "@airworthy/core"
import type { RecordHooks, RecordType } from "@airworthy/records"
import { Data, Effect, Either, FastCheck as fc, Layer, Runtime, type Schema } from "effect"
import { type Command, commandArbitrary } from "./internal/checkWorkflow/commands.js"
import { runScenario } from "./internal/checkWorkflow/scenario.js"
import type { Services, Stats } from "./internal/checkWorkflow/scenarioState.js"
import { makeSetup } from "./internal/checkWorkflow/setup.js"
import type * as TestDatabase from "./TestDatabase.js"

// ---------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------

/**
 * Every invariant `checkWorkflow` checks, by code, in words.
 * @since 0.1.0
 * @category constants
 */
export const invariants = {
  "state-known": "every record is in one of the definition's states",
  "defined-transitions":
    "only defined transitions happened: the history matches the definition and nothing else moved the state",
  "guards-held":
    "every successful transition had its permission, reason, signature and guards met on the state before it",
  "step-agrees": "the runtime decides every transition as the workflow step does on the same snapshot",
  "failure-changes-nothing": "a failed command changed nothing (records, versions, side tables, audit log)",
  "audit-events": "each successful command appended exactly its audit events",
  "version-increment": "the version grows by exactly one for each change of the record itself, and not otherwise",
  "audit-chain": "the tenant's audit chain verifies",
  "terminal-accepts-nothing": "a terminal state accepts no transition (InvalidTransition, nothing written)",
  "permission-held": "a command succeeded only for an actor holding its permission",
  "editable-only": "an update changed only fields editable in the record's state",
  "data-valid": "stored data always decodes with the record type's schema",
  "typed-failures": "commands fail with typed errors, never with defects",
  "definition-valid": "the definition is a valid workflow",
  "checker-ran": "the checker could read the database it checks"
} as const

/**
 * The code of an invariant.
 * @since 0.1.0
 * @category models
 */
export type Invariant = keyof typeof invariants

/**
 * `checkWorkflow` found a broken invariant. `commands` is the shrunk command sequence, in words;
 * `seed` and `path` replay it (`checkWorkflow(wf, { seed, path })`).
 * @since 0.1.0
 * @category errors
 */
export class CheckWorkflowFailed extends Data.TaggedError("CheckWorkflowFailed")<{
  readonly workflow: string
  readonly invariant: Invariant
  readonly detail: string
  readonly commands: ReadonlyArray<string>
  readonly seed: number
  readonly path: string
  readonly numRuns: number
  readonly numShrinks: number
}> {
  override get message(): string {
    const what = [
      `checkWorkflow(${this.workflow}) broke the invariant '${this.invariant}': ${invariants[this.invariant]}.`,
      `What happened: ${this.detail}`
    ]
    if (this.commands.length === 0) return what.join("\n")
    return [
      ...what,
      `Shrunk command sequence (${this.commands.length} lines, after ${plural(this.numRuns, "run")} and ${plural(this.numShrinks, "shrink")}):`,
      ...this.commands.map((c) => `  ${c}`),
      `Replay with { seed: ${this.seed}, path: "${this.path}" }.`
    ].join("\n")
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

// ---------------------------------------------------------------------------------------------
// Options and report
// ---------------------------------------------------------------------------------------------

/**
 * The record type the workflow runs on. Without it, a schema is derived from the definition: every
 * data path its states make editable or its guards require, as optional text.
 * @since 0.1.0
 * @category models
 */
export interface RecordTypeOptions<A = unknown, I = unknown> {
  /** Default: the workflow's name. */
  readonly name?: string
  /** Default: derived from the name. */
  readonly prefix?: string
  readonly schema: Schema.Schema<A, I>
  /** Data for `create`, in encoded (JSON) form. Default: `Arbitraries.encoded(schema)`. */
  readonly data?: fc.Arbitrary<unknown>
  /** Merge patches for `update`, used beside the patches derived from the definition. */
  readonly editable?: fc.Arbitrary<{ readonly [key: string]: unknown }>
  /** Default: `data.title` when it is text. */
  readonly title?: (data: A) => string
  readonly permissions?: Partial<RecordType.Permissions>
}

/**
 * Someone who may act in a run (the tenant is the run's).
 * @since 0.1.0
 * @category models
 */
export interface ActorSpec {
  readonly actorId: string
  readonly roles: ReadonlyArray<string>
  readonly displayName?: string
}

/**
 * Settings of `checkWorkflow`.
 * @since 0.1.0
 * @category models
 */
export interface Options<A = unknown, I = unknown> {
  /** Runs (command sequences). Default 100. */
  readonly runs?: number
  /** Most commands per run (besides the first create). Default 16. */
  readonly maxCommands?: number
  /** One database for every run (each run has its own tenant). Default SQLite in memory. */
  readonly database?: TestDatabase.TestLayer
  /** fast-check seed, to replay a failure. */
  readonly seed?: number
  /** fast-check path, with `seed`, to replay the shrunk failure directly. */
  readonly path?: string
  readonly recordType?: RecordTypeOptions<A, I>
  /** Default: two actors per role of the policy, and one with no roles. */
  readonly actors?: ReadonlyArray<ActorSpec>
  /** The host's role configuration. */
  readonly policy?: Policy.Config
  /** The host's in-transaction hooks (default none). */
  readonly hooks?: Layer.Layer<RecordHooks.RecordHooks>
  /** Fault injection into the audit log the runtime writes through; see `RecordsTestLayer`. */
  readonly interceptAuditLog?: (service: AuditLog.Service) => AuditLog.Service
  /** Most shrinking attempts after a failure (default 300); the smallest failure found by then is reported. */
  readonly maxShrinks?: number
  /** Verify the audit chain after every command (default) or once at the end of each run. */
  readonly verifyChain?: "every-command" | "end-of-run"
}

/**
 * What a passing check covered.
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly workflow: string
  readonly runs: number
  readonly commands: number
  readonly seed: number
  /** Per transition: how often it was taken and refused. */
  readonly transitions: { readonly [transition: string]: { readonly taken: number; readonly refused: number } }
  /** Per state: in how many runs a record reached it. */
  readonly states: { readonly [state: string]: number }
}

// ---------------------------------------------------------------------------------------------
// checkWorkflow
// ---------------------------------------------------------------------------------------------

/**
 * Property-tests a workflow definition on a real database through the records runtime: random
 * command sequences, every invariant of `invariants` checked after each command. Succeeds with what
 * the runs covered; fails with `CheckWorkflowFailed` naming the broken invariant and the shrunk
 * command sequence in words.
 *
 * `R` is what the workflow's custom guards need; provide it as you would to the runtime.
 * @since 0.1.0
 * @category checking
 */
export const checkWorkflow = <R = never, A = unknown, I = unknown>(
  definition: Workflow.Workflow<R> | Workflow.Definition<R>,
  options: Options<A, I> = {}
): Effect.Effect<Report, CheckWorkflowFailed, R> =>
  Effect.gen(function* () {
    const made = Workflow.isWorkflow(definition)
      ? Either.right(definition as Workflow.Workflow<R>)
      : Workflow.make(definition)
    if (Either.isLeft(made)) {
      return yield* new CheckWorkflowFailed({
        workflow: String((definition as { name?: unknown }).name ?? "(unnamed)"),
        invariant: "definition-valid",
        detail: made.left.message,
        commands: [],
        seed: 0,
        path: "",
        numRuns: 0,
        numShrinks: 0
      })
    }
    const wf = made.right
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
    const numRuns = options.runs ?? 100
    const { setup, clock, layer } = makeSetup(wf, options, seed)

    const check = Effect.gen(function* () {
      const runtime = yield* Effect.runtime<Services | R>()
      const run = (commands: ReadonlyArray<Command>, stats: Stats | undefined) =>
        Runtime.runPromise(runtime)(Effect.withClock(runScenario(setup, commands, stats), clock))
      const stats: Stats = { commands: 0, transitions: {}, states: {} }
      let shrinking = false
      let shrinkRuns = 0
      const maxShrinks = options.maxShrinks ?? 300
      const property = fc.asyncProperty(
        fc.array(commandArbitrary(setup.analysis.weights), { maxLength: options.maxCommands ?? 16, size: "max" }),
        async (commands) => {
          // Past the budget every candidate "passes", so fast-check stops at the smallest failure found so far.
          if (shrinking && ++shrinkRuns > maxShrinks) return
          const outcome = await run(commands, shrinking ? undefined : stats)
          if (outcome.broken !== undefined) {
            shrinking = true
            throw new Error(`${outcome.broken.invariant}: ${outcome.broken.detail}`)
          }
          stats.commands += commands.length + 1
          for (const s of outcome.states) stats.states[s] = (stats.states[s] ?? 0) + 1
        }
      )
      const details = yield* Effect.promise(() =>
        fc.check(property, {
          numRuns,
          seed,
          ...(options.path !== undefined ? { path: options.path } : {}),
          endOnFailure: false
        })
      )
      if (!details.failed || details.counterexample === null) {
        return {
          workflow: wf.name,
          runs: details.numRuns,
          commands: stats.commands,
          seed,
          transitions: stats.transitions,
          states: stats.states
        } satisfies Report
      }
      // Replay the shrunk sequence once more to tell it in words.
      const [commands] = details.counterexample
      const outcome = yield* Effect.promise(() => run(commands, undefined))
      const fromError = String(details.errorInstance instanceof Error ? details.errorInstance.message : details.error)
      const invariant =
        outcome.broken?.invariant ??
        (Object.keys(invariants).find((k) => fromError.startsWith(`${k}:`)) as Invariant | undefined) ??
        "checker-ran"
      return yield* new CheckWorkflowFailed({
        workflow: wf.name,
        invariant,
        detail: outcome.broken?.detail ?? fromError,
        commands: outcome.transcript,
        seed: details.seed,
        path: details.counterexamplePath ?? "",
        numRuns: details.numRuns,
        numShrinks: details.numShrinks
      })
    })
    return yield* check.pipe(Effect.provide(Layer.orDie(layer)))
  })
