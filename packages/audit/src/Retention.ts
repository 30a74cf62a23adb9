/**
 * How long audit events must be kept before the retention purge may remove them.
 *
 * A policy names a record type or an action pattern and a minimum period. An event no policy matches
 * is kept for the default period, 5 years (EASA Part-145 145.A.55 asks at least 3 years for
 * maintenance records; many authorities and customers ask more). When several policies match, the
 * longest period wins. Periods in years are calendar years (a leap day is not lost).
 *
 * @since 0.1.0
 */
import * as Sensitive from "./Sensitive.js"

/**
 * A retention period, in calendar years or in days.
 * @since 0.1.0
 * @category models
 */
export type Period = { readonly years: number } | { readonly days: number }

/**
 * A retention policy; give `recordType`, `action` (`finding.closed`, `finding.*`) or both.
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  readonly recordType?: string
  readonly action?: string
  readonly minimum: Period
}

/**
 * Retention settings of the audit log.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** For events no policy matches; default 5 years. */
  readonly default?: Period
  readonly policies?: ReadonlyArray<Policy>
}

/**
 * Five calendar years.
 * @since 0.1.0
 * @category constants
 */
export const defaultPeriod: Period = { years: 5 }

const matches = (policy: Policy, action: string, recordType: string): boolean =>
  (policy.recordType === undefined || policy.recordType === recordType) &&
  (policy.action === undefined || Sensitive.keyMatches(policy.action, action, "\u0000"))

/**
 * When an event that occurred at `occurredAt` (ISO-8601) may be purged, under a period.
 * @since 0.1.0
 * @category utils
 */
export const expiresAt = (occurredAt: string, period: Period): number => {
  const t = new Date(occurredAt)
  if ("years" in period) {
    const d = new Date(t.getTime())
    d.setUTCFullYear(d.getUTCFullYear() + period.years)
    // 29 February plus a year lands on 1 March, which keeps the event a day longer, never shorter.
    return d.getTime()
  }
  return t.getTime() + period.days * 86_400_000
}

/**
 * The periods that apply to an event: every matching policy's, or the default when none matches.
 * @since 0.1.0
 * @category utils
 */
export const periodsFor = (config: Config, action: string, recordType: string): ReadonlyArray<Period> => {
  const matching = (config.policies ?? []).filter((p) => matches(p, action, recordType)).map((p) => p.minimum)
  return matching.length > 0 ? matching : [config.default ?? defaultPeriod]
}

/**
 * When an event may be purged: the latest expiry among the periods that apply to it.
 * @since 0.1.0
 * @category utils
 */
export const purgeableAt = (
  config: Config,
  event: { readonly action: string; readonly recordType: string; readonly occurredAt: string }
): number => {
  let latest = Number.NEGATIVE_INFINITY
  for (const p of periodsFor(config, event.action, event.recordType)) {
    latest = Math.max(latest, expiresAt(event.occurredAt, p))
  }
  return latest
}

/**
 * Checks a configuration, throwing on a policy that matches nothing or has a negative period.
 * @since 0.1.0
 * @category utils
 */
export const validate = (config: Config): void => {
  const check = (p: Period, where: string) => {
    const n = "years" in p ? p.years : p.days
    if (!Number.isFinite(n) || n < 0) throw new Error(`Retention period of ${where} must be a number >= 0`)
  }
  if (config.default) check(config.default, "the default")
  for (const p of config.policies ?? []) {
    if (p.recordType === undefined && p.action === undefined) {
      throw new Error("A retention policy needs a recordType, an action pattern, or both")
    }
    check(p.minimum, `policy ${p.recordType ?? ""}${p.action ?? ""}`)
  }
}
