// The people and records an input names must exist in the actor's organisation: a finding for an
// owner nobody can reach, or of an area that is not in the programme, is refused (422 naming the
// field) instead of creating a task for nobody.
import { Actor, Errors } from "@airworthy/core"
import { type QmsRecord, Records } from "@airworthy/records"
import { Directory } from "@airworthy/storage"
import { Effect, Option } from "effect"
import type * as QmsModule from "../QmsModule.js"

/** Each id is a person of the actor's tenant in the `Directory`. */
export const people = (field: string, ids: ReadonlyArray<string>): QmsModule.Command<void> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const directory = yield* Directory.Directory
    for (const [i, id] of ids.entries()) {
      const known = yield* directory.contactOf(actor.tenantId, id)
      if (Option.isNone(known)) {
        return yield* new Errors.UnknownReference({
          field: ids.length === 1 && !field.endsWith("s") ? field : `${field}.${i}`,
          id,
          expected: "person"
        })
      }
    }
  })

/** The record of the given type in the actor's tenant. */
export const record = (
  field: string,
  id: string,
  type: string,
  expected: string
): QmsModule.Command<QmsRecord.QmsRecord> =>
  Records.get(id).pipe(
    Effect.catchTag("NotFound", () => Effect.fail(new Errors.UnknownReference({ field, id, expected }))),
    Effect.flatMap((r) =>
      r.type === type ? Effect.succeed(r) : Effect.fail(new Errors.UnknownReference({ field, id, expected }))
    )
  )
