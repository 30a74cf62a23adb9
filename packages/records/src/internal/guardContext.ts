// The guard context of a record about to be acted on: its side entries read from the database, then
// `GuardSnapshot.fromRecord`, the one mapping of a record to what guards see.
import type { Actor, Guard } from "@airworthy/core"
import { Query, type StorageError } from "@airworthy/storage"
import { Effect } from "effect"
import * as GuardSnapshot from "../GuardSnapshot.js"
import type { QmsRecord } from "../QmsRecord.js"
import * as RecordType from "../RecordType.js"
import type { SqlServices } from "./runtime.js"
import type * as Store from "./store.js"

const q = Query.make<Store.Tables>()

interface Needs {
  attachments: boolean
  verifications: boolean
  approvals: boolean
  signatures: boolean
  links: boolean
  history: boolean
}

// Reads only what the guards at hand look at: a transition with two guards costs two queries, not six.
const needsOf = (guards: ReadonlyArray<Guard.Guard<unknown>>): Needs => {
  const n: Needs = {
    attachments: false,
    verifications: false,
    approvals: false,
    signatures: false,
    links: false,
    history: false
  }
  for (const g of guards) {
    switch (g._tag) {
      case "Attachment":
        n.attachments = true
        break
      case "VerificationRecorded":
        n.verifications = true
        n.history ||= g.since === "entered_state"
        break
      case "Approvals":
        n.approvals = true
        n.history ||= g.since === "entered_state"
        break
      case "SeparationOfDuties":
        n.history ||= g.notThe._tag === "Performer"
        break
      case "LinkedRecord":
        n.links = true
        break
      case "Custom":
        return { attachments: true, verifications: true, approvals: true, signatures: true, links: true, history: true }
      case "RequiredFields":
        break
    }
  }
  return n
}

const readAttachments = (tenantId: string, id: string) =>
  q.rows((db) =>
    db
      .selectFrom("aw_record_attachments")
      .select(["id", "kind"])
      .where("tenant_id", "=", tenantId)
      .where("record_id", "=", id)
  )

const readVerifications = (tenantId: string, id: string) =>
  Effect.map(
    q.rows((db) =>
      db
        .selectFrom("aw_record_verifications")
        .select(["verified_by", "verified_at", "result"])
        .where("tenant_id", "=", tenantId)
        .where("record_id", "=", id)
    ),
    (rows) => rows.map((v) => ({ verifiedBy: v.verified_by, verifiedAt: v.verified_at, result: v.result }))
  )

const readApprovals = (tenantId: string, id: string) =>
  Effect.map(
    q.rows((db) =>
      db
        .selectFrom("aw_record_approvals")
        .select(["approved_by", "approved_at"])
        .where("tenant_id", "=", tenantId)
        .where("record_id", "=", id)
    ),
    (rows) => rows.map((a) => ({ approvedBy: a.approved_by, approvedAt: a.approved_at }))
  )

const readSignatures = (tenantId: string, id: string) =>
  Effect.map(
    q.rows((db) =>
      db
        .selectFrom("aw_record_signatures")
        .select(["signer_id", "meaning", "signed_at"])
        .where("tenant_id", "=", tenantId)
        .where("record_id", "=", id)
    ),
    (rows) => rows.map((s) => ({ signerId: s.signer_id, meaning: s.meaning, signedAt: s.signed_at }))
  )

const readLinks = (tenantId: string, id: string) =>
  Effect.gen(function* () {
    const links: Array<GuardSnapshot.LinkEntry> = []
    for (const direction of ["out", "in"] as const) {
      const rows = yield* q.rows((db) =>
        db
          .selectFrom("aw_record_links as l")
          .innerJoin("aw_records as r", (j) =>
            j.onRef("r.tenant_id", "=", "l.tenant_id").onRef("r.id", "=", direction === "out" ? "l.to_id" : "l.from_id")
          )
          .select(["l.kind", "r.id", "r.type", "r.state"])
          .where("l.tenant_id", "=", tenantId)
          .where(direction === "out" ? "l.from_id" : "l.to_id", "=", id)
          .where("l.removed_at", "is", null)
      )
      for (const r of rows) links.push({ link: { kind: r.kind }, direction, other: r })
    }
    return links
  })

const readTransitions = (tenantId: string, id: string) =>
  Effect.map(
    q.rows((db) =>
      db
        .selectFrom("aw_record_history")
        .select(["transition", "actor_id", "at", "from_state", "to_state"])
        .where("tenant_id", "=", tenantId)
        .where("record_id", "=", id)
        .where("kind", "=", "transitioned")
        .orderBy("id")
    ),
    (rows) =>
      rows.map((h) => ({
        kind: "transitioned" as const,
        transition: h.transition,
        actorId: h.actor_id,
        at: h.at,
        fromState: h.from_state,
        toState: h.to_state
      }))
  )

/** The context `guards` are judged on, reading only the side entries they look at. */
export const guardContext = (
  actor: Actor.Actor,
  type: RecordType.Any,
  record: QmsRecord,
  guards: ReadonlyArray<Guard.Guard<unknown>>,
  input: Guard.CommandInput
): Effect.Effect<Guard.GuardContext, StorageError.StorageError, SqlServices> =>
  Effect.gen(function* () {
    const n = needsOf(guards)
    const t = actor.tenantId
    const id = record.id
    return GuardSnapshot.fromRecord({
      actor,
      record,
      attachments: n.attachments ? yield* readAttachments(t, id) : [],
      verifications: n.verifications ? yield* readVerifications(t, id) : [],
      approvals: n.approvals ? yield* readApprovals(t, id) : [],
      signatures: n.signatures ? yield* readSignatures(t, id) : [],
      links: n.links ? yield* readLinks(t, id) : [],
      history: n.history ? yield* readTransitions(t, id) : [],
      input,
      relations: RecordType.relationsOf(type, record, actor.actorId)
    })
  })
