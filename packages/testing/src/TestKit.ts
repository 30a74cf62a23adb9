/**
 * Small pieces every package's suites share: the type of the `it` a shared suite receives, tenants
 * no other test uses, running as an actor, and counting rows on either dialect.
 *
 * ```ts
 * export const recordsSuite = (it: TestKit.It<Records.Records | SqlClient.SqlClient>, target: TestDatabase.Target) => {
 *   it.effect("creates a record", () => Records.create(input).pipe(TestKit.asActor(quinn)))
 * }
 * layer(recordsLayer(target))("records", (it) => recordsSuite(it, target))
 * ```
 *
 * @since 0.1.0
 */
import { Actor } from "@airworthy/core"
import { Query, type Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import type { Vitest } from "@effect/vitest"
import { Effect } from "effect"

/**
 * The `it` that `layer(L)(name, (it) => …)` of `@effect/vitest` gives a suite over the services `R`
 * of `L`: write a suite once as `(it: TestKit.It<R>, target) => …` and run it on every database.
 * @since 0.1.0
 * @category models
 */
export type It<R> = Vitest.MethodsNonLive<R>

let tenants = 0

/**
 * A tenant id no other test of this process uses (the suites share one database per target).
 * @since 0.1.0
 * @category tenants
 */
export const freshTenant = (label: string): string => `${label}-${++tenants}-${process.pid}`

/**
 * Runs an effect as the actor.
 * @since 0.1.0
 * @category actors
 */
export const asActor =
  (actor: Actor.Actor) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Actor.CurrentActor>> =>
    Actor.withActor(self, actor)

/**
 * The `n`-th statement parameter: `$n` on PostgreSQL, `?` on SQLite.
 * @since 0.1.0
 * @category sql
 */
export const param = (dialect: Storage.Dialect, n: number): string => (dialect === "pg" ? `$${n}` : "?")

/**
 * How many rows of a table belong to a tenant.
 * @since 0.1.0
 * @category sql
 */
export const countRows = (
  dialect: Storage.Dialect,
  table: string,
  tenantId: string
): Effect.Effect<number, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> =>
  Query.unsafe<{ n: number | string }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ${param(dialect, 1)}`, [
    tenantId
  ]).pipe(Effect.map((rows) => Number(rows[0]?.n ?? 0)))

/**
 * The audit actions of a tenant, in sequence order.
 * @since 0.1.0
 * @category sql
 */
export const auditActions = (
  dialect: Storage.Dialect,
  tenantId: string
): Effect.Effect<Array<string>, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> =>
  Query.unsafe<{ action: string }>(
    `SELECT action FROM aw_audit_events WHERE tenant_id = ${param(dialect, 1)} ORDER BY sequence`,
    [tenantId]
  ).pipe(Effect.map((rows) => rows.map((r) => r.action)))
