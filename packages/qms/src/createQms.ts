/**
 * `createQms()`: the QMS for hosts that do not use Effect. Every operation returns a Promise, takes
 * the acting user (`{ actor }`), runs as one transaction, and rejects with the same tagged error
 * object an Effect caller would see (`code`, `problemType`, `status`, `_tag`).
 *
 * ```ts
 * const qms = await createQms({ database: { sqlite: "qms.db" }, signingKey })
 * const finding = await qms.findings.raise({ title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-olive" }, { actor })
 * const { capa } = await qms.findings.raiseCapa(finding.id, { actor })
 * await qms.dispose()
 * ```
 *
 * @since 0.1.0
 */
import { AuditLog, TreeHead } from "@airworthy/audit"
import { Actor, Errors } from "@airworthy/core"
import { Dispatcher, Transport } from "@airworthy/notify"
import { type QmsRecord, Records, SignerVerification } from "@airworthy/records"
import { Storage, type StorageError } from "@airworthy/storage"
import { Directory } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Redacted } from "effect"
import * as AuditActions from "./audits/actions.js"
import * as CapaActions from "./capa/actions.js"
import * as CapaQueries from "./capa/queries.js"
import * as FindingActions from "./findings/actions.js"
import * as FindingQueries from "./findings/queries.js"
import * as ProgrammeActions from "./programme/actions.js"
import * as ProgrammeQueries from "./programme/queries.js"
import * as Qms from "./Qms.js"

/**
 * Where the QMS keeps its data: a SQLite file, a PostgreSQL URL, or the host's own layer.
 * @since 0.1.0
 * @category models
 */
export type Database =
  | { readonly sqlite: string }
  | { readonly postgres: string | Redacted.Redacted<string> }
  | { readonly layer: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError> }

/**
 * Settings of `createQms`.
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly database: Database
  /** Ed25519 private key (PEM) signing audit checkpoints. Without it a key is generated per process (development only). */
  readonly signingKey?: string | Redacted.Redacted<string>
  readonly policy?: Qms.Config["policy"]
  readonly tasks?: Qms.Config["tasks"]
  /** The host's people directory; default the SQL directory filled with `qms.staff.upsert`. */
  readonly directory?: Directory.Service
  /** When given, a background dispatcher sends queued emails through it. */
  readonly transport?: Transport.Service
  /**
   * Re-authenticates the signer of an electronic signature (21 CFR Part 11: password or PIN re-entry).
   * Resolve `true` to accept; `false` or a rejection refuses the signature with `Unauthenticated`.
   * Without it every signature of an authenticated actor is accepted.
   */
  readonly verifySigner?: (request: {
    readonly tenantId: string
    readonly actorId: string
    readonly meaning: string
    readonly recordId: string
    readonly credential: string | undefined
  }) => Promise<boolean>
}

const signerLayer = (verify: NonNullable<Options["verifySigner"]>) =>
  SignerVerification.layer((request) =>
    Effect.tryPromise(() =>
      verify({
        tenantId: request.actor.tenantId,
        actorId: request.actor.actorId,
        meaning: request.meaning,
        recordId: request.recordId,
        credential: request.credential === undefined ? undefined : Redacted.value(request.credential)
      })
    ).pipe(
      Effect.orElseSucceed(() => false),
      Effect.flatMap((ok) =>
        ok
          ? Effect.void
          : Effect.fail(new Errors.Unauthenticated({ detail: "The signer could not be re-authenticated" }))
      )
    )
  )

/**
 * The acting user: an `Actor` or its plain fields (the trace id defaults to `createQms`).
 * @since 0.1.0
 * @category models
 */
export type ActorInput =
  | Actor.Actor
  | {
      readonly tenantId: string
      readonly actorId: string
      readonly displayName?: string
      readonly roles: ReadonlyArray<string>
      readonly traceId?: string
    }

/**
 * What every call takes.
 * @since 0.1.0
 * @category models
 */
export interface Call {
  readonly actor: ActorInput
}

/**
 * A transition request: its reason and signature, when the workflow asks for them.
 * @since 0.1.0
 * @category models
 */
export interface TransitionCall extends Call {
  readonly reason?: string
  readonly signature?: { readonly meaning: string; readonly credential?: string }
  readonly expectedVersion?: number
}

const toActor = (a: ActorInput): Actor.Actor =>
  a instanceof Actor.Actor
    ? a
    : Actor.make({
        tenantId: a.tenantId,
        actorId: a.actorId,
        displayName: a.displayName ?? a.actorId,
        roles: a.roles,
        traceId: a.traceId ?? "createQms"
      })

const databaseLayer = (db: Database) =>
  "sqlite" in db
    ? Storage.sqlite({ filename: db.sqlite })
    : "postgres" in db
      ? Storage.postgres({ url: db.postgres })
      : db.layer

/**
 * Creates the QMS: opens the database, runs migrations, and resolves when it is ready.
 * @since 0.1.0
 * @category constructors
 */
export const createQms = async (options: Options) => {
  const qmsLayer = Qms.layer({
    signingKey: options.signingKey ?? TreeHead.generateKey(),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.tasks === undefined ? {} : { tasks: options.tasks }),
    ...(options.directory === undefined ? {} : { directory: Directory.layer(options.directory) }),
    ...(options.verifySigner === undefined ? {} : { signer: signerLayer(options.verifySigner) })
  }).pipe(Layer.provideMerge(databaseLayer(options.database)))
  const dispatcher =
    options.transport === undefined
      ? Layer.empty
      : Dispatcher.layer().pipe(Layer.provide(Transport.layer(options.transport)), Layer.provide(qmsLayer))
  const runtime = ManagedRuntime.make(Layer.merge(qmsLayer, dispatcher))
  await runtime.runtime()

  type R = ManagedRuntime.ManagedRuntime.Context<typeof runtime>
  const run = async <A, E>(effect: Effect.Effect<A, E, R | Actor.CurrentActor>, call: Call): Promise<A> => {
    const exit = await runtime.runPromiseExit(Actor.withActor(effect, toActor(call.actor)))
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    throw failure._tag === "Some" ? failure.value : Cause.squash(exit.cause)
  }
  const transition = (id: string, name: string, call: TransitionCall) =>
    run(
      Records.transition({
        id,
        transition: name,
        ...(call.reason === undefined ? {} : { reason: call.reason }),
        ...(call.expectedVersion === undefined ? {} : { expectedVersion: call.expectedVersion }),
        ...(call.signature === undefined
          ? {}
          : {
              signature: {
                meaning: call.signature.meaning,
                ...(call.signature.credential === undefined ? {} : { credential: call.signature.credential })
              }
            })
      }),
      call
    )
  const update = (id: string, data: Record<string, unknown>, call: Call & { readonly reason?: string }) =>
    run(Records.update({ id, data, ...(call.reason === undefined ? {} : { reason: call.reason }) }), call)
  const get = (id: string, call: Call): Promise<QmsRecord.QmsRecord> => run(Records.get(id), call)

  return {
    /** The Effect runtime, for hosts that mix both styles. */
    runtime,
    programme: {
      defineArea: (input: ProgrammeActions.DefineAreaInput, call: Call) =>
        run(ProgrammeActions.defineArea(input), call),
      dueList: (call: Call) => run(ProgrammeQueries.dueList, call),
      transition,
      get
    },
    audits: {
      plan: (input: AuditActions.PlanAuditInput, call: Call) => run(AuditActions.planAudit(input), call),
      recordChecklist: (id: string, checklist: Parameters<typeof AuditActions.recordChecklist>[1], call: Call) =>
        run(AuditActions.recordChecklist(id, checklist), call),
      transition,
      update,
      get
    },
    findings: {
      raise: (input: FindingActions.RaiseFindingInput, call: Call) => run(FindingActions.raiseFinding(input), call),
      attachEvidence: (id: string, file: Parameters<typeof FindingActions.attachEvidence>[1], call: Call) =>
        run(FindingActions.attachEvidence(id, file), call),
      recordVerification: (id: string, call: Call & { readonly result?: string; readonly note?: string }) =>
        run(
          FindingActions.recordVerification(id, {
            ...(call.result === undefined ? {} : { result: call.result }),
            ...(call.note === undefined ? {} : { note: call.note })
          }),
          call
        ),
      raiseCapa: (id: string, call: Call) => run(CapaActions.raiseCapaFromFinding(id), call),
      close: (id: string, call: Call) => run(FindingActions.closeFinding(id), call),
      open: (call: Call) => run(FindingQueries.openFindings(), call),
      timeline: (id: string, call: Call) => run(FindingQueries.findingTimeline(id), call),
      comment: (id: string, body: string, call: Call) => run(Records.comment({ id, body }), call),
      transition,
      update,
      get
    },
    capa: {
      recordEffectiveness: (id: string, check: Parameters<typeof CapaActions.recordEffectiveness>[1], call: Call) =>
        run(CapaActions.recordEffectiveness(id, check), call),
      skipEffectivenessCheck: (id: string, rationale: string, call: Call) =>
        run(CapaActions.skipEffectivenessCheck(id, rationale), call),
      overdue: (call: Call) => run(CapaQueries.overdueCapas, call),
      transition,
      update,
      get
    },
    staff: {
      /** Adds or updates people in the SQL directory (email addresses, roles, supervisors). */
      upsert: (...people: ReadonlyArray<Directory.Staff>) => runtime.runPromise(Directory.upsertStaff(...people))
    },
    auditTrail: {
      /** Recomputes the tenant's audit chain. */
      verify: (tenantId: string) => runtime.runPromise(AuditLog.verify(tenantId))
    },
    /** Closes the database and stops background work. */
    dispose: () => runtime.dispose()
  }
}

/**
 * What `createQms` resolves to.
 * @since 0.1.0
 * @category models
 */
export type QmsClient = Awaited<ReturnType<typeof createQms>>
