// Rules declared in a module run in the transaction of the record change: tasks for a role's holder
// or a person the record names, emails, closing the record's open tasks; a later failure rolls them
// back with the record.
import { Actor, Ids, Workflow } from "@airworthy/core"
import { Notify, Template } from "@airworthy/notify"
import { RecordHooks, Records, RecordType } from "@airworthy/records"
import { Tasks } from "@airworthy/tasks"
import { TestDatabase, TestKit } from "@airworthy/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer, Schema, TestClock } from "effect"
import { Qms, QmsModule, Rule } from "../src/index.js"
import { signingKey, staff } from "./layers.js"

const workflow = Workflow.unsafeMake({
  name: "occurrence",
  states: { reported: { editable: ["title", "responsible"] }, investigating: {}, closed: {} },
  initial: "reported",
  terminal: ["closed"],
  transitions: [
    { name: "investigate", from: "reported", to: "investigating", permission: "occurrence.investigate" },
    { name: "close", from: "investigating", to: "closed", permission: "occurrence.close" }
  ]
})

const reportedTemplate = Template.make(
  {
    kind: "occurrence.reported",
    subject: ({ params }) => `Occurrence ${params.ref} reported`,
    text: ({ params }) => `Occurrence ${params.ref} needs reporting to the authority within 72 hours.`,
    html: ({ params }) => Template.html`<p>Occurrence ${params.ref} needs reporting within 72 hours.</p>`
  },
  Schema.Struct({ ref: Schema.String })
)

const occurrences = QmsModule.make({
  name: "occurrences",
  recordTypes: [
    RecordType.make({
      name: "occurrence",
      prefix: "OCC",
      schema: Schema.Struct({ title: Schema.String, responsible: Schema.optional(Schema.String) }),
      workflow,
      title: (d) => d.title
    })
  ],
  permissions: { "occurrence.investigate": "Start an investigation", "occurrence.close": "Close an occurrence" },
  grants: { quality_manager: ["occurrence.*"] },
  rules: [
    Rule.make({
      name: "report_occurrence",
      recordType: "occurrence",
      on: Rule.created,
      reactions: [
        Rule.task({
          kind: "occurrence_report",
          title: (r) => `Report ${r.ref} to the authority`,
          assignee: Rule.role("quality_manager")
        }),
        Rule.notify({ template: reportedTemplate, to: Rule.role("quality_manager"), params: (r) => ({ ref: r.ref }) })
      ]
    }),
    Rule.make({
      name: "investigate_occurrence",
      recordType: "occurrence",
      on: Rule.enters("investigating"),
      reactions: [
        Rule.task({
          kind: "occurrence_investigation",
          title: (r) => `Investigate ${r.ref}`,
          assignee: Rule.field("data.responsible"),
          owner: Rule.field("createdBy")
        })
      ]
    }),
    Rule.make({
      name: "occurrence_ended",
      recordType: "occurrence",
      on: Rule.ends,
      reactions: [Rule.closeTasks("by_end_state")]
    })
  ]
})

// A later hook refuses titles with "hook:fail": the record, its task and its email roll back together.
const failing = RecordHooks.onCreated((change) =>
  change.record.title.includes("hook:fail")
    ? Effect.fail(new RecordHooks.HookFailed({ hook: "test", detail: "the test hook refused" }))
    : Effect.void
)

const base = Date.parse("2026-03-02T08:00:00.000Z")
const hours = (n: number) => n * 3_600_000

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  describe.skipIf(target.skip)(target.name, () => {
    const live = Qms.layer({
      signingKey,
      ids: Ids.layerTest(53),
      modules: [...Qms.modules, occurrences],
      hooks: [failing]
    }).pipe(Layer.provideMerge(target.layer))
    layer(live, { timeout: 60_000 })("rules", (it) => {
      it.effect(
        "create tasks and emails on creation and on entering a state; close tasks at the end; roll back with the record",
        () =>
          Effect.gen(function* () {
            yield* TestClock.setTime(base)
            const tenant = TestKit.freshTenant("rules")
            const quinn = Actor.make({
              tenantId: tenant,
              actorId: "u-quinn",
              displayName: "Quinn",
              roles: ["quality_manager"],
              traceId: "t-rules"
            })
            const as = TestKit.asActor(quinn)
            yield* staff(tenant)
            const occ = yield* Records.create({
              type: "occurrence",
              data: { title: "Bird strike", responsible: "u-olive" }
            }).pipe(as)
            const created = yield* Tasks.byRecord({ type: "occurrence", id: occ.id }).pipe(as)
            assert.deepStrictEqual(
              created.map((t) => [t.kind, t.assigneeId, t.rule, t.dueAt]),
              // The kind's due policy: 72 hours for an occurrence report.
              [["occurrence_report", "u-quinn", "report_occurrence", new Date(base + hours(72)).toISOString()]]
            )
            const emails = yield* Notify.emailLog({ recordType: "occurrence", recordId: occ.id }).pipe(as)
            assert.deepStrictEqual(
              emails.map((m) => [m.recipient, m.subject]),
              [["quinn@mro.example", `Occurrence ${occ.ref} reported`]]
            )
            yield* Records.transition({ id: occ.id, transition: "investigate" }).pipe(as)
            const investigation = (yield* Tasks.byRecord({ type: "occurrence", id: occ.id }).pipe(as)).find(
              (t) => t.kind === "occurrence_investigation"
            )
            assert.strictEqual(investigation?.assigneeId, "u-olive")
            assert.strictEqual(investigation?.ownerId, "u-quinn")
            assert.strictEqual(investigation?.rule, "investigate_occurrence")
            // Closed: every open task of the occurrence is completed, by the same command.
            yield* Records.transition({ id: occ.id, transition: "close" }).pipe(as)
            const after = yield* Tasks.byRecord({ type: "occurrence", id: occ.id }).pipe(as)
            assert.deepStrictEqual(
              after.map((t) => t.status),
              ["done", "done"]
            )
            // A later hook fails: nothing of the command stays.
            const failed = yield* Effect.flip(
              Records.create({ type: "occurrence", data: { title: "hook:fail" } }).pipe(as)
            )
            assert.strictEqual(failed._tag, "HookFailed")
            const dialect = (yield* TestDatabase.TestDatabaseInfo).dialect
            assert.strictEqual(yield* TestKit.countRows(dialect, "aw_records", tenant), 1)
            assert.strictEqual(yield* TestKit.countRows(dialect, "aw_tasks", tenant), 2)
            assert.strictEqual(yield* TestKit.countRows(dialect, "aw_notify_email_log", tenant), 1)
          })
      )
    })
  })
}
