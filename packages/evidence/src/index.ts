/**
 * @since 0.1.0
 */
export * as EvidenceError from "./EvidenceError.js"
export * as EvidencePack from "./EvidencePack.js"
export * as EvidenceProfile from "./EvidenceProfile.js"
export * as PackFormat from "./PackFormat.js"
export * as Summary from "./Summary.js"
export * as VerifyPack from "./VerifyPack.js"
