/**
 * Evidence packs in the QMS: the `evidence.export` permission (the module) and the audited export.
 * @since 0.1.0
 */
export * from "./Evidence.js"
export { module } from "./module.js"
