// A fixed-window counter per key, in memory (one server process; several instances would keep it
// in a shared store). `/login` uses two: attempts per client address, and failures per account.
export interface Limiter {
  /** Counts one hit; `retryAfter` seconds when the key is over its limit. */
  readonly hit: (key: string) => { readonly allowed: boolean; readonly retryAfter: number }
  /** Whether the key is over its limit now, without counting. */
  readonly blocked: (key: string) => { readonly allowed: boolean; readonly retryAfter: number }
  /** Forgets a key (a successful login clears the account's failures). */
  readonly reset: (key: string) => void
}

export const limiter = (options: {
  readonly limit: number
  readonly windowMs: number
  readonly now?: () => number
  /** Keys kept at most; the oldest windows are dropped first (memory stays bounded). */
  readonly maxKeys?: number
}): Limiter => {
  const now = options.now ?? Date.now
  const maxKeys = options.maxKeys ?? 10_000
  const windows = new Map<string, { start: number; count: number }>()
  const current = (key: string) => {
    const t = now()
    const w = windows.get(key)
    if (w === undefined || t - w.start >= options.windowMs) return { start: t, count: 0, fresh: true }
    return { ...w, fresh: false }
  }
  const verdict = (w: { start: number; count: number }) => ({
    allowed: w.count <= options.limit,
    retryAfter: Math.max(1, Math.ceil((w.start + options.windowMs - now()) / 1000))
  })
  return {
    hit: (key) => {
      const w = current(key)
      const next = { start: w.start, count: w.count + 1 }
      windows.delete(key)
      windows.set(key, next)
      if (windows.size > maxKeys) windows.delete(windows.keys().next().value as string)
      return verdict(next)
    },
    blocked: (key) => {
      const w = current(key)
      return w.fresh ? { allowed: true, retryAfter: 0 } : verdict({ start: w.start, count: w.count + 1 })
    },
    reset: (key) => {
      windows.delete(key)
    }
  }
}
