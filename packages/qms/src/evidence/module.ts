/**
 * The evidence module: the `evidence.export` permission and who holds it. The export itself
 * (`Evidence.exportPack`) streams a ZIP, so its routes are the HTTP adapter's own
 * (`GET /records/:id/evidence-pack` and the domain routes the record types' evidence profiles declare).
 *
 * @since 0.1.0
 */
import * as QmsModule from "../QmsModule.js"

/**
 * The evidence module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"evidence", readonly []> = QmsModule.make({
  name: "evidence",
  label: "Evidence packs",
  permissions: {
    "evidence.export":
      "Export a record's evidence pack (its records, timeline, signatures, email log, attachments and summary, verifiable offline), and store it on the record"
  },
  grants: {
    quality_manager: ["evidence.export"],
    auditor: ["evidence.export"],
    accountable_manager: ["evidence.export"]
  }
})
