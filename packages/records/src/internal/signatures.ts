// Electronic signatures: the signer re-authenticated, the signed content bound by its hash, and
// every signature re-checked against that content.
import { CanonicalJson } from "@airworthy/audit"
import { Actor, type Errors } from "@airworthy/core"
import { Query, type StorageError } from "@airworthy/storage"
import { Effect } from "effect"
import type { QmsRecord, Signature } from "../QmsRecord.js"
import { load } from "./envelope.js"
import type { SignatureInput } from "./inputs.js"
import { type Method, now, provided, type Runtime, type SqlServices, sha256 } from "./runtime.js"
import * as Store from "./store.js"

const q = Query.make<Store.Tables>()

export const verifySigner = (
  runtime: Runtime,
  actor: Actor.Actor,
  recordId: string,
  signature: typeof SignatureInput.Type | undefined
): Effect.Effect<void, Errors.Unauthenticated> =>
  signature === undefined
    ? Effect.void
    : runtime.signer.verify({ actor, credential: signature.credential, meaning: signature.meaning, recordId })

/** Signs `record` as it is: its canonical content is stored with the signature and bound by its hash. */
export const insertSignature = (
  runtime: Runtime,
  actor: Actor.Actor,
  record: QmsRecord,
  meaning: string,
  transition: string | null
): Effect.Effect<Signature, StorageError.StorageError, SqlServices> =>
  Effect.gen(function* () {
    const content = CanonicalJson.canonicalize(Store.recordJson(record))
    const row: Store.SignatureRow = {
      tenant_id: actor.tenantId,
      id: yield* runtime.ids.next,
      record_id: record.id,
      record_version: record.version,
      signer_id: actor.actorId,
      signer_name: actor.displayName,
      meaning,
      transition,
      signed_at: yield* now,
      content_hash: sha256(content),
      content
    }
    yield* q.exec((db) => db.insertInto("aw_record_signatures").values(row))
    return Store.toSignature(row)
  })

export const verifySignatures: Method<"verifySignatures"> = (runtime, id) =>
  provided(
    runtime,
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const { record } = yield* load(runtime, actor, id)
      const rows = yield* q.rows((db) =>
        db
          .selectFrom("aw_record_signatures")
          .selectAll()
          .where("tenant_id", "=", actor.tenantId)
          .where("record_id", "=", id)
          .orderBy("id")
      )
      const currentHash = sha256(CanonicalJson.canonicalize(Store.recordJson(record)))
      return rows.map((r) => {
        const intact = sha256(r.content) === r.content_hash
        return {
          signature: Store.toSignature(r),
          intact,
          current: intact && Number(r.record_version) === record.version && r.content_hash === currentHash
        }
      })
    })
  )
