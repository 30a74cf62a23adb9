/**
 * @airworthy/testing — real test databases, benchmark scenarios, and (later) workflow checks.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Arbitraries from "./Arbitraries.js"
/** @since 0.1.0 */
export * as Bench from "./Bench.js"
/** @since 0.1.0 */
export * as CheckWorkflow from "./CheckWorkflow.js"
/** @since 0.1.0 */
export { checkWorkflow } from "./CheckWorkflow.js"
/** @since 0.1.0 */
export * as Fixtures from "./Fixtures.js"
/** @since 0.1.0 */
export * as RecordsTestLayer from "./RecordsTestLayer.js"
/** @since 0.1.0 */
export * as TestDatabase from "./TestDatabase.js"
/** @since 0.1.0 */
export * as TestKit from "./TestKit.js"
