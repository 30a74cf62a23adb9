// One transaction per command: the SQLite write lock, idempotency keys, and the changes published to
// the bus once the outermost transaction commits.
import { CanonicalJson } from "@airworthy/audit"
import { Errors } from "@airworthy/core"
import { Query, StorageError } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import { Context, Effect, Option, PubSub, Ref, Schema } from "effect"
import type { Committed } from "../RecordEvent.js"
import { now, provided, type Runtime, type SqlServices, sha256 } from "./runtime.js"
import type * as Store from "./store.js"

// The changes of the transaction being built, published after its commit.
export class Pending extends Context.Tag("@airworthy/records/internal/Pending")<
  Pending,
  Ref.Ref<ReadonlyArray<Committed>>
>() {}

const q = Query.make<Store.Tables>()

// SQLite: take the database's write lock first, so a transaction that reads before it writes
// cannot fail with SQLITE_BUSY_SNAPSHOT when another connection committed meanwhile (WAL).
const writeLock = Query.unsafe("UPDATE aw_record_refs SET last_number = last_number WHERE 0 = 1")

/** Claims the key for this request: none if new, the stored response if the same request came before. */
const claim = <A, I>(
  tenantId: string,
  key: string,
  operation: string,
  requestHash: string,
  result: Schema.Schema<A, I>
) =>
  Effect.gen(function* () {
    const at = yield* now
    const claimed = yield* q.rows((db) =>
      db
        .insertInto("aw_record_idempotency")
        .values({
          tenant_id: tenantId,
          idempotency_key: key,
          operation,
          request_hash: requestHash,
          response: null,
          created_at: at
        })
        .onConflict((oc) => oc.doNothing())
        .returning("idempotency_key")
    )
    if (claimed.length > 0) return Option.none<A>()
    const existing = yield* q.one((db) =>
      db
        .selectFrom("aw_record_idempotency")
        .select(["request_hash", "response"])
        .where("tenant_id", "=", tenantId)
        .where("idempotency_key", "=", key)
    )
    if (existing.request_hash !== requestHash || existing.response === null) {
      return yield* new Errors.IdempotencyConflict({ key })
    }
    const replay = yield* Schema.decodeUnknown(result)(JSON.parse(existing.response)).pipe(
      Effect.mapError(
        (cause) =>
          new StorageError.StorageError({ reason: "query", message: `Unreadable idempotent response: ${cause}` })
      )
    )
    return Option.some(replay)
  })

const publish = (runtime: Runtime, changes: ReadonlyArray<Committed>) =>
  changes.length === 0 ? Effect.void : PubSub.publishAll(runtime.bus, changes)

/**
 * Runs `body` in a transaction (joining an open one) and collects its changes: into the enclosing
 * `Records.transaction`'s, or published once this transaction, the outermost, commits.
 */
export const inTransaction = <A, E, R>(
  runtime: Runtime,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E | StorageError.StorageError, Exclude<R, Pending> | SqlServices> =>
  Effect.gen(function* () {
    const outer = yield* Effect.serviceOption(SqlClient.TransactionConnection)
    const parent = yield* Effect.serviceOption(Pending)
    const own = yield* Ref.make<ReadonlyArray<Committed>>([])
    const locked = Option.isNone(outer) && runtime.dialect === "sqlite" ? Effect.zipRight(writeLock, body) : body
    const a = yield* Query.transaction(Effect.provideService(locked, Pending, own))
    const changes = yield* Ref.get(own)
    if (Option.isSome(parent)) yield* Ref.update(parent.value, (xs) => [...xs, ...changes])
    else if (Option.isNone(outer)) yield* publish(runtime, changes)
    else if (changes.length > 0) {
      yield* Effect.logWarning(
        "Record commands ran inside a transaction not opened by Records.transaction; their bus events were not published"
      )
    }
    return a
  })

/**
 * The transaction of one command. With an idempotency key, the same request again gets the first
 * result (decoded with `result`) and writes nothing; another request with that key is a conflict.
 */
export const commandTransaction = <A, I, E, R>(
  runtime: Runtime,
  tenantId: string,
  operation: string,
  options: { readonly idempotencyKey?: string | undefined; readonly request: unknown },
  result: Schema.Schema<A, I>,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E | Errors.IdempotencyConflict | StorageError.StorageError, Exclude<R, Pending> | SqlServices> => {
  const key = options.idempotencyKey
  if (key === undefined) return inTransaction(runtime, body)
  const requestHash = sha256(CanonicalJson.canonicalize({ operation, request: options.request }))
  return inTransaction(
    runtime,
    Effect.gen(function* () {
      const replay = yield* claim(tenantId, key, operation, requestHash, result)
      if (Option.isSome(replay)) return replay.value
      const a = yield* body
      const response = JSON.stringify(yield* Schema.encode(result)(a).pipe(Effect.orDie))
      yield* q.exec((db) =>
        db
          .updateTable("aw_record_idempotency")
          .set({ response })
          .where("tenant_id", "=", tenantId)
          .where("idempotency_key", "=", key)
      )
      return a
    })
  )
}

/** `Records.transaction`: inside another one it only joins the SQL transaction; its changes go there. */
export const transaction = <A, E, R>(
  runtime: Runtime,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E | StorageError.StorageError, R | SqlClient.SqlClient> =>
  Effect.flatMap(Effect.serviceOption(Pending), (parent) =>
    Option.isSome(parent) ? Query.transaction(body) : provided(runtime, inTransaction(runtime, body))
  ) as Effect.Effect<A, E | StorageError.StorageError, R | SqlClient.SqlClient>
