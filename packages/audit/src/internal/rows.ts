// Reads of the log's tables that several parts share, compiled by Kysely and decoded.
import { Query, type StorageError } from "@airworthy/storage"
import { Effect, Option } from "effect"
import { genesisHash } from "../AuditEvent.js"
import * as Merkle from "../Merkle.js"
import type { Checkpoint } from "../Proof.js"
import type { Database } from "./context.js"
import { decodeRows } from "./decode.js"
import * as Store from "./store.js"

export const q: ReturnType<typeof Query.make<Store.Tables>> = Query.make<Store.Tables>()

/** Rows per page when a pass reads every event of a tenant (verify, purge). */
export const scanPage = 5000

export const toCheckpoint = (r: typeof Store.CheckpointRow.Type): Checkpoint => ({
  tenantId: r.tenant_id,
  treeSize: r.tree_size,
  rootHash: r.root_hash,
  timestamp: r.signed_at,
  keyId: r.key_id,
  signature: r.signature
})

/** The hashes a purge record stores, concatenated. */
export const splitHashes = (joined: string): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < joined.length; i += 64) out.push(joined.slice(i, i + 64))
  return out
}

// Event hashes come from the chain (hex SHA-256 the verifier recomputed or a purge record it checked);
// a malformed one makes Buffer drop bytes, which then fails the root comparison.
export const leafOf = (hash: string): Uint8Array => Merkle.leafHash(Buffer.from(hash, "hex"))

type Read<A> = Effect.Effect<A, StorageError.StorageError, Database>
type CheckpointRow = typeof Store.CheckpointRow.Type

export const readHead = (tenantId: string): Read<Option.Option<typeof Store.HeadRow.Type>> =>
  q
    .maybe((db) =>
      db.selectFrom("aw_audit_heads").select(["last_sequence", "last_hash"]).where("tenant_id", "=", tenantId)
    )
    .pipe(
      Effect.flatMap(
        Option.match({
          onNone: () => Effect.succeed(Option.none<typeof Store.HeadRow.Type>()),
          onSome: (r) => Effect.map(decodeRows(Store.HeadRow)([r]), (rs) => Option.some(rs[0]!))
        })
      )
    )

/** Where the stored chain starts: the newest purge's last event, or the genesis. */
export const anchorOf = (tenantId: string): Read<{ readonly sequence: number; readonly hash: string }> =>
  q
    .maybe((db) =>
      db
        .selectFrom("aw_audit_purges")
        .select(["up_to_sequence", "anchor_hash"])
        .where("tenant_id", "=", tenantId)
        .orderBy("up_to_sequence", "desc")
        .limit(1)
    )
    .pipe(
      Effect.map(
        Option.match({
          onNone: () => ({ sequence: 0, hash: genesisHash }),
          onSome: (r) => ({ sequence: Store.toInt(r.up_to_sequence), hash: r.anchor_hash })
        })
      )
    )

export const loadPurges = (tenantId: string): Read<ReadonlyArray<typeof Store.PurgeRow.Type>> =>
  q
    .rows((db) =>
      db
        .selectFrom("aw_audit_purges")
        .select(["up_to_sequence", "from_sequence", "anchor_hash", "event_hashes"])
        .where("tenant_id", "=", tenantId)
        .orderBy("up_to_sequence", "asc")
    )
    .pipe(Effect.flatMap(decodeRows(Store.PurgeRow)))

export const loadCheckpoints = (tenantId: string): Read<ReadonlyArray<CheckpointRow>> =>
  q
    .rows((db) =>
      db.selectFrom("aw_audit_checkpoints").selectAll().where("tenant_id", "=", tenantId).orderBy("tree_size", "asc")
    )
    .pipe(Effect.flatMap(decodeRows(Store.CheckpointRow)))

export const latestCheckpoint = (tenantId: string): Read<Option.Option<CheckpointRow>> =>
  q
    .rows((db) =>
      db
        .selectFrom("aw_audit_checkpoints")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .orderBy("tree_size", "desc")
        .limit(1)
    )
    .pipe(
      Effect.flatMap(decodeRows(Store.CheckpointRow)),
      Effect.map((rs) => Option.fromNullable(rs[0]))
    )

export const checkpointAt = (tenantId: string, size: number): Read<Option.Option<CheckpointRow>> =>
  q
    .rows((db) =>
      db.selectFrom("aw_audit_checkpoints").selectAll().where("tenant_id", "=", tenantId).where("tree_size", "=", size)
    )
    .pipe(
      Effect.flatMap(decodeRows(Store.CheckpointRow)),
      Effect.map((rs) => Option.fromNullable(rs[0]))
    )
