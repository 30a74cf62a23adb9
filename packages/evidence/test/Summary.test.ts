// The summary PDF's tables, read back with pdftotext: long cells are cut to their column (with
// "...") without spilling into the next one, Latin-1 text comes through, and every row is there.
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import type { Contents } from "../src/EvidencePack.js"
import * as Summary from "../src/Summary.js"

const at = "2026-12-05T10:00:00.000Z"
const longTitle = `Torque wrench calibration overdue ${"and the tool register not updated ".repeat(8)}END-OF-TITLE`

const contents = (events: number): Contents => {
  const record = {
    id: "rec-1",
    type: "finding",
    ref: "F-0042",
    title: longTitle,
    state: "open",
    version: 3,
    ownerId: null,
    createdBy: "u-quinn",
    createdAt: at,
    updatedAt: at,
    dueAt: null,
    closedAt: null,
    data: {}
  }
  return {
    tenantId: "mro-1",
    exportedAt: at,
    exporter: { actorId: "u-quinn", name: "Quinn Quality" },
    depth: 0,
    records: [
      {
        record,
        depth: 0,
        links: [],
        comments: [],
        approvals: [],
        verifications: [],
        signatures: [],
        attachments: [],
        emails: []
      }
    ],
    events: Array.from({ length: events }, (_, i) => ({
      sequence: i + 1,
      envelope: JSON.stringify({
        occurred_at: at,
        actor: { name: "Zoë Müller" },
        action: "finding.updated",
        record: { id: "rec-1" },
        diff: [{ path: "step", from: i, to: `${i + 1} ${"y".repeat(200)}END-OF-CHANGES` }],
        reason: `Step ${i + 1}: the operator’s check ${"x".repeat(200)}END-OF-REASON`
      }),
      hash: "ab".repeat(32),
      path: []
    })),
    checkpoint: {
      tenantId: "mro-1",
      treeSize: events,
      rootHash: "ef".repeat(32),
      timestamp: at,
      keyId: "k1",
      signature: ""
    },
    auditKeys: []
  } as unknown as Contents
}

const pdfText = (pdf: Uint8Array): string => {
  const file = join(mkdtempSync(join(tmpdir(), "summary-")), "summary.pdf")
  writeFileSync(file, pdf)
  const out = spawnSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" })
  assert.strictEqual(out.status, 0, out.stderr)
  return out.stdout
}

describe("summary.pdf tables", () => {
  it("cuts long cells to their column, keeps the next column whole, and shows every row", async () => {
    const pdf = await Summary.render(contents(120), [])
    const text = pdfText(pdf)
    const lines = text.split("\n")
    // The status table: the title is cut (it would run off the page), the record and state stay on its line.
    const status = lines.find((l) => l.includes("F-0042") && l.includes("open") && l.includes("Torque wrench"))
    assert.isDefined(status)
    assert.include(status, "...")
    assert.notInclude(status, "END-OF-TITLE")
    // (the heading above, wrapped over lines, still shows it whole)
    assert.include(text, "END-OF-TITLE")
    // The timeline: every row with its sequence, Latin-1 names intact, the long reason cut.
    for (let i = 1; i <= 120; i++) {
      assert.isTrue(
        lines.some(
          (l) =>
            new RegExp(`#${i}\\s`).test(l) &&
            l.includes("Zoë Müller") &&
            l.includes("finding.updated") &&
            l.includes(`step: ${i - 1} -> ${i} yyy`) &&
            l.includes(`Step ${i}: the operator's check`)
        ),
        `timeline row ${i}`
      )
    }
    assert.include(text, "Step 1: the operator's check")
    assert.notInclude(text, "END-OF-REASON")
    assert.notInclude(text, "END-OF-CHANGES")
    // The same contents give the same bytes.
    assert.deepStrictEqual(await Summary.render(contents(120), []), pdf)
  })
})
