/**
 * The pack's `summary.pdf`, for a person: a title page, each record's summary (its declared sections),
 * status, approvals and electronic signatures (name, time, meaning), the timeline as a table (one row
 * per audit event: sequence, time, who, what, record, changes, reason), comments, the email log, and
 * the attachments with their SHA-256, with "Page N of M" on every page. The PDF's dates and document id
 * come from the export time, so the same pack gives the same bytes.
 *
 * ```ts
 * const pdf = await Summary.render(contents, profiles) // Uint8Array
 * ```
 *
 * @since 0.1.0
 */
import PDFDocument from "pdfkit"
import * as EvidenceProfile from "./EvidenceProfile.js"
import type { Contents, RecordContents } from "./internal/collect.js"

type Doc = PDFKit.PDFDocument

const margin = 40
const contentWidth = 595.28 - 2 * margin // A4 portrait
const wideWidth = 841.89 - 2 * margin // A4 landscape (the timeline)
// The lowest a row may reach on the current page (the footer sits below it).
const bottomOf = (doc: Doc) => doc.page.height - margin - 20
// A new page in the current page's orientation.
const nextPage = (doc: Doc) =>
  doc.addPage({ size: "A4", margin, layout: doc.page.layout === "landscape" ? "landscape" : "portrait" })

// The standard PDF fonts speak WinAnsi: anything beyond Latin-1 is shown as "?" rather than as a wrong glyph.
const latin1 = (s: string): string =>
  s
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/[^\n\x20-\x7e\xa0-\xff]/g, "?")

const show = (value: unknown): string => {
  if (value === undefined) return "-"
  if (value === null) return "null"
  if (typeof value === "string") return value
  return JSON.stringify(value)
}

interface Column {
  readonly title: string
  readonly width: number
}

const ensureSpace = (doc: Doc, height: number) => {
  if (doc.y + height > bottomOf(doc)) nextPage(doc)
}

const heading = (doc: Doc, text: string) => {
  ensureSpace(doc, 40)
  doc.moveDown(0.6)
  doc.font("Helvetica-Bold").fontSize(13).text(latin1(text), margin, doc.y, { width: contentWidth })
  doc.moveDown(0.3)
  doc.font("Helvetica").fontSize(9)
}

const keyValues = (doc: Doc, rows: ReadonlyArray<readonly [string, string]>) => {
  for (const [k, v] of rows) {
    ensureSpace(doc, 14)
    const y = doc.y
    doc.font("Helvetica-Bold").fontSize(9).text(latin1(k), margin, y, { width: 130 })
    doc
      .font("Helvetica")
      .fontSize(9)
      .text(latin1(v), margin + 135, y, { width: contentWidth - 135 })
    doc.y = Math.max(doc.y, y + 12)
  }
}

// pdfkit's current font, as the row writer needs it (its PDF name, its reference, its ascender).
interface CurrentFont {
  readonly id: string
  readonly ascender: number
  readonly ref: () => unknown
}

const pdfNumber = (n: number): number => Math.round(n * 1e6) / 1e6

/**
 * Writes table rows in Helvetica 7.5 straight into the page's content: one text object per row, a
 * positioned string per cell, each clipped to its column by the font's own glyph widths ("..." when
 * cut). A `doc.text` per cell would run pdfkit's line wrapper and a text object each, which for a
 * timeline of thousands of rows is most of the summary's time.
 */
const rowWriter = (doc: Doc) => {
  const size = 7.5
  doc.font("Helvetica").fontSize(size)
  const font = (doc as unknown as { _font: CurrentFont })._font
  const widths = new Map<number, number>()
  const widthOf = (code: number): number => {
    let w = widths.get(code)
    if (w === undefined) {
      w = doc.widthOfString(String.fromCharCode(code))
      widths.set(code, w)
    }
    return w
  }
  const ellipsis = widthOf(46) * 3
  const clipTo = (s: string, room: number): string => {
    let used = 0
    let cut = -1
    for (let i = 0; i < s.length; i++) {
      used += widthOf(s.charCodeAt(i))
      if (cut < 0 && used + ellipsis > room) cut = i
      if (used > room) return `${s.slice(0, Math.max(0, cut))}...`
    }
    return s
  }
  const ascent = (font.ascender / 1000) * size
  return (columns: ReadonlyArray<Column>, row: ReadonlyArray<string>, y: number) => {
    const page = doc.page
    if (page.fonts[font.id] == null) page.fonts[font.id] = font.ref()
    // The page's coordinates run top-down (pdfkit flips them); text is set in the PDF's own, bottom-up.
    const parts = [`q 1 0 0 -1 0 ${pdfNumber(page.height)} cm BT /${font.id} ${size} Tf`]
    const baseline = pdfNumber(page.height - y - ascent)
    let x = margin
    row.forEach((cell, i) => {
      const width = columns[i]!.width
      const text = clipTo(latin1(cell).replace(/\n/g, " "), width - 4)
      if (text.length > 0) {
        parts.push(`1 0 0 1 ${pdfNumber(x)} ${baseline} Tm <${Buffer.from(text, "latin1").toString("hex")}> Tj`)
      }
      x += width
    })
    parts.push("ET Q")
    doc.addContent(parts.join("\n"))
  }
}

// A table of single-line cells (long values are clipped): rows are fast to lay out even by the thousand.
const table = (doc: Doc, columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<string>>) => {
  const rowHeight = 11
  const header = () => {
    let x = margin
    const y = doc.y
    doc.font("Helvetica-Bold").fontSize(7.5)
    for (const c of columns) {
      doc.text(latin1(c.title), x, y, { width: c.width - 4, lineBreak: false })
      x += c.width
    }
    doc
      .moveTo(margin, y + rowHeight - 2)
      .lineTo(doc.page.width - margin, y + rowHeight - 2)
      .lineWidth(0.5)
      .stroke()
    doc.y = y + rowHeight
    doc.font("Helvetica").fontSize(7.5)
  }
  if (rows.length === 0) {
    doc.font("Helvetica-Oblique").fontSize(9).text("None.", margin, doc.y)
    doc.font("Helvetica")
    return
  }
  ensureSpace(doc, rowHeight * 3)
  header()
  const write = rowWriter(doc)
  for (const row of rows) {
    if (doc.y + rowHeight > bottomOf(doc)) {
      nextPage(doc)
      header()
    }
    const y = doc.y
    write(columns, row, y)
    doc.y = y + rowHeight
  }
}

const changesOf = (diff: unknown): string => {
  if (!Array.isArray(diff)) return ""
  return diff
    .map((d: { path?: unknown; from?: unknown; to?: unknown; sensitive?: unknown }) =>
      d.sensitive === true
        ? `${String(d.path)}: (sensitive)`
        : `${String(d.path)}: ${"from" in d ? show(d.from) : "-"} -> ${"to" in d ? show(d.to) : "-"}`
    )
    .join("; ")
}

const recordSummary = (doc: Doc, r: RecordContents, profile: EvidenceProfile.Profile | undefined) => {
  const { record } = r
  heading(doc, `${record.ref}  ${record.title}`)
  keyValues(doc, [
    ["Type", profile?.label ?? record.type],
    ["State", record.state],
    ["Version", String(record.version)],
    ["Owner", record.ownerId ?? "-"],
    ["Created", `${record.createdAt} by ${record.createdBy}`],
    ["Updated", record.updatedAt],
    ["Due", record.dueAt ?? "-"],
    ["Closed", record.closedAt ?? "-"],
    ...(r.depth > 0 ? ([["Linked", `${r.depth} link(s) from the exported record`]] as const) : [])
  ])
  for (const section of profile?.sections ?? []) {
    doc.moveDown(0.3)
    doc.font("Helvetica-Bold").fontSize(10).text(latin1(section.title), margin, doc.y)
    keyValues(
      doc,
      section.fields.map((f) => [f.label, show(EvidenceProfile.valueAt(record.data, f.path))] as const)
    )
  }
  if (r.links.length > 0) {
    doc.moveDown(0.3)
    doc.font("Helvetica-Bold").fontSize(10).text("Links", margin, doc.y)
    table(
      doc,
      [
        { title: "Kind", width: 120 },
        { title: "Direction", width: 60 },
        { title: "Record", width: 100 },
        { title: "Title", width: contentWidth - 280 }
      ],
      r.links.map((l) => [l.link.kind, l.direction, l.other.ref, l.other.title])
    )
  }
}

const signaturesSection = (doc: Doc, contents: Contents) => {
  heading(doc, "Status and signatures")
  table(
    doc,
    [
      { title: "Record", width: 90 },
      { title: "State", width: 90 },
      { title: "Version", width: 50 },
      { title: "Title", width: contentWidth - 230 }
    ],
    contents.records.map((r) => [r.record.ref, r.record.state, String(r.record.version), r.record.title])
  )
  doc.moveDown(0.5)
  doc.font("Helvetica-Bold").fontSize(10).text("Electronic signatures", margin, doc.y)
  table(
    doc,
    [
      { title: "Record", width: 80 },
      { title: "Signed by", width: 110 },
      { title: "Time (UTC)", width: 125 },
      { title: "Meaning", width: 90 },
      { title: "Step", width: 60 },
      { title: "Version", width: contentWidth - 465 }
    ],
    contents.records.flatMap((r) =>
      r.signatures.map((s) => [
        r.record.ref,
        `${s.signerName} (${s.signerId})`,
        s.signedAt,
        s.meaning,
        s.transition ?? "-",
        String(s.recordVersion)
      ])
    )
  )
  doc.moveDown(0.5)
  doc.font("Helvetica-Bold").fontSize(10).text("Approvals and verifications", margin, doc.y)
  table(
    doc,
    [
      { title: "Record", width: 80 },
      { title: "What", width: 70 },
      { title: "By", width: 90 },
      { title: "Time (UTC)", width: 125 },
      { title: "Note", width: contentWidth - 365 }
    ],
    contents.records.flatMap((r) => [
      ...r.approvals.map((a) => [r.record.ref, "approved", a.approvedBy, a.approvedAt, a.note ?? ""]),
      ...r.verifications.map((v) => [r.record.ref, `verified: ${v.result}`, v.verifiedBy, v.verifiedAt, v.note ?? ""])
    ])
  )
}

const timelineSection = (doc: Doc, contents: Contents) => {
  const refOf = new Map(contents.records.map((r) => [r.record.id, r.record.ref]))
  doc.addPage({ size: "A4", margin, layout: "landscape" })
  heading(doc, `Timeline (${contents.events.length} audit events)`)
  table(
    doc,
    [
      { title: "#", width: 40 },
      { title: "Time (UTC)", width: 88 },
      { title: "Who", width: 90 },
      { title: "Action", width: 165 },
      { title: "Record", width: 75 },
      { title: "Changes", width: 190 },
      { title: "Reason", width: wideWidth - 648 }
    ],
    contents.events.map((e) => {
      const env = JSON.parse(e.envelope) as {
        occurred_at?: string
        actor?: { name?: string }
        action?: string
        record?: { id?: string }
        diff?: unknown
        reason?: string | null
      }
      return [
        `#${e.sequence}`,
        (env.occurred_at ?? "").replace("T", " ").replace(/\.\d+Z$/, "Z"),
        env.actor?.name ?? "",
        env.action ?? "",
        refOf.get(env.record?.id ?? "") ?? "",
        changesOf(env.diff),
        env.reason ?? ""
      ]
    })
  )
}

const othersSection = (doc: Doc, contents: Contents) => {
  doc.addPage({ size: "A4", margin, layout: "portrait" })
  heading(doc, "Comments")
  table(
    doc,
    [
      { title: "Record", width: 80 },
      { title: "By", width: 100 },
      { title: "Time (UTC)", width: 125 },
      { title: "Comment", width: contentWidth - 305 }
    ],
    contents.records.flatMap((r) => r.comments.map((c) => [r.record.ref, c.authorName, c.createdAt, c.body]))
  )
  heading(doc, "Email log (who was told what, when)")
  table(
    doc,
    [
      { title: "Record", width: 60 },
      { title: "To", width: 150 },
      { title: "Subject", width: 130 },
      { title: "Queued (UTC)", width: 95 },
      { title: "Status", width: contentWidth - 435 }
    ],
    contents.records.flatMap((r) =>
      r.emails.map((e) => [
        r.record.ref,
        e.recipientName === null ? e.recipient : `${e.recipientName} <${e.recipient}>`,
        e.subject,
        e.queuedAt,
        e.sentAt === null ? e.status : `${e.status} ${e.sentAt}`
      ])
    )
  )
  heading(doc, "Attachments")
  table(
    doc,
    [
      { title: "Record", width: 70 },
      { title: "Name", width: 120 },
      { title: "Bytes", width: 55 },
      { title: "SHA-256", width: contentWidth - 245 }
    ],
    contents.records.flatMap((r) => r.attachments.map((a) => [r.record.ref, a.name, String(a.size), a.sha256]))
  )
}

const titlePage = (doc: Doc, contents: Contents, profiles: ReadonlyArray<EvidenceProfile.Profile>) => {
  const subject = contents.records[0]!.record
  const label = profiles.find((p) => p.recordType === subject.type)?.label ?? subject.type
  doc.font("Helvetica-Bold").fontSize(22).text("Evidence pack", margin, 150, { width: contentWidth, align: "center" })
  doc.moveDown(0.5)
  doc.fontSize(18).text(latin1(`${label} ${subject.ref}`), { width: contentWidth, align: "center" })
  doc.font("Helvetica").fontSize(13).text(latin1(subject.title), { width: contentWidth, align: "center" })
  doc.moveDown(2)
  doc.y = 320
  const cp = contents.checkpoint
  keyValues(doc, [
    ["Organisation (tenant)", contents.tenantId],
    ["Exported", contents.exportedAt],
    ["Exported by", `${contents.exporter.name} (${contents.exporter.actorId})`],
    ["Records", contents.records.map((r) => r.record.ref).join(", ")],
    ["Audit events", String(contents.events.length)],
    ["Checkpoint", `${cp.treeSize} events, root ${cp.rootHash}`],
    ["Checkpoint signed", `${cp.timestamp} by key ${cp.keyId}`]
  ])
  doc.moveDown(1.5)
  doc
    .font("Helvetica-Oblique")
    .fontSize(9)
    .text(
      "This summary is for reading. The pack's manifest.json lists every file with its SHA-256 and is signed by the exporter; " +
        "every timeline event carries a proof against the signed checkpoint. Verify the pack offline with " +
        "`airworthy-verify-pack <pack.zip> --trust <key id>`, comparing the key ids with the ones the organisation publishes.",
      margin,
      doc.y,
      { width: contentWidth }
    )
}

/**
 * Renders the summary PDF of gathered pack contents.
 * @since 0.1.0
 * @category rendering
 */
export const render = (contents: Contents, profiles: ReadonlyArray<EvidenceProfile.Profile>): Promise<Uint8Array> =>
  new Promise((resolve, reject) => {
    const at = new Date(contents.exportedAt)
    const subject = contents.records[0]!.record
    const doc = new PDFDocument({
      size: "A4",
      margin,
      bufferPages: true,
      compress: true,
      info: {
        Title: latin1(`Evidence pack ${subject.ref}`),
        Author: latin1(contents.exporter.name),
        Subject: latin1(subject.title),
        Creator: "Airworthy",
        Producer: "Airworthy",
        CreationDate: at,
        ModDate: at
      }
    })
    const chunks: Array<Buffer> = []
    doc.on("data", (c: Buffer) => chunks.push(c))
    doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))))
    doc.on("error", reject)
    try {
      titlePage(doc, contents, profiles)
      doc.addPage()
      for (const r of contents.records) {
        recordSummary(
          doc,
          r,
          profiles.find((p) => p.recordType === r.record.type)
        )
      }
      doc.moveDown()
      signaturesSection(doc, contents)
      timelineSection(doc, contents)
      othersSection(doc, contents)
      const range = doc.bufferedPageRange()
      for (let i = range.start; i < range.start + range.count; i++) {
        doc.switchToPage(i)
        // The footer sits in the bottom margin: without this, pdfkit would start a new page for it.
        doc.page.margins.bottom = 0
        doc
          .font("Helvetica")
          .fontSize(8)
          .text(
            latin1(`${subject.ref} evidence pack - Page ${i + 1} of ${range.count}`),
            margin,
            doc.page.height - margin - 10,
            { width: doc.page.width - 2 * margin, align: "center", lineBreak: false }
          )
      }
      doc.end()
    } catch (cause) {
      reject(cause)
    }
  })
