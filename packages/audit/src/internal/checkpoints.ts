// Signed checkpoints (RFC 6962 tree heads over the event hashes) and the inclusion and consistency
// proofs against them.
import { Errors } from "@airworthy/core"
import { Clock, Effect, Option } from "effect"
import type { Service } from "../AuditLog.js"
import * as Merkle from "../Merkle.js"
import type { InclusionProof } from "../Proof.js"
import * as TreeHead from "../TreeHead.js"
import { iso, type LogContext } from "./context.js"
import {
  checkpointAt,
  latestCheckpoint,
  leafOf,
  loadCheckpoints,
  loadPurges,
  q,
  readHead,
  splitHashes,
  toCheckpoint
} from "./rows.js"
import { mustVerify } from "./verify.js"

const hashesUpToSql = {
  pg: "SELECT hash FROM aw_audit_events WHERE tenant_id = $1 AND sequence > $2 AND sequence <= $3 ORDER BY sequence",
  sqlite: "SELECT hash FROM aw_audit_events WHERE tenant_id = ? AND sequence > ? AND sequence <= ? ORDER BY sequence"
} as const

export const checkpoint = (log: LogContext, tenantId: string): ReturnType<Service["checkpoint"]> =>
  log.provided(
    Effect.gen(function* () {
      const head = yield* readHead(tenantId)
      const size = Option.match(head, { onNone: () => 0, onSome: (h) => h.last_sequence })
      const latest = yield* latestCheckpoint(tenantId)
      if (Option.isSome(latest) && latest.value.tree_size === size) return toCheckpoint(latest.value)
      // Never sign over a broken chain: check what is new since the last checkpoint, and every
      // earlier checkpoint's root against the same leaves.
      const from = Option.match(latest, { onNone: () => 1, onSome: (c) => c.tree_size + 1 })
      const hashes = yield* mustVerify(log, tenantId, { from, to: size })
      const root = Merkle.toHex(Merkle.rootFromLeafHashes(hashes.slice(0, size).map(leafOf)))
      const signed = TreeHead.sign(
        {
          tenantId,
          treeSize: size,
          rootHash: root,
          timestamp: iso(yield* Clock.currentTimeMillis),
          keyId: log.key.keyId
        },
        log.key
      )
      yield* q.exec((db) =>
        db
          .insertInto("aw_audit_checkpoints")
          .values({
            tenant_id: tenantId,
            tree_size: size,
            root_hash: signed.rootHash,
            signed_at: signed.timestamp,
            key_id: signed.keyId,
            signature: signed.signature
          })
          .onConflict((oc) => oc.columns(["tenant_id", "tree_size"]).doNothing())
      )
      const stored = yield* checkpointAt(tenantId, size)
      return Option.isSome(stored) ? toCheckpoint(stored.value) : signed
    })
  )

const dueSql = {
  pg: `SELECT h.tenant_id FROM aw_audit_heads h
  WHERE h.last_sequence - COALESCE((SELECT max(c.tree_size) FROM aw_audit_checkpoints c WHERE c.tenant_id = h.tenant_id), 0) >= $1
  ORDER BY h.tenant_id`,
  sqlite: `SELECT h.tenant_id FROM aw_audit_heads h
  WHERE h.last_sequence - COALESCE((SELECT max(c.tree_size) FROM aw_audit_checkpoints c WHERE c.tenant_id = h.tenant_id), 0) >= ?
  ORDER BY h.tenant_id`
} as const

/**
 * Signs a checkpoint for every tenant with at least `minEvents` events no checkpoint covers yet. A
 * tenant whose chain does not verify is skipped (and named): the others are still signed.
 */
export const checkpointDue = (log: LogContext, minEvents: number): ReturnType<Service["checkpointDue"]> =>
  log.provided(
    Effect.gen(function* () {
      const rows = yield* log.run<{ tenant_id: string }>(dueSql[log.dialect], [Math.max(1, minEvents)])
      const signed: Array<string> = []
      const refused: Array<{ readonly tenantId: string; readonly detail: string }> = []
      for (const { tenant_id } of rows) {
        const result = yield* Effect.either(checkpoint(log, tenant_id))
        if (result._tag === "Right") signed.push(tenant_id)
        else if (result.left._tag === "IntegrityViolation")
          refused.push({ tenantId: tenant_id, detail: result.left.message })
        else return yield* Effect.fail(result.left)
      }
      return { signed, refused }
    })
  )

export const checkpoints = (log: LogContext, tenantId: string): ReturnType<Service["checkpoints"]> =>
  log.provided(Effect.map(loadCheckpoints(tenantId), (rs) => rs.map(toCheckpoint)))

/** Leaves 1..size: purged events' hashes from the purge records, the rest from the events. */
const leafData = (log: LogContext, tenantId: string, size: number) =>
  Effect.gen(function* () {
    const hashes: Array<string> = []
    for (const p of yield* loadPurges(tenantId)) hashes.push(...splitHashes(p.event_hashes))
    if (hashes.length < size) {
      const rows = yield* log.run<{ hash: string }>(hashesUpToSql[log.dialect], [tenantId, hashes.length, size])
      for (const r of rows) hashes.push(r.hash)
    }
    return hashes.slice(0, size).map(leafOf)
  })

const purgedHash = (tenantId: string, sequence: number) =>
  Effect.map(loadPurges(tenantId), (ps) => {
    const p = ps.find((x) => x.from_sequence <= sequence && sequence <= x.up_to_sequence)
    return p ? (splitHashes(p.event_hashes)[sequence - p.from_sequence] ?? "") : ""
  })

const notFoundCheckpoint = (tenantId: string, size: number | undefined) =>
  new Errors.NotFound({ entity: "audit checkpoint", id: `${tenantId}/${size ?? "latest"}` })

// The checkpoint proofs are made against: the given size, or the latest; `NotFound` when there is none.
const provingCheckpoint = (tenantId: string, checkpointSize: number | undefined) =>
  Effect.flatMap(
    checkpointSize === undefined ? latestCheckpoint(tenantId) : checkpointAt(tenantId, checkpointSize),
    Option.match({
      onNone: () => notFoundCheckpoint(tenantId, checkpointSize),
      onSome: Effect.succeed
    })
  )

export const inclusionProof = (
  log: LogContext,
  tenantId: string,
  sequence: number,
  checkpointSize?: number
): ReturnType<Service["inclusionProof"]> =>
  log.provided(
    Effect.gen(function* () {
      const cp = yield* provingCheckpoint(tenantId, checkpointSize)
      const size = cp.tree_size
      if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence > size) {
        return yield* new Errors.NotFound({
          entity: "audit event",
          id: `${tenantId}/${sequence} in checkpoint ${size}`
        })
      }
      const leaves = yield* leafData(log, tenantId, size)
      if (leaves.length < size) {
        return yield* new Errors.NotFound({ entity: "audit event", id: `${tenantId}/${leaves.length + 1}` })
      }
      const envelope = yield* q.maybe((db) =>
        db
          .selectFrom("aw_audit_events")
          .select(["envelope", "hash"])
          .where("tenant_id", "=", tenantId)
          .where("sequence", "=", sequence)
      )
      const eventHash = Option.match(envelope, {
        onNone: () => "",
        onSome: (e) => e.hash
      })
      const proof: InclusionProof = {
        tenantId,
        sequence,
        eventHash: eventHash || (yield* purgedHash(tenantId, sequence)),
        ...(Option.isSome(envelope) ? { envelope: envelope.value.envelope } : {}),
        proof: Merkle.inclusionProof(leaves, sequence - 1).map(Merkle.toHex),
        checkpoint: toCheckpoint(cp)
      }
      return proof
    })
  )

/** Proofs for many events against one checkpoint; the tree is hashed once. */
export const inclusionProofs = (
  log: LogContext,
  tenantId: string,
  sequences: ReadonlyArray<number>,
  checkpointSize?: number
): ReturnType<Service["inclusionProofs"]> =>
  log.provided(
    Effect.gen(function* () {
      const cp = yield* provingCheckpoint(tenantId, checkpointSize)
      const size = cp.tree_size
      const outside = sequences.find((s) => !Number.isSafeInteger(s) || s < 1 || s > size)
      if (outside !== undefined) {
        return yield* new Errors.NotFound({ entity: "audit event", id: `${tenantId}/${outside} in checkpoint ${size}` })
      }
      if (sequences.length === 0) return []
      const leaves = yield* leafData(log, tenantId, size)
      if (leaves.length < size) {
        return yield* new Errors.NotFound({ entity: "audit event", id: `${tenantId}/${leaves.length + 1}` })
      }
      const stored = new Map<number, { readonly envelope: string; readonly hash: string }>()
      const wanted = [...new Set(sequences)]
      for (let i = 0; i < wanted.length; i += 500) {
        const rows = yield* q.rows((db) =>
          db
            .selectFrom("aw_audit_events")
            .select(["sequence", "envelope", "hash"])
            .where("tenant_id", "=", tenantId)
            .where("sequence", "in", wanted.slice(i, i + 500))
        )
        for (const r of rows) stored.set(Number(r.sequence), { envelope: r.envelope, hash: r.hash })
      }
      const paths = Merkle.inclusionProofs(
        leaves,
        sequences.map((s) => s - 1)
      )
      const checkpoint = toCheckpoint(cp)
      const proofs: Array<InclusionProof> = []
      for (let i = 0; i < sequences.length; i++) {
        const sequence = sequences[i]!
        const row = stored.get(sequence)
        proofs.push({
          tenantId,
          sequence,
          eventHash: row?.hash ?? (yield* purgedHash(tenantId, sequence)),
          ...(row === undefined ? {} : { envelope: row.envelope }),
          proof: paths[i]!.map(Merkle.toHex),
          checkpoint
        })
      }
      return proofs
    })
  )

export const consistencyProof = (
  log: LogContext,
  tenantId: string,
  oldSize: number,
  newSize: number
): ReturnType<Service["consistencyProof"]> =>
  log.provided(
    Effect.gen(function* () {
      const older = yield* checkpointAt(tenantId, oldSize)
      if (Option.isNone(older)) return yield* notFoundCheckpoint(tenantId, oldSize)
      const newer = yield* checkpointAt(tenantId, newSize)
      if (Option.isNone(newer)) return yield* notFoundCheckpoint(tenantId, newSize)
      if (oldSize > newSize) {
        return yield* new Errors.NotFound({ entity: "audit consistency proof", id: `${oldSize}..${newSize}` })
      }
      const leaves = yield* leafData(log, tenantId, newSize)
      const proof =
        oldSize === 0 || oldSize === newSize ? [] : Merkle.consistencyProof(leaves, oldSize).map(Merkle.toHex)
      return {
        tenantId,
        oldCheckpoint: toCheckpoint(older.value),
        newCheckpoint: toCheckpoint(newer.value),
        proof
      }
    })
  )
