/**
 * The QMS as Effect layers: the record types and link kinds of the audit programme, audits,
 * findings and CAPA; the in-transaction rules (tasks, notifications); and one layer that assembles
 * records, tasks, notifications and the audit log over the host's database, migrating it first.
 *
 * ```ts
 * const QmsLive = Qms.layer({ signingKey }).pipe(Layer.provideMerge(Storage.sqlite({ filename: "qms.db" })))
 * const program = Findings.raiseCapaFromFinding(id).pipe(Actor.withActor(quinn))
 * ```
 *
 * @since 0.1.0
 */
import { AuditLog, AuditMigrations, type TreeHead } from "@airworthy/audit"
import { Ids, Policy } from "@airworthy/core"
import { Notify, NotifyMigrations } from "@airworthy/notify"
import { RecordHooks, Records, RecordsMigrations, RecordType, SignerVerification } from "@airworthy/records"
import { Migrations, type Storage, type StorageError } from "@airworthy/storage"
import { Directory, TaskNotifier, Tasks, TasksMigrations } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, type Redacted } from "effect"
import * as Audit from "./audits/Audit.js"
import * as Capa from "./capa/Capa.js"
import * as CapaRules from "./capa/rules.js"
import * as Finding from "./findings/Finding.js"
import * as FindingRules from "./findings/rules.js"
import * as Programme from "./programme/Programme.js"

/**
 * The QMS record types and the link kinds between them.
 * @since 0.1.0
 * @category configuration
 */
export const recordsConfig: Records.Config = {
  types: [Programme.recordType, Audit.recordType, Finding.recordType, Capa.recordType],
  links: [
    RecordType.link({ kind: "corrective_action", label: "Corrective action", from: "finding", to: "capa" }),
    RecordType.link({ kind: "raised_in", label: "Raised in audit", from: "finding", to: "internal_audit" }),
    RecordType.link({ kind: "audits_area", label: "Audits area", from: "internal_audit", to: "audit_area" }),
    RecordType.link({ kind: "related", label: "Related" })
  ]
}

/**
 * Every package migration the QMS needs, in package order (the QMS keeps its data in records and
 * has no tables of its own).
 * @since 0.1.0
 * @category migrations
 */
export const migrations: ReadonlyArray<Migrations.PackageMigrations> = [
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
 * The finding and CAPA rules as record hooks, followed by the host's own.
 * @since 0.1.0
 * @category layers
 */
export const hooks = (
  extra: ReadonlyArray<RecordHooks.Hook> = []
): Layer.Layer<RecordHooks.RecordHooks, never, Tasks.Tasks | Directory.Directory | Notify.Notify> =>
  RecordHooks.layerEffect(
    Effect.gen(function* () {
      const findings = yield* FindingRules.hooks
      const capas = yield* CapaRules.hooks
      return [...findings, ...capas, ...extra]
    })
  )

/**
 * The QMS's additions to the default roles: a finding's owner (role `capa_owner`) writes the
 * response into the finding (`finding.update`; the workflow still limits which fields change in
 * which state). The host's `grant` is added on top.
 * @since 0.1.0
 * @category configuration
 */
export const policyGrants: { readonly [role: string]: ReadonlyArray<string> } = { capa_owner: ["finding.update"] }

const withGrants = (config: Policy.Config = {}): Policy.Config => {
  const grant: Record<string, Array<string>> = {}
  for (const [role, ps] of Object.entries(policyGrants)) grant[role] = [...ps]
  for (const [role, ps] of Object.entries(config.grant ?? {})) grant[role] = [...(grant[role] ?? []), ...ps]
  return { ...config, grant }
}

/**
 * Settings of `Qms.layer`.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** Signs the audit log's checkpoints (Ed25519). */
  readonly signingKey: string | Redacted.Redacted<string> | TreeHead.SigningKey
  /** The host's role configuration. */
  readonly policy?: Policy.Config
  /** Settings of the tasks service (due policies, ladders, SLA buckets). */
  readonly tasks?: Tasks.Config
  /** The people port; default the SQL directory (`Directory.upsertStaff`). */
  readonly directory?: Layer.Layer<Directory.Directory>
  /** Re-authenticates signers of electronic signatures; default accepts (the host authenticated the actor). */
  readonly signer?: Layer.Layer<SignerVerification.SignerVerification>
  /** Ids; default UUIDv7 from crypto randomness (`Ids.layerTest(seed)` in tests). */
  readonly ids?: Layer.Layer<Ids.Ids>
  /** More in-transaction hooks of the host. */
  readonly hooks?: ReadonlyArray<RecordHooks.Hook>
  /** Run migrations when the layer is built (default true). */
  readonly migrate?: boolean
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

/**
 * The QMS over the host's database (`Storage` and `SqlClient`), migrated first.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: Config
): Layer.Layer<Services, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> => {
  const migrateLayer = config.migrate === false ? Layer.empty : Layer.effectDiscard(Effect.asVoid(migrate))
  return Records.layer(recordsConfig).pipe(
    Layer.provideMerge(Layer.merge(hooks(config.hooks), config.signer ?? SignerVerification.acceptAll)),
    Layer.provideMerge(Tasks.layer(config.tasks)),
    Layer.provideMerge(
      Layer.mergeAll(
        config.directory ?? Directory.layerSql,
        TaskNotifier.layerNotify,
        Policy.layer(withGrants(config.policy))
      )
    ),
    Layer.provideMerge(Notify.layer()),
    Layer.provideMerge(AuditLog.layer({ signingKey: config.signingKey })),
    Layer.provideMerge(migrateLayer),
    Layer.provideMerge(config.ids ?? Ids.layer)
  )
}
