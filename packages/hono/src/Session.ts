/**
 * Browser sessions: a browser cannot put a bearer token on an `EventSource`, and a token kept where
 * scripts can read it is one cross-site scripting bug away from theft. The browser-safe way is a
 * session cookie the host sets at login, `HttpOnly` (no script reads it), `Secure` and
 * `SameSite=Strict` (never sent by another site), which `qmsRoutes` accepts through its `session`
 * option, including on `GET /events`. A cookie is sent by the browser whoever made the page, so
 * every unsafe method (POST, PATCH, PUT, DELETE) authenticated by it must also pass a CSRF check:
 * its `Origin` is the request's own or one the host allows, the browser did not label it
 * `Sec-Fetch-Site: cross-site`, and it carries the header `X-Airworthy-CSRF` (any value), which a
 * cross-origin page cannot add without a CORS preflight the QMS never grants with credentials.
 *
 * ```ts
 * app.post("/login", async (c) => {
 *   const user = await checkPassword(await c.req.json())
 *   Session.setCookie(c, "mro_session", await issueSessionToken(user), { maxAgeSeconds: 12 * 3600 })
 *   return c.json({ ok: true })
 * })
 * app.route("/qms", qmsRoutes({
 *   runtime,
 *   authenticate: bearerToActor, // API clients keep using Authorization
 *   session: { cookie: "mro_session", authenticate: (value) => sessionToActor(value) }
 * }))
 * // In the page: fetch("/qms/findings", { method: "POST", headers: { "X-Airworthy-CSRF": "1", ... } })
 * //              new EventSource("/qms/events")   (the cookie goes along)
 * ```
 *
 * @since 0.1.0
 */
import type { Context } from "hono"
import { deleteCookie, getCookie, setCookie as setHonoCookie } from "hono/cookie"

/**
 * The header every unsafe request authenticated by the session cookie must carry.
 * @since 0.1.0
 * @category constants
 */
export const csrfHeader = "x-airworthy-csrf"

/**
 * The `session` option of `qmsRoutes`.
 * @since 0.1.0
 * @category models
 */
export interface Options<A> {
  /** The cookie's name. */
  readonly cookie: string
  /** The cookie's value → the actor; `null`/`undefined` → 401. */
  readonly authenticate: (value: string, c: Context) => A | null | undefined | Promise<A | null | undefined>
  /**
   * Origins (`https://mro.example`) whose pages may send unsafe requests with the cookie, besides
   * the request's own origin (which, behind a proxy that rewrites the host, is not the browser's:
   * list the public origin then).
   */
  readonly origins?: ReadonlyArray<string>
}

/**
 * Sets the session cookie: `HttpOnly; Secure; SameSite=Strict; Path=/` (browsers accept `Secure`
 * cookies from `http://localhost` and `127.0.0.1` in development).
 * @since 0.1.0
 * @category cookies
 */
export const setCookie = (
  c: Context,
  name: string,
  value: string,
  options: { readonly maxAgeSeconds?: number; readonly path?: string } = {}
): void =>
  setHonoCookie(c, name, value, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: options.path ?? "/",
    ...(options.maxAgeSeconds === undefined ? {} : { maxAge: options.maxAgeSeconds })
  })

/**
 * Removes the session cookie (logout).
 * @since 0.1.0
 * @category cookies
 */
export const clearCookie = (c: Context, name: string, options: { readonly path?: string } = {}): void => {
  deleteCookie(c, name, { path: options.path ?? "/", secure: true, httpOnly: true, sameSite: "Strict" })
}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"])

/**
 * Why an unsafe request authenticated by the cookie is refused, or `undefined` when it passes.
 * @since 0.1.0
 * @category checks
 */
export const csrfRefusal = (c: Context, origins: ReadonlyArray<string> = []): string | undefined => {
  if (safeMethods.has(c.req.method)) return undefined
  if (c.req.header("sec-fetch-site") === "cross-site") return "The browser says this request comes from another site"
  const origin = c.req.header("origin")
  const own = new URL(c.req.url).origin
  if (origin === undefined || origin === "null") return "The request carries no Origin"
  if (origin !== own && !origins.includes(origin)) return `Requests from ${origin.slice(0, 200)} are not allowed`
  if ((c.req.header(csrfHeader) ?? "") === "") return `The request lacks the ${csrfHeader} header`
  return undefined
}

/**
 * The session cookie's value when the request relies on it: only when it sends no `Authorization`
 * header (an API client's bearer token always wins).
 * @since 0.1.0
 * @category checks
 */
export const cookieOf = (c: Context, name: string): string | undefined =>
  c.req.header("authorization") === undefined ? getCookie(c, name) : undefined
