// Record types, hooks, actors and layers shared by the records suites.
import { AuditLog, AuditMigrations, TreeHead } from "@airworthy/audit"
import { Actor, Errors, Guard, Ids, Policy, Workflow } from "@airworthy/core"
import { Migrations, type Storage, type StorageError } from "@airworthy/storage"
import { Fixtures, type TestDatabase, TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, Redacted, Ref, Schema } from "effect"
import { RecordHooks, Records, RecordsMigrations, RecordType, SignerVerification } from "../src/index.js"

// ------------------------------------------------------------------ record types

export const FindingData = Fixtures.FindingData
export const CapaData = Fixtures.CapaData

// The finding fixture, extended: a finding closes only once its corrective action (a CAPA) is closed.
export const findingWorkflow = Workflow.unsafeExtend(Fixtures.finding, {
  change: {
    close: {
      addGuards: [
        Guard.linkedRecord({ kind: "corrective_action", states: "closed", recordType: "capa", name: "capa_closed" })
      ]
    }
  }
})

export const finding = RecordType.make({
  name: "finding",
  prefix: "FND",
  schema: FindingData,
  workflow: findingWorkflow,
  title: (d) => d.title,
  dueAt: (d) => d.dueAt
})

export const capa = RecordType.make({
  name: "capa",
  prefix: "CAPA",
  schema: CapaData,
  workflow: Fixtures.capa,
  title: (d) => d.title ?? "",
  dueAt: (d) => d.dueAt
})

// A record type with a relation of its own: the permit's holder may edit and issue it (`@holder`).
export const workPermit = RecordType.make({
  name: "work_permit",
  prefix: "WP",
  schema: Schema.Struct({ title: Schema.String, holderId: Schema.optional(Schema.String) }),
  workflow: Workflow.unsafeMake({
    name: "work_permit",
    label: "Work permit",
    states: { draft: { label: "Draft", editable: ["title", "holderId"] }, issued: { label: "Issued" } },
    initial: "draft",
    terminal: ["issued"],
    transitions: [{ name: "issue", from: "draft", to: "issued", permission: "work_permit.issue" }]
  }),
  title: (d) => d.title,
  relations: { holder: (record, actorId) => Guard.valueAt(record.data, "holderId") === actorId }
})

export const policy: Policy.Config = {
  ...Fixtures.policy,
  grant: {
    ...Fixtures.policy.grant,
    quality_manager: [...(Fixtures.policy.grant?.quality_manager ?? []), "work_permit.*"],
    technician: [
      "work_permit.read",
      Policy.onlyAs("holder", "work_permit.update"),
      Policy.onlyAs("holder", "work_permit.issue")
    ]
  }
}

export const config: Records.Config = {
  types: [finding, capa, workPermit],
  links: [
    RecordType.link({ kind: "corrective_action", from: "finding", to: "capa" }),
    RecordType.link({ kind: "related" })
  ]
}

// ------------------------------------------------------------------ hooks

/** Every change the hooks saw, in order (the suite reads it for the record it cares about). */
export const seen = Effect.runSync(
  Ref.make<ReadonlyArray<{ readonly tenantId: string; readonly change: RecordHooks.Change }>>([])
)

// Titles steer the hooks: "hook:comment" makes a hook comment on the new record inside the same
// transaction, "hook:fail" makes a later hook fail (rolling everything back).
export const hooks = RecordHooks.layer(
  RecordHooks.on("*", (change) =>
    Effect.flatMap(Actor.CurrentActor, (actor) =>
      Ref.update(seen, (xs) => [...xs, { tenantId: actor.tenantId, change }])
    )
  ),
  RecordHooks.onCreated(
    (change) =>
      change.record.title.includes("hook:comment")
        ? Effect.asVoid(Records.comment({ id: change.record.id, body: "Raised automatically by a hook" }))
        : Effect.void,
    { type: "finding" }
  ),
  RecordHooks.onCreated((change) =>
    change.record.title.includes("hook:fail")
      ? Effect.fail(new RecordHooks.HookFailed({ hook: "test", detail: "the test hook refused" }))
      : Effect.void
  ),
  RecordHooks.onTransition("accept_response", (change) =>
    Guard.valueAt(change.record.data, "description") === "hook:fail"
      ? Effect.fail(new RecordHooks.HookFailed({ hook: "test", detail: "the transition hook refused" }))
      : Effect.void
  )
)

// The signer's credential is "pin-1234"; anything else is rejected, as a host's re-authentication would.
export const signer = SignerVerification.layer((request) =>
  request.credential !== undefined && Redacted.value(request.credential) === "pin-1234"
    ? Effect.void
    : Effect.fail(new Errors.Unauthenticated({ detail: "Re-enter your PIN to sign" }))
)

// ------------------------------------------------------------------ layers

export const signingKey = TreeHead.generateKey()

export const migrate = Layer.effectDiscard(
  Effect.orDie(Migrations.run([AuditMigrations.migrations, RecordsMigrations.migrations]))
)

/** Records over a test database, migrated, with deterministic ids, the test hooks and signer. */
type Db = Storage.Storage | SqlClient.SqlClient

export const recordsLayer = (
  target: TestDatabase.Target
): Layer.Layer<
  Records.Records | AuditLog.AuditLog | Policy.Policy | Ids.Ids | Db | TestDatabase.TestDatabaseInfo,
  StorageError.StorageError
> =>
  Records.layer(config).pipe(
    Layer.provideMerge(Layer.mergeAll(hooks, signer, Policy.layer(policy))),
    Layer.provideMerge(AuditLog.layer({ signingKey })),
    Layer.provideMerge(migrate),
    Layer.provideMerge(Ids.layerTest(11)),
    Layer.provideMerge(target.layer)
  )

// ------------------------------------------------------------------ actors and helpers

/** A tenant no other test uses (the suites share one database per target). */
export const freshTenant = TestKit.freshTenant

const person = (tenantId: string, actorId: string, displayName: string, roles: ReadonlyArray<string>) =>
  Actor.make({ tenantId, actorId, displayName, roles, traceId: "trace-records-1", source: "api" })

export const people = (tenantId: string) => ({
  quality: person(tenantId, "u-quality", "Quinn Quality", ["quality_manager"]),
  auditor: person(tenantId, "u-auditor", "Avery Auditor", ["auditor"]),
  owner: person(tenantId, "u-owner", "Olive Owner", ["capa_owner"]),
  manager: person(tenantId, "u-manager", "Morgan Manager", ["accountable_manager"]),
  technician: person(tenantId, "u-tech", "Toni Technician", ["technician"])
})

export const as = TestKit.asActor

/** `$1` on PostgreSQL, `?` on SQLite. */
export const p = TestKit.param

export const count = TestKit.countRows

export const auditActions = TestKit.auditActions

export const sha = (n: number) => n.toString(16).padStart(64, "0")
