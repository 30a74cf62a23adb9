/**
 * The tamper-evident audit log: append inside the caller's transaction, query and replay, verify,
 * signed checkpoints and proofs, erasure of sensitive values, legal holds and the retention purge.
 *
 * ```ts
 * const closed = AuditLog.append({
 *   action: "finding.closed", recordType: "finding", recordId: finding.id,
 *   before: { state: "verified" }, after: { state: "closed" }, reason: "Corrective action effective"
 * })
 * // inside the command's transaction, as the current actor:
 * yield* Query.transaction(Effect.zipRight(saveFinding, closed))
 * ```
 *
 * @since 0.1.0
 */
import type { KeyObject } from "node:crypto"
import { Actor, type Errors, Ids, Policy } from "@airworthy/core"
import { RowLevelSecurity, type Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Context, Duration, Effect, Layer, Option, type Redacted, Schedule, Schema, Stream } from "effect"
import type { CursorExpired, Fault, IntegrityViolation } from "./AuditError.js"
import { type AppendInputEncoded, type AuditEvent, RecordType, Severity } from "./AuditEvent.js"
import * as Append from "./internal/append.js"
import * as Checkpoints from "./internal/checkpoints.js"
import * as LogContext from "./internal/context.js"
import * as Cursor from "./internal/cursor.js"
import { decodeOrFail } from "./internal/decode.js"
import * as Erasure from "./internal/erasure.js"
import * as Purge from "./internal/purge.js"
import * as Read from "./internal/read.js"
import * as Verify from "./internal/verify.js"
import type { Checkpoint, ConsistencyProof, InclusionProof } from "./Proof.js"
import type * as Retention from "./Retention.js"
import type * as Sensitive from "./Sensitive.js"
import type * as TreeHead from "./TreeHead.js"

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/**
 * Who sees sensitive values: `off` everyone; `log` everyone, but a read by someone without
 * `audit_trail.read_sensitive` is logged and counted; `enforce` such readers see them masked.
 * @since 0.1.0
 * @category models
 */
export type MaskingMode = "off" | "log" | "enforce"

/**
 * Settings of `AuditLog.layer`.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** Ed25519 key that signs checkpoints: PKCS#8 PEM, base64 32-byte seed, or a loaded key. */
  readonly signingKey: string | Redacted.Redacted<string> | TreeHead.SigningKey
  /** Public keys of earlier signing keys (by key id), so older checkpoints still verify after a rotation. */
  readonly verificationKeys?: { readonly [keyId: string]: KeyObject | string }
  /** Sensitive paths per action pattern or record type; see `Sensitive`. */
  readonly sensitive?: Sensitive.SensitivePaths
  readonly retention?: Retention.Config
  /** Default `enforce`. */
  readonly masking?: MaskingMode
  /**
   * Holds `audit_trail.read_sensitive`? Default: the host's `Policy` when one is in context, else the
   * actor has role `quality_manager` or `admin`.
   */
  readonly canReadSensitive?: (actor: Actor.Actor) => boolean
  /**
   * May erase values, place or release legal holds and purge? Default: a system/sweeper actor, or the
   * host's `Policy` (`audit_trail.erase`, `audit_trail.purge`, ...) when one is in context, else role
   * `quality_manager` or `admin`.
   */
  readonly canAdminister?: (actor: Actor.Actor) => boolean
}

/**
 * Default for `canReadSensitive`.
 * @since 0.1.0
 * @category policies
 */
export const defaultCanReadSensitive = (actor: Actor.Actor): boolean =>
  actor.roles.includes("quality_manager") || actor.roles.includes("admin")

/**
 * Default for `canAdminister`.
 * @since 0.1.0
 * @category policies
 */
export const defaultCanAdminister = (actor: Actor.Actor): boolean =>
  defaultCanReadSensitive(actor) || actor.source === "system" || actor.source === "sweeper"

/**
 * A UTC instant as the log stores it, or a day: `2026-05-01T08:00:00.000Z`, `2026-05-01T08:00Z`,
 * `2026-05-01`. Offsets other than `Z` are refused: the log compares instants as UTC text.
 * @since 0.1.0
 * @category schemas
 */
export const Instant = Schema.String.pipe(
  Schema.maxLength(40),
  Schema.filter(
    (s) => /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?Z)?$/.test(s) && !Number.isNaN(Date.parse(s)),
    { message: () => "must be a UTC date-time such as 2026-05-01T08:00:00Z, or a date such as 2026-05-01" }
  )
).annotations({
  // Generated values are instants (a random string would almost never pass the filter).
  arbitrary: () => (fc) =>
    fc
      .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true })
      .map((d) => d.toISOString())
})

/**
 * Filters for `query`. `action` is exact (`finding.closed`) or a prefix pattern (`finding.*`);
 * `from` is inclusive and `to` exclusive (ISO-8601 UTC).
 * @since 0.1.0
 * @category schemas
 */
export const QueryFilter = Schema.Struct({
  record: Schema.optional(Schema.Struct({ type: Schema.String, id: Schema.String })),
  actorId: Schema.optional(Schema.String),
  action: Schema.optional(Schema.String),
  severity: Schema.optional(Schema.Union(Severity, Schema.Array(Severity))),
  from: Schema.optional(Instant),
  to: Schema.optional(Instant),
  cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  order: Schema.optional(Schema.Literal("asc", "desc")),
  limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 1000)))
})
/** @since 0.1.0 @category models */
export type QueryFilter = typeof QueryFilter.Encoded

/**
 * A page of events; pass `nextCursor` back as `cursor` for the next one.
 * @since 0.1.0
 * @category models
 */
export interface Page {
  readonly events: ReadonlyArray<AuditEvent>
  /** After the last event of this page; `null` when the page is empty. */
  readonly nextCursor: string | null
  /** More events matched when the page was read. */
  readonly hasMore: boolean
}

/**
 * What `verify` reports.
 * @since 0.1.0
 * @category models
 */
export type VerifyResult =
  | { readonly ok: true; readonly events: number; readonly checkpoints: number }
  | { readonly ok: false; readonly firstBadSequence: number; readonly fault: Fault; readonly detail: string }

/**
 * A lawful erasure request: every sensitive value of a record's events, or of one event.
 * @since 0.1.0
 * @category schemas
 */
export const EraseRequest = Schema.Union(
  Schema.Struct({
    record: Schema.Struct({ type: RecordType, id: Schema.NonEmptyTrimmedString }),
    reason: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000))
  }),
  Schema.Struct({
    sequence: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)),
    reason: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000))
  })
)
/** @since 0.1.0 @category models */
export type EraseRequest = typeof EraseRequest.Encoded

/**
 * What `erase` removed, and the `audit.erased` event recording it.
 * @since 0.1.0
 * @category models
 */
export interface EraseResult {
  readonly erased: ReadonlyArray<{ readonly sequence: number; readonly path: string }>
  readonly event: AuditEvent
}

/**
 * A legal hold: events of this record are not purged while it stands.
 * @since 0.1.0
 * @category schemas
 */
export const LegalHoldRequest = Schema.Struct({
  recordType: RecordType,
  recordId: Schema.NonEmptyTrimmedString,
  reason: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(4000))
})
/** @since 0.1.0 @category models */
export type LegalHoldRequest = typeof LegalHoldRequest.Encoded

/**
 * A standing legal hold.
 * @since 0.1.0
 * @category models
 */
export interface LegalHold {
  readonly recordType: string
  readonly recordId: string
  readonly reason: string
  readonly placedAt: string
  readonly placedBy: string
}

/**
 * What a purge removed (or, dry, would remove) and why it stopped where it did.
 * `stoppedBy`: `end` (nothing older is left), `retention` (the next event is still within its period),
 * `legal_hold` (the next event's record is on hold), `not_checkpointed` (the next event is not
 * covered by a signed checkpoint yet).
 * @since 0.1.0
 * @category models
 */
export interface PurgeReport {
  readonly tenantId: string
  readonly dryRun: boolean
  readonly events: number
  readonly fromSequence: number | null
  readonly toSequence: number | null
  readonly stoppedBy: "end" | "retention" | "legal_hold" | "not_checkpointed"
  readonly stoppedAt: number | null
  readonly byRecordType: { readonly [recordType: string]: number }
  /** The `audit.purged` event (real purges that removed something). */
  readonly event?: AuditEvent
}

/**
 * What `appendMany` wrote.
 * @since 0.1.0
 * @category models
 */
export interface AppendManyResult {
  readonly count: number
  readonly firstSequence: number
  readonly lastSequence: number
  readonly lastHash: string
}

type Failures = Errors.ValidationFailed | StorageError.StorageError

/**
 * The audit log service.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** Appends one event as the current actor, inside the current transaction (or its own). */
  readonly append: (input: AppendInputEncoded) => Effect.Effect<AuditEvent, Failures, Actor.CurrentActor>
  /** Appends a batch in one transaction with multi-row inserts (imports, bulk changes). */
  readonly appendMany: (
    inputs: ReadonlyArray<AppendInputEncoded>
  ) => Effect.Effect<AppendManyResult, Failures, Actor.CurrentActor>
  /** Events of the current actor's tenant, filtered and paged (newest first unless `order: "asc"`). */
  readonly query: (filter?: QueryFilter) => Effect.Effect<Page, Failures | CursorExpired, Actor.CurrentActor>
  /**
   * The sequence and action of every retained event of one record of the current actor's tenant,
   * oldest first, read without decoding the events: for work that only needs to know which events a
   * record has (proving them, counting them).
   * @since 0.1.0
   */
  readonly recordSequences: (record: {
    readonly type: string
    readonly id: string
  }) => Effect.Effect<
    ReadonlyArray<{ readonly sequence: number; readonly action: string }>,
    StorageError.StorageError,
    Actor.CurrentActor
  >
  /** Events after `cursor` (all retained events without one), read in pages, up to the newest. */
  readonly replayFrom: (
    tenantId: string,
    cursor?: string
  ) => Stream.Stream<AuditEvent, CursorExpired | StorageError.StorageError>
  /** Recomputes hashes, links, sensitive commitments, checkpoints and signatures. */
  readonly verify: (
    tenantId: string,
    range?: { readonly from?: number; readonly to?: number }
  ) => Effect.Effect<VerifyResult, StorageError.StorageError>
  /** Signs a checkpoint over every event so far (returns the newest one if nothing was appended since). */
  readonly checkpoint: (tenantId: string) => Effect.Effect<Checkpoint, IntegrityViolation | StorageError.StorageError>
  /**
   * Signs a checkpoint for every tenant with at least `minEvents` (default 1) events not yet covered;
   * a tenant whose chain does not verify is left unsigned and named in `refused`.
   * @since 0.1.0
   */
  readonly checkpointDue: (options?: { readonly minEvents?: number }) => Effect.Effect<
    {
      readonly signed: ReadonlyArray<string>
      readonly refused: ReadonlyArray<{ readonly tenantId: string; readonly detail: string }>
    },
    StorageError.StorageError
  >
  /** A tenant's checkpoints, oldest first. */
  readonly checkpoints: (tenantId: string) => Effect.Effect<ReadonlyArray<Checkpoint>, StorageError.StorageError>
  /** Proves event `sequence` is in a checkpoint (the newest one unless `checkpointSize` is given). */
  readonly inclusionProof: (
    tenantId: string,
    sequence: number,
    checkpointSize?: number
  ) => Effect.Effect<InclusionProof, Errors.NotFound | StorageError.StorageError>
  /**
   * Proves many events are in one checkpoint (the newest unless `checkpointSize` is given), in the
   * order asked, each with its envelope when it has not been purged; the tree is hashed once.
   * @since 0.1.0
   */
  readonly inclusionProofs: (
    tenantId: string,
    sequences: ReadonlyArray<number>,
    checkpointSize?: number
  ) => Effect.Effect<ReadonlyArray<InclusionProof>, Errors.NotFound | StorageError.StorageError>
  /** Proves checkpoint `newSize` extends checkpoint `oldSize`. */
  readonly consistencyProof: (
    tenantId: string,
    oldSize: number,
    newSize: number
  ) => Effect.Effect<ConsistencyProof, Errors.NotFound | StorageError.StorageError>
  /** Erases sensitive values (lawful erasure request), leaving tombstones and an `audit.erased` event. */
  readonly erase: (
    request: EraseRequest
  ) => Effect.Effect<EraseResult, Failures | Errors.Forbidden | Errors.NotFound, Actor.CurrentActor>
  /** Places a legal hold on a record's events (returns the standing one if there is one). */
  readonly placeLegalHold: (
    request: LegalHoldRequest
  ) => Effect.Effect<LegalHold, Failures | Errors.Forbidden, Actor.CurrentActor>
  /** Releases a legal hold. */
  readonly releaseLegalHold: (
    request: LegalHoldRequest
  ) => Effect.Effect<void, Failures | Errors.Forbidden | Errors.NotFound, Actor.CurrentActor>
  /** The legal holds standing in the current actor's tenant. */
  readonly legalHolds: Effect.Effect<ReadonlyArray<LegalHold>, StorageError.StorageError, Actor.CurrentActor>
  /** Removes the oldest events whose retention has passed (a contiguous, checkpointed prefix); `dryRun` only reports. */
  readonly purge: (options?: {
    readonly dryRun?: boolean
  }) => Effect.Effect<
    PurgeReport,
    StorageError.StorageError | Errors.Forbidden | IntegrityViolation,
    Actor.CurrentActor
  >
  /** The key checkpoints are signed with; publish it to whoever verifies proofs. */
  readonly publicKey: { readonly keyId: string; readonly publicKeyPem: string }
  /**
   * Every key this log trusts, current first: the signing key and the earlier ones given as
   * `verificationKeys`, so a verifier can check checkpoints signed before a rotation.
   * @since 0.1.0
   */
  readonly keys: ReadonlyArray<{ readonly keyId: string; readonly publicKeyPem: string; readonly current: boolean }>
}

/**
 * The audit log.
 * @since 0.1.0
 * @category tags
 */
export class AuditLog extends Context.Tag("@airworthy/audit/AuditLog")<AuditLog, Service>() {}

// ---------------------------------------------------------------------------------------------
// Cursors
// ---------------------------------------------------------------------------------------------

/**
 * The opaque cursor just after event `sequence`.
 * @since 0.1.0
 * @category cursors
 */
export const cursorAfter: (sequence: number) => string = Cursor.cursorAfter

/**
 * The sequence a cursor points after, or `undefined` when it is not one of ours.
 * @since 0.1.0
 * @category cursors
 */
export const cursorSequence: (cursor: string) => number | undefined = Cursor.cursorSequence

// ---------------------------------------------------------------------------------------------
// Actors
// ---------------------------------------------------------------------------------------------

/**
 * An actor for work no person started (sweepers, retention, imports): id `system:<name>`, role `system`.
 * @since 0.1.0
 * @category constructors
 */
export const systemActor = (options: {
  readonly tenantId: string
  readonly name: string
  readonly traceId: string
  readonly source?: "system" | "sweeper" | "import" | "migration"
}): Actor.Actor =>
  Actor.make({
    tenantId: options.tenantId,
    actorId: `system:${options.name}`,
    displayName: options.name,
    roles: ["system"],
    traceId: options.traceId,
    source: options.source ?? "system"
  })

/**
 * Runs an effect as a system actor of a tenant, with a fresh trace id.
 * @since 0.1.0
 * @category combinators
 */
export const asSystem =
  (tenantId: string, name: string, source: "system" | "sweeper" | "import" | "migration" = "system") =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Actor.CurrentActor> | Ids.Ids> =>
    Effect.flatMap(Ids.next, (traceId) =>
      Actor.withActor(self, systemActor({ tenantId, name, traceId: `${name}-${traceId}`, source }))
    )

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

// The public requests are decoded here, at the service's edge; the parts take decoded values.
const decodeFilter = decodeOrFail(QueryFilter)
const decodeErase = decodeOrFail(EraseRequest)
const decodeHold = decodeOrFail(LegalHoldRequest)

// With the host's Policy in context, its permissions decide; without one, the role defaults do.
const accessOf = (config: Config, policy: Option.Option<Policy.Policy["Type"]>): LogContext.Access => ({
  canReadSensitive:
    config.canReadSensitive ??
    Option.match(policy, {
      onNone: () => defaultCanReadSensitive,
      onSome: (rules) => (actor: Actor.Actor) => rules.can(actor, "audit_trail.read_sensitive")
    }),
  canAdminister: (actor, permission) =>
    config.canAdminister !== undefined
      ? config.canAdminister(actor)
      : Option.match(policy, {
          onNone: () => defaultCanAdminister(actor),
          onSome: (rules) => rules.can(actor, permission) || actor.source === "system" || actor.source === "sweeper"
        })
})

/**
 * Builds the service over the `Storage`, `SqlClient` and `Ids` in context.
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: Config): Effect.Effect<Service, never, Storage.Storage | SqlClient.SqlClient | Ids.Ids> =>
  Effect.gen(function* () {
    const policy = yield* Effect.serviceOption(Policy.Policy)
    const log = yield* LogContext.make(config, accessOf(config, policy))
    return {
      append: (input) => Append.append(log, input),
      appendMany: (inputs) => Append.appendMany(log, inputs),
      query: (filter = {}) => Effect.flatMap(decodeFilter(filter), (f) => Read.query(log, f)),
      recordSequences: (record) => Read.recordSequences(log, record),
      // Work given a tenant id runs in that tenant's row-level security scope (PostgreSQL, when on).
      replayFrom: (tenantId, cursor) =>
        Read.replayFrom(log, tenantId, cursor).pipe(
          Stream.provideService(RowLevelSecurity.TenantScope, { _tag: "Tenant", tenantId })
        ),
      verify: (tenantId, range) => RowLevelSecurity.withTenant(tenantId)(Verify.verify(log, tenantId, range)),
      checkpoint: (tenantId) => RowLevelSecurity.withTenant(tenantId)(Checkpoints.checkpoint(log, tenantId)),
      checkpointDue: (options) =>
        RowLevelSecurity.acrossTenants(Checkpoints.checkpointDue(log, options?.minEvents ?? 1)),
      checkpoints: (tenantId) => RowLevelSecurity.withTenant(tenantId)(Checkpoints.checkpoints(log, tenantId)),
      inclusionProof: (tenantId, sequence, checkpointSize) =>
        RowLevelSecurity.withTenant(tenantId)(Checkpoints.inclusionProof(log, tenantId, sequence, checkpointSize)),
      inclusionProofs: (tenantId, sequences, checkpointSize) =>
        RowLevelSecurity.withTenant(tenantId)(Checkpoints.inclusionProofs(log, tenantId, sequences, checkpointSize)),
      consistencyProof: (tenantId, oldSize, newSize) =>
        RowLevelSecurity.withTenant(tenantId)(Checkpoints.consistencyProof(log, tenantId, oldSize, newSize)),
      erase: (request) => Effect.flatMap(decodeErase(request), (r) => Erasure.erase(log, r)),
      placeLegalHold: (request) => Effect.flatMap(decodeHold(request), (r) => Purge.placeLegalHold(log, r)),
      releaseLegalHold: (request) => Effect.flatMap(decodeHold(request), (r) => Purge.releaseLegalHold(log, r)),
      legalHolds: Purge.legalHolds(log),
      purge: (options) => Purge.purge(log, options),
      publicKey: { keyId: log.key.keyId, publicKeyPem: log.key.publicKeyPem },
      keys: [
        { keyId: log.key.keyId, publicKeyPem: log.key.publicKeyPem, current: true },
        ...Object.entries(log.trustedKeys)
          .filter(([keyId]) => keyId !== log.key.keyId)
          .map(([keyId, key]) => ({
            keyId,
            publicKeyPem: typeof key === "string" ? key : key.export({ type: "spki", format: "pem" }).toString(),
            current: false
          }))
      ]
    } satisfies Service
  })

/**
 * The audit log over the host's storage. Requires `Storage`, `SqlClient` and `Ids`; run
 * `AuditMigrations.migrations` first.
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config): Layer.Layer<AuditLog, never, Storage.Storage | SqlClient.SqlClient | Ids.Ids> =>
  Layer.effect(AuditLog, make(config))

// ---------------------------------------------------------------------------------------------
// Accessors
// ---------------------------------------------------------------------------------------------

/**
 * The service's operations as effects that require `AuditLog`: `append` and `appendMany` (as the
 * current actor, joining the current transaction), `query`, `recordSequences`, `verify`, `checkpoint`, `checkpoints`,
 * `inclusionProof`, `consistencyProof`, `erase`, `placeLegalHold`, `releaseLegalHold` and `purge`;
 * see `Service` for each.
 * @since 0.1.0
 * @category accessors
 */
export const {
  append,
  appendMany,
  checkpoint,
  checkpointDue,
  checkpoints,
  consistencyProof,
  erase,
  inclusionProof,
  inclusionProofs,
  placeLegalHold,
  purge,
  query,
  recordSequences,
  releaseLegalHold,
  verify
} = Effect.serviceFunctions(AuditLog)

/**
 * Signs checkpoints in the background: every `everyMillis` (default 60 s), for every tenant with at
 * least `minEvents` (default 1) events not yet covered. A tenant whose chain does not verify is left
 * unsigned and logged as an error (the others are still signed); a failed round is logged and the
 * next one retries.
 * @since 0.1.0
 * @category layers
 */
export const scheduleCheckpoints = (
  options: { readonly everyMillis?: number; readonly minEvents?: number } = {}
): Layer.Layer<never, never, AuditLog> =>
  Layer.scopedDiscard(
    Effect.forkScoped(
      Effect.flatMap(AuditLog, (log) =>
        log.checkpointDue({ minEvents: options.minEvents ?? 1 }).pipe(
          Effect.tap(({ refused }) =>
            Effect.forEach(refused, (r) =>
              Effect.logError("audit checkpoint refused").pipe(
                Effect.annotateLogs({ tenant_id: r.tenantId, detail: r.detail })
              )
            )
          ),
          Effect.catchAllCause((cause) => Effect.logError("audit checkpoint round failed", cause)),
          Effect.repeat(Schedule.spaced(Duration.millis(Math.max(1000, options.everyMillis ?? 60_000))))
        )
      )
    )
  )

/**
 * The legal holds standing in the current actor's tenant.
 * @since 0.1.0
 * @category accessors
 */
export const { legalHolds } = Effect.serviceConstants(AuditLog)

// Effect's accessors cover methods that return effects; a method that returns a stream is unwrapped here.
/**
 * Events after a cursor, in pages, up to the newest; `CursorExpired` for a malformed, unknown or purged cursor.
 * @since 0.1.0
 * @category accessors
 */
export const replayFrom = (
  tenantId: string,
  cursor?: string
): Stream.Stream<AuditEvent, CursorExpired | StorageError.StorageError, AuditLog> =>
  Stream.unwrap(Effect.map(AuditLog, (s) => s.replayFrom(tenantId, cursor)))
