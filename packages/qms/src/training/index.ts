/**
 * Training: requirements, events, training records and the recurrent due list.
 * @since 0.1.0
 */
export * from "./actions.js"
export * from "./module.js"
export * from "./queries.js"
export * from "./rules.js"
export * from "./Training.js"
