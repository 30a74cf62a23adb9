import { QmsRuntime, qmsRoutes } from "@airworthy/hono"
import { Sqlite } from "@airworthy/storage/sqlite"
import { Hono } from "hono"
import { loadSigningKey } from "./signing-key.js"

// The host's sessions: a token its login issued → its user.
export interface User {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly qmsRoles: ReadonlyArray<string>
}
export const sessions = new Map<string, User>()
const toActor = (user: User | undefined) =>
  user === undefined ? null : { tenantId: user.orgId, actorId: user.id, displayName: user.name, roles: user.qmsRoles }

export const runtime = QmsRuntime.make({
  database: Sqlite.layer({ filename: process.env.QMS_SQLITE ?? "qms.db" }),
  qms: {
    signingKey: loadSigningKey(process.env.AUDIT_SIGNING_KEY_FILE ?? "audit-signing-key.pem"),
    checkpoints: true // an audit checkpoint every 5 minutes for tenants with new events
  }
})

export const app = new Hono()
app.route(
  "/qms",
  qmsRoutes({
    runtime,
    // API clients send `Authorization: Bearer <token>`; null answers 401.
    authenticate: (c) => toActor(sessions.get(c.req.header("authorization")?.replace(/^Bearer /, "") ?? "")),
    // Browsers send the HttpOnly cookie set at login (`Session.setCookie`), and `X-Airworthy-CSRF` on writes.
    session: { cookie: "mro_session", authenticate: (token) => toActor(sessions.get(token)) }
  })
)
// Serve it (`serve({ fetch: app.fetch })` from @hono/node-server); on shutdown: `await runtime.dispose()`.
