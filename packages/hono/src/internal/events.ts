// GET /events: the tenant's audit events as Server-Sent Events, replayed from the durable log after
// the client's cursor, then live as the realtime hub wakes the stream; a comment heartbeat keeps
// proxies from closing it.
import { type AuditEvent, AuditLog } from "@airworthy/audit"
import { Actor, Policy } from "@airworthy/core"
import { RowLevelSecurity } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import { Effect, Exit, Fiber, Option, Queue, Scope, Stream } from "effect"
import type { Context } from "hono"
import { stream } from "hono/streaming"
import * as Problem from "../Problem.js"
import type * as QmsRuntime from "../QmsRuntime.js"
import { Realtime } from "../Realtime.js"
import * as Sse from "../Sse.js"

/** The summary an SSE client receives: what changed and where; it fetches the record for details. */
const eventData = (e: AuditEvent.AuditEvent): string =>
  JSON.stringify({
    sequence: e.sequence,
    id: e.id,
    occurredAt: e.occurredAt,
    action: e.action,
    record: e.record,
    actor: { id: e.actor.id, displayName: e.actor.displayName },
    correlationId: e.correlationId,
    traceId: e.traceId
  })

/** Runs an effect as the request's actor: its value, or the problem response to send. */
export type Run = (
  c: Context,
  effect: Effect.Effect<unknown, unknown, QmsRuntime.Services | Actor.CurrentActor>
) => Promise<{ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly response: Response }>

/** The `/events` handler. */
export const eventStream = (options: {
  readonly runtime: QmsRuntime.QmsRuntime
  readonly run: Run
  readonly heartbeatMillis: number
  readonly retryMillis: number
}): ((c: Context) => Promise<Response>) => {
  const { runtime, run, heartbeatMillis, retryMillis } = options
  return async (c: Context): Promise<Response> => {
    const actor = c.get("actor")
    const allowed = await run(c, Policy.authorize("record.read"))
    if (!allowed.ok) return allowed.response
    const lastEventId = c.req.header("last-event-id") ?? c.req.query("lastEventId")
    const tenant = actor.tenantId
    c.header("content-type", "text/event-stream; charset=utf-8")
    c.header("cache-control", "no-cache, no-transform")
    c.header("x-accel-buffering", "no")
    const headCursor = Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{
        last_sequence: number | string
      }>`SELECT last_sequence FROM aw_audit_heads WHERE tenant_id = ${tenant}`
      return AuditLog.cursorAfter(Number(rows[0]?.last_sequence ?? 0))
    }).pipe(RowLevelSecurity.withTenant(tenant))
    // Subscribe and fix the starting point before the response opens: whatever commits after the
    // client sees the stream open is delivered.
    const scope = await runtime.runPromise(Scope.make())
    const setup = await runtime.runPromiseExit(
      Effect.gen(function* () {
        const wake = yield* Effect.flatMap(Realtime, (r) => r.subscribe).pipe(Scope.extend(scope))
        const start = lastEventId !== undefined && lastEventId !== "" ? lastEventId : yield* headCursor
        return { wake, start }
      })
    )
    if (Exit.isFailure(setup)) {
      await runtime.runPromise(Scope.close(scope, Exit.void))
      return Problem.respond(c, Problem.fromCause(setup.cause, c.get("traceId")))
    }
    const { wake, start } = setup.value
    return stream(c, async (s) => {
      // A failed write means the client went away: stop quietly.
      const write = (text: string) =>
        Effect.tryPromise(() => s.write(text)).pipe(Effect.catchAll(() => Effect.interrupt))
      const program = Effect.gen(function* () {
        const audit = yield* AuditLog.AuditLog
        yield* write(Sse.format({ retry: retryMillis, data: "" }).replace(/data: \n/, ""))
        let cursor = start
        // Suspended: each drain reads from the cursor as it is now.
        const drain = Effect.suspend(() =>
          audit.replayFrom(tenant, cursor).pipe(
            Stream.runForEach((e) =>
              Effect.gen(function* () {
                yield* write(
                  Sse.format({
                    id: e.cursor,
                    event: "audit",
                    data: eventData(e)
                  })
                )
                cursor = e.cursor
              })
            ),
            Effect.catchTag("CursorExpired", (expired) =>
              Effect.gen(function* () {
                cursor = yield* headCursor
                yield* write(
                  Sse.format({
                    id: cursor,
                    event: "reset",
                    data: JSON.stringify({ reason: expired.reason, detail: expired.message })
                  })
                )
              })
            )
          )
        )
        const woken = Effect.gen(function* () {
          for (;;) {
            const t = yield* Queue.take(wake)
            if (t === tenant) {
              yield* Queue.takeAll(wake)
              return
            }
          }
        })
        yield* drain
        for (;;) {
          const got = yield* woken.pipe(Effect.timeoutOption(heartbeatMillis))
          if (Option.isNone(got)) yield* write(Sse.comment("heartbeat"))
          else yield* drain
        }
      }).pipe(Effect.ensuring(Scope.close(scope, Exit.void)), Actor.withActor(actor))
      const fiber = runtime.runFork(program)
      s.onAbort(() => {
        runtime.runFork(Fiber.interrupt(fiber))
      })
      const exit = await runtime.runPromise(Fiber.await(fiber))
      if (Exit.isFailure(exit) && !Exit.isInterrupted(exit)) {
        runtime.runFork(Effect.logError("qms event stream failed", exit.cause))
      }
    })
  }
}
