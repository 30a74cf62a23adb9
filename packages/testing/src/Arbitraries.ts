/**
 * fast-check arbitraries for Airworthy's models, derived from the same Schemas that validate them.
 *
 * They use the fast-check bundled with `effect` (`FastCheck`), so they combine with `it.prop` from
 * `@effect/vitest` and with `Arbitrary.make`.
 *
 * ```ts
 * it.prop("any finding data round-trips", [Arbitraries.encoded(FindingData)], ([data]) => ...)
 * const someone = Arbitraries.actor({ roles: ["auditor", "capa_owner"] })
 * ```
 *
 * @since 0.1.0
 */
import { Actor, Ids, Policy } from "@airworthy/core"
import { Arbitrary, FastCheck as fc, Schema } from "effect"

/**
 * Values of a Schema's type (`Arbitrary.make`).
 * @since 0.1.0
 * @category constructors
 */
export const fromSchema = <A, I, R>(schema: Schema.Schema<A, I, R>): fc.Arbitrary<A> => Arbitrary.make(schema)

/**
 * Values of a Schema's encoded (JSON) form: what a command such as `Records.create` takes as `data`.
 * @since 0.1.0
 * @category constructors
 */
export const encoded = <A, I>(schema: Schema.Schema<A, I>): fc.Arbitrary<I> => {
  const encode = Schema.encodeSync(schema)
  return Arbitrary.make(schema).map((a) => encode(a))
}

/**
 * Short, readable identifiers: a prefix, a dash and a few letters or digits (`amo-x3k`).
 * @since 0.1.0
 * @category constructors
 */
export const slug = (prefix: string): fc.Arbitrary<string> =>
  fc.stringMatching(/^[a-z0-9]{1,8}$/).map((s) => `${prefix}-${s}`)

/**
 * A tenant (maintenance organisation) id.
 * @since 0.1.0
 * @category models
 */
export const tenantId: fc.Arbitrary<Ids.TenantId> = slug("amo").map((s) => Ids.TenantId.make(s))

/**
 * An actor id, as a host would map its user ids.
 * @since 0.1.0
 * @category models
 */
export const actorId: fc.Arbitrary<Ids.ActorId> = slug("u").map((s) => Ids.ActorId.make(s))

/**
 * A trace id.
 * @since 0.1.0
 * @category models
 */
export const traceId: fc.Arbitrary<Ids.TraceId> = slug("trace").map((s) => Ids.TraceId.make(s))

/**
 * A record id (a UUID).
 * @since 0.1.0
 * @category models
 */
export const recordId: fc.Arbitrary<Ids.RecordId> = fc.uuid().map((s) => Ids.RecordId.make(s.toLowerCase()))

/**
 * One of the default role names (`quality_manager`, `auditor`, ...).
 * @since 0.1.0
 * @category models
 */
export const defaultRole: fc.Arbitrary<string> = fc.constantFrom(...Object.keys(Policy.defaultRoles))

/**
 * An actor. `roles`: the role names to draw from (default: the default roles); each actor gets a
 * subset of them, possibly none. `tenantId` fixes the tenant.
 * @since 0.1.0
 * @category models
 */
export const actor = (
  options: { readonly roles?: ReadonlyArray<string>; readonly tenantId?: string; readonly minRoles?: number } = {}
): fc.Arbitrary<Actor.Actor> =>
  fc
    .record({
      tenantId: options.tenantId === undefined ? tenantId : fc.constant(options.tenantId),
      actorId,
      displayName: fc.constantFrom(
        "Quinn Quality",
        "Avery Auditor",
        "Olive Owner",
        "Toni Technician",
        "Morgan Manager"
      ),
      roles: fc.subarray([...(options.roles ?? Object.keys(Policy.defaultRoles))], {
        minLength: options.minRoles ?? 0
      }),
      traceId,
      source: fc.constantFrom("api" as const, "ui" as const)
    })
    .map((plain) => Actor.make(plain))
