// Record types, rules, people and layers shared by the tasks suites.
import { AuditLog, AuditMigrations, TreeHead } from "@airworthy/audit"
import { Actor, Ids, Policy, Workflow } from "@airworthy/core"
import { Notify, NotifyMigrations, Template } from "@airworthy/notify"
import { RecordHooks, Records, RecordsMigrations, RecordType, SignerVerification } from "@airworthy/records"
import { type Directory, Migrations, Query, type Storage, type StorageError } from "@airworthy/storage"
import { type TestDatabase, TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, Schema } from "effect"
import { StaffDirectory, TaskNotifier, Tasks, TasksMigrations } from "../src/index.js"

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

// The sweeper's notices written to the outbox, as the QMS's adapter does (tasks and notify do not
// import each other; the adapter lives where they are composed, and these tests compose them here).
const NoticeParams = Schema.Struct({
  title: Schema.String,
  step: Schema.String,
  level: Schema.Number,
  dueAt: Schema.String
})
const reminder = Template.make(
  {
    kind: "task.reminder",
    subject: ({ params }) => `Due ${params.dueAt}: ${params.title}`,
    text: ({ params }) => params.step,
    html: ({ params }) => Template.html`<p>${params.step}</p>`
  },
  NoticeParams
)
const escalated = Template.make(
  {
    kind: "task.escalated",
    subject: ({ params }) => `Escalated (level ${params.level}): ${params.title}`,
    text: ({ params }) => params.step,
    html: ({ params }) => Template.html`<p>${params.step}</p>`
  },
  NoticeParams
)

const noticeRequest = (n: TaskNotifier.Notice) =>
  Notify.request({
    template: n.stepKind === "escalation" ? escalated : reminder,
    params: { title: n.title, step: n.step, level: n.level, dueAt: n.dueAt },
    recipients: n.recipients.map((r) => ({ email: r.email, name: r.displayName, actorId: r.actorId })),
    record: { type: "task", id: n.taskId }
  })

/** The task notifier over the outbox, one `enqueueMany` per batch. */
export const outboxNotifier: Layer.Layer<TaskNotifier.TaskNotifier, never, Notify.Notify> = Layer.effect(
  TaskNotifier.TaskNotifier,
  Effect.map(Notify.Notify, (notify) => {
    const batch = (notices: ReadonlyArray<TaskNotifier.Notice>) => {
      const requests = notices.filter((n) => n.recipients.length > 0).map(noticeRequest)
      return requests.length === 0 ? Effect.void : Effect.asVoid(notify.enqueueMany(requests))
    }
    return { notify: batch, notifyBatch: batch }
  })
)

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

const directory: Layer.Layer<Directory.Directory, never, Db> = StaffDirectory.layer

/** What a sweeper needs, over one database client. */
export const sweeperLayer = <E>(db: Layer.Layer<Db, E>, seed: number) =>
  Layer.mergeAll(directory, outboxNotifier).pipe(
    Layer.provideMerge(Notify.layer()),
    Layer.provideMerge(AuditLog.layer({ signingKey })),
    Layer.provideMerge(Ids.layerTest(seed)),
    Layer.provideMerge(db)
  )

/** Records, tasks, the SQL directory and the outbox notifier, migrated. */
export const tasksLayer = (target: TestDatabase.Target) =>
  Records.layer({ types: [occurrence] }).pipe(
    Layer.provideMerge(Layer.mergeAll(RecordHooks.layer(failing), SignerVerification.acceptAll)),
    Layer.provideMerge(Tasks.layer()),
    Layer.provideMerge(
      Layer.mergeAll(
        directory,
        outboxNotifier,
        Policy.layer({ grant: { capa_owner: ["task.read", "task.create", "task.update", "task.complete"] } })
      )
    ),
    Layer.provideMerge(Notify.layer()),
    Layer.provideMerge(AuditLog.layer({ signingKey })),
    Layer.provideMerge(migrate),
    Layer.provideMerge(Ids.layerTest(7)),
    Layer.provideMerge(target.layer)
  )

/** A tenant no other test uses (the suites share one database per target). */
export const freshTenant = TestKit.freshTenant

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
  StaffDirectory.upsert(
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

export const as = TestKit.asActor

export const p = TestKit.param

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
