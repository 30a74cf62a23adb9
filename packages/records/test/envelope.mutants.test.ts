// The command envelope where the shared suite left mutants alive (docs/mutation.md): a write that
// meets a version changed since the read, a stored idempotent response that no longer decodes, a
// command's own hook reusing its idempotency key, who may read a type through which permission
// (also only as its creator), what NotFound names, the reason and correlation id as stored, and what
// the bus gets inside and outside a host's own transaction.
import { AuditLog } from "@airworthy/audit"
import { Actor, Errors, Guard, Ids, Policy, Workflow } from "@airworthy/core"
import { Query, StorageError } from "@airworthy/storage"
import { TestDatabase } from "@airworthy/testing"
import { SqlClient } from "@effect/sql"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Exit, Layer, Logger, Queue, Schema } from "effect"
import { RecordHooks, Records, RecordType } from "../src/index.js"
import { as, count, freshTenant, migrate, p, policy, signer, signingKey } from "./layers.js"

// A probe record: its `finish` transition has a guard that, for a title containing "race", changes
// the record's version on the command's own connection, as another writer committing between the
// command's read and its write would.
const probe = RecordType.make({
  name: "probe",
  prefix: "PRB",
  schema: Schema.Struct({ title: Schema.String }),
  workflow: Workflow.unsafeMake({
    name: "probe",
    label: "Probe",
    states: { draft: { label: "Draft", editable: ["title"] }, done: { label: "Done" } },
    initial: "draft",
    terminal: ["done"],
    transitions: [
      {
        name: "finish",
        from: "draft",
        to: "done",
        permission: "probe.finish",
        guards: [
          Guard.custom("meanwhile", (ctx) =>
            String((ctx.record.data as { title: string }).title).includes("race")
              ? Effect.flatMap(SqlClient.SqlClient, (sql) =>
                  sql.unsafe(`UPDATE aw_records SET version = version + 1 WHERE id = '${ctx.record.id}'`)
                ).pipe(Effect.orDie, Effect.as(true))
              : Effect.succeed(true)
          )
        ]
      }
    ]
  }),
  title: (d) => d.title
})

// Creating a probe titled "reenter" makes its own hook send the very same create again, with the
// same idempotency key, while the first is still being written.
const reenter = RecordHooks.layer(
  RecordHooks.onCreated(
    (change) =>
      change.record.title === "reenter"
        ? Effect.asVoid(Records.create({ type: "probe", data: { title: "reenter" }, idempotencyKey: "same-key" }))
        : Effect.void,
    { type: "probe" }
  )
)

const probePolicy: Policy.Config = {
  ...policy,
  roles: {
    probe_reader: ["probe.read"],
    probe_runner: ["probe.*"],
    // Reads and finishes only the probes this person raised.
    probe_maker: ["probe.create", Policy.onlyAs("creator", "probe.read"), Policy.onlyAs("creator", "probe.finish")]
  },
  grant: { ...policy.grant, quality_manager: [...(policy.grant?.quality_manager ?? []), "probe.*"] }
}

const probeLayer = (target: TestDatabase.Target) =>
  Records.layer<SqlClient.SqlClient>({ types: [probe] }).pipe(
    Layer.provideMerge(Layer.mergeAll(reenter, signer, Policy.layer(probePolicy))),
    Layer.provideMerge(AuditLog.layer({ signingKey })),
    Layer.provideMerge(migrate),
    Layer.provideMerge(Ids.layerTest(23)),
    Layer.provideMerge(target.layer)
  )

const actor = (tenantId: string, actorId: string, roles: ReadonlyArray<string>) =>
  Actor.make({ tenantId, actorId, displayName: actorId, roles, traceId: "trace-envelope-1", source: "api" })

const failure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(self), (exit) =>
    Exit.isFailure(exit) && exit.cause._tag === "Fail"
      ? Effect.succeed(exit.cause.error as unknown)
      : Effect.dieMessage(`expected a failure, got ${Exit.isSuccess(exit) ? "success" : String(exit.cause)}`)
  )

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  describe.skipIf(target.skip)(target.name, () => {
    layer(probeLayer(target), { timeout: 60_000 })("the command envelope", (it) => {
      const d = target.dialect

      it.effect("a version changed between the command's read and its write is StaleVersion; nothing is written", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("envelope-race")
          const quality = actor(tenant, "u-quality", ["quality_manager"])
          const calm = yield* Records.create({ type: "probe", data: { title: "calm" } }).pipe(as(quality))
          const done = yield* Records.transition({ id: calm.id, transition: "finish" }).pipe(as(quality))
          assert.deepStrictEqual([done.state, done.version], ["done", 2])

          const raced = yield* Records.create({ type: "probe", data: { title: "race" } }).pipe(as(quality))
          const events = yield* count(d, "aw_audit_events", tenant)
          const history = yield* count(d, "aw_record_history", tenant)
          const error = yield* failure(
            Records.transition({ id: raced.id, transition: "finish", expectedVersion: 1 }).pipe(as(quality))
          )
          assert.instanceOf(error, Errors.StaleVersion)
          const stale = error as Errors.StaleVersion
          // It names the version the caller read and the one stored now (the other writer's).
          assert.deepStrictEqual([stale.id, stale.expected, stale.actual, stale.status], [raced.id, 1, 2, 409])
          const stored = yield* Records.get(raced.id).pipe(as(quality))
          assert.deepStrictEqual([stored.state, stored.version, stored.closedAt], ["draft", 1, null])
          assert.strictEqual(yield* count(d, "aw_audit_events", tenant), events)
          assert.strictEqual(yield* count(d, "aw_record_history", tenant), history)
          assert.strictEqual((yield* AuditLog.verify(tenant)).ok, true)
        })
      )

      it.effect("a stored idempotent response that no longer decodes is a storage error, never a replay", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("envelope-replay")
          const quality = actor(tenant, "u-quality", ["quality_manager"])
          const first = yield* Records.create({ type: "probe", data: { title: "once" }, idempotencyKey: "k-1" }).pipe(
            as(quality)
          )
          yield* Query.unsafe(
            `UPDATE aw_record_idempotency SET response = ${p(d, 1)} WHERE tenant_id = ${p(d, 2)} AND idempotency_key = ${p(d, 3)}`,
            ['{"id":"not a record"}', tenant, "k-1"]
          )
          const error = yield* failure(
            Records.create({ type: "probe", data: { title: "once" }, idempotencyKey: "k-1" }).pipe(as(quality))
          )
          assert.instanceOf(error, StorageError.StorageError)
          assert.strictEqual((error as StorageError.StorageError).reason, "query")
          assert.match((error as StorageError.StorageError).message, /^Unreadable idempotent response: /)
          assert.strictEqual(yield* count(d, "aw_records", tenant), 1)
          const stored = yield* Records.get(first.id).pipe(as(quality))
          assert.strictEqual(stored.version, 1)
        })
      )

      it.effect("a command's own hook sending it again with its key is a conflict, and nothing is written", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("envelope-reenter")
          const quality = actor(tenant, "u-quality", ["quality_manager"])
          const error = yield* failure(
            Records.create({ type: "probe", data: { title: "reenter" }, idempotencyKey: "same-key" }).pipe(as(quality))
          )
          assert.instanceOf(error, Errors.IdempotencyConflict)
          assert.strictEqual((error as Errors.IdempotencyConflict).key, "same-key")
          for (const table of ["aw_records", "aw_record_idempotency", "aw_audit_events"]) {
            assert.strictEqual(yield* count(d, table, tenant), 0, table)
          }
        })
      )

      it.effect("a type is read with its own read permission or with record.read; with neither it is hidden", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("envelope-read")
          const quality = actor(tenant, "u-quality", ["quality_manager"])
          const typeReader = actor(tenant, "u-reader", ["probe_reader"])
          const recordReader = actor(tenant, "u-viewer", ["viewer"])
          const nobody = actor(tenant, "u-stores", ["stores"])
          const made = yield* Records.create({ type: "probe", data: { title: "visible" } }).pipe(as(quality))
          for (const reader of [typeReader, recordReader]) {
            assert.strictEqual((yield* Records.get(made.id).pipe(as(reader))).id, made.id, reader.actorId)
            const listed = yield* Records.list({}).pipe(as(reader))
            assert.deepStrictEqual(
              listed.items.map((r) => r.id),
              [made.id],
              reader.actorId
            )
            const byType = yield* Records.list({ type: "probe" }).pipe(as(reader))
            assert.deepStrictEqual(
              byType.items.map((r) => r.id),
              [made.id],
              reader.actorId
            )
          }
          assert.deepStrictEqual((yield* Records.list({}).pipe(as(nobody))).items, [])
          const refused = yield* failure(Records.list({ type: "probe" }).pipe(as(nobody)))
          assert.instanceOf(refused, Errors.Forbidden)
          assert.strictEqual((refused as Errors.Forbidden).missing_permission, "probe.read")
          const hidden = yield* failure(Records.get(made.id).pipe(as(nobody)))
          assert.instanceOf(hidden, Errors.Forbidden)
          // Reading is not running: the reader may not finish it, and nothing moves.
          const notRun = yield* failure(Records.transition({ id: made.id, transition: "finish" }).pipe(as(typeReader)))
          assert.instanceOf(notRun, Errors.Forbidden)
          assert.strictEqual((notRun as Errors.Forbidden).missing_permission, "probe.finish")
          const runner = actor(tenant, "u-runner", ["probe_runner"])
          const finished = yield* Records.transition({ id: made.id, transition: "finish" }).pipe(as(runner))
          assert.deepStrictEqual([finished.state, finished.version], ["done", 2])
        })
      )

      it.effect("a record unknown, or of another tenant, is NotFound naming the record; nothing else is said", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("envelope-missing")
          const other = freshTenant("envelope-missing-other")
          const quality = actor(tenant, "u-quality", ["quality_manager"])
          const theirs = yield* Records.create({ type: "probe", data: { title: "theirs" } }).pipe(
            as(actor(other, "u-quality", ["quality_manager"]))
          )
          for (const id of ["0190a000-0000-7000-8000-0000000000ff", theirs.id]) {
            const error = yield* failure(Records.get(id).pipe(as(quality)))
            assert.instanceOf(error, Errors.NotFound)
            assert.deepStrictEqual([(error as Errors.NotFound).entity, (error as Errors.NotFound).id], ["record", id])
            const notMoved = yield* failure(Records.transition({ id, transition: "finish" }).pipe(as(quality)))
            assert.instanceOf(notMoved, Errors.NotFound)
          }
          assert.strictEqual(yield* count(d, "aw_audit_events", tenant), 0)
          const still = yield* Records.get(theirs.id).pipe(as(actor(other, "u-quality", ["quality_manager"])))
          assert.deepStrictEqual([still.state, still.version], ["draft", 1])
        })
      )

      it.effect("a stored record of a type this application does not declare is NotFound naming its type", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("envelope-ghost")
          const quality = actor(tenant, "u-quality", ["quality_manager"])
          const id = "0190a000-0000-7000-8000-0000000000aa"
          const at = "2026-01-05T08:00:00.000Z"
          yield* Query.unsafe(
            `INSERT INTO aw_records (tenant_id, id, type, ref, title, state, version, owner_id, created_by, created_at, updated_at, due_at, closed_at, data) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map((n) => p(d, n)).join(", ")})`,
            [tenant, id, "ghost", "GH-2026-0001", "ghost", "draft", 1, null, "u-quality", at, at, null, null, "{}"]
          )
          const error = yield* failure(Records.get(id).pipe(as(quality)))
          assert.instanceOf(error, Errors.NotFound)
          assert.deepStrictEqual(
            [(error as Errors.NotFound).entity, (error as Errors.NotFound).id],
            ["record type", "ghost"]
          )
        })
      )

      it.effect("a read granted only on records the actor raised reads those, and no one else's", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("envelope-creator")
          const maker = actor(tenant, "u-maker", ["probe_maker"])
          const otherMaker = actor(tenant, "u-maker-2", ["probe_maker"])
          const mine = yield* Records.create({ type: "probe", data: { title: "mine" } }).pipe(as(maker))
          const read = yield* Records.get(mine.id).pipe(as(maker))
          assert.deepStrictEqual([read.id, read.createdBy], [mine.id, "u-maker"])
          const history = yield* Records.history(mine.id).pipe(as(maker))
          assert.deepStrictEqual(
            history.map((h) => h.kind),
            ["created"]
          )
          const refused = yield* failure(Records.get(mine.id).pipe(as(otherMaker)))
          assert.instanceOf(refused, Errors.Forbidden)
          assert.strictEqual((refused as Errors.Forbidden).missing_permission, "probe.read")
          const notTheirs = yield* failure(
            Records.transition({ id: mine.id, transition: "finish" }).pipe(as(otherMaker))
          )
          assert.instanceOf(notTheirs, Errors.Forbidden)
          const finished = yield* Records.transition({ id: mine.id, transition: "finish" }).pipe(as(maker))
          assert.deepStrictEqual([finished.state, finished.version], ["done", 2])
        })
      )

      it.effect("the reason goes into the history and the correlation id into each audit event", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("envelope-reason")
          const quality = actor(tenant, "u-quality", ["quality_manager"])
          const made = yield* Records.create({ type: "probe", data: { title: "why" }, correlationId: "req-1" }).pipe(
            as(quality)
          )
          yield* Records.transition({
            id: made.id,
            transition: "finish",
            reason: "Checked on the hangar floor",
            correlationId: "req-2"
          }).pipe(as(quality))
          const history = yield* Records.history(made.id).pipe(as(quality))
          assert.deepStrictEqual(
            history.map((h) => [h.kind, h.transition, h.reason]),
            [
              ["created", null, null],
              ["transitioned", "finish", "Checked on the hangar floor"]
            ]
          )
          const page = yield* AuditLog.query({ record: { type: "probe", id: made.id }, order: "asc" }).pipe(as(quality))
          assert.deepStrictEqual(
            page.events.map((e) => [e.action, e.correlationId, e.reason]),
            [
              ["probe.created", "req-1", null],
              ["probe.transition.finish", "req-2", "Checked on the hangar floor"]
            ]
          )
        })
      )

      it.scoped(
        "a command publishes its one change after commit; inside a host's own transaction it publishes none and says so",
        () =>
          Effect.gen(function* () {
            const tenant = freshTenant("envelope-bus")
            const quality = actor(tenant, "u-quality", ["quality_manager"])
            const queue = yield* Records.subscribe
            const made = yield* Records.create({ type: "probe", data: { title: "published" } }).pipe(as(quality))
            const published = yield* Queue.takeAll(queue)
            assert.deepStrictEqual(
              [...published].map((c) => [c.tenantId, c.recordId, c.kind, c.version, c.state]),
              [[tenant, made.id, "created", 1, "draft"]]
            )

            const logs: Array<string> = []
            const logger = Logger.replace(
              Logger.defaultLogger,
              Logger.make(({ logLevel, message }) => {
                logs.push(`${logLevel.label}: ${[message].flat().join(" ")}`)
              })
            )
            const sql = yield* SqlClient.SqlClient
            const inHost = yield* sql
              .withTransaction(
                Records.create({ type: "probe", data: { title: "host" }, idempotencyKey: "host-1" }).pipe(as(quality))
              )
              .pipe(Effect.provide(logger))
            assert.strictEqual(yield* Queue.size(queue), 0)
            assert.deepStrictEqual(logs, [
              "WARN: Record commands ran inside a transaction not opened by Records.transaction; their bus events were not published"
            ])
            // The same request again inside a host's transaction changes nothing: nothing to warn about.
            const replayed = yield* sql
              .withTransaction(
                Records.create({ type: "probe", data: { title: "host" }, idempotencyKey: "host-1" }).pipe(as(quality))
              )
              .pipe(Effect.provide(logger))
            assert.strictEqual(replayed.id, inHost.id)
            assert.strictEqual(logs.length, 1)
            assert.strictEqual(yield* Queue.size(queue), 0)
            assert.strictEqual(yield* count(d, "aw_records", tenant), 2)
          })
      )
    })
  })
}
