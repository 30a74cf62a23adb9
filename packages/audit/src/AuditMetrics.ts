/**
 * The audit log's Effect metrics. Export them with any Effect metrics exporter (OpenTelemetry,
 * Prometheus); all names start with `aw_audit_`.
 *
 * @since 0.1.0
 */
import { Metric, MetricBoundaries } from "effect"

/**
 * How long one `append` (or one `appendMany` batch) takes, in milliseconds, lock wait included.
 * @since 0.1.0
 * @category metrics
 */
export const appendDuration = Metric.timerWithBoundaries(
  "aw_audit_append_duration",
  MetricBoundaries.exponential({ start: 0.05, factor: 2, count: 16 }).values,
  "Time to append audit events (ms), including the wait for the tenant's chain head"
)

/**
 * Events appended (committed or not: the counter moves when the insert ran).
 * @since 0.1.0
 * @category metrics
 */
export const appends = Metric.counter("aw_audit_appends_total", {
  incremental: true,
  description: "Audit events appended"
})

/**
 * Verifications that found a fault; tagged with `fault`.
 * @since 0.1.0
 * @category metrics
 */
export const verifyFailures = Metric.counter("aw_audit_verify_failures_total", {
  incremental: true,
  description: "Audit log verifications that found a fault"
})

/**
 * Sensitive values erased.
 * @since 0.1.0
 * @category metrics
 */
export const erasures = Metric.counter("aw_audit_erasures_total", {
  incremental: true,
  description: "Sensitive audit values erased"
})

/**
 * Retention purges run (not dry runs).
 * @since 0.1.0
 * @category metrics
 */
export const purges = Metric.counter("aw_audit_purges_total", {
  incremental: true,
  description: "Retention purges of the audit log"
})

/**
 * Events removed by retention purges.
 * @since 0.1.0
 * @category metrics
 */
export const purgedEvents = Metric.counter("aw_audit_purged_events_total", {
  incremental: true,
  description: "Audit events removed by retention purges"
})

/**
 * Reads in masking mode `log` that showed sensitive values to an actor without the permission.
 * @since 0.1.0
 * @category metrics
 */
export const unmaskedReads = Metric.counter("aw_audit_sensitive_unmasked_reads_total", {
  incremental: true,
  description: "Sensitive audit values shown to readers lacking audit_trail.read_sensitive (masking: log)"
})
