/**
 * `createQms()`: the QMS for hosts that do not use Effect. Its methods are derived from the modules:
 * `qms.<module>.<operation>(input, { actor })` for every declared operation. Each returns a Promise,
 * validates its input with the operation's Schema, authorises exactly as the HTTP route does, runs
 * as one transaction, and rejects with the same tagged error object an Effect caller would see
 * (`code`, `problemType`, `status`, `_tag`).
 *
 * ```ts
 * const qms = await createQms({ database: { sqlite: "qms.db" }, signingKey })
 * const finding = await qms.findings.raise({ title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-olive" }, { actor })
 * const { capa } = await qms.findings.raiseCapa({ id: finding.id }, { actor })
 * await qms.dispose()
 * ```
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { TreeHead } from "@airworthy/audit"
import { Actor, Errors } from "@airworthy/core"
import { EvidencePack } from "@airworthy/evidence"
import { Dispatcher, Transport } from "@airworthy/notify"
import { type QmsRecord, Records, SignerVerification } from "@airworthy/records"
import {
  type BlobStore,
  Directory,
  type Storage,
  type StorageError,
  StorageError as StorageErrors
} from "@airworthy/storage"
import { StaffDirectory } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import * as Evidence from "./evidence/Evidence.js"
import * as Qms from "./Qms.js"
import * as QmsModule from "./QmsModule.js"

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
export interface Options<Ms extends ReadonlyArray<QmsModule.Any> = typeof Qms.modules> {
  readonly database: Database
  /** The modules (default `Qms.modules`); each gets its namespace of methods. */
  readonly modules?: Ms
  /** Ed25519 private key (PEM) signing audit checkpoints. Without it a key is generated per process (development only). */
  readonly signingKey?: string | Redacted.Redacted<string>
  /**
   * Public keys (SPKI PEM) of earlier signing keys by key id, kept after a rotation so the checkpoints
   * they signed still verify; `qms.auditTrail.keys` lists them after the current one.
   * @since 0.1.0
   */
  readonly verificationKeys?: { readonly [keyId: string]: string }
  readonly policy?: Qms.Config["policy"]
  readonly tasks?: Qms.Config["tasks"]
  /** The host's people directory; default the SQL directory filled with `qms.staff.upsert`. */
  readonly directory?: Directory.Service
  /** When given, a background dispatcher sends queued emails through it. */
  readonly transport?: Transport.Service
  /**
   * Sends queued emails over SMTP (nodemailer) from a background dispatcher, with retries and a
   * circuit breaker: `{ host, port, secure, auth?, from }`. `transport`, when also given, wins.
   * @since 0.1.0
   */
  readonly smtp?: Transport.SmtpOptions
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
  /**
   * Where attachment content is kept (`BlobStore.directory({ path })`, the default at
   * `./airworthy-blobs`; `BlobStore.database()`; or the host's own layer).
   */
  readonly blobs?: Qms.Config["blobs"]
  /** Attachment uploads: largest size (per tenant) and allowed media types. */
  readonly attachments?: Qms.Config["attachments"]
  /**
   * Signs audit checkpoints in the background (default off): every `everyMillis` (default 5 minutes,
   * at least 1 s), for every tenant with at least `minEvents` (default 1) events no checkpoint covers
   * yet. Without it, checkpoints are signed when an evidence pack is exported. Safe in several
   * processes at once.
   * @since 0.1.0
   */
  readonly checkpoints?: Qms.Config["checkpoints"]
  /**
   * Runs the task sweeper in the background (default off): reminders, due notices and escalations
   * of the tasks' ladders, each performed once even with several processes. `true`: every 10 s.
   * @since 0.1.0
   */
  readonly sweeper?: Qms.Config["sweeper"]
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
 * The methods of a list of modules: `qms.<module>.<operation>(input, call)`.
 * @since 0.1.0
 * @category models
 */
export type Facade<Ms extends ReadonlyArray<QmsModule.Any>> = {
  readonly [M in Ms[number] as M["name"]]: QmsModule.FacadeOf<M, Call>
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

/**
 * The database layer, loading only the driver entry the host chose: `@airworthy/storage/sqlite`
 * needs `@effect/sql-sqlite-node`, `@airworthy/storage/pg` needs `@effect/sql-pg`, and a host
 * installs only its own.
 */
const databaseLayer = async (
  db: Database
): Promise<Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError>> => {
  if ("layer" in db) return db.layer
  const [entry, driver] =
    "sqlite" in db
      ? (["@airworthy/storage/sqlite", "@effect/sql-sqlite-node"] as const)
      : (["@airworthy/storage/pg", "@effect/sql-pg"] as const)
  try {
    if ("sqlite" in db) {
      const { Sqlite } = await import("@airworthy/storage/sqlite")
      return Sqlite.layer({ filename: db.sqlite })
    }
    const { Postgres } = await import("@airworthy/storage/pg")
    return Postgres.layer({ url: db.postgres })
  } catch (cause) {
    throw new StorageErrors.StorageError({
      reason: "connection",
      message: `Cannot load ${entry}: install its driver (npm install ${driver}): ${cause instanceof Error ? cause.message : String(cause)}`
    })
  }
}

/** A SQLite file in a directory that does not exist: said plainly, before the driver says it its way. */
const missingDirectory = (db: Database): StorageError.StorageError | undefined => {
  if (!("sqlite" in db) || db.sqlite === ":memory:" || db.sqlite.startsWith("file:")) return undefined
  const dir = dirname(resolve(db.sqlite))
  return existsSync(dir)
    ? undefined
    : new StorageErrors.StorageError({
        reason: "connection",
        message: `Cannot open the SQLite database ${db.sqlite}: the directory ${dir} does not exist (create it first)`
      })
}

/**
 * Start-up failures as the calls' errors: the tagged error itself (a `StorageError` with its `code`,
 * a `ValidationFailed`, ...), never a `FiberFailure` wrapper; a defect becomes a `StorageError`
 * naming it.
 */
const startupError = (cause: Cause.Cause<unknown>): unknown => {
  const failure = Cause.failureOption(cause)
  if (failure._tag === "Some") return failure.value
  const defect = Cause.squash(cause)
  return StorageErrors.fromCause(defect, "The QMS could not start")
}

/**
 * Creates the QMS: opens the database, runs migrations, and resolves when it is ready. It rejects
 * with the same tagged, coded errors as the calls: `StorageError` (`code` `storage_connection` for a
 * database it cannot reach or a SQLite directory that does not exist, `storage_migration`, ...).
 * @since 0.1.0
 * @category constructors
 */
export const createQms = async <const Ms extends ReadonlyArray<QmsModule.Any> = typeof Qms.modules>(
  options: Options<Ms>
) => {
  const modules: ReadonlyArray<QmsModule.Any> = options.modules ?? Qms.modules
  const missing = missingDirectory(options.database)
  if (missing !== undefined) throw missing
  const database = await databaseLayer(options.database)
  const qmsLayer = Qms.layer({
    signingKey: options.signingKey ?? TreeHead.generateKey(),
    modules,
    ...(options.verificationKeys === undefined ? {} : { verificationKeys: options.verificationKeys }),
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.tasks === undefined ? {} : { tasks: options.tasks }),
    ...(options.directory === undefined ? {} : { directory: Directory.layer(options.directory) }),
    ...(options.verifySigner === undefined ? {} : { signer: signerLayer(options.verifySigner) }),
    ...(options.blobs === undefined ? {} : { blobs: options.blobs }),
    ...(options.attachments === undefined ? {} : { attachments: options.attachments }),
    ...(options.checkpoints === undefined ? {} : { checkpoints: options.checkpoints }),
    ...(options.sweeper === undefined ? {} : { sweeper: options.sweeper })
  }).pipe(Layer.provideMerge(database))
  const transport =
    options.transport !== undefined
      ? Transport.layer(options.transport)
      : options.smtp !== undefined
        ? Transport.layerSmtp(options.smtp)
        : undefined
  const dispatcher =
    transport === undefined ? Layer.empty : Dispatcher.layer().pipe(Layer.provide(transport), Layer.provide(qmsLayer))
  const runtime = ManagedRuntime.make(Layer.merge(qmsLayer, dispatcher))
  const started = await Effect.runPromiseExit(runtime.runtimeEffect)
  if (Exit.isFailure(started)) {
    await runtime.dispose().catch(() => undefined)
    throw startupError(started.cause)
  }

  const run = async <A, E>(
    effect: Effect.Effect<A, E, QmsModule.Needs | EvidencePack.EvidencePack>,
    call: Call
  ): Promise<A> => {
    const exit = await runtime.runPromiseExit(Actor.withActor(effect, toActor(call.actor)))
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    throw failure._tag === "Some" ? failure.value : Cause.squash(exit.cause)
  }
  // One method per declared operation, through the same `invoke` as the routes and Effect callers.
  const facade = Object.fromEntries(
    modules.map((m) => [
      m.name,
      Object.fromEntries(
        m.operations.map((op: QmsModule.AnyOperation) => {
          const call = QmsModule.invoke(op)
          return [op.name, (input: unknown, c: Call) => run(call(input), c)]
        })
      )
    ])
  ) as Facade<Ms>

  return {
    ...facade,
    /** The Effect runtime, for hosts that mix both styles. */
    runtime,
    /** Attachment content: upload a file as a new attachment of a record, download it whole or a range. */
    content: {
      /**
       * Streams `content` into the blob store and attaches it; rejects like the HTTP route (403, 404,
       * 413 `content_too_large`, 415/422 media type, 422 `content_hash_mismatch`), storing nothing.
       */
      upload: (
        input: Records.UploadInput,
        content: Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
        c: Call
      ) =>
        run(
          Records.upload(
            input,
            content instanceof Uint8Array
              ? Stream.make(content)
              : content instanceof ReadableStream
                ? Stream.fromReadableStream(
                    () => content,
                    (cause) => new Errors.ValidationFailed({ issues: [{ path: "content", message: String(cause) }] })
                  )
                : Stream.fromAsyncIterable(
                    content,
                    (cause) => new Errors.ValidationFailed({ issues: [{ path: "content", message: String(cause) }] })
                  )
          ),
          c
        ),
      /** The content (or `range`, inclusive) as a web `ReadableStream`, with the attachment and the whole size. */
      download: async (
        recordId: string,
        attachmentId: string,
        c: Call & { readonly range?: BlobStore.Range }
      ): Promise<{
        readonly attachment: QmsRecord.Attachment
        readonly size: number
        readonly range: BlobStore.Range
        readonly stream: ReadableStream<Uint8Array>
      }> => {
        const found = await run(Records.content(recordId, attachmentId, c.range), c)
        return { ...found, stream: Stream.toReadableStream(found.stream) }
      }
    },
    /** Evidence packs (permission `evidence.export`); each export is audited (`evidence.exported`). */
    evidence: {
      ...(facade as { readonly evidence?: object }).evidence,
      /**
       * Exports a record's evidence pack: checks first (rejects 403, 404, 413 `evidence_pack_too_large`,
       * 422 `evidence_attachment_corrupted`), audits it, stores it on the record with `store: true`
       * and emails `notify`; resolves with the manifest and the ZIP as a web `ReadableStream`
       * (built while read) and the summary PDF's bytes.
       */
      exportPack: async (recordId: string, c: Call & Evidence.ExportOptions): Promise<Evidence.ExportedStream> => {
        const { actor: _actor, ...options } = c
        const exported = await run(Evidence.exportPack(recordId, options), c)
        const { pack } = exported
        return {
          manifest: pack.manifest,
          manifestSha256: pack.manifestSha256,
          size: pack.size,
          fileName: pack.fileName,
          summaryPdf: pack.summaryPdf,
          attachment: exported.attachment,
          event: exported.event,
          stream: Stream.toReadableStream(pack.zip)
        }
      },
      /** Exports a record's evidence pack into a file (written whole or not at all); resolves with its manifest hash. */
      writePack: (
        recordId: string,
        path: string,
        c: Call & Omit<Evidence.ExportOptions, "format">
      ): Promise<{
        readonly manifestSha256: string
        readonly size: number
        readonly attachment: QmsRecord.Attachment | undefined
      }> => {
        const { actor: _actor, ...options } = c
        return run(
          Effect.flatMap(Evidence.exportPack(recordId, options), ({ attachment, pack }) =>
            Effect.as(EvidencePack.writeFile(pack, path), {
              manifestSha256: pack.manifestSha256,
              size: pack.size,
              attachment
            })
          ),
          c
        )
      }
    },
    staff: {
      /** Adds or updates people in the SQL directory (email addresses, roles, supervisors). */
      upsert: (...people: ReadonlyArray<StaffDirectory.Staff>) => runtime.runPromise(StaffDirectory.upsert(...people))
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
export type QmsClient = Awaited<ReturnType<typeof createQms<typeof Qms.modules>>>
