/**
 * The audit programme: areas, cycle and due list.
 * @since 0.1.0
 */
export * from "./actions.js"
export * from "./module.js"
export * from "./Programme.js"
export * from "./queries.js"
