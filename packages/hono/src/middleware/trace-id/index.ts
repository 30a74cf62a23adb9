/**
 * Trace id middleware: reads the W3C `traceparent` header (its trace-id part) or `x-request-id`,
 * or makes one, sets `c.var.traceId` and echoes it in `x-trace-id`. Header values that do not look
 * like ids are ignored, so nothing a client sends ends up unchecked in logs or the audit trail.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import type { MiddlewareHandler } from "hono"

declare module "hono" {
  interface ContextVariableMap {
    /** The request's trace id (from `traceparent`, `x-request-id`, or made). */
    traceId: string
  }
}

/**
 * Options of {@link traceId}.
 * @since 0.1.0
 * @category models
 */
export interface TraceIdOptions {
  /** The request-id header read when there is no `traceparent` (default `x-request-id`). */
  readonly headerName?: string
  /** The response header the id is echoed in (default `x-trace-id`; empty string: none). */
  readonly responseHeader?: string
  /** Makes an id when the request has none (default a UUID without dashes). */
  readonly generator?: () => string
}

const traceparent = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/
const requestId = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Reads the trace id of a request's headers, or `undefined` when none is usable.
 * @since 0.1.0
 * @category utils
 */
export const readTraceId = (headers: Headers, headerName = "x-request-id"): string | undefined => {
  const tp = traceparent.exec(headers.get("traceparent")?.trim().toLowerCase() ?? "")
  if (tp?.[1] !== undefined && !/^0+$/.test(tp[1])) return tp[1]
  const rid = headers.get(headerName)?.trim()
  return rid !== undefined && requestId.test(rid) ? rid : undefined
}

/**
 * The trace id middleware.
 * @since 0.1.0
 * @category middleware
 */
export const traceId = ({
  headerName = "x-request-id",
  responseHeader = "x-trace-id",
  generator = () => randomUUID().replace(/-/g, "")
}: TraceIdOptions = {}): MiddlewareHandler => {
  return async (c, next) => {
    const id = readTraceId(c.req.raw.headers, headerName) ?? generator()
    c.set("traceId", id)
    // Set before the handler runs: cheaper than touching a finished response's headers.
    if (responseHeader !== "") c.header(responseHeader, id)
    await next()
  }
}
