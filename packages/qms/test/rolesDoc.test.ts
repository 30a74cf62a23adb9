// docs/roles.md is what `pnpm docs:roles` makes from the module declarations and the default roles,
// byte for byte; and the page follows them: a changed grant changes its cells.
import { readFileSync } from "node:fs"
import { assert, it } from "@effect/vitest"
import { Qms } from "../src/index.js"

interface Script {
  readonly page: string
  readonly rolesDocument: (modules?: typeof Qms.modules, host?: { readonly [k: string]: unknown }) => string
}

// The generator is a root script (outside this package's sources), loaded as the command runs it.
const script = "../../../scripts/roles-table.ts"
const load = (): Promise<Script> => import(/* @vite-ignore */ script)

/** The cells of the first row of `table` whose leading cells start with `lead`. */
const rowOf = (doc: string, ...lead: ReadonlyArray<string>): ReadonlyArray<string> => {
  const line = doc
    .split("\n")
    .find((l) => l.startsWith("| ") && lead.every((cell, i) => l.split(" | ")[i]?.replace(/^\| /, "") === cell))
  assert.isDefined(line, `no row ${lead.join(" | ")}`)
  return (line ?? "").replace(/^\| | \|$/g, "").split(" | ")
}

const roleColumn = (doc: string, role: string): number => rowOf(doc, "facade").indexOf(`\`${role}\``)

it("docs/roles.md is exactly what the module declarations give (run pnpm docs:roles)", async () => {
  const { page, rolesDocument } = await load()
  assert.strictEqual(readFileSync(page, "utf8"), rolesDocument())
})

it("every declared operation has a row, and the cells follow the grants", async () => {
  const { rolesDocument } = await load()
  const doc = rolesDocument()
  for (const m of Qms.modules) {
    for (const op of m.operations) {
      assert.include(doc, `| \`qms.${m.name}.${op.name}\``)
      assert.include(doc, `\`${op.http.method.toUpperCase()} ${op.http.path}\``)
    }
  }
  const owner = roleColumn(doc, "capa_owner")
  const technician = roleColumn(doc, "technician")
  assert.strictEqual(rowOf(doc, "`qms.capa.recordEffectiveness`")[owner], "owner only")
  assert.strictEqual(rowOf(doc, "`qms.findings.close`")[technician], "–")
  assert.strictEqual(rowOf(doc, "`qms.auditTrail.keys`")[technician], "✓")

  // A host's grant and revocation show in the page generated with them, and the page differs.
  const changed = rolesDocument(Qms.modules, {
    grant: { technician: ["finding.close"] },
    revoke: { capa_owner: ["capa.update"] }
  })
  assert.notStrictEqual(changed, doc)
  assert.strictEqual(rowOf(changed, "`qms.findings.close`")[technician], "✓")
  assert.strictEqual(rowOf(changed, "`qms.capa.recordEffectiveness`")[owner], "–")
  // The workflow step the technician now may take: finding `close` (steps table: 4 leading columns).
  const steps = rowOf(changed, "`finding`", "`close`")
  assert.strictEqual(steps[technician + 1], "✓")
  assert.strictEqual(rowOf(doc, "`finding`", "`close`")[technician + 1], "–")
})
