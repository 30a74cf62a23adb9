// The record as its guards see it: read through `Records`, mapped by the same function the records
// runtime uses (`GuardSnapshot.fromRecord`), so the model predicts from what the runtime decides on.
import type { Actor, Errors, Guard } from "@airworthy/core"
import { GuardSnapshot, Records } from "@airworthy/records"
import type { StorageError } from "@airworthy/storage"
import { Effect } from "effect"

/**
 * The `Guard.GuardContext` of a stored record for `actor` giving `input`: the record and its
 * attachments, verifications, approvals, signatures, links and transitions.
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
    const record = yield* Records.get(id)
    const [attachments, verifications, approvals, signatures, links, history] = yield* Effect.all([
      Records.attachments(id),
      Records.verifications(id),
      Records.approvals(id),
      Records.signatures(id),
      Records.links(id),
      Records.history(id)
    ])
    return GuardSnapshot.fromRecord({
      actor,
      record,
      attachments,
      verifications,
      approvals,
      signatures,
      links,
      history,
      input
    })
  })
