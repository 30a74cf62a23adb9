// Tamper evidence, as a property: random event streams verify; one random edit made directly in the
// database (guard triggers dropped first, as an attacker with database access would) never does.
import { createHash } from "node:crypto"
import { Actor } from "@airworthy/core"
import { Query, type Storage } from "@airworthy/storage"
import { TestDatabase } from "@airworthy/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, FastCheck as fc, Layer, TestClock } from "effect"
import { type AuditEvent, AuditLog } from "../src/index.js"
import { actor, auditLayer, dropGuards, freshTenant, p } from "./layers.js"

const editable = [
  "id",
  "occurred_at",
  "actor_id",
  "action",
  "record_type",
  "record_id",
  "severity",
  "correlation_id",
  "envelope",
  "hash",
  "sequence",
  "tenant_id",
  "rehash"
] as const

const event = fc.record({
  action: fc.constantFrom("finding.raised", "finding.updated", "capa.opened", "tool.calibrated"),
  recordId: fc.constantFrom("r-1", "r-2", "r-3"),
  state: fc.string({ maxLength: 8 }),
  email: fc.option(fc.constantFrom("ann@example.com", "bo@example.org", "cy@example.net"), { nil: undefined }),
  severity: fc.constantFrom("info" as const, "warning" as const, "security" as const),
  correlationId: fc.option(fc.constantFrom("c-1", "c-2"), { nil: undefined })
})

const tamper = fc.oneof(
  fc.record({ kind: fc.constant("edit" as const), at: fc.nat(), column: fc.constantFrom(...editable) }),
  fc.record({ kind: fc.constant("edit_sensitive" as const), at: fc.nat(), column: fc.constantFrom("value", "salt") }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("delete_sensitive" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("checkpoint" as const),
    column: fc.constantFrom("root_hash", "signature", "tree_size")
  })
)

type Tamper = typeof tamper extends fc.Arbitrary<infer T> ? T : never

const toInput = (e: typeof event extends fc.Arbitrary<infer T> ? T : never): AuditEvent.AppendInputEncoded => ({
  action: e.action,
  recordType: e.action.split(".")[0]!,
  recordId: e.recordId,
  before: { state: "previous" },
  after: { state: e.state, ...(e.email ? { reporter: { email: e.email, name: "R" } } : {}) },
  severity: e.severity,
  ...(e.correlationId ? { correlationId: e.correlationId } : {})
})

const changed = (v: unknown) => (v === null || v === undefined ? "x" : `${String(v)}x`)

/** Applies one tamper with raw SQL; the log has `count` events and a checkpoint over the first `covered`. */
const applyTamper = (d: Storage.Dialect, tenant: string, count: number, covered: number, t: Tamper) =>
  Effect.gen(function* () {
    const where = `tenant_id = ${p(d, 1)} AND sequence = ${p(d, 2)}`
    const seqOf = (n: number) => (n % count) + 1
    const sensitive = yield* Query.unsafe<{ event_sequence: unknown; path: string }>(
      `SELECT event_sequence, path FROM aw_audit_sensitive WHERE tenant_id = ${p(d, 1)} ORDER BY event_sequence, path`,
      [tenant]
    )
    const set = (column: string, seq: number, value: unknown) =>
      Query.unsafe(
        `UPDATE aw_audit_events SET ${column} = ${p(d, 1)} WHERE tenant_id = ${p(d, 2)} AND sequence = ${p(d, 3)}`,
        [value, tenant, seq]
      )
    const rowAt = (seq: number) =>
      Effect.map(
        Query.unsafe<Record<string, unknown>>(`SELECT * FROM aw_audit_events WHERE ${where}`, [tenant, seq]),
        (rs) => rs[0]!
      )
    switch (t.kind) {
      case "edit": {
        const seq = seqOf(t.at)
        const row = yield* rowAt(seq)
        if (t.column === "sequence") return yield* set("sequence", seq, seq + 1000)
        if (t.column === "rehash") {
          // A careful attacker edits the envelope and recomputes its hash.
          const envelope = (row.envelope as string).replace(
            `"action":"${String(row.action)}"`,
            '"action":"finding.deleted"'
          )
          yield* set("action", seq, "finding.deleted")
          yield* set("envelope", seq, envelope)
          return yield* set("hash", seq, createHash("sha256").update(envelope, "utf8").digest("hex"))
        }
        return yield* set(t.column, seq, changed(row[t.column]))
      }
      case "edit_sensitive": {
        const target = sensitive[t.at % Math.max(1, sensitive.length)]
        if (target === undefined) return yield* set("severity", seqOf(t.at), "tampered")
        return yield* Query.unsafe(
          `UPDATE aw_audit_sensitive SET ${t.column} = ${p(d, 1)} WHERE tenant_id = ${p(d, 2)} AND event_sequence = ${p(d, 3)} AND path = ${p(d, 4)}`,
          [t.column === "salt" ? "00".repeat(32) : '"eve@example.com"', tenant, target.event_sequence, target.path]
        )
      }
      case "delete":
        return yield* Query.unsafe(`DELETE FROM aw_audit_events WHERE ${where}`, [tenant, seqOf(t.at)])
      case "delete_sensitive": {
        const target = sensitive[t.at % Math.max(1, sensitive.length)]
        if (target === undefined) {
          return yield* Query.unsafe(`DELETE FROM aw_audit_events WHERE ${where}`, [tenant, seqOf(t.at)])
        }
        return yield* Query.unsafe(
          `DELETE FROM aw_audit_sensitive WHERE tenant_id = ${p(d, 1)} AND event_sequence = ${p(d, 2)} AND path = ${p(d, 3)}`,
          [tenant, target.event_sequence, target.path]
        )
      }
      case "swap": {
        const a = seqOf(t.a)
        const b = a === seqOf(t.b) ? (a % count) + 1 : seqOf(t.b)
        if (a === b) return yield* Query.unsafe(`DELETE FROM aw_audit_events WHERE ${where}`, [tenant, a])
        const ra = yield* rowAt(a)
        const rb = yield* rowAt(b)
        const columns = editable.filter((c) => c !== "sequence" && c !== "tenant_id" && c !== "rehash")
        yield* set("id", a, "swapping")
        for (const c of columns) if (c !== "id") yield* set(c, a, rb[c])
        for (const c of columns) yield* set(c, b, ra[c])
        return yield* set("id", a, rb.id)
      }
      case "truncate": {
        // Delete the newest events back into the checkpointed range, and fix the head to match.
        const from = (t.at % covered) + 1
        yield* Query.unsafe(`DELETE FROM aw_audit_events WHERE tenant_id = ${p(d, 1)} AND sequence >= ${p(d, 2)}`, [
          tenant,
          from
        ])
        const last = from === 1 ? { hash: "0".repeat(64) } : yield* rowAt(from - 1)
        return yield* Query.unsafe(
          `UPDATE aw_audit_heads SET last_sequence = ${p(d, 1)}, last_hash = ${p(d, 2)} WHERE tenant_id = ${p(d, 3)}`,
          [from - 1, last.hash, tenant]
        )
      }
      case "checkpoint": {
        const rows = yield* Query.unsafe<Record<string, unknown>>(
          `SELECT root_hash, signature, tree_size FROM aw_audit_checkpoints WHERE tenant_id = ${p(d, 1)}`,
          [tenant]
        )
        const row = rows[0]!
        const value =
          t.column === "tree_size"
            ? Number(row.tree_size) + 1
            : t.column === "root_hash"
              ? `${String(row.root_hash).startsWith("0") ? "1" : "0"}${String(row.root_hash).slice(1)}`
              : `${String(row.signature).startsWith("A") ? "B" : "A"}${String(row.signature).slice(1)}`
        return yield* Query.unsafe(
          `UPDATE aw_audit_checkpoints SET ${t.column} = ${p(d, 1)} WHERE tenant_id = ${p(d, 2)}`,
          [value, tenant]
        )
      }
    }
  })

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  const attacked = Layer.effectDiscard(dropGuards(target.dialect)).pipe(Layer.provideMerge(auditLayer(target)))
  describe.skipIf(target.skip)(target.name, () => {
    layer(attacked, { timeout: 60_000 })("tamper evidence", (it) => {
      it.effect.prop(
        "untampered streams verify, and every single tamper is detected",
        { events: fc.array(event, { minLength: 1, maxLength: 16 }), split: fc.nat(), tamper },
        ({ events, split, tamper: t }) =>
          Effect.gen(function* () {
            const tenant = freshTenant("prop")
            const qm = actor(tenant)
            const covered = (split % events.length) + 1
            const inputs = events.map(toInput)
            yield* AuditLog.appendMany(inputs.slice(0, covered)).pipe(AuditLog.asSystem(tenant, "seed"))
            yield* AuditLog.checkpoint(tenant)
            if (covered < inputs.length) {
              yield* AuditLog.append(inputs[covered]!).pipe(Actor.withActor(qm))
              if (covered + 1 < inputs.length) {
                yield* AuditLog.appendMany(inputs.slice(covered + 1)).pipe(Actor.withActor(qm))
              }
            }
            const clean = yield* AuditLog.verify(tenant)
            assert.deepStrictEqual(clean, { ok: true, events: events.length, checkpoints: 1 })
            yield* applyTamper(target.dialect, tenant, events.length, covered, t)
            const result = yield* AuditLog.verify(tenant)
            assert.isFalse(result.ok, `undetected: ${JSON.stringify(t)}`)
          }),
        { fastCheck: { numRuns: target.dialect === "pg" ? 20 : 100 } }
      )

      it.effect("an envelope re-serialised and re-hashed after the last checkpoint is not_canonical", () =>
        Effect.gen(function* () {
          const d = target.dialect
          for (const [style, reserialise] of [
            ["whitespace", (text: string) => JSON.stringify(JSON.parse(text), null, 1)],
            ["duplicated key", (text: string) => text.replace("{", '{"action":"finding.deleted",')],
            [
              "unsorted keys",
              (text: string) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(text)).reverse()))
            ]
          ] as const) {
            const tenant = freshTenant("canonical")
            const sweeper = AuditLog.asSystem(tenant, "seed")
            yield* AuditLog.appendMany(
              Array.from({ length: 3 }, (_, i) => ({
                action: "tool.calibrated",
                recordType: "tool",
                recordId: `t-${i}`
              }))
            ).pipe(sweeper)
            yield* AuditLog.checkpoint(tenant)
            yield* AuditLog.append({ action: "tool.lost", recordType: "tool", recordId: "t-9" }).pipe(sweeper)
            // The newest event (no checkpoint covers it) is rewritten with the same fields, re-hashed,
            // and the head row follows: every hash and link still agrees.
            const [row] = yield* Query.unsafe<{ envelope: string }>(
              `SELECT envelope FROM aw_audit_events WHERE tenant_id = ${p(d, 1)} AND sequence = 4`,
              [tenant]
            )
            const envelope = reserialise(row!.envelope)
            assert.notStrictEqual(envelope, row!.envelope)
            const hash = createHash("sha256").update(envelope, "utf8").digest("hex")
            yield* Query.unsafe(
              `UPDATE aw_audit_events SET envelope = ${p(d, 1)}, hash = ${p(d, 2)} WHERE tenant_id = ${p(d, 3)} AND sequence = 4`,
              [envelope, hash, tenant]
            )
            yield* Query.unsafe(`UPDATE aw_audit_heads SET last_hash = ${p(d, 1)} WHERE tenant_id = ${p(d, 2)}`, [
              hash,
              tenant
            ])
            const result = yield* AuditLog.verify(tenant)
            assert.deepStrictEqual(
              result.ok ? "ok" : [result.fault, result.firstBadSequence],
              ["not_canonical", 4],
              style
            )
          }
        })
      )

      it.effect("checkpoint and purge refuse to run over a tampered log, and remove nothing", () =>
        Effect.gen(function* () {
          const tenant = freshTenant("refuse")
          const sweeper = AuditLog.asSystem(tenant, "retention", "sweeper")
          yield* TestClock.setTime(Date.parse("2020-01-01T00:00:00.000Z"))
          yield* AuditLog.appendMany(
            Array.from({ length: 4 }, (_, i) => ({ action: "tool.calibrated", recordType: "tool", recordId: `t-${i}` }))
          ).pipe(sweeper)
          yield* AuditLog.checkpoint(tenant)
          yield* AuditLog.append({ action: "tool.lost", recordType: "tool", recordId: "t-9" }).pipe(sweeper)
          yield* applyTamper(target.dialect, tenant, 5, 4, { kind: "edit", at: 1, column: "rehash" })
          const signing = yield* Effect.flip(AuditLog.checkpoint(tenant))
          assert.deepStrictEqual(
            signing._tag === "IntegrityViolation" ? [signing.fault, signing.firstBadSequence] : signing._tag,
            ["checkpoint_mismatch", 4]
          )
          yield* TestClock.setTime(Date.parse("2040-01-01T00:00:00.000Z"))
          const purging = yield* Effect.flip(AuditLog.purge().pipe(sweeper))
          assert.deepStrictEqual(
            purging._tag === "IntegrityViolation" ? [purging.fault, purging.firstBadSequence] : purging._tag,
            ["chain_broken", 3]
          )
          const left = yield* Query.unsafe(
            `SELECT sequence FROM aw_audit_events WHERE tenant_id = ${p(target.dialect, 1)}`,
            [tenant]
          )
          assert.strictEqual(left.length, 5)
        })
      )
    })
  })
}
