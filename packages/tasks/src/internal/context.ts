// What every part of the tasks service shares, built once per layer and passed explicitly: the
// layer's services, its dialect, the ladders and due-date defaults it was configured with.
import { AuditLog } from "@airworthy/audit"
import { Ids, Policy } from "@airworthy/core"
import { Storage } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import { Context, Effect } from "effect"
import * as DuePolicy from "../DuePolicy.js"
import * as Ladder from "../Ladder.js"
import type { Config, Service } from "../Tasks.js"
import { bucketsFor } from "./sla.js"

/** What statements compiled by Kysely (`Query`) run with. */
export type Database = Storage.Storage | SqlClient.SqlClient

/** The services `Tasks.layer` requires. */
export type LayerServices = Storage.Storage | SqlClient.SqlClient | Ids.Ids | AuditLog.AuditLog | Policy.Policy

export interface TasksContext {
  readonly dialect: Storage.Dialect
  /** The ladder a new task of this kind gets. */
  readonly ladderOf: (kind: string) => Ladder.Ladder
  /** The configured due policies over the regulatory defaults, under the tenants' overrides. */
  readonly dueDefaults: { readonly [kind: string]: DuePolicy.DuePolicy }
  /** Upper bounds (days) of the SLA buckets when a call names none. */
  readonly slaBounds: ReadonlyArray<number>
  /** Runs with the layer's services, keeping the caller's context (and open transaction) on top. */
  readonly provided: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, LayerServices>>
}

/** A method of the service as a function of the context, before `provided` gives it the layer's services. */
export type Method<K extends keyof Service> = (
  tasks: TasksContext,
  ...args: Parameters<Service[K]>
) => ReturnType<Service[K]> extends Effect.Effect<infer A, infer E, infer R>
  ? Effect.Effect<A, E, R | LayerServices>
  : never

/** Builds the context over the services in context; throws on an invalid ladder or SLA bounds (a defect). */
export const make = (config: Config): Effect.Effect<TasksContext, never, LayerServices> =>
  Effect.gen(function* () {
    const ladderDefault = Ladder.make(config.ladder ?? Ladder.defaults)
    const ladders = Object.fromEntries(Object.entries(config.ladders ?? {}).map(([k, l]) => [k, Ladder.make(l)]))
    const dueDefaults = DuePolicy.withDefaults(config.duePolicies)
    const slaBounds = config.slaBuckets ?? [7, 30, 90]
    bucketsFor(slaBounds)
    const storage = yield* Storage.Storage
    // Only the layer's services: anything else in the build context would override the caller's own.
    const context = Context.make(Storage.Storage, storage).pipe(
      Context.add(SqlClient.SqlClient, yield* SqlClient.SqlClient),
      Context.add(Ids.Ids, yield* Ids.Ids),
      Context.add(AuditLog.AuditLog, yield* AuditLog.AuditLog),
      Context.add(Policy.Policy, yield* Policy.Policy)
    )
    return {
      dialect: storage.dialect,
      ladderOf: (kind) => ladders[kind] ?? ladderDefault,
      dueDefaults,
      slaBounds,
      // The caller's context stays on top, so its open transaction is the one we write in.
      provided: <A, E, R>(self: Effect.Effect<A, E, R>) =>
        Effect.provide(self, context) as Effect.Effect<A, E, Exclude<R, LayerServices>>
    } satisfies TasksContext
  })
