/**
 * Wake-ups for Server-Sent Events subscribers: "tenant T has new audit events". Fed by the records
 * after-commit bus of this instance and, on PostgreSQL, by `LISTEN/NOTIFY`, so that a change committed
 * on another app instance reaches this instance's subscribers. A wake-up carries no data: each
 * subscriber reads the durable audit log from its own cursor, so duplicate wake-ups are harmless and
 * every event is delivered exactly once, in order.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { Records } from "@airworthy/records"
import { SqlClient } from "@effect/sql"
import type { PgClient as PgClientModule } from "@effect/sql-pg"
import { Context, Deferred, Effect, Layer, Option, PubSub, type Queue, type Scope, Stream } from "effect"

/**
 * The PostgreSQL channel the instances notify on.
 * @since 0.1.0
 * @category constants
 */
export const channel = "aw_qms_events"

/**
 * The `@effect/sql-pg` client tag, by its key: a SQLite-only host never loads the PostgreSQL driver.
 */
const PgClient = Context.GenericTag<PgClientModule.PgClient>("@effect/sql-pg/PgClient")

/**
 * The realtime hub of one app instance.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** A queue of tenant ids that have new events; ended when the scope closes. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<string>, never, Scope.Scope>
  /** Whether wake-ups also cross instances (PostgreSQL `LISTEN/NOTIFY`). */
  readonly crossInstance: boolean
}

/**
 * The realtime hub.
 * @since 0.1.0
 * @category tags
 */
export class Realtime extends Context.Tag("@airworthy/hono/Realtime")<Realtime, Service>() {}

/**
 * Builds the hub: subscribes to the records bus and, when the database is PostgreSQL, listens on
 * {@link channel} (waiting until the listener is live before the layer is ready) and notifies it
 * after each local commit.
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Realtime, never, Records.Records | SqlClient.SqlClient> = Layer.scoped(
  Realtime,
  Effect.gen(function* () {
    const hub = yield* PubSub.unbounded<string>()
    const pg = yield* Effect.serviceOption(PgClient)
    const local = yield* Records.subscribe
    const sql = yield* SqlClient.SqlClient
    // PgClient.notify binds the payload as a parameter, which NOTIFY does not accept: pg_notify does.
    const notify = (payload: string) => sql`SELECT pg_notify(${channel}, ${payload})`
    const probe = `probe:${randomUUID()}`
    if (Option.isSome(pg)) {
      const live = yield* Deferred.make<void>()
      yield* pg.value.listen(channel).pipe(
        Stream.runForEach((payload) =>
          payload === probe ? Deferred.succeed(live, undefined) : PubSub.publish(hub, payload)
        ),
        Effect.catchAllCause((cause) => Effect.logWarning("realtime: LISTEN ended", cause)),
        Effect.forkScoped
      )
      // NOTIFY our own probe until it comes back: from then on no notification can be missed.
      yield* notify(probe).pipe(
        Effect.zipRight(Deferred.await(live).pipe(Effect.timeout("200 millis"))),
        Effect.retry({ times: 50 }),
        Effect.catchAllCause((cause) => Effect.logWarning("realtime: LISTEN not confirmed", cause))
      )
    }
    yield* local.take.pipe(
      Effect.flatMap((event) =>
        Option.isSome(pg)
          ? notify(event.tenantId).pipe(
              Effect.catchAllCause((cause) =>
                Effect.logWarning("realtime: NOTIFY failed", cause).pipe(
                  Effect.zipRight(PubSub.publish(hub, event.tenantId))
                )
              )
            )
          : PubSub.publish(hub, event.tenantId)
      ),
      Effect.forever,
      Effect.forkScoped
    )
    return { subscribe: PubSub.subscribe(hub), crossInstance: Option.isSome(pg) }
  })
)
