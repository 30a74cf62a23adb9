/**
 * The prerequisite guard of authorisations, in the transaction of the step: issuing or reinstating
 * an authorisation needs every prerequisite training valid now and the authorisation not expired,
 * otherwise the step fails with one `GuardsFailed` naming each gap and nothing is written. Revoking
 * cancels the holder's open tasks about it.
 *
 * @since 0.1.0
 */
import { Errors, Guard } from "@airworthy/core"
import type { RecordHooks } from "@airworthy/records"
import { Effect } from "effect"
import { nowIso } from "../internal/support.js"
import * as Rule from "../Rule.js"
import { trainingGaps } from "./actions.js"

const prerequisitesValid =
  (transition: string) =>
  (change: RecordHooks.Change): Effect.Effect<void, Rule.Failure, Rule.Needs> =>
    Effect.gen(function* () {
      const now = yield* nowIso
      const r = change.record
      const personId = String(Guard.valueAt(r.data, "personId"))
      const prerequisites = (Guard.valueAt(r.data, "prerequisites") ?? []) as ReadonlyArray<string>
      const unmet = [...(yield* trainingGaps(personId, prerequisites, now))]
      const expiresAt = Guard.valueAt(r.data, "expiresAt")
      if (typeof expiresAt === "string" && expiresAt <= now) {
        unmet.unshift({
          guard: "authorisation.validity",
          code: "authorisation.expired",
          message: `The authorisation expired on ${expiresAt}`
        })
      }
      if (unmet.length > 0) {
        return yield* new Errors.GuardsFailed({
          transition,
          unmet: unmet as [Errors.UnmetRequirement, ...Array<Errors.UnmetRequirement>]
        })
      }
    })

/**
 * The authorisation rules.
 * @since 0.1.0
 * @category rules
 */
export const rules: ReadonlyArray<Rule.Rule> = [
  Rule.make({
    name: "authorisation_issued",
    recordType: "authorisation",
    on: Rule.transition("issue"),
    reactions: [Rule.run(prerequisitesValid("issue"))]
  }),
  Rule.make({
    name: "authorisation_reinstated",
    recordType: "authorisation",
    on: Rule.transition("reinstate"),
    reactions: [Rule.run(prerequisitesValid("reinstate"))]
  })
]
