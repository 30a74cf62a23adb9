/**
 * Documents: controlled documents, revisions, publication, acknowledgements and periodic reviews.
 * @since 0.1.0
 */
export * from "./actions.js"
export * from "./Document.js"
export * from "./module.js"
export * from "./queries.js"
export * from "./rules.js"
