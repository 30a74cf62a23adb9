// Shared builders for the Policy, Guard and Workflow tests.
import { DateTime, Effect, type Either } from "effect"
import { Actor, Guard, Ids, Policy } from "../src/index.js"

export const id = (s: string): Ids.ActorId => Ids.ActorId.make(s)

export const person = (actorId: string, roles: ReadonlyArray<string> = ["admin"]): Actor.Actor =>
  Actor.make({ tenantId: "amo-1", actorId, displayName: actorId, roles, traceId: "trace-1" })

/** Minute `m` of a fixed day; tests never read the wall clock. */
export const at = (m: number): DateTime.Utc => DateTime.unsafeMake(Date.UTC(2026, 0, 5, 8, m))

export const snapshot = (overrides: Partial<Guard.RecordSnapshot> = {}): Guard.RecordSnapshot => ({
  id: "0190a000-0000-7000-8000-000000000001",
  type: "finding",
  state: "open",
  version: 1,
  ownerId: id("owner"),
  createdBy: id("auditor"),
  data: {},
  ...overrides
})

export const context = (
  overrides: Partial<Omit<Guard.GuardContext, "record">> & { readonly record?: Partial<Guard.RecordSnapshot> } = {}
): Guard.GuardContext => {
  const { record, ...rest } = overrides
  return Guard.makeContext({ actor: person("admin-1"), ...rest, record: snapshot(record) })
}

/** Runs a pure effect with the default policy, returning its Either. */
export const run = <A, E>(self: Effect.Effect<A, E, Policy.Policy>): Either.Either<A, E> =>
  Effect.runSync(Effect.either(Effect.provide(self, Policy.layer())))

export const unmetOf = (
  ctx: Guard.GuardContext,
  guard: Guard.Guard
): ReadonlyArray<{ code: string; message: string }> =>
  Effect.runSync(Guard.evaluate(guard, ctx)).map(({ code, message }) => ({ code, message }))
