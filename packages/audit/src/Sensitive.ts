/**
 * Sensitive values: personal data (names, e-mail addresses, licence numbers) that a lawful erasure
 * request may remove without breaking the hash chain.
 *
 * The host declares, per action or record type, which paths of the before/after values are sensitive:
 *
 * ```ts
 * const sensitive = {
 *   "finding.*": ["before.reporter.email", "after.reporter.email"], // every action starting with finding.
 *   "capa": ["after.owner.licence_number"],                          // every action on a capa record
 *   "*": ["after.witnesses.*.email"]                                  // * also matches any key or index
 * }
 * ```
 *
 * At append time each sensitive value is replaced in the envelope by `{"$sensitive": "<hex>"}` where
 * `<hex> = SHA-256(salt ‖ UTF-8 canonical JSON of the value)` and `salt` is 32 random bytes per value;
 * the value and its salt are stored apart, in `aw_audit_sensitive`. Erasing deletes both and leaves a
 * tombstone; the commitment stays in the chain, so verification still passes.
 *
 * @since 0.1.0
 */
import { createHash, randomBytes } from "node:crypto"
import type { Json } from "./AuditEvent.js"
import * as CanonicalJson from "./CanonicalJson.js"

/**
 * Sensitive paths by action pattern (`finding.closed`, `finding.*`, `*`) or record type (`finding`).
 * @since 0.1.0
 * @category models
 */
export type SensitivePaths = { readonly [actionOrRecordType: string]: ReadonlyArray<string> }

/**
 * One sensitive value taken out of an event.
 * @since 0.1.0
 * @category models
 */
export interface Extracted {
  /** Concrete path, e.g. `after.witnesses.0.email`. */
  readonly path: string
  /** Canonical JSON of the value. */
  readonly value: string
  /** Hex of 32 random bytes. */
  readonly salt: string
  /** Hex SHA-256(salt ‖ value). */
  readonly commitment: string
}

/**
 * Does a configuration key apply to an event?
 * @since 0.1.0
 * @category utils
 */
export const keyMatches = (key: string, action: string, recordType: string): boolean => {
  if (key === "*") return true
  if (key.endsWith(".*")) return action.startsWith(key.slice(0, -1))
  return key === action || key === recordType
}

/**
 * Every sensitive path pattern that applies to an event, split into segments.
 * @since 0.1.0
 * @category utils
 */
export const patternsFor = (
  config: SensitivePaths,
  action: string,
  recordType: string
): ReadonlyArray<ReadonlyArray<string>> => {
  const out: Array<ReadonlyArray<string>> = []
  for (const key of Object.keys(config)) {
    if (!keyMatches(key, action, recordType)) continue
    for (const p of config[key] ?? []) out.push(p.split("."))
  }
  return out
}

/**
 * Checks a configuration, throwing on a path that does not start with `before.` or `after.`.
 * @since 0.1.0
 * @category utils
 */
export const validate = (config: SensitivePaths): void => {
  for (const [key, paths] of Object.entries(config)) {
    for (const p of paths) {
      const segments = p.split(".")
      if ((segments[0] !== "before" && segments[0] !== "after") || segments.length < 2 || segments.includes("")) {
        throw new Error(
          `Sensitive path "${p}" (under "${key}") must start with before. or after. and name a field, e.g. after.reporter.email`
        )
      }
    }
  }
}

/**
 * The commitment the chain stores for a value: hex SHA-256(salt bytes ‖ UTF-8 canonical JSON).
 * @since 0.1.0
 * @category utils
 */
export const commitment = (saltHex: string, canonicalValue: string): string =>
  createHash("sha256").update(Buffer.from(saltHex, "hex")).update(canonicalValue, "utf8").digest("hex")

const isContainer = (j: unknown): j is Record<string, Json> | Array<Json> => typeof j === "object" && j !== null

// Expands one pattern against the value into concrete paths that hold a value.
const expand = (
  root: Json,
  pattern: ReadonlyArray<string>,
  index: number,
  prefix: Array<string>,
  out: Array<string>
) => {
  if (index === pattern.length) {
    out.push(prefix.join("."))
    return
  }
  if (!isContainer(root)) return
  const segment = pattern[index]!
  const keys = segment === "*" ? Object.keys(root) : [segment]
  for (const k of keys) {
    const child = (root as Record<string, Json>)[k]
    if (child === undefined || !Object.hasOwn(root, k)) continue
    prefix.push(k)
    expand(child, pattern, index + 1, prefix, out)
    prefix.pop()
  }
}

/**
 * Reads the value at a concrete path of an object holding `before` and `after`.
 * @since 0.1.0
 * @category utils
 */
export const get = (root: unknown, path: string): unknown => {
  let node: unknown = root
  for (const k of path.split(".")) {
    if (!isContainer(node) || !Object.hasOwn(node, k)) return undefined
    node = (node as Record<string, unknown>)[k]
  }
  return node
}

/**
 * Writes a value at a concrete path (the parent must exist).
 * @since 0.1.0
 * @category utils
 */
export const set = (root: unknown, path: string, value: unknown): void => {
  const keys = path.split(".")
  let node: unknown = root
  for (let i = 0; i < keys.length - 1; i++) node = (node as Record<string, unknown>)[keys[i]!]
  ;(node as Record<string, unknown>)[keys[keys.length - 1]!] = value
}

/**
 * The concrete paths of `holder` (an object with `before` and `after`) that the patterns mark
 * sensitive and that hold a value, sorted; a path under another one is covered by it and left out.
 * @since 0.1.0
 * @category utils
 */
export const locate = (
  holder: { readonly before: Json; readonly after: Json },
  patterns: ReadonlyArray<ReadonlyArray<string>>
): Array<string> => {
  const found: Array<string> = []
  for (const pattern of patterns) expand(holder as unknown as Json, pattern, 0, [], found)
  const out: Array<string> = []
  for (const path of [...new Set(found)].sort()) {
    // Sorted, so an ancestor always comes before its descendants.
    if (!out.some((p) => path.startsWith(`${p}.`))) out.push(path)
  }
  return out
}

/**
 * Takes the values at `paths` out of `holder` (modified in place), putting a
 * `{"$sensitive": commitment}` marker in their place.
 * @since 0.1.0
 * @category constructors
 */
export const extract = (holder: { before: Json; after: Json }, paths: ReadonlyArray<string>): Array<Extracted> =>
  paths.map((path) => {
    const value = CanonicalJson.canonicalize(get(holder, path))
    // Salts must be unpredictable to an attacker (not reproducible like Ids/Random in tests): node:crypto.
    const salt = randomBytes(32).toString("hex")
    const c = commitment(salt, value)
    set(holder, path, { $sensitive: c })
    return { path, value, salt, commitment: c }
  })
