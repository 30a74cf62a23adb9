/**
 * @airworthy/notify — notifications through a transactional outbox.
 * @since 0.1.0
 */
export {}
