// The record as its guards see it: the checker's own snapshot, to predict what the runtime decides.
import { type Actor, type Errors, Guard, type Ids } from "@airworthy/core"
import { Records } from "@airworthy/records"
import type { StorageError } from "@airworthy/storage"
import { DateTime, Effect } from "effect"

/**
 * The `Guard.GuardContext` of a stored record for `actor` giving `input`: the record and its
 * attachments, verifications, approvals, signatures, links and transitions, read through `Records`.
 * The one place this mapping is made, so it can give way to one exported by the records package.
 */
export const guardContext = (
  actor: Actor.Actor,
  id: string,
  input: Guard.CommandInput
): Effect.Effect<
  Guard.GuardContext,
  Errors.NotFound | Errors.Forbidden | StorageError.StorageError,
  Records.Records | Actor.CurrentActor
> =>
  Effect.gen(function* () {
    const r = yield* Records.get(id)
    const [attachments, verifications, approvals, signatures, links, history] = yield* Effect.all([
      Records.attachments(id),
      Records.verifications(id),
      Records.approvals(id),
      Records.signatures(id),
      Records.links(id),
      Records.history(id)
    ])
    const at = (s: string) => DateTime.unsafeMake(s)
    return Guard.makeContext({
      actor,
      record: {
        id: r.id,
        type: r.type,
        state: r.state,
        version: r.version,
        ownerId: r.ownerId as Ids.ActorId | null,
        createdBy: r.createdBy as Ids.ActorId,
        data: r.data
      },
      attachments: attachments.map((a) => ({ kind: a.kind, id: a.id })),
      verifications: verifications.map((v) => ({
        by: v.verifiedBy as Ids.ActorId,
        at: at(v.verifiedAt),
        result: v.result
      })),
      approvals: approvals.map((a) => ({ by: a.approvedBy as Ids.ActorId, at: at(a.approvedAt) })),
      signatures: signatures.map((s) => ({
        by: s.signerId as Ids.ActorId,
        meaning: s.meaning,
        at: at(s.signedAt)
      })),
      links: links.map((l) => ({
        kind: l.link.kind,
        direction: l.direction,
        recordId: l.other.id,
        recordType: l.other.type,
        state: l.other.state
      })),
      history: history
        .filter((h) => h.kind === "transitioned")
        .map((h) => ({
          transition: h.transition ?? "",
          by: h.actorId as Ids.ActorId,
          at: at(h.at),
          from: h.fromState ?? "",
          to: h.toState ?? ""
        })),
      input
    })
  })
