// The opaque replay cursor: base64url of "aw1:<sequence>".

const prefix = "aw1:"

export const cursorAfter = (sequence: number): string =>
  Buffer.from(`${prefix}${sequence}`, "utf8").toString("base64url")

export const cursorSequence = (cursor: string): number | undefined => {
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(cursor)) return undefined
  const text = Buffer.from(cursor, "base64url").toString("utf8")
  if (!text.startsWith(prefix)) return undefined
  const digits = text.slice(prefix.length)
  if (!/^(0|[1-9][0-9]{0,15})$/.test(digits)) return undefined
  const n = Number(digits)
  return Number.isSafeInteger(n) ? n : undefined
}
