/**
 * Rate limit middleware: an in-memory token bucket per key (by default the authenticated actor),
 * applied to writes (`POST`, `PUT`, `PATCH`, `DELETE`). An empty bucket answers 429 problem+json
 * with `Retry-After`. Buckets live in this process: several instances each allow the full rate.
 *
 * @since 0.1.0
 */
import type { Context, MiddlewareHandler } from "hono"
import * as Problem from "../../Problem.js"

/**
 * Options of {@link rateLimit}.
 * @since 0.1.0
 * @category models
 */
export interface RateLimitOptions {
  /** Bucket size: the burst allowed (default 60). */
  readonly capacity?: number
  /** Tokens added per second (default 10). */
  readonly refillPerSecond?: number
  /** The bucket key of a request; `undefined` skips the limit (default the actor's tenant and id). */
  readonly key?: (c: Context) => string | undefined
  /** Which methods are limited (default the writes). */
  readonly methods?: ReadonlyArray<string>
  /** The clock, in milliseconds (default `Date.now`); tests pass their own. */
  readonly now?: () => number
  /** Most buckets kept; the least recently used go first (default 100 000). */
  readonly maxKeys?: number
}

interface Bucket {
  tokens: number
  at: number
}

/**
 * A token bucket per key; `take` answers the seconds to wait (0: allowed).
 * @since 0.1.0
 * @category constructors
 */
export const makeBuckets = (options: {
  readonly capacity: number
  readonly refillPerSecond: number
  readonly now: () => number
  readonly maxKeys: number
}) => {
  const buckets = new Map<string, Bucket>()
  return {
    take: (key: string): number => {
      const now = options.now()
      const b = buckets.get(key) ?? { tokens: options.capacity, at: now }
      buckets.delete(key)
      b.tokens = Math.min(options.capacity, b.tokens + ((now - b.at) / 1000) * options.refillPerSecond)
      b.at = now
      buckets.set(key, b)
      if (buckets.size > options.maxKeys) {
        const oldest = buckets.keys().next()
        if (!oldest.done) buckets.delete(oldest.value)
      }
      if (b.tokens >= 1) {
        b.tokens -= 1
        return 0
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / options.refillPerSecond))
    }
  }
}

/**
 * The rate limit middleware (run it after authentication, so the default key is the actor).
 * @since 0.1.0
 * @category middleware
 */
export const rateLimit = ({
  capacity = 60,
  refillPerSecond = 10,
  key = (c) => {
    const actor = c.get("actor")
    return actor === undefined ? undefined : `${actor.tenantId}\u0000${actor.actorId}`
  },
  methods = ["POST", "PUT", "PATCH", "DELETE"],
  now = Date.now,
  maxKeys = 100_000
}: RateLimitOptions = {}): MiddlewareHandler => {
  const buckets = makeBuckets({ capacity, refillPerSecond, now, maxKeys })
  return async (c, next) => {
    if (!methods.includes(c.req.method)) return next()
    const k = key(c)
    if (k === undefined) return next()
    const wait = buckets.take(k)
    if (wait === 0) return next()
    return Problem.respond(
      c,
      Problem.make({
        status: 429,
        code: "rate_limited",
        title: "Too many requests",
        detail: `Too many changes in a short time; retry in ${wait} s`,
        traceId: c.get("traceId")
      }),
      { "retry-after": String(wait) }
    )
  }
}
