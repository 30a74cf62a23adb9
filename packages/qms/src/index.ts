/**
 * @airworthy/qms — the QMS domains for Part-145 organisations (audit programme, audits, findings,
 * CAPA), each one declared module; the layer, the routes' table and the Promise facade
 * (`createQms`) derived from the module list.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as AuditTrail from "./audit-trail/module.js"
/** @since 0.1.0 */
export * as Audits from "./audits/index.js"
/** @since 0.1.0 */
export * as Authorisations from "./authorisations/index.js"
/** @since 0.1.0 */
export * as Calibration from "./calibration/index.js"
/** @since 0.1.0 */
export * as Capa from "./capa/index.js"
/** @since 0.1.0 */
export * as Concessions from "./concessions/index.js"
/** @since 0.1.0 */
export * as CreateQms from "./createQms.js"
/** @since 0.1.0 */
export { createQms } from "./createQms.js"
/** @since 0.1.0 */
export * as Documents from "./documents/index.js"
/** @since 0.1.0 */
export * as Evidence from "./evidence/index.js"
/** @since 0.1.0 */
export * as Findings from "./findings/index.js"
/** @since 0.1.0 */
export * as Notifications from "./notifications/module.js"
/** @since 0.1.0 */
export * as Programme from "./programme/index.js"
/** @since 0.1.0 */
export * as Qms from "./Qms.js"
/** @since 0.1.0 */
export * as QmsModule from "./QmsModule.js"
/** @since 0.1.0 */
export * as Rule from "./Rule.js"
/** @since 0.1.0 */
export * as RecordOperations from "./records/module.js"
/** @since 0.1.0 */
export * as TaskReminders from "./TaskReminders.js"
/** @since 0.1.0 */
export * as TaskOperations from "./tasks/module.js"
/** @since 0.1.0 */
export * as Training from "./training/index.js"
