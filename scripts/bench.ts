// `pnpm bench [filter]`: runs every packages/*/bench/*.bench.ts scenario whose name contains the filter
// and prints one JSON line per scenario (figure, same-run baseline, ratio).
import { readdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Bench, TestDatabase } from "@airworthy/testing"

const root = resolve(import.meta.dirname, "..")
const filter = process.argv[2] ?? ""

const files = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => {
    const dir = join(root, "packages", d.name, "bench")
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith(".bench.ts"))
        .map((f) => join(dir, f))
    } catch {
      return []
    }
  })
  .sort()

const scenarios: Array<Bench.Scenario> = []
for (const file of files) {
  const mod = (await import(pathToFileURL(file).href)) as { scenarios?: ReadonlyArray<Bench.Scenario> }
  scenarios.push(...(mod.scenarios ?? []))
}
const selected = scenarios.filter((s) => s.name.includes(filter))
if (selected.length === 0) {
  console.error(`No bench scenario matches "${filter}". Known: ${scenarios.map((s) => s.name).join(", ")}`)
  process.exit(1)
}

const unreachable = selected.some((s) => s.postgres) ? await TestDatabase.probePostgres() : undefined
if (unreachable !== undefined) {
  const line = `PostgreSQL at ${TestDatabase.postgresServerUrl} is unreachable (${unreachable})`
  if (process.env.CI === "true") {
    console.error(`${line}; under CI=true the PostgreSQL scenarios must run.`)
    process.exit(1)
  }
  console.error(`!!! SKIPPING POSTGRESQL BENCH SCENARIOS: ${line}`)
}

let failed = false
for (const s of selected) {
  if (s.postgres && unreachable !== undefined) continue
  try {
    console.log(JSON.stringify(Bench.result(await s.run())))
  } catch (cause) {
    failed = true
    console.error(`bench scenario ${s.name} failed:`, cause)
  }
}
process.exit(failed ? 1 : 0)
