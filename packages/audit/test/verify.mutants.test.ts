// What verify says, exactly: the tamper property (tamper.test.ts) checks that every edit is caught;
// these check which fault, at which event, in which words, so a verifier that names the wrong event
// or the wrong column is caught too (docs/mutation.md).
import { createHash } from "node:crypto"
import { Actor } from "@airworthy/core"
import { Query, type Storage } from "@airworthy/storage"
import { TestDatabase } from "@airworthy/testing"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AuditLog } from "../src/index.js"
import { actor, auditLayer, dropGuards, freshTenant, p } from "./layers.js"

const inputs = [1, 2, 3, 4, 5].map((n) => ({
  action: `finding.step_${n}`,
  recordType: "finding",
  recordId: `r-${n % 2}`,
  before: { step: n - 1 },
  after: { step: n },
  severity: n === 3 ? ("warning" as const) : ("info" as const),
  correlationId: `c-${n}`
}))

/** A tenant with the five events above, appended one by one. */
const seeded = (label: string) =>
  Effect.gen(function* () {
    const tenant = freshTenant(label)
    for (const input of inputs) yield* AuditLog.append(input).pipe(Actor.withActor(actor(tenant)))
    assert.deepStrictEqual(yield* AuditLog.verify(tenant), { ok: true, events: 5, checkpoints: 0 })
    return tenant
  })

const set = (d: Storage.Dialect, tenant: string, sequence: number, column: string, value: unknown) =>
  Query.unsafe(
    `UPDATE aw_audit_events SET ${column} = ${p(d, 1)} WHERE tenant_id = ${p(d, 2)} AND sequence = ${p(d, 3)}`,
    [value, tenant, sequence]
  )

const verdict = (result: AuditLog.VerifyResult) =>
  result.ok ? ["ok", result.events] : [result.fault, result.firstBadSequence, result.detail]

for (const target of await TestDatabase.targets({ sqliteFile: false })) {
  const attacked = Layer.effectDiscard(dropGuards(target.dialect)).pipe(Layer.provideMerge(auditLayer(target)))
  describe.skipIf(target.skip)(target.name, () => {
    layer(attacked, { timeout: 60_000 })("verify names the fault", (it) => {
      const d = target.dialect

      it.effect("a column edited beside its envelope: field_mismatch naming the column and the event", () =>
        Effect.gen(function* () {
          for (const column of [
            "id",
            "occurred_at",
            "actor_id",
            "action",
            "record_type",
            "record_id",
            "severity",
            "correlation_id"
          ]) {
            const tenant = yield* seeded(`verify-column-${column}`)
            yield* set(d, tenant, 3, column, "tampered")
            assert.deepStrictEqual(verdict(yield* AuditLog.verify(tenant)), [
              "field_mismatch",
              3,
              `column ${column} of event 3 differs from its envelope`
            ])
          }
          // A correlation id removed from the column (the envelope still has one).
          const tenant = yield* seeded("verify-column-null")
          yield* set(d, tenant, 2, "correlation_id", null)
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(tenant)), [
            "field_mismatch",
            2,
            "column correlation_id of event 2 differs from its envelope"
          ])
        })
      )

      it.effect("a stored hash edited, or an envelope edited without its hash: hash_mismatch at that event", () =>
        Effect.gen(function* () {
          const hashed = yield* seeded("verify-hash")
          yield* set(d, hashed, 4, "hash", "f".repeat(64))
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(hashed)), [
            "hash_mismatch",
            4,
            "the stored hash of event 4 is not SHA-256 of its envelope"
          ])
          const edited = yield* seeded("verify-envelope")
          const [row] = yield* Query.unsafe<{ envelope: string }>(
            `SELECT envelope FROM aw_audit_events WHERE tenant_id = ${p(d, 1)} AND sequence = 2`,
            [edited]
          )
          yield* set(d, edited, 2, "envelope", row!.envelope.replace('"step":2', '"step":9'))
          assert.deepStrictEqual((yield* AuditLog.verify(edited)).ok, false)
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(edited)).slice(0, 2), ["hash_mismatch", 2])
        })
      )

      it.effect("an event rewritten with a fresh hash breaks the link of the next one: chain_broken there", () =>
        Effect.gen(function* () {
          const tenant = yield* seeded("verify-rehash")
          const [row] = yield* Query.unsafe<{ envelope: string }>(
            `SELECT envelope FROM aw_audit_events WHERE tenant_id = ${p(d, 1)} AND sequence = 3`,
            [tenant]
          )
          const envelope = row!.envelope.replace('"step":3', '"step":7')
          yield* set(d, tenant, 3, "envelope", envelope)
          yield* set(d, tenant, 3, "hash", createHash("sha256").update(envelope, "utf8").digest("hex"))
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(tenant)), [
            "chain_broken",
            4,
            "event 4 does not link to the hash of the event before it"
          ])
          // A range that ends before the broken link finds nothing wrong; one that spans it does.
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(tenant, { from: 1, to: 3 })), ["ok", 3])
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(tenant, { from: 2, to: 4 })).slice(0, 2), [
            "chain_broken",
            4
          ])
        })
      )

      it.effect("a missing event is a gap naming it; a missing newest event is tail_deleted", () =>
        Effect.gen(function* () {
          const middle = yield* seeded("verify-gap")
          yield* Query.unsafe(`DELETE FROM aw_audit_events WHERE tenant_id = ${p(d, 1)} AND sequence = 3`, [middle])
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(middle)), [
            "gap",
            3,
            "event 3 is missing (the next stored event is 4)"
          ])
          // A range starting after the gap checks the stored hashes before it too.
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(middle, { from: 4 })), ["gap", 3, "event 3 is missing"])
          const newest = yield* seeded("verify-tail")
          yield* Query.unsafe(`DELETE FROM aw_audit_events WHERE tenant_id = ${p(d, 1)} AND sequence = 5`, [newest])
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(newest)), [
            "tail_deleted",
            5,
            "the head row says 5 events, the newest stored is 4"
          ])
          // Checking a range ending before the tail does not read the head row.
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(newest, { from: 2, to: 4 })), ["ok", 3])
        })
      )

      it.effect("a head row that disagrees with the newest event: head_mismatch", () =>
        Effect.gen(function* () {
          const behind = yield* seeded("verify-head-behind")
          yield* Query.unsafe(`UPDATE aw_audit_heads SET last_sequence = 4 WHERE tenant_id = ${p(d, 1)}`, [behind])
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(behind)), [
            "head_mismatch",
            5,
            "the head row says 4 events, 5 are stored"
          ])
          const wrongHash = yield* seeded("verify-head-hash")
          yield* Query.unsafe(`UPDATE aw_audit_heads SET last_hash = ${p(d, 1)} WHERE tenant_id = ${p(d, 2)}`, [
            "e".repeat(64),
            wrongHash
          ])
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(wrongHash)), [
            "head_mismatch",
            5,
            "the head row's hash is not the hash of event 5"
          ])
        })
      )

      it.effect("another tenant's event moved into a chain is named as such; that tenant still verifies", () =>
        Effect.gen(function* () {
          const mine = yield* seeded("verify-mine")
          const theirs = yield* seeded("verify-theirs")
          yield* Query.unsafe(`DELETE FROM aw_audit_events WHERE tenant_id = ${p(d, 1)} AND sequence = 5`, [mine])
          const [row] = yield* Query.unsafe<Record<string, unknown>>(
            `SELECT * FROM aw_audit_events WHERE tenant_id = ${p(d, 1)} AND sequence = 5`,
            [theirs]
          )
          const columns = Object.keys(row!)
          yield* Query.unsafe(
            `INSERT INTO aw_audit_events (${columns.join(", ")}) VALUES (${columns.map((_, i) => p(d, i + 1)).join(", ")})`,
            columns.map((c) => (c === "tenant_id" ? mine : row![c]))
          )
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(mine)), [
            "reorder",
            5,
            `position 5 holds the envelope of event 5 of tenant ${theirs}`
          ])
          assert.deepStrictEqual(verdict(yield* AuditLog.verify(theirs)), ["ok", 5])
        })
      )
    })
  })
}
