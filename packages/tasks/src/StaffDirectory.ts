/**
 * A people directory kept in SQL (`aw_task_directory`) for hosts without their own user store: the
 * `Directory` port of `@airworthy/storage` over a table of staff, their e-mail addresses, roles and
 * supervisors. Hosts with a user store implement `Directory.layer(service)` instead.
 *
 * ```ts
 * yield* StaffDirectory.upsert({ tenantId: "mro-1", actorId: "u-17", displayName: "Quinn", email: "quinn@mro.example", roles: ["quality_manager"] })
 * const live = StaffDirectory.layer // provides Directory.Directory
 * ```
 *
 * @since 0.1.0
 */
import { Directory, Query, RowLevelSecurity, Storage, type StorageError } from "@airworthy/storage"
import type { SqlClient } from "@effect/sql"
import { Effect, Layer, Option } from "effect"
import type { Tables } from "./internal/tables.js"

const q = Query.make<Tables>()

/**
 * Roles are stored space-separated with a leading and trailing space, so `instr`/`strpos` of
 * `" role "` matches whole roles only (and `_` is not a wildcard as it would be with LIKE).
 * @since 0.1.0
 * @category utils
 */
export const encodeRoles = (roles: ReadonlyArray<string>): string => ` ${roles.join(" ")} `

/**
 * The SQL directory over `aw_task_directory`.
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Directory.Service, never, Storage.Storage | SqlClient.SqlClient> = Effect.gen(
  function* () {
    const context = yield* Effect.context<Storage.Storage | SqlClient.SqlClient>()
    const run = <A, E>(self: Effect.Effect<A, E, Storage.Storage | SqlClient.SqlClient>) =>
      Effect.provide(self, context)
    const inTenant = <A, E>(tenantId: string, self: Effect.Effect<A, E, Storage.Storage | SqlClient.SqlClient>) =>
      RowLevelSecurity.withTenant(tenantId)(run(self))
    return {
      // Each look-up names its tenant: it runs in that tenant's row-level security scope.
      supervisorOf: (tenantId, actorId) =>
        inTenant(
          tenantId,
          Effect.map(
            q.maybe((db) =>
              db
                .selectFrom("aw_task_directory")
                .select("supervisor_id")
                .where("tenant_id", "=", tenantId)
                .where("actor_id", "=", actorId)
            ),
            (row) => Option.flatMap(row, (r) => Option.fromNullable(r.supervisor_id))
          )
        ),
      usersWithRole: (tenantId, role) =>
        inTenant(
          tenantId,
          Effect.gen(function* () {
            const { dialect } = yield* Storage.Storage
            const match = dialect === "pg" ? "strpos(roles, $2) > 0" : "instr(roles, ?) > 0"
            const first = dialect === "pg" ? "$1" : "?"
            const rows = yield* Query.unsafe<{ actor_id: string }>(
              `SELECT actor_id FROM aw_task_directory WHERE tenant_id = ${first} AND ${match} ORDER BY actor_id`,
              [tenantId, ` ${role} `]
            )
            return rows.map((r) => r.actor_id)
          })
        ),
      contactOf: (tenantId, actorId) =>
        inTenant(
          tenantId,
          Effect.map(
            q.maybe((db) =>
              db
                .selectFrom("aw_task_directory")
                .select(["actor_id", "display_name", "email"])
                .where("tenant_id", "=", tenantId)
                .where("actor_id", "=", actorId)
            ),
            (row) => Option.map(row, (r) => ({ actorId: r.actor_id, displayName: r.display_name, email: r.email }))
          )
        )
    }
  }
)

/**
 * The SQL directory as a layer.
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Directory.Directory, never, Storage.Storage | SqlClient.SqlClient> = Layer.effect(
  Directory.Directory,
  make
)

/**
 * One person in the SQL directory.
 * @since 0.1.0
 * @category models
 */
export interface Staff {
  readonly tenantId: string
  readonly actorId: string
  readonly displayName: string
  readonly email: string
  readonly roles: ReadonlyArray<string>
  readonly supervisorId?: string | null
}

/**
 * Adds or replaces people in the SQL directory (the host's provisioning; not a user command).
 * @since 0.1.0
 * @category commands
 */
export const upsert = (
  ...staff: ReadonlyArray<Staff>
): Effect.Effect<void, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> =>
  Effect.forEach(
    staff,
    (s) =>
      RowLevelSecurity.withTenant(s.tenantId)(
        q.exec((db) =>
          db
            .insertInto("aw_task_directory")
            .values({
              tenant_id: s.tenantId,
              actor_id: s.actorId,
              display_name: s.displayName,
              email: s.email,
              roles: encodeRoles(s.roles),
              supervisor_id: s.supervisorId ?? null
            })
            .onConflict((oc) =>
              oc.columns(["tenant_id", "actor_id"]).doUpdateSet({
                display_name: s.displayName,
                email: s.email,
                roles: encodeRoles(s.roles),
                supervisor_id: s.supervisorId ?? null
              })
            )
        )
      ),
    { discard: true }
  )
