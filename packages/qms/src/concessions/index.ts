/**
 * Concessions: schema, workflow, actions, rules and module.
 * @since 0.1.0
 */
export * from "./actions.js"
export * from "./Concession.js"
export * from "./module.js"
export * from "./rules.js"
