/**
 * `qmsRoutes({ runtime, authenticate })`: the QMS as a Hono sub-app the host mounts anywhere.
 *
 * ```ts
 * const runtime = QmsRuntime.make({ database: Sqlite.layer({ filename: "qms.db" }), qms: { signingKey } })
 * const app = new Hono()
 * app.route("/qms", qmsRoutes({ runtime, authenticate: (c) => toActor(c.get("user")) }))
 * ```
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Actor, Errors } from "@airworthy/core"
import { Qms, type QmsModule } from "@airworthy/qms"
import { SqlClient } from "@effect/sql"
import { Cause, Effect, Exit } from "effect"
import { type Context, Hono } from "hono"
import { bodyLimit } from "hono/body-limit"
import { cors } from "hono/cors"
import { mountAttachmentContent, uploadPath } from "./internal/attachmentContent.js"
import * as Body from "./internal/body.js"
import { eventStream } from "./internal/events.js"
import { evidencePaths, mountEvidencePacks } from "./internal/evidenceRoutes.js"
import { methodsByPath, shorten } from "./internal/fallback.js"
import { type Route, routesOf } from "./internal/routes.js"
import { type RateLimitOptions, rateLimit } from "./middleware/rate-limit/index.js"
import { secureHeaders } from "./middleware/secure-headers/index.js"
import { traceId } from "./middleware/trace-id/index.js"
import * as OpenApi from "./OpenApi.js"
import * as Problem from "./Problem.js"
import type * as QmsRuntime from "./QmsRuntime.js"
import * as Session from "./Session.js"

declare module "hono" {
  interface ContextVariableMap {
    /** The authenticated actor of a QMS request. */
    actor: Actor.Actor
  }
}

/**
 * What `authenticate` may return: an `Actor`, or its plain fields (the trace id is the request's).
 * @since 0.1.0
 * @category models
 */
export interface ActorInput {
  readonly tenantId: string
  readonly actorId: string
  readonly roles: ReadonlyArray<string>
  readonly displayName?: string
  readonly source?: Actor.Source
}

/**
 * Options of {@link qmsRoutes}.
 * @since 0.1.0
 * @category models
 */
export interface QmsRoutesOptions {
  /** The Effect runtime (`QmsRuntime.make`). The host disposes it. */
  readonly runtime: QmsRuntime.QmsRuntime
  /** Maps a request to the host's logged-in user as an actor; `null`/`undefined` → 401. */
  readonly authenticate: (c: Context) => ActorInput | null | undefined | Promise<ActorInput | null | undefined>
  /** Largest request body in bytes (default 1 MiB); larger → 413. */
  readonly maxBodyBytes?: number
  /** Token bucket per actor on writes (default 60 burst, 10/s); `false` turns it off. */
  readonly rateLimit?: RateLimitOptions | false
  /** Origins allowed by CORS; none (the default): no CORS headers. */
  readonly corsOrigins?: ReadonlyArray<string>
  /** Server-Sent Events settings. */
  readonly events?: {
    /** Comment heartbeat interval (default 15 000 ms). */
    readonly heartbeatMillis?: number
    /** The `retry:` hint sent to clients (default 2 000 ms). */
    readonly retryMillis?: number
  }
  /** The OpenAPI document's title, version and server path. */
  readonly openApi?: OpenApi.Options
  /** Limits on JSON bodies, checked before parsing: nesting depth (default 64), longest string (default 100 000). */
  readonly limits?: { readonly maxDepth?: number; readonly maxStringLength?: number }
  /** The modules whose operations become routes: the list given to `QmsRuntime.make` (default `Qms.modules`). */
  readonly modules?: ReadonlyArray<QmsModule.Any>
  /**
   * Browser sessions: an HttpOnly session cookie the host sets, accepted when a request sends no
   * `Authorization` header, with a CSRF check on every unsafe method (see `Session`).
   */
  readonly session?: Session.Options<ActorInput>
}

const actorFrom = (input: ActorInput, trace: string): Actor.Actor =>
  // An `Actor` was validated when it was made, and the trace id middleware only yields ids the
  // `TraceId` Schema accepts: copy it without validating the same fields again on every request.
  input instanceof Actor.Actor
    ? new Actor.Actor(
        {
          tenantId: input.tenantId,
          actorId: input.actorId,
          displayName: input.displayName,
          roles: input.roles,
          traceId: trace as Actor.Actor["traceId"],
          source: input.source
        },
        true
      )
    : Actor.make({
        tenantId: input.tenantId,
        actorId: input.actorId,
        displayName: input.displayName ?? input.actorId,
        roles: input.roles,
        traceId: trace,
        source: input.source ?? "api"
      })

/** Weak ETag over the response body: equal bodies, equal tags. */
const weakEtag = (body: string): string => `W/"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"`

const etagMatches = (header: string | undefined, etag: string): boolean => {
  if (header === undefined) return false
  const bare = etag.replace(/^W\//, "")
  return header.split(",").some((t) => {
    const tag = t.trim()
    return tag === "*" || tag.replace(/^W\//, "") === bare
  })
}

/**
 * The QMS routes as a Hono sub-app.
 * @since 0.1.0
 * @category constructors
 */
export const qmsRoutes = (options: QmsRoutesOptions): Hono => {
  const { runtime } = options
  const heartbeat = options.events?.heartbeatMillis ?? 15_000
  const retry = options.events?.retryMillis ?? 2_000
  const app = new Hono()
  const modules = options.modules ?? Qms.modules
  const routes = routesOf(modules)

  const limits: Body.Limits = {
    maxDepth: options.limits?.maxDepth ?? 64,
    maxStringLength: options.limits?.maxStringLength ?? 100_000
  }

  // Every 5xx is logged with its whole cause (pretty-printed, with stack) and the trace id; the
  // client gets a problem that says neither.
  const logFailure = (c: Context, cause: Cause.Cause<unknown>) =>
    runtime.runFork(
      Effect.logError("qms route failed").pipe(
        Effect.annotateLogs({
          trace_id: c.get("traceId") ?? "unknown",
          method: c.req.method,
          path: shorten(c.req.path, 200),
          cause: Cause.pretty(cause, { renderErrorCause: true })
        })
      )
    )

  const fail = (c: Context, error: unknown): Response => {
    const problem = Problem.fromUnknown(error, c.get("traceId") ?? "unknown")
    if (problem.status >= 500) logFailure(c, Cause.die(error))
    return Problem.respond(c, problem)
  }

  const run = async (c: Context, effect: Effect.Effect<unknown, unknown, QmsRuntime.Services | Actor.CurrentActor>) => {
    const trace = c.get("traceId")
    const exit = await runtime.runPromiseExit(Actor.withActor(effect, c.get("actor")))
    if (Exit.isSuccess(exit)) return { ok: true as const, value: exit.value }
    const problem = Problem.fromCause(exit.cause, trace)
    if (problem.status >= 500) logFailure(c, exit.cause)
    return { ok: false as const, response: Problem.respond(c, problem) }
  }

  const allowedMethods = methodsByPath([
    ...routes,
    { method: "get", path: "/health" },
    { method: "get", path: "/ready" },
    { method: "get", path: "/openapi.json" },
    { method: "get", path: "/events" },
    { method: "post", path: "/records/:id/attachments/content" },
    { method: "get", path: "/records/:id/attachments/:attachmentId/content" },
    ...evidencePaths(modules).map(({ path }) => ({ method: "get", path })),
    { method: "post", path: "/records/:id/evidence-pack" }
  ])

  // Unknown path: 404; known path, other method: 405 with Allow. Paths are matched relative to
  // where the host mounted the sub-app.
  const unrouted = (c: Context, relativePath: string): Response => {
    const allow = allowedMethods(relativePath)
    const traceId = c.get("traceId") ?? "unknown"
    const what = `${c.req.method} ${shorten(relativePath)}`
    return allow.length === 0
      ? Problem.respond(
          c,
          Problem.make({ status: 404, code: "not_found", title: "Not found", detail: `No route ${what}`, traceId })
        )
      : Problem.respond(
          c,
          Problem.make({
            status: 405,
            code: "method_not_allowed",
            title: "Method not allowed",
            detail: `${what} is not served; allowed: ${allow.join(", ")}`,
            traceId
          }),
          { allow: allow.join(", ") }
        )
  }

  app.onError((error, c) => fail(c, error))
  app.notFound((c) => unrouted(c, c.req.path))

  app.use(secureHeaders())
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    const allowed = [...options.corsOrigins]
    app.use(
      cors({
        origin: (origin) => (allowed.includes(origin) ? origin : null),
        allowHeaders: [
          "content-type",
          "authorization",
          "idempotency-key",
          "last-event-id",
          "x-request-id",
          "traceparent",
          "if-none-match",
          "range",
          "if-range",
          "x-content-sha256",
          "repr-digest"
        ],
        allowMethods: ["GET", "POST", "PATCH", "OPTIONS"],
        exposeHeaders: [
          "etag",
          "retry-after",
          "x-trace-id",
          "content-range",
          "content-disposition",
          "accept-ranges",
          "location"
        ]
      })
    )
  }
  app.use(traceId())
  const limit = bodyLimit({
    maxSize: options.maxBodyBytes ?? 1024 * 1024,
    onError: (c) =>
      Problem.respond(
        c,
        Problem.make({
          status: 413,
          code: "payload_too_large",
          title: "Payload too large",
          detail: `The body is larger than ${options.maxBodyBytes ?? 1024 * 1024} bytes`,
          traceId: c.get("traceId")
        })
      )
  })
  // Only requests that may carry a body pay for the limit (it wraps the body stream). Uploads of
  // attachment content have their own limit, per tenant, enforced as the bytes stream in.
  app.use((c, next) =>
    c.req.method === "GET" || c.req.method === "HEAD" || uploadPath.test(c.req.path) ? next() : limit(c, next)
  )

  // Unauthenticated operational routes.
  app.get("/health", (c) => c.json({ status: "ok" }))
  app.get("/ready", async (c) => {
    const exit = await runtime.runPromiseExit(
      Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1 AS ok`).pipe(Effect.timeout("5 seconds"))
    )
    if (Exit.isSuccess(exit)) return c.json({ status: "ready" })
    runtime.runFork(Effect.logWarning("qms not ready", exit.cause))
    return Problem.respond(
      c,
      Problem.make({
        status: 503,
        code: "not_ready",
        title: "Not ready",
        detail: "The database does not answer",
        traceId: c.get("traceId")
      })
    )
  })
  // The `servers` entry is where the host mounted the routes, as this request shows it, unless given.
  const documents = new Map<string, unknown>()
  app.get("/openapi.json", (c) => {
    const basePath = options.openApi?.basePath ?? (c.req.path.replace(/\/openapi\.json$/, "") || "/")
    let document = documents.get(basePath)
    if (document === undefined) {
      document = OpenApi.make(routes, {
        ...options.openApi,
        basePath,
        ...(options.session === undefined ? {} : { sessionCookie: options.session.cookie })
      })
      if (documents.size < 16) documents.set(basePath, document)
    }
    return c.json(document)
  })

  const session = options.session
  app.use(async (c, next) => {
    const cookie = session === undefined ? undefined : Session.cookieOf(c, session.cookie)
    if (session !== undefined && cookie !== undefined) {
      const refused = Session.csrfRefusal(c, session.origins)
      if (refused !== undefined) {
        return Problem.respond(
          c,
          Problem.make({
            status: 403,
            code: "csrf_check_failed",
            title: "Cross-site request refused",
            detail: `${refused}. A request authenticated by the session cookie must come from an allowed origin and carry the ${Session.csrfHeader} header`,
            traceId: c.get("traceId")
          })
        )
      }
    }
    const input =
      session !== undefined && cookie !== undefined
        ? await session.authenticate(cookie, c)
        : await options.authenticate(c)
    if (input === null || input === undefined) {
      return Problem.respond(c, Problem.fromUnknown(new Errors.Unauthenticated({}), c.get("traceId")), {
        "www-authenticate": "Bearer"
      })
    }
    c.set("actor", actorFrom(input, c.get("traceId")))
    await next()
  })
  if (options.rateLimit !== false) app.use(rateLimit(options.rateLimit ?? {}))

  const events = eventStream({ runtime, run, heartbeatMillis: heartbeat, retryMillis: retry })
  app.get("/events", (c) => events(c))

  mountAttachmentContent(app, runtime, logFailure)
  mountEvidencePacks(app, runtime, modules, logFailure)
  for (const r of routes) app.on(r.method.toUpperCase(), r.path, (c) => handle(c, r))
  // Last: whatever no route took, also when mounted inside a host's app.
  app.all("*", (c) => {
    const mount = c.req.routePath.replace(/\/?\*$/, "")
    return unrouted(c, c.req.path.startsWith(mount) ? c.req.path.slice(mount.length) || "/" : c.req.path)
  })

  const readBody = async (c: Context, r: Route): Promise<Record<string, unknown> | Body.Refused> => {
    const body = Body.parse(await c.req.text(), c.req.header("content-type"), limits)
    if (body instanceof Body.Refused) return body
    const key = c.req.header("idempotency-key")
    return key !== undefined && r.idempotent && !("idempotencyKey" in body) ? { ...body, idempotencyKey: key } : body
  }

  const handle = async (c: Context, r: Route): Promise<Response> => {
    try {
      const params = c.req.param() as Record<string, string>
      let input: Record<string, unknown>
      if (r.method === "get") {
        if (!r.hasQuery) input = params
        else {
          const decoded = r.decodeQuery(c.req.query())
          if (decoded._tag === "Left") throw Errors.fromParseError(decoded.left)
          input = { ...(decoded.right as Record<string, unknown>), ...params }
        }
      } else {
        const body = await readBody(c, r)
        if (body instanceof Body.Refused) {
          return Problem.respond(c, Problem.make({ ...body.problem, traceId: c.get("traceId") ?? "unknown" }))
        }
        // Path parameters name the record; they win over the same fields in the body.
        input = { ...body, ...params }
      }
      const result = await run(c, r.run(input))
      if (!result.ok) return result.response
      const json = JSON.stringify(result.value ?? null)
      const headers: Record<string, string> = { "content-type": "application/json" }
      if (r.etag) {
        const tag = weakEtag(json)
        headers.etag = tag
        headers["cache-control"] = "private, no-cache"
        // A 304 has no body, so no content type either.
        if (etagMatches(c.req.header("if-none-match"), tag))
          return new Response(null, { status: 304, headers: { etag: tag, "cache-control": "private, no-cache" } })
      }
      return c.body(json, r.status, headers)
    } catch (error) {
      return fail(c, error)
    }
  }

  return app
}
