/**
 * @airworthy/core — the pure kernel: ids, actor context and errors. No I/O.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Actor from "./Actor.js"
/** @since 0.1.0 */
export * as Errors from "./Errors.js"
/** @since 0.1.0 */
export * as Guard from "./Guard.js"
/** @since 0.1.0 */
export * as Ids from "./Ids.js"
/** @since 0.1.0 */
export * as Policy from "./Policy.js"
/** @since 0.1.0 */
export * as Workflow from "./Workflow.js"
