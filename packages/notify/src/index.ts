/**
 * @airworthy/notify — notifications through a transactional outbox: typed templates, SMTP and
 * capture transports, a dispatcher with retries, backoff, dead-letter and a circuit breaker, and
 * the email log.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Dispatcher from "./Dispatcher.js"
/** @since 0.1.0 */
export * as EmailLog from "./EmailLog.js"
/** @since 0.1.0 */
export * as Notify from "./Notify.js"
/** @since 0.1.0 */
export * as NotifyError from "./NotifyError.js"
/** @since 0.1.0 */
export * as NotifyMigrations from "./NotifyMigrations.js"
/** @since 0.1.0 */
export * as Template from "./Template.js"
/** @since 0.1.0 */
export * as Transport from "./Transport.js"
