// The README's example is this package's test/readme-example.ts, word for word, and it runs.
import { readFileSync } from "node:fs"
import { assert, it } from "@effect/vitest"
import { vi } from "vitest"

const read = (name: string) => readFileSync(new URL(name, import.meta.url), "utf8")

it("the README shows exactly test/readme-example.ts", () => {
  const block = /## Example\n\n```ts\n([\s\S]*?)```/.exec(read("../README.md"))?.[1]
  assert.strictEqual(block, read("./readme-example.ts"))
})

it("the README example runs and prints what it promises", async () => {
  const lines: Array<string> = []
  const spy = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
    lines.push(args.map(String).join(" "))
  })
  try {
    await import("./readme-example.js")
  } finally {
    spy.mockRestore()
  }
  assert.strictEqual(lines.length, 2)
  assert.match(lines[0] ?? "", /^CAPA-\d{4}-0001 u-olive true false$/)
  assert.strictEqual(lines[1], "GuardsFailed 422 state.not_in_verification, attachment.missing, verification.missing")
})

it("the README's operations table is the one the modules declare", async () => {
  const { operationsTable } = await import("../src/internal/operationsTable.js")
  const { Qms } = await import("../src/index.js")
  const block = /<!-- operations -->\n([\s\S]*?)\n<!-- \/operations -->/.exec(read("../README.md"))?.[1]
  assert.strictEqual(block, operationsTable(Qms.modules))
})

it("the README's roles table is what the kernel and the modules grant", async () => {
  const { rolesTable } = await import("../src/internal/operationsTable.js")
  const { Qms } = await import("../src/index.js")
  const { Policy } = await import("@airworthy/core")
  const block = /<!-- roles -->\n([\s\S]*?)\n<!-- \/roles -->/.exec(read("../README.md"))?.[1]
  assert.strictEqual(block, rolesTable(Qms.modules, Policy.defaultRoles))
})
