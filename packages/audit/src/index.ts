/**
 * @airworthy/audit — the append-only, hash-chained, tamper-evident audit log.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as AuditError from "./AuditError.js"
/** @since 0.1.0 */
export * as AuditEvent from "./AuditEvent.js"
/** @since 0.1.0 */
export * as AuditLog from "./AuditLog.js"
/** @since 0.1.0 */
export * as AuditMetrics from "./AuditMetrics.js"
/** @since 0.1.0 */
export * as AuditMigrations from "./AuditMigrations.js"
/** @since 0.1.0 */
export * as CanonicalJson from "./CanonicalJson.js"
/** @since 0.1.0 */
export * as Merkle from "./Merkle.js"
/** @since 0.1.0 */
export * as Proof from "./Proof.js"
/** @since 0.1.0 */
export * as Retention from "./Retention.js"
/** @since 0.1.0 */
export * as Sensitive from "./Sensitive.js"
/** @since 0.1.0 */
export * as TreeHead from "./TreeHead.js"
