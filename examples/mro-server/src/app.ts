// The MRO system: its own routes over its own tables, with the QMS mounted at /qms. The QMS's
// actor comes from the MRO's JWT and staff row; the QMS finds people through the MRO's staff table.
import { AuditLog, TreeHead } from "@airworthy/audit"
import { Actor, Errors } from "@airworthy/core"
import { QmsRuntime, qmsRoutes, Session } from "@airworthy/hono"
import { Dispatcher, Transport } from "@airworthy/notify"
import { Authorisations, Calibration } from "@airworthy/qms"
import { SignerVerification } from "@airworthy/records"
import type { Storage, StorageError } from "@airworthy/storage"
import { BlobStore, Directory } from "@airworthy/storage"
import { Sweeper } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { getConnInfo } from "@hono/node-server/conninfo"
import { Context, Effect, Either, Layer, ManagedRuntime, Option, Redacted } from "effect"
import { Hono, type MiddlewareHandler } from "hono"
import { bodyLimit } from "hono/body-limit"
import { getCookie } from "hono/cookie"
import { jwtVerify, SignJWT } from "jose"
import * as Db from "./db.js"
import { limiter } from "./rateLimit.js"

export interface AppOptions {
  /** `Sqlite.layer({ filename })` or `Postgres.layer({ url })`. */
  readonly database: Layer.Layer<Storage.Storage | SqlClient.SqlClient, StorageError.StorageError>
  /** HS256 secret for the MRO's session tokens. */
  readonly secret: string
  /** The MRO's organisation id: the QMS tenant. Default `skyline-mro`. */
  readonly organisationId?: string
  /** Ed25519 PEM signing the audit log's checkpoints; generated per process when absent. */
  readonly signingKey?: string
  /** Run the notify dispatcher (capture transport) and the task sweeper in the background. */
  readonly background?: boolean
  /** Called with every email the capture transport "sends". */
  readonly onEmail?: (message: Transport.Message) => void
  /** Seed the demo data when the staff table is empty (default true). */
  readonly seed?: boolean
  /**
   * `/login` limits: attempts per client address per minute (default 30) and failed attempts per
   * account per 15 minutes (default 5); over either, 429 with `Retry-After`.
   */
  readonly loginLimits?: { readonly perAddressPerMinute?: number; readonly failuresPerAccount?: number }
  /**
   * The public origins of the pages that call the QMS with the session cookie when they differ from
   * the request's own (a proxy in front): `["https://mro.example"]`.
   */
  readonly publicOrigins?: ReadonlyArray<string>
  /**
   * With `background`: sign audit checkpoints every `everyMillis` (default 5 minutes) for every
   * organisation with at least `minEvents` (default 1) new events.
   */
  readonly checkpoints?: { readonly everyMillis?: number; readonly minEvents?: number }
  /**
   * Where attachment content is kept: default `BlobStore.directory({ path: "./mro-blobs" })`;
   * `BlobStore.database()` keeps it in the database (a single-file SQLite deployment).
   */
  readonly blobs?: Layer.Layer<BlobStore.BlobStore, never, Storage.Storage | SqlClient.SqlClient>
  /** Largest attachment upload in bytes (default 50 MiB). */
  readonly maxUploadBytes?: number
}

export interface MroApp {
  readonly app: Hono
  readonly runtime: QmsRuntime.QmsRuntime
  readonly organisationId: string
  /** A session token for a staff member (what `POST /login` returns). */
  readonly tokenFor: (staffId: string) => Promise<string>
  readonly dispose: () => Promise<void>
}

const issuer = "mro-server"
/** The browser session cookie: the same token `/login` returns, HttpOnly, Secure, SameSite=Strict. */
const sessionCookie = "mro_session"

/** The client's address as the socket tells it (behind a proxy, configure the proxy's header instead). */
const clientAddress = (c: Parameters<typeof getConnInfo>[0]): string => {
  try {
    return getConnInfo(c).remote.address ?? "unknown"
  } catch {
    return "unknown" // not served by @hono/node-server (e.g. `app.request` in a test)
  }
}

export const makeApp = async (options: AppOptions): Promise<MroApp> => {
  const organisationId = options.organisationId ?? "skyline-mro"
  const key = new TextEncoder().encode(options.secret)

  // One database for everything: migrated (QMS + MRO tables) once and seeded. The same layer value
  // is used by the QMS runtime and by the directory, so Effect builds it once (one pool / file).
  const database = Layer.effectDiscard(
    Effect.gen(function* () {
      yield* Db.migrate
      if (options.seed !== false) yield* Db.seed(organisationId, new Date())
    })
  ).pipe(Layer.provideMerge(options.database))
  const directory = Layer.effect(Directory.Directory, Db.makeDirectory).pipe(Layer.provide(database), Layer.orDie)

  // Electronic signatures are executed with the signer's PIN re-entered (21 CFR 11.200): the
  // credential must be the signing staff member's own PIN; otherwise 401 and nothing is written.
  const signer = Layer.effect(
    SignerVerification.SignerVerification,
    Effect.map(Effect.context<Db.Db>(), (context) => ({
      verify: (request: SignerVerification.Request) =>
        Effect.gen(function* () {
          const pin = request.credential === undefined ? "" : Redacted.value(request.credential)
          if (pin === "") return yield* new Errors.Unauthenticated({ detail: "Re-enter your PIN to sign" })
          const row = yield* Effect.orDie(Db.staffById(request.actor.actorId))
          const ok = Option.isSome(row) && pin.length <= 64 && Db.checkPin(pin, row.value.pin_hash)
          if (!ok) return yield* new Errors.Unauthenticated({ detail: "The PIN does not match; nothing was signed" })
        }).pipe(Effect.provide(context))
    }))
  ).pipe(Layer.provide(database), Layer.orDie)

  // The calibration register's tool store port over `mro_tools` (what to import) and
  // `mro_tool_issues` (which work orders used a tool, for an out-of-tolerance impact assessment).
  const toolStore = Layer.effect(
    Calibration.ToolStore.ToolStore,
    Effect.map(
      Effect.context<Db.Db>(),
      (context): Calibration.ToolStore.Service => ({
        tools: () =>
          Db.tools.pipe(
            Effect.map((rows) =>
              rows.map((t) => ({
                toolId: t.tool_id,
                description: t.description,
                itemClass: t.tool_id.startsWith("TW-") ? "torque_wrench" : "general",
                calibrationDue: t.calibration_due
              }))
            ),
            Effect.provide(context),
            Effect.orDie
          ),
        usage: (_tenantId, toolId, since, until) =>
          Db.issuesOf(toolId, since, until).pipe(
            Effect.map((rows) =>
              rows.map((r) => ({ workOrder: r.work_order, issuedAt: r.issued_at, issuedTo: r.issued_to }))
            ),
            Effect.provide(context),
            Effect.orDie
          )
      })
    )
  ).pipe(Layer.provide(database), Layer.orDie)

  const qms = QmsRuntime.layer({
    database,
    qms: {
      signingKey: options.signingKey ?? TreeHead.generateKey(),
      directory,
      signer,
      toolStore,
      migrate: false,
      blobs: options.blobs ?? BlobStore.directory({ path: "./mro-blobs" }),
      ...(options.maxUploadBytes === undefined ? {} : { attachments: { maxBytes: options.maxUploadBytes } })
    }
  })
  const transport = Layer.effect(
    Transport.Transport,
    Effect.map(
      Transport.capture({ name: "capture", from: "Skyline MRO Quality <quality@skyline-mro.example>" }),
      (capture): Transport.Service => ({
        name: capture.name,
        send: (message) => Effect.tap(capture.send(message), () => Effect.sync(() => options.onEmail?.(message)))
      })
    )
  )
  const background = Layer.mergeAll(
    Dispatcher.layer({ pollInterval: "2 seconds" }).pipe(Layer.provide(transport)),
    Sweeper.layer({ intervalMillis: 10_000 }),
    AuditLog.scheduleCheckpoints({
      everyMillis: options.checkpoints?.everyMillis ?? 5 * 60_000,
      minEvents: options.checkpoints?.minEvents ?? 1
    })
  ).pipe(
    Layer.provide(qms),
    Layer.map(() => Context.empty())
  )
  const runtime: QmsRuntime.QmsRuntime = ManagedRuntime.make(
    options.background === true ? Layer.merge(qms, background) : qms
  )
  await runtime.runtime()

  const run = <A>(effect: Effect.Effect<A, StorageError.StorageError, Db.Db>) => runtime.runPromise(effect)

  const sign = (row: Db.StaffRow) =>
    new SignJWT({ org: row.organisation_id, name: row.name })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(row.id)
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime("12h")
      .sign(key)

  /** A session token → the staff row, or undefined. */
  const staffOfToken = async (token: string | undefined): Promise<Db.StaffRow | undefined> => {
    if (token === undefined || token === "") return undefined
    try {
      const { payload } = await jwtVerify(token, key, { issuer, algorithms: ["HS256"] })
      if (typeof payload.sub !== "string") return undefined
      const row = Option.getOrUndefined(await run(Db.staffById(payload.sub)))
      return row !== undefined && row.organisation_id === payload.org ? row : undefined
    } catch {
      return undefined
    }
  }
  /** The bearer token of an `Authorization` header → the staff row, or undefined. */
  const staffOf = (header: string | undefined) => staffOfToken(/^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1])
  const actorOf = (staff: Db.StaffRow | undefined) =>
    staff === undefined
      ? null
      : { tenantId: staff.organisation_id, actorId: staff.id, displayName: staff.name, roles: Db.rolesOf(staff) }

  const app = new Hono()
  app.get("/", (c) =>
    c.json({
      name: "Skyline MRO",
      routes: [
        "POST /login",
        "POST /logout",
        "GET /me",
        "GET /aircraft",
        "GET /work-orders",
        "POST /work-orders/:number/tools",
        "POST /work-orders/:number/sign-off",
        "GET /tools",
        "/qms/*"
      ]
    })
  )

  // `/login`: a 1 KiB body at most (413), attempts per client address and failures per account
  // limited (429 with Retry-After), so PINs cannot be guessed at speed.
  const perAddress = limiter({ limit: options.loginLimits?.perAddressPerMinute ?? 30, windowMs: 60_000 })
  const perAccount = limiter({ limit: options.loginLimits?.failuresPerAccount ?? 5, windowMs: 15 * 60_000 })
  const tooMany = (retryAfter: number) =>
    new Response(JSON.stringify({ error: `too many login attempts; retry in ${retryAfter} s` }), {
      status: 429,
      headers: { "content-type": "application/json", "retry-after": String(retryAfter) }
    })
  app.post(
    "/login",
    bodyLimit({ maxSize: 1024, onError: (c) => c.json({ error: "a login body is at most 1 KiB" }, 413) }),
    async (c) => {
      const address = clientAddress(c)
      const attempt = perAddress.hit(address)
      if (!attempt.allowed) return tooMany(attempt.retryAfter)
      const body = (await c.req.json().catch(() => undefined)) as { email?: unknown; pin?: unknown } | undefined
      if (typeof body?.email !== "string" || typeof body.pin !== "string" || body.pin.length > 64)
        return c.json({ error: "send { email, pin }" }, 400)
      const account = body.email.trim().toLowerCase()
      const locked = perAccount.blocked(account)
      if (!locked.allowed) return tooMany(locked.retryAfter)
      const row = Option.getOrUndefined(await run(Db.staffByEmail(body.email)))
      if (row === undefined || !Db.checkPin(body.pin, row.pin_hash)) {
        perAccount.hit(account)
        return c.json({ error: "invalid credentials" }, 401)
      }
      perAccount.reset(account)
      const token = await sign(row)
      // Browsers use the session cookie (HttpOnly: no script can read it); API clients the token.
      Session.setCookie(c, sessionCookie, token, { maxAgeSeconds: 12 * 3600 })
      return c.json({ token, staff: { id: row.id, name: row.name, roles: Db.rolesOf(row) } })
    }
  )
  app.post("/logout", (c) => {
    Session.clearCookie(c, sessionCookie)
    return c.json({ ok: true })
  })

  // The MRO's own routes need a session too.
  const mro = new Hono<{ Variables: { staff: Db.StaffRow } }>()
  const session: MiddlewareHandler<{ Variables: { staff: Db.StaffRow } }> = async (c, next) => {
    // The MRO's own routes are reads: the bearer token, or the browser's session cookie.
    const staff =
      (await staffOf(c.req.header("authorization"))) ??
      (c.req.method === "GET" ? await staffOfToken(getCookie(c, sessionCookie)) : undefined)
    if (staff === undefined) return c.json({ error: "unauthenticated" }, 401)
    c.set("staff", staff)
    await next()
  }
  for (const path of [
    "/aircraft",
    "/work-orders",
    "/work-orders/:number/tools",
    "/work-orders/:number/sign-off",
    "/tools",
    "/me"
  ])
    mro.use(path, session)
  mro.get("/aircraft", async (c) => c.json(await run(Db.aircraft)))
  mro.get("/work-orders", async (c) => c.json(await run(Db.workOrders)))
  mro.get("/tools", async (c) => {
    const today = new Date().toISOString().slice(0, 10)
    const rows = await run(Db.tools)
    return c.json(rows.map((t) => ({ ...t, calibrationOverdue: t.calibration_due < today })))
  })
  // Tool checkout: a tool is issued to a work order only when the QMS's tool control says it may be
  // (in calibration, or covered by an approved concession for this work order); otherwise the QMS's
  // refusal is passed on (409 tool_overdue / tool_quarantined with the due date) and nothing is issued.
  mro.post("/work-orders/:number/tools", async (c) => {
    const staff = c.get("staff")
    const body = (await c.req.json().catch(() => undefined)) as { toolId?: unknown } | undefined
    if (typeof body?.toolId !== "string" || body.toolId.length === 0 || body.toolId.length > 64)
      return c.json({ error: "send { toolId }" }, 400)
    const toolId = body.toolId
    const number = c.req.param("number")
    const order = Option.getOrUndefined(await run(Db.workOrder(number)))
    if (order === undefined) return c.json({ error: `no work order ${number}` }, 404)
    if (order.status !== "open") return c.json({ error: `work order ${number} is ${order.status}` }, 409)
    if (Option.isNone(await run(Db.tool(toolId)))) return c.json({ error: `no tool ${toolId} in the store` }, 404)
    const actor = Actor.make({
      tenantId: staff.organisation_id,
      actorId: staff.id,
      displayName: staff.name,
      roles: Db.rolesOf(staff),
      traceId: `checkout-${number}-${toolId}`
    })
    const checked = await runtime.runPromise(
      Effect.either(Calibration.checkUsable(toolId, undefined, { workOrder: number }).pipe(Actor.withActor(actor)))
    )
    if (Either.isLeft(checked)) {
      const e = checked.left
      if (!Errors.isProblem(e)) throw e
      const extensions = (e as { extensions?: Record<string, unknown> }).extensions ?? {}
      return c.json({ ...extensions, error: e.message, code: e.code }, e.status as 403)
    }
    const issue = { tool_id: toolId, work_order: number, issued_to: staff.id, issued_at: new Date().toISOString() }
    await run(Db.issueTool(issue))
    return c.json({ ...issue, calibration: checked.right }, 201)
  })
  // Certificate of release: the signer must hold an issued authorisation covering the aircraft's
  // type, valid now, on valid prerequisite training (`Authorisations.check`); otherwise the QMS's
  // refusal is passed on (422 with every missing or expired item) and the work order stays open.
  mro.post("/work-orders/:number/sign-off", async (c) => {
    const staff = c.get("staff")
    const number = c.req.param("number")
    const order = Option.getOrUndefined(await run(Db.workOrder(number)))
    if (order === undefined) return c.json({ error: `no work order ${number}` }, 404)
    if (order.status !== "open") return c.json({ error: `work order ${number} is ${order.status}` }, 409)
    const aircraft = (await run(Db.aircraft)).find((a) => a.registration === order.aircraft)
    const actor = Actor.make({
      tenantId: staff.organisation_id,
      actorId: staff.id,
      displayName: staff.name,
      roles: Db.rolesOf(staff),
      traceId: `sign-off-${number}`
    })
    const checked = await runtime.runPromise(
      Effect.either(
        Authorisations.check(staff.id, { aircraftType: aircraft?.type ?? order.aircraft }).pipe(Actor.withActor(actor))
      )
    )
    if (Either.isLeft(checked)) {
      const e = checked.left
      if (!Errors.isProblem(e)) throw e
      const unmet = (e as { unmet?: ReadonlyArray<unknown> }).unmet
      return c.json({ error: e.message, code: e.code, ...(unmet === undefined ? {} : { unmet }) }, e.status as 422)
    }
    await run(Db.closeWorkOrder(number))
    return c.json({ workOrder: number, status: "closed", certifiedBy: staff.id, authorisation: checked.right }, 200)
  })
  mro.get("/me", (c) => {
    const s = c.get("staff")
    return c.json({ id: s.id, name: s.name, email: s.email, roles: Db.rolesOf(s), supervisorId: s.supervisor_id })
  })

  // The QMS, embedded: the MRO's session and staff row become the Airworthy actor.
  app.route(
    "/qms",
    qmsRoutes({
      runtime,
      authenticate: async (c) => actorOf(await staffOf(c.req.header("authorization"))),
      // Browsers: the session cookie, with the CSRF check on every unsafe method.
      session: {
        cookie: sessionCookie,
        authenticate: async (token) => actorOf(await staffOfToken(token)),
        origins: options.publicOrigins ?? []
      }
    })
  )
  app.route("/", mro)

  return {
    app,
    runtime,
    organisationId,
    tokenFor: async (staffId) => {
      const row = Option.getOrUndefined(await run(Db.staffById(staffId)))
      if (row === undefined) throw new Error(`no staff member ${staffId}`)
      return sign(row)
    },
    dispose: () => runtime.dispose()
  }
}
