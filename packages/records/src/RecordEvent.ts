/**
 * What the after-commit bus carries: one event per record a committed command changed. Published
 * only after the transaction commits, never for one that rolled back.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { HistoryKind } from "./QmsRecord.js"

/**
 * What happened to the record (the same kinds as its history).
 * @since 0.1.0
 * @category models
 */
export const ChangeKind = HistoryKind
/** @since 0.1.0 @category models */
export type ChangeKind = typeof ChangeKind.Type

/**
 * A committed change of one record.
 * @since 0.1.0
 * @category models
 */
export class Committed extends Schema.Class<Committed>("@airworthy/records/RecordEvent/Committed")({
  tenantId: Schema.String,
  recordId: Schema.String,
  type: Schema.String,
  kind: ChangeKind,
  /** The record's version after the change. */
  version: Schema.Int,
  state: Schema.String,
  transition: Schema.optional(Schema.String),
  /** The audit event of this change, for replay from the durable log (`AuditLog.replayFrom`). */
  auditSequence: Schema.optional(Schema.Int)
}) {}
