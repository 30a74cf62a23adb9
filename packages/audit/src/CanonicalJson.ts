/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): one exact byte string per JSON value.
 *
 * Object members are sorted by the UTF-16 code units of their names, there is no whitespace, and strings
 * and numbers are written exactly as ECMAScript `JSON.stringify` writes them (which is what RFC 8785
 * specifies). Anything JSON cannot represent faithfully is rejected instead of silently dropped, so two
 * different inputs never canonicalise to the same bytes.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Why a value could not be canonicalised.
 * @since 0.1.0
 * @category models
 */
export const CanonicalJsonErrorReason = Schema.Literal(
  "non_finite_number",
  "bigint",
  "function",
  "symbol",
  "undefined",
  "cycle",
  "lone_surrogate",
  "unsupported_object",
  "too_deep"
)
/** @since 0.1.0 @category models */
export type CanonicalJsonErrorReason = typeof CanonicalJsonErrorReason.Type

/**
 * The value is not representable as RFC 8785 canonical JSON; `path` is a JSON Pointer (RFC 6901) to the culprit.
 * @since 0.1.0
 * @category errors
 */
export class CanonicalJsonError extends Schema.TaggedError<CanonicalJsonError>()("CanonicalJsonError", {
  reason: CanonicalJsonErrorReason,
  path: Schema.String
}) {
  override get message() {
    return `Cannot canonicalize ${this.reason.replace(/_/g, " ")} at "${this.path}"`
  }
}

// A lone surrogate has no UTF-8 encoding (TextEncoder would turn it into U+FFFD), so it would collide.
/**
 * How deep arrays and objects may nest (512): deeper values fail with reason `too_deep` instead of
 * overflowing the stack. Record data is limited to 64 levels long before this.
 * @since 0.1.0
 * @category constants
 */
export const maxDepth = 512

/**
 * Throws `CanonicalJsonError` (`too_deep`) at `path` past `maxDepth`; for the recursive readers of
 * JSON values (diff, equality) to call at each level.
 * @since 0.1.0
 * @category utils
 */
export const checkDepth = (depth: number, path: string): void => {
  if (depth > maxDepth) throw new CanonicalJsonError({ reason: "too_deep", path: path.slice(0, 200) })
}

const loneSurrogate = /\p{Cs}/u

const pointerToken = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1")

// The JSON Pointer of the value being serialised is kept as a stack of unescaped tokens and only
// joined when a value is rejected (building it for every member was most of the cost).
const pointer = (tokens: ReadonlyArray<string>): string => {
  let out = ""
  for (const t of tokens) out += `/${pointerToken(t)}`
  return out
}

const fail = (reason: CanonicalJsonErrorReason, tokens: ReadonlyArray<string>): never => {
  throw new CanonicalJsonError({ reason, path: pointer(tokens) })
}

const serializeString = (s: string, tokens: ReadonlyArray<string>): string => {
  // Fast path: nothing to escape and no surrogates, so JSON.stringify would only add the quotes.
  let i = 0
  const n = s.length
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) break
  }
  if (i === n) return `"${s}"`
  if (loneSurrogate.test(s)) fail("lone_surrogate", tokens)
  return JSON.stringify(s)
}

const hasToJSON = (value: object): value is { toJSON: (key: string) => unknown } =>
  typeof (value as { toJSON?: unknown }).toJSON === "function"

// JSON.stringify would turn these into "{}" or index maps, losing data without a trace.
const isLossyObject = (value: object): boolean =>
  value instanceof Map ||
  value instanceof Set ||
  value instanceof WeakMap ||
  value instanceof WeakSet ||
  value instanceof ArrayBuffer ||
  ArrayBuffer.isView(value) ||
  value instanceof Promise ||
  value instanceof RegExp

// Sorted member names per key list: objects of one shape (the envelope, repeated before/after
// values) share a sort. Keyed by the names joined with U+0000; since a name may itself contain
// U+0000, a hit is only used after checking it names exactly the object's own keys. Bounded so odd
// inputs cannot grow it forever.
const sortedKeysCache = new Map<string, ReadonlyArray<string>>()
const sortedKeysCacheLimit = 1024

// `names` are distinct, so as many of them as the object has keys, all its own, are exactly its keys.
const sameKeys = (names: ReadonlyArray<string>, count: number, record: object): boolean => {
  if (names.length !== count) return false
  for (let i = 0; i < count; i++) if (!Object.hasOwn(record, names[i]!)) return false
  return true
}

const sortedKeys = (record: object): ReadonlyArray<string> => {
  const keys = Object.keys(record)
  if (keys.length < 2) return keys
  // Objects built with their members in order (the envelope, diff entries) need no sort: one pass
  // with the comparison the sort uses (UTF-16 code units) shows it.
  let ordered = true
  for (let i = 1; i < keys.length; i++)
    if (keys[i - 1]! > keys[i]!) {
      ordered = false
      break
    }
  if (ordered) return keys
  const id = keys.join("\u0000")
  const hit = sortedKeysCache.get(id)
  if (hit !== undefined && sameKeys(hit, keys.length, record)) return hit
  // Default sort compares UTF-16 code units; deliberately not localeCompare (locale- and ICU-dependent).
  keys.sort()
  if (sortedKeysCache.size < sortedKeysCacheLimit) sortedKeysCache.set(id, keys)
  return keys
}

const serialize = (value: unknown, key: string, tokens: Array<string>, ancestors: Array<object>): string => {
  switch (typeof value) {
    case "string":
      return serializeString(value, tokens)
    case "number":
      if (!Number.isFinite(value)) fail("non_finite_number", tokens)
      // ECMAScript Number::toString is the RFC 8785 number format; it also maps -0 to "0".
      return String(value)
    case "boolean":
      return value ? "true" : "false"
    case "bigint":
      return fail("bigint", tokens)
    case "function":
      return fail("function", tokens)
    case "symbol":
      return fail("symbol", tokens)
    case "undefined":
      return fail("undefined", tokens)
  }
  if (value === null) return "null"
  const obj = value as object
  // toJSON first, exactly like JSON.stringify (Date and friends serialise through it).
  if (hasToJSON(obj)) {
    if (ancestors.includes(obj)) fail("cycle", tokens)
    ancestors.push(obj)
    try {
      return serialize(obj.toJSON(key), key, tokens, ancestors)
    } finally {
      ancestors.pop()
    }
  }
  // Plain objects and arrays (nearly everything) are neither boxed primitives nor lossy objects.
  const proto = Object.getPrototypeOf(obj)
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    // Boxed primitives unwrap as in JSON.stringify.
    if (obj instanceof Number || obj instanceof String || obj instanceof Boolean) {
      return serialize(obj.valueOf(), key, tokens, ancestors)
    }
    if (ancestors.includes(obj)) fail("cycle", tokens)
    if (isLossyObject(obj)) fail("unsupported_object", tokens)
  } else if (ancestors.includes(obj)) fail("cycle", tokens)
  if (ancestors.length >= maxDepth) fail("too_deep", tokens.slice(0, 64))
  ancestors.push(obj)
  try {
    if (Array.isArray(obj)) {
      let out = "["
      for (let i = 0; i < obj.length; i++) {
        const index = String(i)
        tokens.push(index)
        out += i === 0 ? serialize(obj[i], index, tokens, ancestors) : `,${serialize(obj[i], index, tokens, ancestors)}`
        tokens.pop()
      }
      return `${out}]`
    }
    const record = obj as Record<string, unknown>
    const keys = sortedKeys(record)
    let out = "{"
    let first = true
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!
      const member = record[k]
      // Absent and undefined members are the same thing in JSON.
      if (member === undefined) continue
      tokens.push(k)
      const text = `${serializeString(k, tokens)}:${serialize(member, k, tokens, ancestors)}`
      tokens.pop()
      out += first ? text : `,${text}`
      first = false
    }
    return `${out}}`
  } finally {
    ancestors.pop()
  }
}

/**
 * The RFC 8785 canonical JSON text of a value.
 *
 * Throws `CanonicalJsonError` for non-finite numbers, bigints, functions, symbols, `undefined` at the top
 * level or inside arrays, cycles, strings with lone surrogates, and Map/Set/binary/RegExp/Promise objects.
 * `undefined` object members are omitted; `toJSON` is honoured as in `JSON.stringify`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const canonicalize = (value: unknown): string => serialize(value, "", [], [])

const encoder = new TextEncoder()

/**
 * The UTF-8 bytes of `canonicalize(value)`: what gets hashed and signed.
 * @since 0.1.0
 * @category encoding
 */
export const canonicalBytes = (value: unknown): Uint8Array => encoder.encode(canonicalize(value))
