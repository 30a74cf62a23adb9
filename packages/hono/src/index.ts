/**
 * @airworthy/hono — the Hono adapter: `qmsRoutes()` sub-app, problem+json errors, Server-Sent
 * Events, OpenAPI 3.1.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * from "./middleware/rate-limit/index.js"
/** @since 0.1.0 */
export * from "./middleware/secure-headers/index.js"
/** @since 0.1.0 */
export * from "./middleware/trace-id/index.js"
/** @since 0.1.0 */
export * as OpenApi from "./OpenApi.js"
/** @since 0.1.0 */
export * as Problem from "./Problem.js"
/** @since 0.1.0 */
export * as QmsRoutes from "./QmsRoutes.js"
/** @since 0.1.0 */
export { qmsRoutes } from "./QmsRoutes.js"
/** @since 0.1.0 */
export * as QmsRuntime from "./QmsRuntime.js"
/** @since 0.1.0 */
export * as Realtime from "./Realtime.js"
/** @since 0.1.0 */
export * as Session from "./Session.js"
/** @since 0.1.0 */
export * as Sse from "./Sse.js"
