// Reading a JSON request body safely: the media type is JSON, the text is scanned for its nesting
// depth and its longest string before JSON.parse (so a hostile body never reaches a recursive
// algorithm or a Schema), and the top level is an object.
import type * as Problem from "../Problem.js"

/** Limits on a JSON body, checked before it is parsed. */
export interface Limits {
  /** Deepest nesting of arrays and objects (default 64). */
  readonly maxDepth: number
  /** Longest string, in UTF-16 code units of its JSON text (default 100 000). */
  readonly maxStringLength: number
}

/** A body refused: the problem to answer with. */
export class Refused {
  constructor(readonly problem: Omit<Parameters<typeof Problem.make>[0], "traceId">) {}
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * The deepest nesting and the longest string of a JSON text, in one pass without recursion. Stops
 * early once either limit is passed (only whether it was passed matters then).
 */
export const measure = (text: string, limits: Limits): { readonly depth: number; readonly longest: number } => {
  let depth = 0
  let deepest = 0
  let longest = 0
  let i = 0
  const n = text.length
  while (i < n) {
    const ch = text.charCodeAt(i)
    if (ch === 34 /* " */) {
      const start = ++i
      while (i < n) {
        const c = text.charCodeAt(i)
        if (c === 92 /* \ */) i += 2
        else if (c === 34) break
        else i++
      }
      const length = i - start
      if (length > longest) longest = length
      if (longest > limits.maxStringLength) break
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      depth++
      if (depth > deepest) deepest = depth
      if (deepest > limits.maxDepth) break
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      depth--
    }
    i++
  }
  return { depth: deepest, longest }
}

/**
 * The body as a JSON object, or why it is refused: 415 when it is not JSON, 400 when it is nested
 * too deep, malformed or not an object, 413 when a string in it is too long. An empty body is `{}`
 * (commands whose input is all in the path need none).
 */
export const parse = (
  text: string,
  contentType: string | undefined,
  limits: Limits
): Record<string, unknown> | Refused => {
  if (text.trim() === "") return {}
  if (contentType === undefined || !jsonMediaType.test(contentType)) {
    return new Refused({
      status: 415,
      code: "unsupported_media_type",
      title: "Unsupported media type",
      detail: "Send the body as JSON with Content-Type: application/json"
    })
  }
  const { depth, longest } = measure(text, limits)
  if (depth > limits.maxDepth) {
    return new Refused({
      status: 400,
      code: "validation_failed",
      title: "Validation failed",
      detail: `The body is nested deeper than ${limits.maxDepth} levels`,
      extra: { issues: [{ path: "", message: `is nested deeper than ${limits.maxDepth} levels` }] }
    })
  }
  if (longest > limits.maxStringLength) {
    return new Refused({
      status: 413,
      code: "payload_too_large",
      title: "Payload too large",
      detail: `A string in the body is longer than ${limits.maxStringLength} characters`
    })
  }
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return new Refused({
      status: 400,
      code: "validation_failed",
      title: "Validation failed",
      detail: "The body is not valid JSON",
      extra: { issues: [{ path: "", message: "The body is not valid JSON" }] }
    })
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return new Refused({
      status: 400,
      code: "validation_failed",
      title: "Validation failed",
      detail: "The body must be a JSON object",
      extra: { issues: [{ path: "", message: "The body must be a JSON object" }] }
    })
  }
  return body as Record<string, unknown>
}
