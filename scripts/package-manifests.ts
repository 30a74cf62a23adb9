/**
 * The published shape of every `packages/*` manifest (the rule in docs/decisions.md, "Package
 * manifests"). `--write` brings each package.json and its LICENSE in line; without it, lists what
 * differs and exits 1. Run: `npx tsx scripts/package-manifests.ts [--write]`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const repository = "https://github.com/airworthy/airworthy"
const license = readFileSync(join(root, "LICENSE"), "utf8")

type Manifest = Record<string, unknown> & {
  name: string
  exports?: Record<string, unknown>
  keywords?: Array<string>
}

/** Drops the workspace-only source condition from an `exports` map. */
const published = (exports: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(exports).map(([path, target]) =>
      target !== null && typeof target === "object"
        ? [path, Object.fromEntries(Object.entries(target).filter(([condition]) => condition !== "@airworthy/source"))]
        : [path, target]
    )
  )

const baseKeywords = ["airworthy", "qms", "quality-management", "part-145", "mro", "aviation", "effect"]

/** Field order of a manifest: what npm shows first, then how it loads, then what it needs. */
const order = [
  "name",
  "version",
  "description",
  "keywords",
  "license",
  "author",
  "homepage",
  "repository",
  "bugs",
  "type",
  "sideEffects",
  "engines",
  "files",
  "exports",
  "publishConfig",
  "scripts",
  "dependencies",
  "peerDependencies",
  "peerDependenciesMeta",
  "devDependencies"
]

const expected = (dir: string, current: Manifest): Manifest => {
  const exports = current.exports ?? {}
  const next: Manifest = {
    ...current,
    keywords: [...new Set([...baseKeywords, ...(current.keywords ?? [])])],
    license: "MIT",
    homepage: `${repository}/tree/main/packages/${dir}#readme`,
    repository: { type: "git", url: `git+${repository}.git`, directory: `packages/${dir}` },
    bugs: { url: `${repository}/issues` },
    type: "module",
    sideEffects: false,
    engines: { node: ">=20.11" },
    files: ["dist", "README.md", "LICENSE"],
    publishConfig: { access: "public", exports: published(exports) }
  }
  const sorted = Object.fromEntries([
    ...order.filter((k) => k in next).map((k) => [k, next[k]]),
    ...Object.keys(next)
      .filter((k) => !order.includes(k))
      .map((k) => [k, next[k]])
  ])
  return sorted as Manifest
}

const write = process.argv.includes("--write")
const problems: Array<string> = []
for (const dir of readdirSync(join(root, "packages")).sort()) {
  const file = join(root, "packages", dir, "package.json")
  if (!existsSync(file)) continue
  const current = JSON.parse(readFileSync(file, "utf8")) as Manifest
  const next = expected(dir, current)
  const text = `${JSON.stringify(next, null, 2)}\n`
  const licenseFile = join(root, "packages", dir, "LICENSE")
  if (write) {
    writeFileSync(file, text)
    writeFileSync(licenseFile, license)
    continue
  }
  if (readFileSync(file, "utf8") !== text) problems.push(`packages/${dir}/package.json differs from the manifest rule`)
  if (!existsSync(licenseFile) || readFileSync(licenseFile, "utf8") !== license) {
    problems.push(`packages/${dir}/LICENSE is missing or differs from the root LICENSE`)
  }
}
if (problems.length > 0) {
  console.error(`${problems.join("\n")}\nFix with: npx tsx scripts/package-manifests.ts --write`)
  process.exit(1)
}
