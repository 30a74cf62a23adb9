// Record types, rules, people and layers shared by the tasks suites.
import { AuditLog, AuditMigrations, TreeHead } from "@airworthy/audit"
import { Actor, Ids, Policy, Workflow } from "@airworthy/core"
import { Notify, NotifyMigrations } from "@airworthy/notify"
import { RecordHooks, Records, RecordsMigrations, RecordType, SignerVerification } from "@airworthy/records"
import { Migrations, Query, type Storage, type StorageError } from "@airworthy/storage"
import type { TestDatabase } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { Directory, TaskNotifier, TaskRules, Tasks, TasksMigrations } from "../src/index.js"

export const occurrenceWorkflow = Workflow.unsafeMake({
  name: "occurrence",
  states: { reported: { editable: ["title", "responsible"] }, investigating: {}, closed: {} },
  initial: "reported",
  terminal: ["closed"],
  transitions: [
    { name: "investigate", from: "reported", to: "investigating", permission: "occurrence.investigate" },
    { name: "close", from: "investigating", to: "closed", permission: "occurrence.close" }
  ]
})

export const occurrence = RecordType.make({
  name: "occurrence",
  prefix: "OCC",
  schema: Schema.Struct({ title: Schema.String, responsible: Schema.optional(Schema.String) }),
  workflow: occurrenceWorkflow,
  title: (d) => d.title
})

export const rules: ReadonlyArray<TaskRules.Rule> = [
  {
    name: "report_occurrence",
    recordType: "occurrence",
    when: { created: true },
    task: { kind: "occurrence_report", title: (r) => `Report ${r.ref} to the authority` },
    assignTo: { role: "quality_manager" }
  },
  {
    name: "investigate_occurrence",
    recordType: "occurrence",
    when: { enters: "investigating" },
    task: { kind: "occurrence_investigation" },
    assignTo: { field: "data.responsible" },
    owner: { field: "createdBy" }
  }
]

// Titles steer a later hook: "hook:fail" fails the command after the rules ran (everything rolls back).
const failing = RecordHooks.onCreated((change) =>
  change.record.title.includes("hook:fail")
    ? Effect.fail(new RecordHooks.HookFailed({ hook: "test", detail: "the test hook refused" }))
    : Effect.void
)

export const signingKey = TreeHead.generateKey()

export const migrate = Layer.effectDiscard(
  Effect.orDie(
    Migrations.run([
      AuditMigrations.migrations,
      RecordsMigrations.migrations,
      NotifyMigrations.migrations,
      TasksMigrations.migrations
    ])
  )
)

type Db = Storage.Storage | SqlClient.SqlClient

/** What a sweeper needs, over one database client. */
export const sweeperLayer = <E>(db: Layer.Layer<Db, E>, seed: number) =>
  Layer.mergeAll(Directory.layerSql, TaskNotifier.layerNotify).pipe(
    Layer.provideMerge(Notify.layer()),
    Layer.provideMerge(AuditLog.layer({ signingKey })),
    Layer.provideMerge(Ids.layerTest(seed)),
    Layer.provideMerge(db)
  )

/** Records with the task rules, tasks, the SQL directory and the outbox notifier, migrated. */
export const tasksLayer = (target: TestDatabase.Target) =>
  Records.layer({ types: [occurrence] }).pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        RecordHooks.layerEffect(Effect.map(TaskRules.hooks(rules), (hs) => [...hs, failing])),
        SignerVerification.acceptAll
      )
    ),
    Layer.provideMerge(Tasks.layer()),
    Layer.provideMerge(Layer.mergeAll(Directory.layerSql, TaskNotifier.layerNotify, Policy.layer())),
    Layer.provideMerge(Notify.layer()),
    Layer.provideMerge(AuditLog.layer({ signingKey })),
    Layer.provideMerge(migrate),
    Layer.provideMerge(Ids.layerTest(7)),
    Layer.provideMerge(target.layer)
  )

let tenants = 0
/** A tenant no other test uses (the suites share one database per target). */
export const freshTenant = (label: string) => `${label}-${++tenants}-${process.pid}`

const person = (tenantId: string, actorId: string, displayName: string, roles: ReadonlyArray<string>) =>
  Actor.make({ tenantId, actorId, displayName, roles, traceId: "trace-tasks-1", source: "api" })

export const people = (tenantId: string) => ({
  quality: person(tenantId, "u-quality", "Quinn Quality", ["quality_manager", "admin"]),
  owner: person(tenantId, "u-owner", "Olive Owner", ["capa_owner"]),
  technician: person(tenantId, "u-tech", "Toni Technician", ["technician"]),
  supervisor: person(tenantId, "u-sup", "Sam Supervisor", ["capa_owner"])
})

/** The directory of a tenant: the owner reports to the supervisor; Quinn is quality manager. */
export const staff = (tenantId: string) =>
  Directory.upsertStaff(
    {
      tenantId,
      actorId: "u-quality",
      displayName: "Quinn Quality",
      email: "quinn@mro.example",
      roles: ["quality_manager"]
    },
    {
      tenantId,
      actorId: "u-owner",
      displayName: "Olive Owner",
      email: "olive@mro.example",
      roles: ["capa_owner"],
      supervisorId: "u-sup"
    },
    { tenantId, actorId: "u-sup", displayName: "Sam Supervisor", email: "sam@mro.example", roles: ["capa_owner"] },
    {
      tenantId,
      actorId: "u-tech",
      displayName: "Toni Technician",
      email: "toni@mro.example",
      roles: ["technician"],
      supervisorId: "u-sup"
    }
  )

export const as =
  (actor: Actor.Actor) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Actor.withActor(self, actor)

export const p = (dialect: Storage.Dialect, n: number) => (dialect === "pg" ? `$${n}` : "?")

export const scalar = (
  dialect: Storage.Dialect,
  sql: string,
  params: ReadonlyArray<unknown>
): Effect.Effect<number, StorageError.StorageError, Db> =>
  Query.unsafe<{ n: number | string }>(
    sql.replace(
      /\?/g,
      (() => {
        let i = 0
        return () => p(dialect, ++i)
      })()
    ),
    params
  ).pipe(Effect.map((rows) => Number(rows[0]?.n ?? 0)))
