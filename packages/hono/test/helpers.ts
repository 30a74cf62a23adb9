// A test host: the QMS runtime over a test database, an `authenticate` reading test headers, and
// small request helpers.
import { TreeHead } from "@airworthy/audit"
import { Ids } from "@airworthy/core"
import { RecordHooks } from "@airworthy/records"
import { StaffDirectory } from "@airworthy/tasks"
import { type TestDatabase, TestKit } from "@airworthy/testing"
import { Effect, ManagedRuntime } from "effect"
import { Hono } from "hono"
import { type QmsRoutes, QmsRuntime, qmsRoutes } from "../src/index.js"

export const signingKey = TreeHead.generateKey()

/** Dies (a defect with SQL in its message) when someone comments "boom": the 500 path. */
const boom = RecordHooks.onCommented((change) =>
  JSON.stringify(change).includes('"boom"')
    ? Effect.die(new Error("SELECT password FROM staff WHERE 1=1 -- secret detail"))
    : Effect.void
)

export const runtimeFor = (
  database: TestDatabase.TestLayer | QmsRuntime.Config["database"],
  seed = 41
): QmsRuntime.QmsRuntime =>
  ManagedRuntime.make(
    QmsRuntime.layer({
      database: database as QmsRuntime.Config["database"],
      qms: { signingKey, ids: Ids.layerTest(seed), hooks: [boom] }
    })
  )

export const roles: Record<string, ReadonlyArray<string>> = {
  "u-quinn": ["quality_manager"],
  "u-avery": ["auditor"],
  "u-olive": ["capa_owner"],
  "u-tess": ["technician"]
}

/** `x-tenant` and `x-actor` headers stand in for the host's session. */
export const authenticate: QmsRoutes.QmsRoutesOptions["authenticate"] = (c) => {
  const tenantId = c.req.header("x-tenant")
  const actorId = c.req.header("x-actor")
  if (tenantId === undefined || actorId === undefined) return null
  return { tenantId, actorId, roles: roles[actorId] ?? [] }
}

export const mount = (options: Omit<QmsRoutes.QmsRoutesOptions, "authenticate">) => {
  const app = new Hono()
  app.route("/qms", qmsRoutes({ authenticate, ...options }))
  return app
}

export const freshTenant = TestKit.freshTenant

export const staff = (runtime: QmsRuntime.QmsRuntime, tenantId: string) =>
  runtime.runPromise(
    StaffDirectory.upsert(
      { tenantId, actorId: "u-quinn", displayName: "Quinn", email: "quinn@mro.example", roles: ["quality_manager"] },
      { tenantId, actorId: "u-olive", displayName: "Olive", email: "olive@mro.example", roles: ["capa_owner"] }
    )
  )

export interface Reply {
  readonly status: number
  readonly headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies loosely.
  readonly json: any
  readonly text: string
}

/** A reply read as bytes (downloads, ZIPs), with the JSON parsed when it is JSON. */
export interface BytesReply {
  readonly status: number
  readonly headers: Headers
  readonly bytes: Buffer
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies loosely.
  readonly json: any
}

/**
 * Calls the app mounted at `/qms` as an actor of a tenant (the `x-tenant` / `x-actor` headers the
 * tests' `authenticate` reads) and reads the reply as bytes. `app` is a getter: suites build theirs in `beforeAll`.
 */
export const bytesCall =
  (app: () => Hono) =>
  async (
    tenant: string,
    method: string,
    path: string,
    options: { actor?: string; headers?: Record<string, string>; body?: RequestInit["body"] & {} } = {}
  ): Promise<BytesReply> => {
    const res = await app().request(`http://localhost/qms${path}`, {
      method,
      headers: { "x-tenant": tenant, "x-actor": options.actor ?? "u-quinn", ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body })
    })
    const bytes = Buffer.from(await res.arrayBuffer())
    const isJson = /json/.test(res.headers.get("content-type") ?? "")
    return { status: res.status, headers: res.headers, bytes, json: isJson ? JSON.parse(bytes.toString()) : undefined }
  }

export interface Client {
  readonly get: (path: string, actor?: string, headers?: Record<string, string>) => Promise<Reply>
  readonly post: (path: string, body?: unknown, actor?: string, headers?: Record<string, string>) => Promise<Reply>
  readonly patch: (path: string, body: unknown, actor?: string) => Promise<Reply>
}

export const client = (app: Hono, tenantId: string): Client => {
  const call = async (
    method: string,
    path: string,
    actor: string,
    body?: unknown,
    headers: Record<string, string> = {}
  ) => {
    const res = await app.request(`http://localhost/qms${path}`, {
      method,
      headers: {
        "x-tenant": tenantId,
        "x-actor": actor,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) })
    })
    const text = await res.text()
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies loosely.
    const json: any = text === "" ? undefined : JSON.parse(text)
    return { status: res.status, headers: res.headers as Headers, json, text } as Reply
  }
  return {
    get: (path: string, actor = "u-quinn", headers: Record<string, string> = {}) =>
      call("GET", path, actor, undefined, headers),
    post: (path: string, body: unknown = {}, actor = "u-quinn", headers: Record<string, string> = {}) =>
      call("POST", path, actor, body, headers),
    patch: (path: string, body: unknown, actor = "u-quinn") => call("PATCH", path, actor, body)
  }
}

export const finding = {
  title: "Torque wrench TW-114 used past its calibration date",
  level: "2",
  requirement: "145.A.40",
  ownerId: "u-olive"
}
