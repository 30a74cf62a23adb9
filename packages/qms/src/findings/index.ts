/**
 * Findings: schema, workflow, actions, rules and queries.
 * @since 0.1.0
 */
export * from "./actions.js"
export * from "./Finding.js"
export * from "./module.js"
export * from "./queries.js"
export * from "./rules.js"
