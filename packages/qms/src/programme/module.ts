/**
 * The audit programme module: the areas of the approval (record type and workflow) and its
 * operations (define an area, the due list). Its permissions are the audit permissions, declared
 * by the audits module.
 *
 * @since 0.1.0
 */
import * as QmsModule from "../QmsModule.js"
import { define } from "./actions.js"
import * as Programme from "./Programme.js"
import { due } from "./queries.js"

const operations: readonly [typeof define, typeof due] = [define, due]

/**
 * The audit programme module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"programme", typeof operations> = QmsModule.make({
  name: "programme",
  label: "Audit programme",
  recordTypes: [Programme.recordType],
  operations
})
