/**
 * A Fastify host with the QMS mounted at `/qms`. The QMS routes are a Hono sub-app, a fetch handler:
 * one Fastify route turns each `/qms/...` request into a web `Request` (the body streamed, unread by
 * Fastify), calls `fetch`, and sends the `Response` back, status, headers and body.
 */
import { Readable } from "node:stream"
import { TreeHead } from "@airworthy/audit"
import { QmsRuntime, qmsRoutes } from "@airworthy/hono"
import { Sqlite } from "@airworthy/storage/sqlite"
import Fastify, { type FastifyRequest } from "fastify"
import { Hono } from "hono"
import { directory, personFor } from "./people.js"

export interface Options {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number
  /** The SQLite file of the QMS. */
  readonly database: string
  /** Ed25519 private key (PEM) signing the audit checkpoints; without it one is made per process. */
  readonly signingKey?: string | undefined
}

export interface Running {
  readonly url: string
  readonly close: () => Promise<void>
}

/** The Fastify request as a web `Request`, its body the raw, unread stream. */
const toRequest = (request: FastifyRequest): Request => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else if (value !== undefined) headers.set(name, value)
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD"
  return new Request(new URL(request.url, `http://${request.host}`), {
    method: request.method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(request.raw) as ReadableStream<Uint8Array>, duplex: "half" } : {})
  })
}

export const start = async (options: Options): Promise<Running> => {
  const runtime = QmsRuntime.make({
    database: Sqlite.layer({ filename: options.database }),
    qms: { signingKey: options.signingKey ?? TreeHead.generateKey(), directory }
  })
  // Migrate and open the database now, so a bad configuration stops the start, not the first request.
  await runtime.runtime()

  const qms = new Hono().route(
    "/qms",
    qmsRoutes({
      runtime,
      // The host's session → the QMS actor; here a bearer token from the demo list (null → 401).
      authenticate: (c) => personFor(c.req.header("authorization")) ?? null
    })
  )

  const app = Fastify()
  app.get("/", async () => "A Fastify host; the QMS is at /qms (try /qms/openapi.json)\n")
  await app.register(async (scope) => {
    // Leave every body to the QMS: no Fastify parser reads it (its size limit and checks apply there).
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null))
    scope.all("/qms/*", async (request, reply) => {
      const response = await qms.fetch(toRequest(request))
      reply.code(response.status)
      for (const [name, value] of response.headers) if (name !== "set-cookie") reply.header(name, value)
      const cookies = response.headers.getSetCookie()
      if (cookies.length > 0) reply.header("set-cookie", cookies)
      return reply.send(response.body ?? undefined)
    })
  })

  await app.listen({ port: options.port, host: "127.0.0.1" })
  const address = app.server.address()
  const port = typeof address === "object" && address !== null ? address.port : options.port
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close()
      await runtime.dispose()
    }
  }
}
