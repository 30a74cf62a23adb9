/**
 * @airworthy/records — runs workflow definitions on stored records: create, transition, link,
 * comment, attach, sign; optimistic concurrency, idempotency keys, in-transaction hooks and an
 * after-commit event bus.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as AttachmentContent from "./AttachmentContent.js"
/** @since 0.1.0 */
export * as GuardSnapshot from "./GuardSnapshot.js"
/** @since 0.1.0 */
export * as QmsRecord from "./QmsRecord.js"
/** @since 0.1.0 */
export * as RecordEvent from "./RecordEvent.js"
/** @since 0.1.0 */
export * as RecordHooks from "./RecordHooks.js"
/** @since 0.1.0 */
export * as Records from "./Records.js"
/** @since 0.1.0 */
export * as RecordsMigrations from "./RecordsMigrations.js"
/** @since 0.1.0 */
export * as RecordType from "./RecordType.js"
/** @since 0.1.0 */
export * as SignerVerification from "./SignerVerification.js"
