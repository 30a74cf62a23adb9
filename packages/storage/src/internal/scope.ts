// The tenant scope of a fiber and the settings that carry it to PostgreSQL (see RowLevelSecurity).
import { Actor } from "@airworthy/core"
import { Context, Effect, Option } from "effect"

/**
 * The transaction-local setting holding the tenant (`current_setting('airworthy.tenant', true)`).
 * @since 0.1.0
 * @category constants
 */
export const tenantSetting = "airworthy.tenant"

/**
 * The transaction-local setting that admits every tenant (`'on'`), made only by `acrossTenants`.
 * A separate setting, so that no tenant id (any non-empty string) can mean "all tenants".
 * @since 0.1.0
 * @category constants
 */
export const allTenantsSetting = "airworthy.all_tenants"

/**
 * Which tenant's rows a piece of work may see: one tenant, or every tenant (background work).
 * @since 0.1.0
 * @category models
 */
export type Scope = { readonly _tag: "Tenant"; readonly tenantId: string } | { readonly _tag: "AllTenants" }

/**
 * An explicit scope, set by `withTenant` or `acrossTenants`; it wins over the current actor.
 * @since 0.1.0
 * @category tags
 */
export class TenantScope extends Context.Tag("@airworthy/storage/TenantScope")<TenantScope, Scope>() {}

/**
 * Runs an effect with the rows of one tenant only (for work that is given a tenant id rather than
 * an actor: verifying a tenant's audit log, upserting its staff).
 * @since 0.1.0
 * @category combinators
 */
export const withTenant =
  (tenantId: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, TenantScope>> =>
    Effect.provideService(self, TenantScope, { _tag: "Tenant", tenantId })

/**
 * Runs an effect with the rows of every tenant. Only for background work that serves all tenants
 * (migrations, sweepers, the outbox dispatcher, scheduled checkpoints); it still filters by tenant
 * in its statements.
 * @since 0.1.0
 * @category combinators
 */
export const acrossTenants = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, TenantScope>> =>
  Effect.provideService(self, TenantScope, { _tag: "AllTenants" })

/**
 * The scope of the current fiber: the explicit one, else the current actor's tenant, else none.
 * @since 0.1.0
 * @category accessors
 */
export const current: Effect.Effect<Option.Option<Scope>> = Effect.flatMap(
  Effect.serviceOption(TenantScope),
  (explicit) =>
    Option.isSome(explicit)
      ? Effect.succeed(explicit)
      : Effect.map(
          Effect.serviceOption(Actor.CurrentActor),
          Option.map((actor): Scope => ({ _tag: "Tenant", tenantId: actor.tenantId }))
        )
)

/** A PostgreSQL string literal, safe whatever the value holds (quotes, backslashes). */
export const literal = (value: string): string =>
  value.includes("\\") ? `E'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'` : `'${value.replace(/'/g, "''")}'`

/**
 * The statement that makes a scope's settings for the rest of the current transaction (both
 * settings, so that moving from every tenant to one tenant takes the wider one back).
 * @since 0.1.0
 * @category utils
 */
export const setScopeSql = (scope: Scope): string =>
  scope._tag === "AllTenants"
    ? `SELECT set_config('${allTenantsSetting}', 'on', true), set_config('${tenantSetting}', '', true)`
    : `SELECT set_config('${tenantSetting}', ${literal(scope.tenantId)}, true), set_config('${allTenantsSetting}', '', true)`

/** Do two scopes admit the same rows? */
export const sameScope = (a: Scope, b: Scope): boolean =>
  a._tag === "AllTenants" ? b._tag === "AllTenants" : b._tag === "Tenant" && a.tenantId === b.tenantId
