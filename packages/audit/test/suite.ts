// The audit log suite, written once; AuditLog.test.ts runs it on every database in TestDatabase.targets().
import { Actor, Errors, Ids, Policy } from "@airworthy/core"
import { Query, Storage, StorageError } from "@airworthy/storage"
import { TestDatabase, type TestKit } from "@airworthy/testing"
import { assert } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Metric, Stream, TestClock } from "effect"
import { AuditEvent, AuditLog, AuditMetrics, CanonicalJson, Proof, Sensitive, TreeHead } from "../src/index.js"
import {
  actor,
  type auditLayer,
  baseConfig,
  freshTenant,
  migrate,
  p,
  rawEvents,
  signingKey,
  technician
} from "./layers.js"

type It = TestKit.It<Layer.Layer.Success<ReturnType<typeof auditLayer>>>

const finding = (n: number, extra: Partial<AuditEvent.AppendInputEncoded> = {}): AuditEvent.AppendInputEncoded => ({
  action: "finding.updated",
  recordType: "finding",
  recordId: `f-${n % 3}`,
  before: { state: "open", n: n - 1 },
  after: { state: "open", n },
  ...extra
})

const counter = (m: Metric.Metric.Counter<number>) => Effect.map(Metric.value(m), (s) => s.count)

const asActor =
  (a: Actor.Actor) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Actor.withActor(self, a)

export const auditSuite = (it: It, target: TestDatabase.Target) => {
  // ------------------------------------------------------------------ append, chain, transactions

  it.effect("appends events with every field, a gapless sequence and a hash chain", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("append")
      yield* TestClock.setTime(Date.parse("2026-03-04T05:06:07.000Z"))
      const first = yield* AuditLog.append({
        action: "finding.closed",
        recordType: "finding",
        recordId: "f-1",
        before: { state: "verified", title: "Torque wrench overdue" },
        after: { state: "closed", title: "Torque wrench overdue", closed_by: "Quinn" },
        reason: "Corrective action effective",
        correlationId: "req-7",
        severity: "warning"
      }).pipe(asActor(actor(tenant)))
      const second = yield* AuditLog.append(finding(2)).pipe(asActor(actor(tenant)))
      assert.strictEqual(first.sequence, 1)
      assert.strictEqual(second.sequence, 2)
      assert.strictEqual(first.tenantId, tenant)
      assert.strictEqual(first.prevHash, AuditEvent.genesisHash)
      assert.strictEqual(second.prevHash, first.hash)
      assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      assert.strictEqual(first.occurredAt, "2026-03-04T05:06:07.000Z")
      assert.deepStrictEqual(first.actor, { id: "u-quality", displayName: "Quinn Quality", roles: ["quality_manager"] })
      assert.strictEqual(first.traceId, "trace-test-1")
      assert.strictEqual(first.source, "api")
      assert.strictEqual(first.severity, "warning")
      assert.strictEqual(first.correlationId, "req-7")
      assert.strictEqual(first.reason, "Corrective action effective")
      assert.deepStrictEqual(first.diff, [
        { path: "closed_by", to: "Quinn" },
        { path: "state", from: "verified", to: "closed" }
      ])
      assert.deepStrictEqual(second.diff, [{ path: "n", from: 1, to: 2 }])
      const stored = yield* rawEvents(target.dialect, tenant)
      assert.deepStrictEqual(
        stored.map((r) => r.sequence),
        [1, 2]
      )
      // The stored envelope is canonical JSON and the hash is SHA-256 of exactly those bytes.
      const env = JSON.parse(stored[0]!.envelope)
      assert.strictEqual(CanonicalJson.canonicalize(env), stored[0]!.envelope)
      assert.strictEqual(env.prev_hash, "0".repeat(64))
      assert.strictEqual(stored[0]!.hash, first.hash)
      const { createHash } = yield* Effect.promise(() => import("node:crypto"))
      assert.strictEqual(createHash("sha256").update(stored[1]!.envelope, "utf8").digest("hex"), second.hash)
      assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 2, checkpoints: 0 })
    })
  )

  it.effect("joins the caller's transaction: a rollback removes the event too", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("rollback")
      const exit = yield* Effect.exit(
        Query.transaction(
          Effect.gen(function* () {
            yield* AuditLog.append(finding(1))
            yield* AuditLog.append(finding(2))
            return yield* Effect.fail("the command failed" as const)
          })
        ).pipe(asActor(actor(tenant)))
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual((yield* rawEvents(target.dialect, tenant)).length, 0)
      // Committed inside an outer transaction, and outside one (append opens its own).
      yield* Query.transaction(AuditLog.append(finding(1))).pipe(asActor(actor(tenant)))
      const again = yield* AuditLog.append(finding(2)).pipe(asActor(actor(tenant)))
      assert.strictEqual(again.sequence, 2)
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )

  it.effect("rejects input that fails its Schema with field paths, and writes nothing", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("invalid")
      const error = yield* Effect.flip(
        AuditLog.append({
          action: "Finding Closed",
          recordType: "finding",
          recordId: "",
          after: { when: new Date(0), nested: [1, Number.NaN] }
        }).pipe(asActor(actor(tenant)))
      )
      assert.instanceOf(error, Errors.ValidationFailed)
      const paths = (error as Errors.ValidationFailed).issues.map((i) => i.path)
      assert.includeMembers(paths, ["action", "recordId", "after.when"])
      const reserved = yield* Effect.flip(
        AuditLog.append({ ...finding(1), action: "audit.erased" }).pipe(asActor(actor(tenant)))
      )
      assert.deepStrictEqual(
        (reserved as Errors.ValidationFailed).issues.map((i) => i.path),
        ["action"]
      )
      const lone = yield* Effect.flip(
        AuditLog.append({ ...finding(1), after: { note: "bad \ud800 text" } }).pipe(asActor(actor(tenant)))
      )
      assert.deepStrictEqual(
        (lone as Errors.ValidationFailed).issues.map((i) => i.path),
        ["after.note"]
      )
      const batch = yield* Effect.flip(
        AuditLog.appendMany([finding(1), { ...finding(2), severity: "fatal" as never }]).pipe(asActor(actor(tenant)))
      )
      assert.deepStrictEqual(
        (batch as Errors.ValidationFailed).issues.map((i) => i.path),
        ["1.severity"]
      )
      // Nesting past CanonicalJson.maxDepth is refused, not a stack overflow, whatever the depth.
      let deep: unknown = "bottom"
      for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep }
      for (const input of [
        { ...finding(1), after: { deep } },
        { ...finding(1), before: { deep }, after: { deep } }
      ]) {
        const tooDeep = yield* Effect.flip(AuditLog.append(input as never).pipe(asActor(actor(tenant))))
        assert.instanceOf(tooDeep, Errors.ValidationFailed)
        assert.match((tooDeep as Errors.ValidationFailed).issues[0]?.message ?? "", /nested deeper than 64 levels/)
      }
      assert.strictEqual((yield* rawEvents(target.dialect, tenant)).length, 0)
    })
  )

  it.effect("a system actor appends for sweepers", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("system")
      const event = yield* AuditLog.append({
        action: "task.escalated",
        recordType: "task",
        recordId: "t-1",
        after: { level: 2 }
      }).pipe(AuditLog.asSystem(tenant, "escalation-sweeper", "sweeper"))
      assert.strictEqual(event.actor.id, "system:escalation-sweeper")
      assert.strictEqual(event.source, "sweeper")
      assert.strictEqual(event.tenantId, tenant)
    })
  )

  it.effect("triggers reject raw UPDATE and DELETE of events, checkpoints and sensitive values", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("immutable")
      yield* AuditLog.append(finding(1, { after: { reporter: { email: "ann@example.com" } } })).pipe(
        asActor(actor(tenant))
      )
      yield* AuditLog.checkpoint(tenant)
      const d = target.dialect
      const attempts = [
        `UPDATE aw_audit_events SET action = 'finding.deleted' WHERE tenant_id = ${p(d, 1)}`,
        `DELETE FROM aw_audit_events WHERE tenant_id = ${p(d, 1)}`,
        `UPDATE aw_audit_checkpoints SET root_hash = 'x' WHERE tenant_id = ${p(d, 1)}`,
        `DELETE FROM aw_audit_checkpoints WHERE tenant_id = ${p(d, 1)}`,
        `UPDATE aw_audit_sensitive SET value = '"eve@example.com"' WHERE tenant_id = ${p(d, 1)}`,
        `DELETE FROM aw_audit_sensitive WHERE tenant_id = ${p(d, 1)}`
      ]
      for (const statement of attempts) {
        const error = yield* Effect.flip(Query.unsafe(statement, [tenant]))
        assert.instanceOf(error, StorageError.StorageError, statement)
        assert.match(error.message, /not allowed/, statement)
      }
      if (d === "pg") {
        const error = yield* Effect.flip(Query.unsafe("TRUNCATE aw_audit_events"))
        assert.match(error.message, /not allowed/)
      }
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
    })
  )

  it.effect("concurrent writers, each append in its own transaction, never fork a chain", () =>
    Effect.gen(function* () {
      const solo = freshTenant("race")
      const a = freshTenant("race-a")
      const b = freshTenant("race-b")
      // 8 writers × 60 events on one tenant. What matters is that they contend (checked below,
      // from how their events interleave), not how many events they write: throughput is the
      // bench's business, and 4,000 serialised commits here took a minute on a loaded machine.
      yield* Effect.forEach(
        Array.from({ length: 8 }, (_, w) => w),
        (w) =>
          Effect.forEach(
            Array.from({ length: 60 }, (_, i) => i),
            // Yielding between appends lets the other writers in, even on SQLite's one connection.
            (i) => Effect.zipLeft(AuditLog.append(finding(i, { recordId: `w${w}-${i}` })), Effect.yieldNow()),
            { discard: true }
          ).pipe(asActor(actor(solo))),
        { concurrency: "unbounded", discard: true }
      )
      // 4 writers interleaving two tenants.
      yield* Effect.forEach(
        Array.from({ length: 4 }, (_, w) => w),
        (w) =>
          Effect.forEach(
            Array.from({ length: 100 }, (_, i) => i),
            (i) => AuditLog.append(finding(i)).pipe(asActor(actor((w + i) % 2 === 0 ? a : b))),
            { discard: true }
          ),
        { concurrency: "unbounded", discard: true }
      )
      for (const [tenant, count] of [
        [solo, 480],
        [a, 200],
        [b, 200]
      ] as const) {
        const rows = yield* rawEvents(target.dialect, tenant)
        assert.deepStrictEqual(
          rows.map((r) => r.sequence),
          Array.from({ length: count }, (_, i) => i + 1),
          tenant
        )
        assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: count, checkpoints: 0 })
      }
      // The writers really ran at once: in chain order, the writer changes many times.
      const writers = (yield* rawEvents(target.dialect, solo)).map(
        (r) => (JSON.parse(r.envelope) as { record: { id: string } }).record.id.split("-")[0]
      )
      const switches = writers.filter((w, i) => i > 0 && w !== writers[i - 1]).length
      assert.isAbove(switches, 7 * 4, `writers barely interleaved: ${switches} switches`)
    })
  )

  it.effect("integer-like keys, which JavaScript orders first, still verify as canonical", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("int-keys")
      yield* AuditLog.append({
        action: "tool.counted",
        recordType: "tool",
        recordId: "t-1",
        after: { "10": "ten", "9": "nine", a: { "2": 2, "11": 11, b: [{ "100": 1, "20": 2 }] } }
      }).pipe(AuditLog.asSystem(tenant, "seed"))
      assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 1, checkpoints: 0 })
    })
  )

  it.effect("checkpoints are signed for the tenants that need one, on a schedule, and survive a key rotation", () =>
    Effect.gen(function* () {
      const busy = freshTenant("due-busy")
      const quiet = freshTenant("due-quiet")
      const seed = (tenant: string, n: number, from = 0) =>
        AuditLog.appendMany(
          Array.from({ length: n }, (_, i) => ({
            action: "tool.calibrated",
            recordType: "tool",
            recordId: `t-${from + i}`
          }))
        ).pipe(AuditLog.asSystem(tenant, "seed"))
      yield* seed(busy, 3)
      yield* seed(quiet, 1)
      const round = yield* AuditLog.checkpointDue({ minEvents: 2 })
      assert.include(round.signed, busy)
      assert.notInclude(round.signed, quiet)
      assert.deepStrictEqual(
        (yield* AuditLog.checkpoints(busy)).map((c) => [c.treeSize, c.keyId]),
        [[3, signingKey.keyId]]
      )
      assert.deepStrictEqual(yield* AuditLog.checkpoints(quiet), [])

      // The key is rotated: the new one signs from now on, the old public key stays trusted.
      const newKey = TreeHead.generateKey()
      const rotated = yield* AuditLog.make({
        ...baseConfig,
        signingKey: newKey,
        verificationKeys: { [signingKey.keyId]: signingKey.publicKey }
      })
      yield* rotated
        .append({ action: "tool.lost", recordType: "tool", recordId: "t-9" })
        .pipe(AuditLog.asSystem(busy, "seed"))
      yield* rotated.checkpoint(busy)
      assert.deepStrictEqual(yield* rotated.verify(busy), { ok: true, events: 4, checkpoints: 2 })
      assert.deepStrictEqual(
        rotated.keys.map((k) => [k.keyId, k.current, k.publicKeyPem.startsWith("-----BEGIN PUBLIC KEY-----")]),
        [
          [newKey.keyId, true, true],
          [signingKey.keyId, false, true]
        ]
      )
      // A log that forgot the earlier key says which key it does not trust.
      const forgetful = yield* AuditLog.make({ ...baseConfig, signingKey: newKey })
      const refused = yield* forgetful.verify(busy)
      assert.isFalse(refused.ok)
      if (!refused.ok) {
        assert.strictEqual(refused.fault, "bad_signature")
        assert.include(refused.detail, signingKey.keyId)
        assert.include(refused.detail, "verificationKeys")
      }

      // On a schedule: the first round runs at once, then every `everyMillis`.
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(AuditLog.scheduleCheckpoints({ everyMillis: 60_000, minEvents: 1 }))
          for (let i = 0; i < 200 && (yield* AuditLog.checkpoints(quiet)).length === 0; i++) {
            yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
          }
          assert.deepStrictEqual(
            (yield* AuditLog.checkpoints(quiet)).map((c) => c.treeSize),
            [1]
          )
          yield* seed(quiet, 2, 1)
          // The round in progress may still be signing other tenants of the shared database: keep
          // moving the clock until the next round has run.
          for (let i = 0; i < 500 && (yield* AuditLog.checkpoints(quiet)).length === 1; i++) {
            yield* TestClock.adjust(60_000)
            yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
          }
          assert.deepStrictEqual(
            (yield* AuditLog.checkpoints(quiet)).map((c) => c.treeSize),
            [1, 3]
          )
        })
      )
    })
  )

  it.effect(
    "service instances that each guess the head still keep one chain (a stale guess falls back to the lock)",
    () =>
      Effect.gen(function* () {
        const tenant = freshTenant("guess")
        const one = yield* AuditLog.make(baseConfig)
        const two = yield* AuditLog.make(baseConfig)
        for (let i = 0; i < 20; i++) {
          const service = i % 3 === 0 ? one : two
          yield* service
            .append(finding(i, { after: { reporter: { email: `r${i}@example.org` }, n: i } }))
            .pipe(asActor(actor(tenant)))
        }
        const stored = yield* Query.unsafe<{ value: string }>(
          `SELECT value FROM aw_audit_sensitive WHERE tenant_id = ${p(target.dialect, 1)} ORDER BY event_sequence`,
          [tenant]
        )
        assert.deepStrictEqual(
          stored.map((r) => r.value),
          Array.from({ length: 20 }, (_, i) => `"r${i}@example.org"`)
        )
        assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 20, checkpoints: 0 })
      })
  )

  if (target.name !== "sqlite-memory") {
    it.effect("two clients of the same database append to one chain", () =>
      Effect.gen(function* () {
        const info = yield* TestDatabase.TestDatabaseInfo
        const tenant = freshTenant("two-clients")
        const other = AuditLog.layer(baseConfig).pipe(
          Layer.provideMerge(Ids.layer),
          Layer.provideMerge(info.connectAgain!)
        )
        const writer = Effect.forEach(
          Array.from({ length: 150 }, (_, i) => i),
          (i) =>
            AuditLog.append(finding(i, i % 10 === 0 ? { after: { reporter: { email: `w${i}@example.org` } } } : {})),
          { discard: true }
        ).pipe(asActor(actor(tenant)))
        yield* Effect.all([writer, Effect.provide(writer, other)], { concurrency: "unbounded" })
        assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 300, checkpoints: 0 })
      })
    )
  }

  it.effect("appendMany chains a batch in one transaction, continuing the chain", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("bulk")
      yield* AuditLog.append(finding(0)).pipe(asActor(actor(tenant)))
      const result = yield* AuditLog.appendMany(
        Array.from({ length: 1203 }, (_, i) =>
          finding(i, i % 100 === 0 ? { after: { reporter: { email: `r${i}@example.com` } } } : {})
        )
      ).pipe(asActor(actor(tenant)))
      assert.strictEqual(result.count, 1203)
      assert.strictEqual(result.firstSequence, 2)
      assert.strictEqual(result.lastSequence, 1204)
      const next = yield* AuditLog.append(finding(9)).pipe(asActor(actor(tenant)))
      assert.strictEqual(next.prevHash, result.lastHash)
      assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 1205, checkpoints: 0 })
      const empty = yield* AuditLog.appendMany([]).pipe(asActor(actor(tenant)))
      assert.strictEqual(empty.count, 0)
    })
  )

  // ------------------------------------------------------------------ query and replay

  it.effect("queries by record, actor, action, severity and time, paging both ways with stable cursors", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("query")
      const qm = actor(tenant)
      const tech = technician(tenant)
      yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00.000Z"))
      for (let i = 1; i <= 12; i++) {
        yield* TestClock.adjust("1 hour")
        const who = i % 2 === 0 ? tech : qm
        yield* AuditLog.append({
          action: i % 3 === 0 ? "capa.opened" : "finding.updated",
          recordType: i % 3 === 0 ? "capa" : "finding",
          recordId: `r-${i % 4}`,
          after: { i },
          severity: i === 5 ? "security" : "info"
        }).pipe(asActor(who))
      }
      const seqs = (page: AuditLog.Page) => page.events.map((e) => e.sequence)
      const run = (filter: AuditLog.QueryFilter) => AuditLog.query(filter).pipe(asActor(qm))
      assert.deepStrictEqual(seqs(yield* run({ order: "asc" })), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
      assert.deepStrictEqual(seqs(yield* run({ record: { type: "finding", id: "r-1" }, order: "asc" })), [1, 5])
      assert.deepStrictEqual(seqs(yield* run({ actorId: "u-tech", order: "asc" })), [2, 4, 6, 8, 10, 12])
      assert.deepStrictEqual(seqs(yield* run({ action: "capa.opened", order: "asc" })), [3, 6, 9, 12])
      assert.deepStrictEqual(seqs(yield* run({ action: "capa.*", order: "asc" })), [3, 6, 9, 12])
      assert.deepStrictEqual(seqs(yield* run({ severity: "security" })), [5])
      assert.deepStrictEqual(seqs(yield* run({ severity: ["security", "warning"] })), [5])
      assert.deepStrictEqual(
        seqs(yield* run({ from: "2026-01-01T03:00:00.000Z", to: "2026-01-01T06:00:00.000Z", order: "asc" })),
        [3, 4, 5]
      )
      // Newest first by default; the cursor holds while events are appended.
      const page1 = yield* run({ limit: 5 })
      assert.deepStrictEqual(seqs(page1), [12, 11, 10, 9, 8])
      assert.isTrue(page1.hasMore)
      yield* AuditLog.append(finding(99)).pipe(asActor(qm))
      const page2 = yield* run({ limit: 5, cursor: page1.nextCursor! })
      assert.deepStrictEqual(seqs(page2), [7, 6, 5, 4, 3])
      const page3 = yield* run({ limit: 5, cursor: page2.nextCursor! })
      assert.deepStrictEqual(seqs(page3), [2, 1])
      assert.isFalse(page3.hasMore)
      const asc = yield* run({ order: "asc", limit: 10 })
      const rest = yield* run({ order: "asc", limit: 10, cursor: asc.nextCursor! })
      assert.deepStrictEqual(seqs(rest), [11, 12, 13])
      const bad = yield* Effect.flip(run({ cursor: "not a cursor" }))
      assert.strictEqual(bad._tag, "CursorExpired")
      // A record's sequences and actions alone, oldest first, as the full query lists them.
      const capaEvents = yield* run({ record: { type: "capa", id: "r-1" }, order: "asc" })
      const capaSequences = yield* AuditLog.recordSequences({ type: "capa", id: "r-1" }).pipe(asActor(qm))
      assert.deepStrictEqual(capaSequences, [{ sequence: 9, action: "capa.opened" }])
      assert.deepStrictEqual(
        capaSequences,
        capaEvents.events.map((e) => ({ sequence: e.sequence, action: e.action }))
      )
      assert.deepStrictEqual(yield* AuditLog.recordSequences({ type: "finding", id: "r-1" }).pipe(asActor(qm)), [
        { sequence: 1, action: "finding.updated" },
        { sequence: 5, action: "finding.updated" }
      ])
      assert.deepStrictEqual(yield* AuditLog.recordSequences({ type: "capa", id: "r-none" }).pipe(asActor(qm)), [])
      // Another tenant sees none of it.
      const other = yield* AuditLog.query({}).pipe(asActor(actor(freshTenant("query-other"))))
      assert.strictEqual(other.events.length, 0)
      const otherSequences = yield* AuditLog.recordSequences({ type: "finding", id: "r-1" }).pipe(
        asActor(actor(freshTenant("query-other")))
      )
      assert.deepStrictEqual(otherSequences, [])
    })
  )

  it.effect("replays events after a cursor as a stream, in pages, and rejects unknown cursors", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("replay")
      yield* AuditLog.appendMany(Array.from({ length: 1100 }, (_, i) => finding(i))).pipe(asActor(actor(tenant)))
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(AuditLog.replayFrom(tenant)))
      assert.strictEqual(all.length, 1100)
      assert.deepStrictEqual(all[0]!.sequence, 1)
      const after = Chunk.toReadonlyArray(yield* Stream.runCollect(AuditLog.replayFrom(tenant, all[1049]!.cursor)))
      assert.deepStrictEqual(
        after.map((e) => e.sequence),
        Array.from({ length: 50 }, (_, i) => 1051 + i)
      )
      const atEnd = yield* Stream.runCollect(AuditLog.replayFrom(tenant, all[1099]!.cursor))
      assert.strictEqual(Chunk.size(atEnd), 0)
      const unknown = yield* Effect.flip(Stream.runCollect(AuditLog.replayFrom(tenant, AuditLog.cursorAfter(5000))))
      assert.deepStrictEqual([unknown._tag, (unknown as { reason?: string }).reason], ["CursorExpired", "unknown"])
      const malformed = yield* Effect.flip(Stream.runCollect(AuditLog.replayFrom(tenant, "garbage!")))
      assert.strictEqual((malformed as { reason?: string }).reason, "malformed")
      assert.strictEqual((malformed as { status?: number }).status, 410)
    })
  )

  // ------------------------------------------------------------------ checkpoints and proofs

  it.effect("signs checkpoints and proves inclusion and consistency offline", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("proofs")
      yield* TestClock.setTime(Date.parse("2026-02-01T00:00:00.000Z"))
      yield* AuditLog.appendMany(Array.from({ length: 7 }, (_, i) => finding(i))).pipe(asActor(actor(tenant)))
      const first = yield* AuditLog.checkpoint(tenant)
      assert.strictEqual(first.treeSize, 7)
      assert.strictEqual(first.timestamp, "2026-02-01T00:00:00.000Z")
      assert.deepStrictEqual(yield* AuditLog.checkpoint(tenant), first)
      yield* AuditLog.appendMany(Array.from({ length: 6 }, (_, i) => finding(i))).pipe(asActor(actor(tenant)))
      const second = yield* AuditLog.checkpoint(tenant)
      assert.strictEqual(second.treeSize, 13)
      const pem = signingKey.publicKeyPem
      assert.isTrue(Proof.verifyCheckpoint(second, pem).ok)
      for (const seq of [1, 7, 13]) {
        const proof = yield* AuditLog.inclusionProof(tenant, seq)
        assert.deepStrictEqual(Proof.verifyInclusion(proof, pem), { ok: true }, `event ${seq}`)
        assert.strictEqual(proof.checkpoint.treeSize, 13)
      }
      // Many at once: the same proofs as one by one, in the order asked, against the checkpoint asked.
      const batch = yield* AuditLog.inclusionProofs(tenant, [13, 1, 7])
      for (const proof of batch) assert.deepStrictEqual(proof, yield* AuditLog.inclusionProof(tenant, proof.sequence))
      assert.deepStrictEqual(
        batch.map((p) => p.sequence),
        [13, 1, 7]
      )
      const olderBatch = yield* AuditLog.inclusionProofs(tenant, [3], 7)
      assert.deepStrictEqual(olderBatch[0], yield* AuditLog.inclusionProof(tenant, 3, 7))
      assert.instanceOf(yield* Effect.flip(AuditLog.inclusionProofs(tenant, [1, 14])), Errors.NotFound)
      const old = yield* AuditLog.inclusionProof(tenant, 3, 7)
      assert.isTrue(Proof.verifyInclusion(old, pem).ok)
      // Tampered proofs, or another key, do not verify.
      assert.isFalse(Proof.verifyInclusion({ ...old, sequence: 4 }, pem).ok)
      assert.isFalse(Proof.verifyInclusion({ ...old, envelope: `${old.envelope} ` }, pem).ok)
      assert.isFalse(
        Proof.verifyInclusion({ ...old, checkpoint: { ...old.checkpoint, rootHash: "0".repeat(64) } }, pem).ok
      )
      assert.isFalse(Proof.verifyInclusion(old, TreeHead.generateKey().publicKeyPem).ok)
      const consistency = yield* AuditLog.consistencyProof(tenant, 7, 13)
      assert.deepStrictEqual(Proof.verifyConsistency(consistency, pem), { ok: true })
      assert.isFalse(
        Proof.verifyConsistency({ ...consistency, proof: consistency.proof.map(() => "ab".repeat(32)) }, pem).ok
      )
      const missing = yield* Effect.flip(AuditLog.inclusionProof(tenant, 20))
      assert.instanceOf(missing, Errors.NotFound)
      const noCheckpoint = yield* Effect.flip(AuditLog.consistencyProof(tenant, 5, 13))
      assert.instanceOf(noCheckpoint, Errors.NotFound)
      assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 13, checkpoints: 2 })
      assert.strictEqual((yield* AuditLog.checkpoints(tenant)).length, 2)
    })
  )

  it.effect("a checkpoint signed by a retired key still verifies when its public key is configured", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("rotation")
      const oldKey = TreeHead.generateKey()
      const withOld = yield* AuditLog.make({ ...baseConfig, signingKey: oldKey })
      yield* withOld.appendMany([finding(1), finding(2)]).pipe(asActor(actor(tenant)))
      yield* withOld.checkpoint(tenant)
      const rotated = yield* AuditLog.make({
        ...baseConfig,
        verificationKeys: { [oldKey.keyId]: oldKey.publicKeyPem }
      })
      assert.isTrue((yield* rotated.verify(tenant)).ok)
      const forgotten = yield* AuditLog.verify(tenant)
      assert.deepStrictEqual(forgotten.ok ? "ok" : forgotten.fault, "bad_signature")
    })
  )

  // ------------------------------------------------------------------ sensitive values and erasure

  it.effect(
    "stores sensitive values apart, commits to salted hashes, and masks them for readers without the permission",
    () =>
      Effect.gen(function* () {
        const tenant = freshTenant("sensitive")
        const event = yield* AuditLog.append({
          action: "finding.raised",
          recordType: "finding",
          recordId: "f-9",
          before: null,
          after: {
            title: "Unsecured panel",
            reporter: { name: "Ann", email: "ann@example.com" },
            witnesses: [{ email: "bo@example.com" }, { name: "no email" }]
          }
        }).pipe(asActor(actor(tenant)))
        assert.deepStrictEqual(event.sensitivePaths, ["after.reporter.email", "after.witnesses.0.email"])
        const [row] = yield* rawEvents(target.dialect, tenant)
        assert.notInclude(row!.envelope, "ann@example.com")
        assert.notInclude(row!.envelope, "bo@example.com")
        const env = JSON.parse(row!.envelope)
        const stored = yield* Query.unsafe<{ path: string; salt: string; value: string }>(
          `SELECT path, salt, value FROM aw_audit_sensitive WHERE tenant_id = ${p(target.dialect, 1)} ORDER BY path`,
          [tenant]
        )
        assert.deepStrictEqual(
          stored.map((s) => [s.path, s.value]),
          [
            ["after.reporter.email", '"ann@example.com"'],
            ["after.witnesses.0.email", '"bo@example.com"']
          ]
        )
        assert.strictEqual(env.after.reporter.email.$sensitive, Sensitive.commitment(stored[0]!.salt, stored[0]!.value))
        assert.lengthOf(stored[0]!.salt, 64)
        // The diff names the sensitive field without its value.
        assert.deepInclude(env.diff, { path: "reporter.email", sensitive: true })
        assert.notInclude(JSON.stringify(env.diff), "ann@")

        const read = (who: Actor.Actor, service?: AuditLog.Service) =>
          (service ? service.query({ order: "asc" }) : AuditLog.query({ order: "asc" })).pipe(
            asActor(who),
            Effect.map((page) => page.events[0]!)
          )
        const revealed = yield* read(actor(tenant))
        assert.strictEqual(Sensitive.get(revealed.after, "reporter.email"), "ann@example.com")
        assert.deepInclude(revealed.diff, { path: "reporter.email", sensitive: true, to: "ann@example.com" })
        const hidden = yield* read(technician(tenant))
        assert.deepStrictEqual(Sensitive.get(hidden.after, "reporter.email"), {
          $sensitive: env.after.reporter.email.$sensitive,
          $status: "masked"
        })
        assert.strictEqual(Sensitive.get(hidden.after, "reporter.name"), "Ann")
        // masking: "log" shows the value and counts it; "off" shows it to everyone.
        const logging = yield* AuditLog.make({ ...baseConfig, masking: "log" })
        const before = yield* counter(AuditMetrics.unmaskedReads)
        assert.strictEqual(
          Sensitive.get((yield* read(technician(tenant), logging)).after, "reporter.email"),
          "ann@example.com"
        )
        assert.strictEqual((yield* counter(AuditMetrics.unmaskedReads)) - before, 2)
        const open = yield* AuditLog.make({ ...baseConfig, masking: "off" })
        assert.strictEqual(
          Sensitive.get((yield* read(technician(tenant), open)).after, "reporter.email"),
          "ann@example.com"
        )
        assert.strictEqual((yield* counter(AuditMetrics.unmaskedReads)) - before, 2)
        // A host policy decides who reads them.
        const strict = yield* AuditLog.make({ ...baseConfig, canReadSensitive: (a) => a.roles.includes("dpo") })
        assert.strictEqual(
          (Sensitive.get((yield* read(actor(tenant), strict)).after, "reporter.email") as { $status?: string }).$status,
          "masked"
        )
        assert.strictEqual(
          Sensitive.get((yield* read(actor(tenant, ["dpo"]), strict)).after, "reporter.email"),
          "ann@example.com"
        )
        // With the host's Policy in context, the audit_trail.read_sensitive permission decides.
        const governed = yield* AuditLog.make(baseConfig).pipe(
          Effect.provide(
            Policy.layer({
              roles: { dpo: ["audit_trail.read_sensitive"] },
              revoke: { quality_manager: ["audit_trail.read_sensitive"] }
            })
          )
        )
        assert.strictEqual(
          (Sensitive.get((yield* read(actor(tenant), governed)).after, "reporter.email") as { $status?: string })
            .$status,
          "masked"
        )
        assert.strictEqual(
          Sensitive.get((yield* read(actor(tenant, ["dpo"]), governed)).after, "reporter.email"),
          "ann@example.com"
        )
        assert.isTrue((yield* AuditLog.verify(tenant)).ok)
      })
  )

  it.effect("erases a record's sensitive values, leaves tombstones and an audit.erased event, and still verifies", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("erase")
      const qm = actor(tenant)
      const raised = {
        action: "finding.raised",
        recordType: "finding",
        recordId: "f-1",
        after: { reporter: { email: "ann@example.com" }, state: "open" }
      }
      yield* AuditLog.append(raised).pipe(asActor(qm))
      yield* AuditLog.append({
        ...raised,
        action: "finding.updated",
        before: raised.after,
        after: { reporter: { email: "ann@new.example.com" }, state: "open" }
      }).pipe(asActor(qm))
      const kept = yield* AuditLog.append({ ...raised, recordId: "f-2" }).pipe(asActor(qm))
      yield* AuditLog.checkpoint(tenant)
      const denied = yield* Effect.flip(
        AuditLog.erase({ record: { type: "finding", id: "f-1" }, reason: "GDPR art. 17 request" }).pipe(
          asActor(technician(tenant))
        )
      )
      assert.instanceOf(denied, Errors.Forbidden)
      const before = yield* counter(AuditMetrics.erasures)
      const result = yield* AuditLog.erase({
        record: { type: "finding", id: "f-1" },
        reason: "GDPR art. 17 request"
      }).pipe(asActor(qm))
      assert.deepStrictEqual(result.erased, [
        { sequence: 1, path: "after.reporter.email" },
        { sequence: 2, path: "after.reporter.email" },
        { sequence: 2, path: "before.reporter.email" }
      ])
      assert.strictEqual((yield* counter(AuditMetrics.erasures)) - before, 3)
      assert.strictEqual(result.event.action, "audit.erased")
      assert.strictEqual(result.event.severity, "security")
      assert.strictEqual(result.event.reason, "GDPR art. 17 request")
      assert.deepStrictEqual(result.event.record, { type: "finding", id: "f-1" })
      const rows = yield* Query.unsafe<{ value: string | null; salt: string | null; erased_by: string | null }>(
        `SELECT value, salt, erased_by FROM aw_audit_sensitive WHERE tenant_id = ${p(target.dialect, 1)} AND event_sequence <= 2`,
        [tenant]
      )
      assert.strictEqual(rows.length, 3)
      assert.isTrue(rows.every((r) => r.value === null && r.salt === null && r.erased_by === "u-quality"))
      const page = yield* AuditLog.query({ order: "asc" }).pipe(asActor(qm))
      assert.strictEqual(
        (Sensitive.get(page.events[0]!.after, "reporter.email") as { $status?: string }).$status,
        "erased"
      )
      assert.strictEqual(Sensitive.get(page.events[2]!.after, "reporter.email"), "ann@example.com")
      assert.strictEqual(page.events[2]!.sequence, kept.sequence)
      assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 4, checkpoints: 1 })
      // Erasing one event by sequence; unknown targets are NotFound.
      const one = yield* AuditLog.erase({ sequence: kept.sequence, reason: "request 2" }).pipe(asActor(qm))
      assert.deepStrictEqual(one.erased, [{ sequence: 3, path: "after.reporter.email" }])
      const unknown = yield* Effect.flip(
        AuditLog.erase({ record: { type: "finding", id: "nope" }, reason: "x" }).pipe(asActor(qm))
      )
      assert.instanceOf(unknown, Errors.NotFound)
      assert.isTrue((yield* AuditLog.verify(tenant)).ok)
      assert.isTrue(Proof.verifyInclusion(yield* AuditLog.inclusionProof(tenant, 1), signingKey.publicKeyPem).ok)
    })
  )

  // ------------------------------------------------------------------ retention

  it.effect("purges only a checkpointed, expired, unheld prefix, audits it, and the rest still verifies", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("purge")
      const qm = actor(tenant)
      const sweeper = AuditLog.asSystem(tenant, "retention", "sweeper")
      yield* TestClock.setTime(Date.parse("2020-01-01T00:00:00.000Z"))
      const at = (iso: string) => TestClock.setTime(Date.parse(iso))
      // 1-3: tools (3 years), 4: finding (6 years), 5: tool on hold later, 6-7: tools.
      yield* AuditLog.appendMany([
        { action: "tool.calibrated", recordType: "tool", recordId: "t-1", after: { due: "2021" } },
        { action: "tool.calibrated", recordType: "tool", recordId: "t-2", after: { due: "2021" } },
        { action: "tool.calibrated", recordType: "tool", recordId: "t-3", after: { due: "2021" } }
      ]).pipe(asActor(qm))
      yield* at("2020-02-01T00:00:00.000Z")
      yield* AuditLog.append({
        action: "finding.raised",
        recordType: "finding",
        recordId: "f-1",
        after: { reporter: { email: "ann@example.com" } }
      }).pipe(asActor(qm))
      yield* AuditLog.append({ action: "tool.lost", recordType: "tool", recordId: "t-9" }).pipe(asActor(qm))
      yield* AuditLog.appendMany([
        { action: "tool.found", recordType: "tool", recordId: "t-7" },
        { action: "tool.found", recordType: "tool", recordId: "t-8" }
      ]).pipe(asActor(qm))

      // Nothing is purgeable before a checkpoint covers the events.
      yield* at("2031-01-01T00:00:00.000Z")
      const uncovered = yield* AuditLog.purge({ dryRun: true }).pipe(sweeper)
      assert.deepStrictEqual([uncovered.events, uncovered.stoppedBy, uncovered.stoppedAt], [0, "not_checkpointed", 1])
      yield* AuditLog.checkpoint(tenant)

      // In 2023-06 the tools (3 years) are due; the finding (6 years) stops the prefix.
      yield* at("2023-06-01T00:00:00.000Z")
      const dry = yield* AuditLog.purge({ dryRun: true }).pipe(sweeper)
      assert.deepStrictEqual(
        [dry.events, dry.fromSequence, dry.toSequence, dry.stoppedBy, dry.stoppedAt],
        [3, 1, 3, "retention", 4]
      )
      assert.deepStrictEqual(dry.byRecordType, { tool: 3 })
      assert.strictEqual((yield* rawEvents(target.dialect, tenant)).length, 7)
      const denied = yield* Effect.flip(AuditLog.purge().pipe(asActor(technician(tenant))))
      assert.instanceOf(denied, Errors.Forbidden)

      const cursorAt2 = AuditLog.cursorAfter(2)
      const purges = yield* counter(AuditMetrics.purges)
      const done = yield* AuditLog.purge().pipe(sweeper)
      assert.deepStrictEqual([done.events, done.toSequence, done.dryRun], [3, 3, false])
      assert.strictEqual(done.event?.action, "audit.purged")
      assert.deepInclude(done.event?.after as object, { from_sequence: 1, to_sequence: 3, events: 3 })
      assert.strictEqual((yield* counter(AuditMetrics.purges)) - purges, 1)
      const left = yield* rawEvents(target.dialect, tenant)
      assert.deepStrictEqual(
        left.map((r) => r.sequence),
        [4, 5, 6, 7, 8]
      )
      assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 5, checkpoints: 1 })
      // Proofs still work, for kept and for purged events (their hashes are kept).
      assert.isTrue(Proof.verifyInclusion(yield* AuditLog.inclusionProof(tenant, 5), signingKey.publicKeyPem).ok)
      const gone = yield* AuditLog.inclusionProof(tenant, 2)
      assert.isUndefined(gone.envelope)
      assert.isTrue(Proof.verifyInclusion(gone, signingKey.publicKeyPem).ok)
      // A replay cursor inside the purged range has expired; one at the anchor has not.
      const expired = yield* Effect.flip(Stream.runCollect(AuditLog.replayFrom(tenant, cursorAt2)))
      assert.deepStrictEqual([expired._tag, (expired as { reason?: string }).reason], ["CursorExpired", "purged"])
      const fromAnchor = yield* Stream.runCollect(AuditLog.replayFrom(tenant, AuditLog.cursorAfter(3)))
      assert.strictEqual(Chunk.size(fromAnchor), 5)
      // Raw deletes are still refused after the purge.
      const raw = yield* Effect.flip(
        Query.unsafe(`DELETE FROM aw_audit_events WHERE tenant_id = ${p(target.dialect, 1)}`, [tenant])
      )
      assert.match(raw.message, /not allowed/)

      // A legal hold on the finding keeps it (and everything after it) past its retention.
      yield* AuditLog.placeLegalHold({
        recordType: "finding",
        recordId: "f-1",
        reason: "CAA investigation 24-117"
      }).pipe(asActor(qm))
      assert.strictEqual((yield* AuditLog.legalHolds.pipe(asActor(qm))).length, 1)
      yield* AuditLog.checkpoint(tenant)
      yield* at("2040-01-01T00:00:00.000Z")
      const held = yield* AuditLog.purge({ dryRun: true }).pipe(sweeper)
      assert.deepStrictEqual([held.events, held.stoppedBy, held.stoppedAt], [0, "legal_hold", 4])
      yield* AuditLog.releaseLegalHold({ recordType: "finding", recordId: "f-1", reason: "Investigation closed" }).pipe(
        asActor(qm)
      )
      const notHeld = yield* Effect.flip(
        AuditLog.releaseLegalHold({ recordType: "finding", recordId: "f-1", reason: "again" }).pipe(asActor(qm))
      )
      assert.instanceOf(notHeld, Errors.NotFound)
      yield* AuditLog.checkpoint(tenant)
      const second = yield* AuditLog.purge().pipe(sweeper)
      // The release (2040) is within its own retention period: the prefix ends before it.
      assert.deepStrictEqual(
        [second.fromSequence, second.toSequence, second.stoppedBy, second.stoppedAt],
        [4, 9, "retention", 10]
      )
      const verified = yield* AuditLog.verify(tenant)
      assert.isTrue(verified.ok, JSON.stringify(verified))
      const actions = (yield* rawEvents(target.dialect, tenant)).map((r) => r.action)
      assert.deepStrictEqual(actions, ["audit.legal_hold_released", "audit.purged"])
    })
  )

  it.effect("verify names a forged event inserted past the head (the guards still allow INSERT)", () =>
    Effect.gen(function* () {
      const info = yield* TestDatabase.TestDatabaseInfo
      assert.strictEqual(info.dialect, target.dialect)
      const tenant = freshTenant("tamper")
      yield* AuditLog.appendMany(Array.from({ length: 5 }, (_, i) => finding(i))).pipe(asActor(actor(tenant)))
      yield* AuditLog.checkpoint(tenant)
      const reorders = Metric.tagged(AuditMetrics.verifyFailures, "fault", "reorder")
      const failures = yield* counter(reorders)
      // A copy of event 5 put at position 6: its own hash matches, its envelope names position 5.
      const d = target.dialect
      yield* Query.unsafe(
        `INSERT INTO aw_audit_events (tenant_id, sequence, id, occurred_at, actor_id, action, record_type, record_id, severity, correlation_id, envelope, hash)
         SELECT tenant_id, sequence + 1, ${p(d, 1)}, occurred_at, actor_id, action, record_type, record_id, severity, correlation_id, envelope, hash
         FROM aw_audit_events WHERE tenant_id = ${p(d, 2)} AND sequence = 5`,
        ["00000000-0000-7000-8000-000000000000", tenant]
      )
      const result = yield* AuditLog.verify(tenant)
      assert.deepStrictEqual(result.ok ? "ok" : [result.firstBadSequence, result.fault], [6, "reorder"])
      assert.strictEqual((yield* counter(reorders)) - failures, 1)
      // It blocks the next append (the position is taken) rather than joining the chain.
      const blocked = yield* Effect.flip(AuditLog.append(finding(9)).pipe(asActor(actor(tenant))))
      assert.strictEqual((blocked as StorageError.StorageError).reason, "constraint")
    })
  )

  it.effect("counts appends and times them", () =>
    Effect.gen(function* () {
      const tenant = freshTenant("metrics")
      const before = yield* counter(AuditMetrics.appends)
      const timed = (yield* Metric.value(AuditMetrics.appendDuration)).count
      yield* AuditLog.append(finding(1)).pipe(asActor(actor(tenant)))
      yield* AuditLog.appendMany([finding(2), finding(3)]).pipe(asActor(actor(tenant)))
      assert.strictEqual((yield* counter(AuditMetrics.appends)) - before, 3)
      assert.strictEqual((yield* Metric.value(AuditMetrics.appendDuration)).count - timed, 2)
    })
  )

  it.effect("the migrations are idempotent and every table is tenant-scoped", () =>
    Effect.gen(function* () {
      yield* Layer.build(migrate).pipe(Effect.scoped)
      const { dialect } = yield* Storage.Storage
      const columns = yield* Query.unsafe<{ table_name: string; column_name: string }>(
        dialect === "pg"
          ? "SELECT table_name, column_name FROM information_schema.columns WHERE table_name LIKE 'aw_audit_%'"
          : "SELECT m.name AS table_name, c.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name LIKE 'aw_audit_%'"
      )
      const tables = [...new Set(columns.map((c) => c.table_name))].sort()
      assert.deepStrictEqual(tables, [
        "aw_audit_checkpoints",
        "aw_audit_events",
        "aw_audit_heads",
        "aw_audit_legal_holds",
        "aw_audit_purge_permits",
        "aw_audit_purges",
        "aw_audit_sensitive"
      ])
      for (const t of tables)
        assert.isTrue(
          columns.some((c) => c.table_name === t && c.column_name === "tenant_id"),
          t
        )
    })
  )
}
