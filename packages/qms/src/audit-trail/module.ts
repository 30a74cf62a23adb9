/**
 * The audit-trail module: the tenant's audit events, filtered and paged, and the verification of
 * its hash chain and checkpoints.
 *
 * @since 0.1.0
 */
import { AuditEvent, AuditLog } from "@airworthy/audit"
import { Actor } from "@airworthy/core"
import { Effect, Schema } from "effect"
import { CommaList } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"

const Word = Schema.String.pipe(Schema.maxLength(200))

const QueryInput = Schema.Struct({
  recordType: Schema.optionalWith(Word, { exact: true }),
  recordId: Schema.optionalWith(Word, { exact: true }),
  actorId: Schema.optionalWith(Word, { exact: true }),
  action: Schema.optionalWith(Word, { exact: true }),
  severity: Schema.optionalWith(Schema.Array(AuditEvent.Severity), { exact: true }),
  from: Schema.optionalWith(AuditLog.Instant, { exact: true }),
  to: Schema.optionalWith(AuditLog.Instant, { exact: true }),
  cursor: Schema.optionalWith(Schema.String.pipe(Schema.maxLength(200)), { exact: true }),
  order: Schema.optionalWith(Schema.Literal("asc", "desc"), { exact: true }),
  limit: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1000)), { exact: true })
})

const Page = Schema.Struct({
  events: Schema.Array(AuditEvent.AuditEvent),
  nextCursor: Schema.NullOr(Schema.String),
  hasMore: Schema.Boolean
})

const query = QmsModule.operation({
  name: "query",
  operationId: "queryAuditTrail",
  summary: "Audit events of the actor's tenant, filtered; page with `cursor` ← `nextCursor`",
  input: QueryInput,
  output: Page,
  access: QmsModule.permission("audit_trail.read"),
  http: {
    method: "get",
    path: "/audit-trail",
    query: Schema.Struct({
      ...QueryInput.fields,
      severity: Schema.optionalWith(CommaList, { exact: true }),
      limit: Schema.optionalWith(Schema.NumberFromString, { exact: true })
    })
  },
  run: ({ recordType, recordId, ...rest }) =>
    AuditLog.query({
      ...rest,
      ...(recordType !== undefined && recordId !== undefined ? { record: { type: recordType, id: recordId } } : {})
    })
})

const VerifyResult = Schema.Union(
  Schema.Struct({ ok: Schema.Literal(true), events: Schema.Number, checkpoints: Schema.Number }),
  Schema.Struct({
    ok: Schema.Literal(false),
    firstBadSequence: Schema.Number,
    fault: Schema.String,
    detail: Schema.String
  })
)

const verify = QmsModule.operation({
  name: "verify",
  operationId: "verifyAuditTrail",
  summary: "Recompute the tenant's hash chain and checkpoints; names the first bad event",
  input: Schema.Struct({}),
  output: VerifyResult,
  access: QmsModule.permission("audit_trail.verify"),
  http: { method: "get", path: "/audit-trail/verify" },
  run: () => Effect.flatMap(Actor.CurrentActor, (actor) => AuditLog.verify(actor.tenantId))
})

const PublicKey = Schema.Struct({ keyId: Schema.String, publicKeyPem: Schema.String, current: Schema.Boolean })

const keys = QmsModule.operation({
  name: "keys",
  operationId: "auditTrailKeys",
  summary: "The public keys that sign the audit trail's checkpoints, current and earlier (Ed25519, SPKI PEM)",
  input: Schema.Struct({}),
  output: Schema.Array(PublicKey),
  access: QmsModule.anyActor,
  http: { method: "get", path: "/audit-trail/keys" },
  run: () => Effect.map(AuditLog.AuditLog, (log) => log.keys)
})

const operations: readonly [typeof query, typeof verify, typeof keys] = [query, verify, keys]

/**
 * The audit-trail module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"auditTrail", typeof operations> = QmsModule.make({
  name: "auditTrail",
  label: "Audit trail",
  operations
})
