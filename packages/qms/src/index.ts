/**
 * @airworthy/qms — the QMS domain for Part-145 organisations: audit programme, audits, findings and
 * CAPA, as Effect layers and as a Promise facade (`createQms`).
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Audits from "./audits/index.js"
/** @since 0.1.0 */
export * as Capa from "./capa/index.js"
/** @since 0.1.0 */
export * as CreateQms from "./createQms.js"
/** @since 0.1.0 */
export { createQms } from "./createQms.js"
/** @since 0.1.0 */
export * as Findings from "./findings/index.js"
/** @since 0.1.0 */
export * as Programme from "./programme/index.js"
/** @since 0.1.0 */
export * as Qms from "./Qms.js"
