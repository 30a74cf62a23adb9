// Verification: the purge records, the chain (hashes, links, columns, sensitive commitments), the
// head row, and every checkpoint's signature and Merkle root, recomputed; the first fault named.
import type { StorageError } from "@airworthy/storage"
import { Effect, Fiber, Metric, Option } from "effect"
import { IntegrityViolation } from "../AuditError.js"
import { genesisHash } from "../AuditEvent.js"
import type { Service, VerifyResult } from "../AuditLog.js"
import * as AuditMetrics from "../AuditMetrics.js"
import * as Merkle from "../Merkle.js"
import * as TreeHead from "../TreeHead.js"
import { ChainVerifier, type EventRow, type Failure, failure } from "./chain.js"
import type { Database, LogContext } from "./context.js"
import { decodeRows } from "./decode.js"
import { leafOf, loadCheckpoints, loadPurges, q, readHead, scanPage, splitHashes, toCheckpoint } from "./rows.js"
import * as Store from "./store.js"

/** A range of sequences, both ends inclusive. */
export interface Range {
  readonly from?: number
  readonly to?: number
}

interface Anchor {
  readonly sequence: number
  readonly hash: string
}

/** What `examine` found, and the event hashes 1..last it saw (the Merkle leaves' data). */
interface Examined {
  readonly result: VerifyResult
  readonly hashes: ReadonlyArray<string>
}

const examined = (result: VerifyResult, hashes: ReadonlyArray<string>): Examined => ({ result, hashes })

const storedHashesSql = {
  pg: "SELECT sequence, hash FROM aw_audit_events WHERE tenant_id = $1 AND sequence > $2 AND sequence < $3 ORDER BY sequence",
  sqlite:
    "SELECT sequence, hash FROM aw_audit_events WHERE tenant_id = ? AND sequence > ? AND sequence < ? ORDER BY sequence"
} as const

const eventPageSql = {
  pg: `SELECT ${Store.eventSelect} FROM aw_audit_events WHERE tenant_id = $1 AND sequence >= $2 AND sequence <= $3 ORDER BY sequence LIMIT ${scanPage}`,
  sqlite: `SELECT ${Store.eventSelect} FROM aw_audit_events WHERE tenant_id = ? AND sequence >= ? AND sequence <= ? ORDER BY sequence LIMIT ${scanPage}`
} as const

const earliest = (faults: ReadonlyArray<Failure>): Failure | undefined =>
  faults.reduce<Failure | undefined>(
    (a, f) => (a === undefined || f.firstBadSequence < a.firstBadSequence ? f : a),
    undefined
  )

/**
 * The purge records: the hashes of removed events (appended to `hashes`), and the anchor the
 * remaining chain starts from; or the fault when they do not line up.
 */
const purgedPrefix = (purges: ReadonlyArray<typeof Store.PurgeRow.Type>, hashes: Array<string>): Anchor | Failure => {
  let anchor: Anchor = { sequence: 0, hash: genesisHash }
  for (const p of purges) {
    const removed = splitHashes(p.event_hashes)
    if (
      p.from_sequence !== anchor.sequence + 1 ||
      removed.length !== p.up_to_sequence - p.from_sequence + 1 ||
      removed[removed.length - 1] !== p.anchor_hash
    ) {
      return failure(p.from_sequence, "anchor_mismatch", `purge record ${p.up_to_sequence} does not line up`)
    }
    hashes.push(...removed)
    anchor = { sequence: p.up_to_sequence, hash: p.anchor_hash }
  }
  return anchor
}

/** Leaves before the range come from the stored hashes (their checkpoints bind them). */
const storedHashesBefore = (log: LogContext, tenantId: string, anchor: Anchor, from: number, hashes: Array<string>) =>
  Effect.gen(function* () {
    const before = yield* log.run<{ sequence: unknown; hash: string }>(storedHashesSql[log.dialect], [
      tenantId,
      anchor.sequence,
      from
    ])
    let expected = anchor.sequence + 1
    for (const r of before) {
      if (Store.toInt(r.sequence) !== expected) return failure(expected, "gap", `event ${expected} is missing`)
      hashes.push(r.hash)
      expected++
    }
    return expected !== from ? failure(expected, "gap", `event ${expected} is missing`) : undefined
  })

/** Pushes every event from `from` to `to` through a chain verifier, stopping at the first fault. */
const walkChain = (log: LogContext, tenantId: string, from: number, to: number, startHash: string) =>
  Effect.gen(function* () {
    const sensitiveRows = yield* q
      .rows((db) =>
        db
          .selectFrom("aw_audit_sensitive")
          .select(["event_sequence", "path", "salt", "value", "erased_at"])
          .where("tenant_id", "=", tenantId)
          .where("event_sequence", ">=", from)
          .where("event_sequence", "<=", to)
      )
      .pipe(Effect.flatMap(decodeRows(Store.SensitiveRowSchema)))
    const chain = new ChainVerifier(tenantId, from, startHash, sensitiveRows, true)
    const pageSql = eventPageSql[log.dialect]
    const readPage = (cursor: number) => log.run<Record<string, unknown>>(pageSql, [tenantId, cursor, to])
    let rows = yield* readPage(from)
    for (;;) {
      // The next page is read while this one is checked (PostgreSQL reads overlap the hashing).
      const next =
        rows.length < scanPage
          ? undefined
          : yield* Effect.fork(readPage(Store.toInt(rows[rows.length - 1]!.sequence) + 1))
      for (const r of rows) {
        // Rows are fresh objects from the driver: converting the sequence in place saves a copy.
        r.sequence = Store.toInt(r.sequence)
        const bad = chain.push(r as unknown as EventRow)
        if (bad !== undefined) {
          if (next !== undefined) yield* Fiber.interrupt(next)
          return { chain, fault: bad }
        }
      }
      if (next === undefined) break
      rows = yield* Fiber.join(next)
    }
    return { chain, fault: undefined }
  })

/** A full scan: the head row against the newest event, and a purge event for the newest purge. */
const headFaults = (tenantId: string, chain: ChainVerifier, last: number, purged: Anchor | undefined) =>
  Effect.map(readHead(tenantId), (head) => {
    const faults: Array<Failure> = []
    const headSeq = Option.match(head, { onNone: () => 0, onSome: (h) => h.last_sequence })
    const headHash = Option.match(head, { onNone: () => genesisHash, onSome: (h) => h.last_hash })
    if (headSeq > last) {
      faults.push(
        failure(last + 1, "tail_deleted", `the head row says ${headSeq} events, the newest stored is ${last}`)
      )
    } else if (headSeq < last) {
      faults.push(failure(headSeq + 1, "head_mismatch", `the head row says ${headSeq} events, ${last} are stored`))
    } else if (last > 0 && headHash !== chain.prevHash) {
      faults.push(failure(last, "head_mismatch", `the head row's hash is not the hash of event ${last}`))
    }
    if (purged !== undefined && chain.purgeEvents.get(purged.sequence) !== purged.hash) {
      faults.push(
        failure(
          purged.sequence + 1,
          "anchor_mismatch",
          `no audit.purged event records the purge up to ${purged.sequence}`
        )
      )
    }
    return faults
  })

/**
 * Every checkpoint up to the range's end (earlier ones bind the hashes the range starts from):
 * signature, coverage, and the Merkle root recomputed in one pass over the leaves.
 */
const checkCheckpoints = (log: LogContext, tenantId: string, to: number, hashes: ReadonlyArray<string>) =>
  Effect.map(loadCheckpoints(tenantId), (all) => {
    const checkpoints = all.filter((c) => c.tree_size <= to)
    const checked = (fault: Failure | undefined) => ({ count: checkpoints.length, fault })
    const range = Merkle.CompactRange.empty()
    let leaf = 0
    for (const c of checkpoints) {
      const signed = toCheckpoint(c)
      if (signed.tenantId !== tenantId || !TreeHead.verify(signed, log.trustedKeys)) {
        const known = Object.hasOwn(log.trustedKeys, signed.keyId)
        return checked(
          failure(
            c.tree_size,
            "bad_signature",
            known
              ? `checkpoint ${c.tree_size} is not validly signed`
              : `checkpoint ${c.tree_size} is signed by key ${signed.keyId.slice(0, 32)}, which this log does not trust (after a key rotation, give the earlier public key in verificationKeys)`
          )
        )
      }
      if (c.tree_size > hashes.length) {
        return checked(
          failure(hashes.length + 1, "tail_deleted", `checkpoint ${c.tree_size} covers events that are missing`)
        )
      }
      for (; leaf < c.tree_size; leaf++) range.appendLeaf(leafOf(hashes[leaf]!))
      if (Merkle.toHex(range.root()) !== c.root_hash) {
        return checked(
          failure(c.tree_size, "checkpoint_mismatch", `the events do not hash to the root of checkpoint ${c.tree_size}`)
        )
      }
    }
    return checked(undefined)
  })

/** Verifies a tenant (or a range); also returns the event hashes 1..last seen. */
const examine = (log: LogContext, tenantId: string, range: Range = {}) =>
  Effect.gen(function* () {
    const purges = yield* loadPurges(tenantId)
    const hashes: Array<string> = []
    const anchor = purgedPrefix(purges, hashes)
    if ("ok" in anchor) return examined(anchor, hashes)
    const from = Math.max(range.from ?? 1, anchor.sequence + 1)
    const to = range.to ?? Number.MAX_SAFE_INTEGER
    const full = from === anchor.sequence + 1 && range.to === undefined
    let startHash = anchor.hash
    if (from > anchor.sequence + 1) {
      const gap = yield* storedHashesBefore(log, tenantId, anchor, from, hashes)
      if (gap !== undefined) return examined(gap, hashes)
      startHash = hashes[hashes.length - 1] ?? anchor.hash
    }
    const { chain, fault } = yield* walkChain(log, tenantId, from, to, startHash)
    if (fault !== undefined) return examined(fault, hashes)
    for (const h of chain.hashes) hashes.push(h)
    const last = chain.next - 1
    const faults: Array<Failure> = []
    const finished = chain.finish(full)
    if (finished !== undefined) faults.push(finished)
    if (full) faults.push(...(yield* headFaults(tenantId, chain, last, purges.length > 0 ? anchor : undefined)))
    const checked = yield* checkCheckpoints(log, tenantId, to, hashes)
    if (checked.fault !== undefined) faults.push(checked.fault)
    return examined(earliest(faults) ?? { ok: true, events: chain.events, checkpoints: checked.count }, hashes)
  })

const countFailure = (result: VerifyResult) =>
  result.ok ? Effect.void : Metric.increment(Metric.tagged(AuditMetrics.verifyFailures, "fault", result.fault))

export const verify = (log: LogContext, tenantId: string, range?: Range): ReturnType<Service["verify"]> =>
  log.provided(
    examine(log, tenantId, range).pipe(
      Effect.map((r) => r.result),
      Effect.tap(countFailure)
    )
  )

/** The event hashes 1..last of a sound log; `IntegrityViolation` (counted) otherwise. */
export const mustVerify = (
  log: LogContext,
  tenantId: string,
  range?: Range
): Effect.Effect<ReadonlyArray<string>, IntegrityViolation | StorageError.StorageError, Database> =>
  examine(log, tenantId, range).pipe(
    Effect.flatMap(({ result, hashes }) =>
      result.ok
        ? Effect.succeed(hashes)
        : countFailure(result).pipe(
            Effect.zipRight(
              Effect.fail(
                new IntegrityViolation({
                  tenantId,
                  fault: result.fault,
                  firstBadSequence: result.firstBadSequence,
                  detail: result.detail
                })
              )
            )
          )
    )
  )
