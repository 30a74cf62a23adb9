/**
 * Audits: schema, workflow, independence guard and actions.
 * @since 0.1.0
 */

export * from "./Audit.js"
export * from "./actions.js"
export * from "./module.js"
