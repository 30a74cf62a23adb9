/**
 * A records runtime for tests in one call: a real database (SQLite in memory unless told otherwise),
 * every migration (audit, records), and `Records`, `AuditLog` (with a freshly generated signing key),
 * `Policy`, `Ids`, no hooks and a signer check that accepts everyone.
 *
 * ```ts
 * const Live = RecordsTestLayer.make({ types: [capa], database: TestDatabase.postgres })
 * layer(Live)("capa", (it) => it.effect("opens", () => Records.create({ type: "capa", data: {} }).pipe(Actor.withActor(qm))))
 * ```
 *
 * @since 0.1.0
 */
import { AuditLog, AuditMigrations, TreeHead } from "@airworthy/audit"
import { Ids, Policy } from "@airworthy/core"
import { RecordHooks, Records, RecordsMigrations, type RecordType, SignerVerification } from "@airworthy/records"
import { Migrations, type Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import * as TestDatabase from "./TestDatabase.js"

/**
 * What `make` provides.
 * @since 0.1.0
 * @category models
 */
export type Services =
  | Records.Records
  | AuditLog.AuditLog
  | Policy.Policy
  | Ids.Ids
  | RecordHooks.RecordHooks
  | SignerVerification.SignerVerification
  | Storage.Storage
  | SqlClient.SqlClient
  | TestDatabase.TestDatabaseInfo

/**
 * Settings of `make`. Only `types` is required.
 * @since 0.1.0
 * @category models
 */
export interface Options<R = never> {
  readonly types: ReadonlyArray<RecordType.Any<R>>
  readonly links?: ReadonlyArray<RecordType.LinkKind>
  /** Default `TestDatabase.sqliteMemory`. */
  readonly database?: TestDatabase.TestLayer
  /** The host's role configuration (`Policy.layer(policy)`); default roles otherwise. */
  readonly policy?: Policy.Config
  /** Default `RecordHooks.none`. */
  readonly hooks?: Layer.Layer<RecordHooks.RecordHooks>
  /** Default `SignerVerification.acceptAll`. */
  readonly signer?: Layer.Layer<SignerVerification.SignerVerification>
  /** Default `Ids.layerTest(seed)`: deterministic UUIDv7s. */
  readonly seed?: number
  /** Default: a key generated when the layer is built. */
  readonly signingKey?: AuditLog.Config["signingKey"]
  /**
   * Wraps the audit log service the records runtime writes through. For fault injection: a test
   * proving that a checker notices a runtime which forgets or alters audit events.
   */
  readonly interceptAuditLog?: (service: AuditLog.Service) => AuditLog.Service
}

/**
 * Runs every migration Records needs (audit, then records) on the database in context.
 * @since 0.1.0
 * @category layers
 */
export const migrations: Layer.Layer<never, never, Storage.Storage | SqlClient.SqlClient> = Layer.effectDiscard(
  Effect.orDie(Migrations.run([AuditMigrations.migrations, RecordsMigrations.migrations]))
)

/**
 * The records runtime over a migrated test database, with everything it needs.
 * @since 0.1.0
 * @category layers
 */
export const make = <R = never>(options: Options<R>): Layer.Layer<Services, StorageError.StorageError, R> => {
  const auditBase = AuditLog.layer({ signingKey: options.signingKey ?? TreeHead.generateKey() })
  const intercept = options.interceptAuditLog
  const audit =
    intercept === undefined
      ? auditBase
      : Layer.effect(
          AuditLog.AuditLog,
          Effect.map(AuditLog.AuditLog, (service) => intercept(service))
        ).pipe(Layer.provide(auditBase))
  return Records.layer<R>({ types: options.types, ...(options.links ? { links: options.links } : {}) }).pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        options.hooks ?? RecordHooks.none,
        options.signer ?? SignerVerification.acceptAll,
        Policy.layer(options.policy)
      )
    ),
    Layer.provideMerge(audit),
    Layer.provideMerge(migrations),
    Layer.provideMerge(Ids.layerTest(options.seed ?? 1)),
    Layer.provideMerge(options.database ?? TestDatabase.sqliteMemory)
  )
}
