// Small pieces the QMS modules share: paging through records, ISO times, record ids.

import type { Actor } from "@airworthy/core"
import { type QmsRecord, Records } from "@airworthy/records"
import { Clock, Effect, Schema } from "effect"

/** Now, from Effect's Clock, as ISO-8601 UTC. */
export const nowIso: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** Now in epoch milliseconds, from Effect's Clock. */
export const nowMillis: Effect.Effect<number> = Clock.currentTimeMillis

/** A record id as operations take it (a path parameter over HTTP). */
export const Id = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128))

/** An input of only a record id. */
export const ById = Schema.Struct({ id: Id })

/** Every record matching the filter, following the keyset pages. */
export const listAll = (
  filter: Records.ListFilter
): Effect.Effect<ReadonlyArray<QmsRecord.QmsRecord>, Records.CommandError, Records.Records | Actor.CurrentActor> =>
  Effect.gen(function* () {
    const out: Array<QmsRecord.QmsRecord> = []
    let cursor: string | undefined
    for (;;) {
      const page = yield* Records.list({ ...filter, limit: 500, ...(cursor === undefined ? {} : { cursor }) })
      out.push(...page.items)
      if (page.nextCursor === null) return out
      cursor = page.nextCursor
    }
  })

/** Adds months to an ISO instant (calendar months, UTC). */
export const addMonths = (iso: string, months: number): string => {
  const d = new Date(iso)
  d.setUTCMonth(d.getUTCMonth() + months)
  return d.toISOString()
}

/** Adds hours to an ISO instant. */
export const addHours = (iso: string, hours: number): string =>
  new Date(Date.parse(iso) + hours * 3_600_000).toISOString()

/** A comma-separated query parameter as a list of strings (empty items dropped). */
export const CommaList = Schema.transform(Schema.String, Schema.Array(Schema.String), {
  strict: true,
  decode: (s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter((x) => x !== ""),
  encode: (xs) => xs.join(",")
})

/** A comma-separated query parameter of whole numbers of days. */
export const CommaDays = Schema.transform(
  CommaList,
  Schema.Array(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())),
  { strict: true, decode: (xs) => xs, encode: (xs) => xs }
)

/** An optional `expectedVersion` (optimistic concurrency): the record's version the caller read. */
export const ExpectedVersion = Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true })
