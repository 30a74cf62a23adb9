/**
 * The calibration due list as a PDF (A4 landscape, one row per item, "Page N of M"), for the
 * distribution list and the file. The document's dates come from the list's `generatedAt`, so the
 * same list gives the same bytes.
 *
 * @since 0.1.0
 */
import PDFDocument from "pdfkit"
import type { DueList } from "./queries.js"

// The standard fonts are Latin-1: typographic quotes and dashes are folded, anything else becomes "?".
const latin1 = (s: string): string =>
  s
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/[^\x20-\x7e\xa0-\xff]/g, "?")

const columns: ReadonlyArray<{ readonly title: string; readonly width: number }> = [
  { title: "Due", width: 62 },
  { title: "Status", width: 70 },
  { title: "Days", width: 34 },
  { title: "Ref", width: 90 },
  { title: "Tool", width: 80 },
  { title: "Description", width: 220 },
  { title: "Location", width: 110 },
  { title: "Owner", width: 96 }
]

/**
 * Renders the due list.
 * @since 0.1.0
 * @category exports
 */
export const toPdf = (list: DueList, ref: string): Promise<Uint8Array> =>
  new Promise((resolve, reject) => {
    const at = new Date(list.generatedAt)
    const title = `Calibration due list ${ref}`
    const doc = new PDFDocument({
      size: "A4",
      layout: "landscape",
      margin: 36,
      bufferPages: true,
      compress: true,
      info: { Title: title, Creator: "Airworthy", Producer: "Airworthy", CreationDate: at, ModDate: at }
    })
    const chunks: Array<Buffer> = []
    doc.on("data", (c: Buffer) => chunks.push(c))
    doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))))
    doc.on("error", reject)
    try {
      doc.font("Helvetica-Bold").fontSize(14).text(title)
      const filters = [
        list.location === null ? "" : `location ${list.location}`,
        list.owner === null ? "" : `owner ${list.owner}`
      ]
        .filter((f) => f !== "")
        .join(", ")
      doc
        .font("Helvetica")
        .fontSize(9)
        .text(
          latin1(
            `Generated ${list.generatedAt} - items overdue or due within ${list.withinDays} days` +
              `${filters === "" ? "" : ` (${filters})`}: ${list.total}, of which ${list.overdue} overdue.`
          )
        )
      doc.moveDown()
      const row = (cells: ReadonlyArray<string>, bold: boolean) => {
        if (doc.y > doc.page.height - doc.page.margins.bottom - 14) doc.addPage()
        const y = doc.y
        let x = doc.page.margins.left
        doc.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(7.5)
        cells.forEach((cell, i) => {
          const width = columns[i]?.width ?? 60
          doc.text(latin1(cell), x, y, { width: width - 4, height: 10, ellipsis: true, lineBreak: false })
          x += width
        })
        doc.x = doc.page.margins.left
        doc.y = y + 11
      }
      row(
        columns.map((c) => c.title),
        true
      )
      for (const l of list.lines) {
        row(
          [
            l.dueAt.slice(0, 10),
            l.status.replace(/_/g, " "),
            String(l.daysOverdue),
            l.ref,
            l.toolId,
            l.description,
            l.location ?? "",
            l.owner ?? ""
          ],
          false
        )
      }
      const range = doc.bufferedPageRange()
      for (let i = range.start; i < range.start + range.count; i++) {
        doc.switchToPage(i)
        doc.page.margins.bottom = 0
        doc
          .font("Helvetica")
          .fontSize(7)
          .text(`${ref} - page ${i + 1} of ${range.count}`, 36, doc.page.height - 24, { lineBreak: false })
      }
      doc.end()
    } catch (e) {
      reject(e)
    }
  })
