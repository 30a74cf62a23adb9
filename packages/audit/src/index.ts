/**
 * @airworthy/audit — the append-only, hash-chained, tamper-evident audit log.
 * @since 0.1.0
 */
export {}
