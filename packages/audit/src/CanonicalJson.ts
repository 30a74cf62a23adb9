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
  "unsupported_object"
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
const loneSurrogate = /\p{Cs}/u

const pointerToken = (key: string): string => key.replace(/~/g, "~0").replace(/\//g, "~1")

// Plain code-unit comparison; deliberately not localeCompare, which is locale- and ICU-dependent.
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const serializeString = (s: string, path: string): string => {
  if (loneSurrogate.test(s)) throw new CanonicalJsonError({ reason: "lone_surrogate", path })
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

const serialize = (value: unknown, key: string, path: string, ancestors: Set<object>): string => {
  // toJSON first, exactly like JSON.stringify (Date and friends serialise through it).
  if (value !== null && typeof value === "object" && hasToJSON(value)) {
    if (ancestors.has(value)) throw new CanonicalJsonError({ reason: "cycle", path })
    ancestors.add(value)
    try {
      return serialize(value.toJSON(key), key, path, ancestors)
    } finally {
      ancestors.delete(value)
    }
  }
  switch (typeof value) {
    case "string":
      return serializeString(value, path)
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalJsonError({ reason: "non_finite_number", path })
      // ECMAScript Number::toString is the RFC 8785 number format; it also maps -0 to "0".
      return JSON.stringify(value)
    case "boolean":
      return value ? "true" : "false"
    case "bigint":
      throw new CanonicalJsonError({ reason: "bigint", path })
    case "function":
      throw new CanonicalJsonError({ reason: "function", path })
    case "symbol":
      throw new CanonicalJsonError({ reason: "symbol", path })
    case "undefined":
      throw new CanonicalJsonError({ reason: "undefined", path })
  }
  if (value === null) return "null"
  const obj = value as object
  // Boxed primitives unwrap as in JSON.stringify.
  if (obj instanceof Number || obj instanceof String || obj instanceof Boolean) {
    return serialize(obj.valueOf(), key, path, ancestors)
  }
  if (ancestors.has(obj)) throw new CanonicalJsonError({ reason: "cycle", path })
  if (isLossyObject(obj)) throw new CanonicalJsonError({ reason: "unsupported_object", path })
  ancestors.add(obj)
  try {
    if (Array.isArray(obj)) {
      const parts: Array<string> = []
      for (let i = 0; i < obj.length; i++) {
        parts.push(serialize(obj[i], String(i), `${path}/${i}`, ancestors))
      }
      return `[${parts.join(",")}]`
    }
    const record = obj as Record<string, unknown>
    const keys = Object.keys(record).sort(byCodeUnits)
    const parts: Array<string> = []
    for (const k of keys) {
      const member = record[k]
      // Absent and undefined members are the same thing in JSON.
      if (member === undefined) continue
      const memberPath = `${path}/${pointerToken(k)}`
      parts.push(`${serializeString(k, memberPath)}:${serialize(member, k, memberPath, ancestors)}`)
    }
    return `{${parts.join(",")}}`
  } finally {
    ancestors.delete(obj)
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
export const canonicalize = (value: unknown): string => serialize(value, "", "", new Set())

const encoder = new TextEncoder()

/**
 * The UTF-8 bytes of `canonicalize(value)`: what gets hashed and signed.
 * @since 0.1.0
 * @category encoding
 */
export const canonicalBytes = (value: unknown): Uint8Array => encoder.encode(canonicalize(value))
