/**
 * The QMS as Effect layers, derived from the list of modules: their record types and link kinds,
 * their rules as in-transaction hooks, their permissions and role grants; and one layer that
 * assembles records, tasks, notifications and the audit log over the host's database, migrating it
 * first.
 *
 * ```ts
 * const QmsLive = Qms.layer({ signingKey }).pipe(Layer.provideMerge(Sqlite.layer({ filename: "qms.db" })))
 * const program = Capa.raiseCapaFromFinding(id).pipe(Actor.withActor(quinn))
 * ```
 *
 * @since 0.1.0
 */
import { AuditLog, AuditMigrations, type TreeHead } from "@airworthy/audit"
import { Ids, Policy } from "@airworthy/core"
import { EvidencePack } from "@airworthy/evidence"
import { Notify, NotifyMigrations } from "@airworthy/notify"
import { type AttachmentContent, RecordHooks, Records, RecordsMigrations, SignerVerification } from "@airworthy/records"
import {
  BlobStore,
  type Directory,
  Migrations,
  type Storage,
  type StorageError,
  StorageMigrations
} from "@airworthy/storage"
import { StaffDirectory, Sweeper, type TaskNotifier, Tasks, TasksMigrations } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, type Redacted } from "effect"
import * as AuditTrail from "./audit-trail/module.js"
import * as Audits from "./audits/module.js"
import * as Authorisations from "./authorisations/module.js"
import * as Calibration from "./calibration/Calibration.js"
import * as CalibrationModule from "./calibration/module.js"
import type * as ToolStore from "./calibration/ToolStore.js"
import * as Capa from "./capa/module.js"
import * as Concessions from "./concessions/module.js"
import * as Documents from "./documents/module.js"
import * as Evidence from "./evidence/module.js"
import * as Findings from "./findings/module.js"
import * as Notifications from "./notifications/module.js"
import * as Programme from "./programme/module.js"
import * as QmsModule from "./QmsModule.js"
import * as Rule from "./Rule.js"
import * as RecordOperations from "./records/module.js"
import * as TaskReminders from "./TaskReminders.js"
import * as TaskOperations from "./tasks/module.js"
import * as Training from "./training/module.js"

/**
 * The QMS modules, in the order their routes are mounted. Adding a domain is a folder and one line
 * here; the layer, the routes, OpenAPI and the Promise facade follow from this list.
 * @since 0.1.0
 * @category modules
 */
export const modules: readonly [
  typeof RecordOperations.module,
  typeof Programme.module,
  typeof Audits.module,
  typeof Findings.module,
  typeof Capa.module,
  typeof Documents.module,
  typeof Training.module,
  typeof CalibrationModule.module,
  typeof Concessions.module,
  typeof Authorisations.module,
  typeof TaskOperations.module,
  typeof Notifications.module,
  typeof AuditTrail.module,
  typeof Evidence.module
] = QmsModule.checkAll([
  RecordOperations.module,
  Programme.module,
  Audits.module,
  Findings.module,
  Capa.module,
  Documents.module,
  Training.module,
  CalibrationModule.module,
  Concessions.module,
  Authorisations.module,
  TaskOperations.module,
  Notifications.module,
  AuditTrail.module,
  Evidence.module
])

/**
 * The record types and link kinds of a list of modules (default: the QMS's own).
 * @since 0.1.0
 * @category configuration
 */
export const recordsConfigOf = (list: ReadonlyArray<QmsModule.Any> = modules): Records.Config => ({
  types: list.flatMap((m) => m.recordTypes),
  links: list.flatMap((m) => m.links)
})

/**
 * The QMS record types and the link kinds between them.
 * @since 0.1.0
 * @category configuration
 */
export const recordsConfig: Records.Config = recordsConfigOf(modules)

/**
 * Every package migration the QMS needs, in package order (the QMS keeps its data in records and
 * has no tables of its own; storage's `aw_blobs` is there for the database blob store).
 * @since 0.1.0
 * @category migrations
 */
export const migrations: ReadonlyArray<Migrations.PackageMigrations> = [
  StorageMigrations.migrations,
  AuditMigrations.migrations,
  RecordsMigrations.migrations,
  NotifyMigrations.migrations,
  TasksMigrations.migrations
]

/**
 * Runs every pending migration.
 * @since 0.1.0
 * @category migrations
 */
export const migrate: Effect.Effect<
  ReadonlyArray<Migrations.Applied>,
  StorageError.StorageError,
  Storage.Storage | SqlClient.SqlClient
> = Migrations.run(migrations)

/**
 * The modules' rules as record hooks, followed by the host's own.
 * @since 0.1.0
 * @category layers
 */
export const hooks = (
  extra: ReadonlyArray<RecordHooks.Hook> = [],
  list: ReadonlyArray<QmsModule.Any> = modules
): Layer.Layer<RecordHooks.RecordHooks, never, Tasks.Tasks | Directory.Directory | Notify.Notify> =>
  RecordHooks.layerEffect(Effect.map(Rule.hooks(list.flatMap((m) => m.rules)), (declared) => [...declared, ...extra]))

/**
 * Settings of `Qms.layer`.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** Signs the audit log's checkpoints (Ed25519). */
  readonly signingKey: string | Redacted.Redacted<string> | TreeHead.SigningKey
  /**
   * Public keys of earlier signing keys, `{ [keyId]: publicKeyPem }`: after a rotation, checkpoints
   * signed with them still verify, and `auditTrail.keys` (`GET /audit-trail/keys`) publishes them.
   * @since 0.1.0
   */
  readonly verificationKeys?: AuditLog.Config["verificationKeys"]
  /** The host's role configuration. */
  readonly policy?: Policy.Config
  /** Settings of the tasks service (due policies, ladders, SLA buckets). */
  readonly tasks?: Tasks.Config
  /** The people port; default the SQL directory (`StaffDirectory.upsert`). */
  readonly directory?: Layer.Layer<Directory.Directory>
  /** Re-authenticates signers of electronic signatures; default accepts (the host authenticated the actor). */
  readonly signer?: Layer.Layer<SignerVerification.SignerVerification>
  /** Ids; default UUIDv7 from crypto randomness (`Ids.layerTest(seed)` in tests). */
  readonly ids?: Layer.Layer<Ids.Ids>
  /** More in-transaction hooks of the host. */
  readonly hooks?: ReadonlyArray<RecordHooks.Hook>
  /** The modules to run (default `Qms.modules`); a host adds its own domains here. */
  readonly modules?: ReadonlyArray<QmsModule.Any>
  /**
   * Where attachment content is kept: `BlobStore.directory({ path })` (the default, at
   * `./airworthy-blobs` under the working directory), `BlobStore.database()` (table `aw_blobs`, for a
   * single-file SQLite deployment), or the host's own `BlobStore` layer (object storage).
   */
  readonly blobs?: Layer.Layer<BlobStore.BlobStore, never, Storage.Storage | SqlClient.SqlClient>
  /** Attachment uploads: largest size (one number, or per tenant) and allowed media types. */
  readonly attachments?: AttachmentContent.Settings
  /** Evidence packs: largest pack content in bytes (default 2 GiB; larger → 413). They are signed with `signingKey`. */
  readonly evidence?: { readonly maxBytes?: number }
  /**
   * The host's tool store (`ToolStore.layer(...)`): the calibration register imports its tools and asks
   * it which work orders used a tool found out of tolerance. Without it, items are registered directly.
   * @since 0.1.0
   */
  readonly toolStore?: Layer.Layer<ToolStore.ToolStore>
  /** Run migrations when the layer is built (default true). */
  readonly migrate?: boolean
  /**
   * Signs audit checkpoints in the background (default off): every `everyMillis` (default 5 minutes,
   * at least 1 s), for every tenant with at least `minEvents` (default 1) events no checkpoint covers
   * yet. Without it they are signed when an evidence pack is exported. Safe in several processes.
   * @since 0.1.0
   */
  readonly checkpoints?: boolean | { readonly everyMillis?: number; readonly minEvents?: number }
  /**
   * Runs the task sweeper in the background (default off): the reminders, due notices and escalations
   * of the tasks' ladders, performed exactly once even with several processes sweeping. `true`
   * sweeps every 10 s; `{ intervalMillis }` chooses.
   * @since 0.1.0
   */
  readonly sweeper?: boolean | { readonly intervalMillis?: number }
}

/**
 * Everything a QMS command needs besides the actor.
 * @since 0.1.0
 * @category models
 */
export type Services =
  | Records.Records
  | Tasks.Tasks
  | Notify.Notify
  | AuditLog.AuditLog
  | Policy.Policy
  | Ids.Ids
  | Directory.Directory
  | TaskNotifier.TaskNotifier
  | BlobStore.BlobStore
  | EvidencePack.EvidencePack

/**
 * The QMS over the host's database (`Storage` and `SqlClient`), migrated first.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: Config
): Layer.Layer<Services, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> => {
  const list = config.modules ?? modules
  const migrateLayer = config.migrate === false ? Layer.empty : Layer.effectDiscard(Effect.asVoid(migrate))
  const recordsConfig: Records.Config = {
    ...recordsConfigOf(list),
    ...(config.attachments === undefined ? {} : { attachments: config.attachments })
  }
  const evidence = EvidencePack.layer({
    signingKey: config.signingKey,
    profiles: list.flatMap((m) => m.evidence),
    ...(config.evidence?.maxBytes === undefined ? {} : { maxBytes: config.evidence.maxBytes })
  })
  const built = Layer.merge(Records.layer(recordsConfig), evidence).pipe(
    Layer.provideMerge(Layer.merge(hooks(config.hooks, list), config.signer ?? SignerVerification.acceptAll)),
    Layer.provideMerge(
      Tasks.layer({
        ...config.tasks,
        // The calibration due tasks remind weeks ahead; the host's ladders win.
        ladders: { [Calibration.dueTaskKind]: Calibration.ladder, ...config.tasks?.ladders }
      })
    ),
    Layer.provideMerge(
      Layer.mergeAll(
        config.directory ?? StaffDirectory.layer,
        TaskReminders.layer,
        Policy.layer(QmsModule.policyConfig(list, config.policy))
      )
    ),
    Layer.provideMerge(Notify.layer()),
    Layer.provideMerge(
      AuditLog.layer({
        signingKey: config.signingKey,
        ...(config.verificationKeys === undefined ? {} : { verificationKeys: config.verificationKeys })
      })
    ),
    Layer.provideMerge(config.blobs ?? BlobStore.directory({ path: "airworthy-blobs" })),
    Layer.provideMerge(migrateLayer),
    Layer.provideMerge(config.ids ?? Ids.layer)
  )
  // Background work over the same services: audit checkpoints, the task sweeper.
  const schedule = config.checkpoints === true ? {} : config.checkpoints
  const sweep = config.sweeper === true ? {} : config.sweeper
  const background = [
    ...(schedule === undefined || schedule === false
      ? []
      : [
          AuditLog.scheduleCheckpoints({
            everyMillis: schedule.everyMillis ?? 5 * 60_000,
            minEvents: schedule.minEvents ?? 1
          })
        ]),
    ...(sweep === undefined || sweep === false
      ? []
      : [Sweeper.layer(sweep.intervalMillis === undefined ? {} : { intervalMillis: sweep.intervalMillis })])
  ]
  const [first, ...rest] = background
  const withPorts = config.toolStore === undefined ? built : Layer.merge(built, config.toolStore)
  return first === undefined ? withPorts : Layer.merge(withPorts, Layer.provide(Layer.mergeAll(first, ...rest), built))
}
