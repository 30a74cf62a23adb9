/**
 * Authorisations: certifying staff authorisations and `Authorisations.check(personId, scope, at)`.
 * @since 0.1.0
 */

export * from "./Authorisation.js"
export * from "./actions.js"
export * from "./module.js"
export * from "./rules.js"
