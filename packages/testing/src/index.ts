/**
 * @airworthy/testing — real test databases, benchmark scenarios, and (later) workflow checks.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Bench from "./Bench.js"
/** @since 0.1.0 */
export * as TestDatabase from "./TestDatabase.js"
