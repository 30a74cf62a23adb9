/**
 * Server-Sent Events framing with validated fields. `id` and `event` must not contain CR, LF or NUL
 * (one would let a value end the field and inject another event), so they are checked against a
 * strict pattern and refused otherwise; `data` is split into one `data:` line per line, so any
 * line break in it stays inside the event.
 *
 * @since 0.1.0
 */

/**
 * One event.
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly id?: string
  readonly event?: string
  readonly data: string
  readonly retry?: number
}

const field = /^[A-Za-z0-9._:\-/+=]{1,256}$/

/**
 * Whether a value may be an SSE `id` or `event` name.
 * @since 0.1.0
 * @category guards
 */
export const isSafeField = (value: string): boolean => field.test(value)

/**
 * A field value that breaks the SSE framing.
 * @since 0.1.0
 * @category errors
 */
export class UnsafeField extends Error {
  constructor(
    readonly field: "id" | "event",
    readonly value: string
  ) {
    super(`SSE ${field} ${JSON.stringify(value.slice(0, 40))} contains characters that are not allowed`)
  }
}

/**
 * The wire form of one event; throws {@link UnsafeField} for an unsafe `id` or `event`.
 * @since 0.1.0
 * @category encoding
 */
export const format = (e: Event): string => {
  let out = ""
  if (e.event !== undefined) {
    if (!isSafeField(e.event)) throw new UnsafeField("event", e.event)
    out += `event: ${e.event}\n`
  }
  if (e.id !== undefined) {
    if (!isSafeField(e.id)) throw new UnsafeField("id", e.id)
    out += `id: ${e.id}\n`
  }
  if (e.retry !== undefined) out += `retry: ${Math.max(0, Math.floor(e.retry))}\n`
  for (const line of e.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`
  return `${out}\n`
}

/**
 * A comment line (heartbeats); line breaks are removed.
 * @since 0.1.0
 * @category encoding
 */
export const comment = (text: string): string => `: ${text.replace(/[\r\n\0]/g, " ")}\n\n`
