/**
 * A Hono host on PostgreSQL, installed from the packed tarballs: the QMS sub-app at `/qms`, served by
 * `@hono/node-server`. The same `start({ port, database })` shape as the Express and Fastify examples,
 * so `http-round-trip.ts` drives all three.
 */
import type { AddressInfo } from "node:net"
import { TreeHead } from "@airworthy/audit"
import { QmsRuntime, qmsRoutes } from "@airworthy/hono"
import { Postgres } from "@airworthy/storage/pg"
import { serve } from "@hono/node-server"
import { Hono } from "hono"
import { directory, personFor } from "./people.js"

export interface Options {
  readonly port: number
  /** The PostgreSQL URL. */
  readonly database: string
}

export const start = async (options: Options) => {
  const runtime = QmsRuntime.make({
    database: Postgres.layer({ url: options.database }),
    qms: { signingKey: TreeHead.generateKey(), directory }
  })
  await runtime.runtime()
  const app = new Hono()
  app.get("/", (c) => c.text("A Hono host; the QMS is at /qms\n"))
  app.route("/qms", qmsRoutes({ runtime, authenticate: (c) => personFor(c.req.header("authorization")) ?? null }))
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: "127.0.0.1" }, () => resolve(s))
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
