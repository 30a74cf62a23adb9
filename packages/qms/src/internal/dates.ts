// Dates as operations take them: an ISO-8601 date or date-time that names a real instant.
import { Schema } from "effect"

const pattern = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/

const instant = (value: string): number =>
  Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : value)

/** `2026-05-01` or `2026-05-01T08:00:00Z`; `2026-13-45` is refused. */
export const IsoDate = Schema.String.pipe(
  Schema.filter(
    (value) =>
      (pattern.test(value) && !Number.isNaN(instant(value)) && new Date(instant(value)).getUTCFullYear() >= 1) ||
      "an ISO-8601 date or date-time, e.g. 2026-05-01",
    {
      identifier: "IsoDate",
      arbitrary: () => (fc) =>
        fc
          .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true })
          .map((d) => d.toISOString())
    }
  )
)

/** A valid `IsoDate` as an ISO-8601 UTC instant (a date is its midnight UTC). */
export const toIso = (value: string): string => new Date(instant(value)).toISOString()
