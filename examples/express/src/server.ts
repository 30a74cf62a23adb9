/**
 * An Express host with the QMS mounted at `/qms`. The QMS routes are a Hono sub-app; Express hands
 * every `/qms/...` request, untouched, to its fetch handler through `@hono/node-server`'s request
 * listener. No body parser runs before it: the QMS reads the body itself (JSON, uploads).
 */
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { TreeHead } from "@airworthy/audit"
import { QmsRuntime, qmsRoutes } from "@airworthy/hono"
import { Sqlite } from "@airworthy/storage/sqlite"
import { getRequestListener } from "@hono/node-server"
import express from "express"
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
  const forward = getRequestListener(qms.fetch)

  const app = express()
  app.get("/", (_req, res) => {
    res.type("text/plain").send("An Express host; the QMS is at /qms (try /qms/openapi.json)\n")
  })
  // `app.all` keeps the full URL (`app.use("/qms")` would strip the prefix the sub-app is mounted at).
  app.all("/qms/{*rest}", (req, res) => {
    void forward(req, res)
  })

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port, "127.0.0.1", (error?: Error) => (error ? reject(error) : resolve(s)))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await runtime.dispose()
    }
  }
}
