// `pnpm mutate [module ...] [--incremental]`: mutation testing (StrykerJS) of the integrity- and
// security-critical modules, one module at a time against its own package's tests, then the score
// of each. Without a module it runs them all, smallest first. See docs/mutation.md.
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"

interface Module {
  /** The package whose tests judge the mutants. */
  readonly package: string
  /** The files mutated, from the repository root. */
  readonly files: ReadonlyArray<string>
  readonly what: string
  /** Test files left out of the run, with why (docs/mutation.md lists them). */
  readonly excludeTests?: ReadonlyArray<string>
  /** A part of a larger module, measured on its own when the whole does not fit one run: not run by default. */
  readonly partOf?: string
}

// The Merkle tests reach none of the audit files mutated; the unit tests of canonical JSON judge
// it alone (the shared suite and the tamper tests canonicalise every event: each mutant would run
// them all, about 13 s).
const merkle = "test/Merkle.test.ts"

export const modules: { readonly [name: string]: Module } = {
  policy: {
    package: "core",
    files: ["packages/core/src/Policy.ts"],
    what: "roles, grants limited to a relation, revocations, Forbidden, separation of duties",
    excludeTests: ["test/Workflow.property.test.ts"]
  },
  guards: {
    package: "core",
    files: ["packages/core/src/Guard.ts"],
    what: "the guards a transition checks",
    excludeTests: ["test/Workflow.property.test.ts"]
  },
  notify: {
    package: "notify",
    files: ["packages/notify/src/internal/send.ts", "packages/notify/src/internal/rounds.ts"],
    what: "the dispatcher's sending and outcome recording",
    // Its dispatcher runs in a child process that loads the unmutated sources: it cannot see a mutant.
    excludeTests: ["test/crash.test.ts"]
  },
  records: {
    package: "records",
    files: ["packages/records/src/internal/envelope.ts", "packages/records/src/internal/transaction.ts"],
    what: "the command envelope: tenant scoping, authorisation on the record, versions, idempotency"
  },
  audit: {
    package: "audit",
    files: [
      "packages/audit/src/CanonicalJson.ts",
      "packages/audit/src/internal/chain.ts",
      "packages/audit/src/internal/verify.ts"
    ],
    what: "canonical JSON, the hash chain and verify"
  },
  // `audit` in parts that each fit one run on the shared machine (the whole is 779 mutants of about
  // 13 s: every append canonicalises and every verify walks the chain, so most mutants run most of
  // the audit tests).
  "audit-json": {
    package: "audit",
    files: ["packages/audit/src/CanonicalJson.ts"],
    what: "RFC 8785 canonical JSON, against its own tests",
    excludeTests: [merkle, "test/AuditLog.test.ts", "test/tamper.test.ts", "test/verify.mutants.test.ts"],
    partOf: "audit"
  },
  "audit-chain": {
    package: "audit",
    files: ["packages/audit/src/internal/chain.ts"],
    what: "sealing and the chain verifier",
    excludeTests: [merkle],
    partOf: "audit"
  },
  "audit-verify": {
    package: "audit",
    files: ["packages/audit/src/internal/verify.ts"],
    what: "verify: purges, the head row, checkpoints, ranges",
    excludeTests: [merkle],
    partOf: "audit"
  },
  hono: {
    package: "hono",
    // QmsRoutes.ts by line ranges: the actor made from `authenticate`, failures as problems, the
    // authentication middleware, and the input of an operation (path parameters win); not ETags,
    // CORS, OpenAPI or the health routes.
    files: [
      "packages/hono/src/QmsRoutes.ts:89-111",
      "packages/hono/src/QmsRoutes.ts:156-169",
      "packages/hono/src/QmsRoutes.ts:296-325",
      "packages/hono/src/QmsRoutes.ts:339-366",
      "packages/hono/src/Session.ts",
      "packages/hono/src/Problem.ts"
    ],
    what: "authentication, the actor and its tenant, problem answers (missing permission, no leaks), sessions and CSRF"
  }
}

interface Counts {
  killed: number
  survived: number
  timeout: number
  noCoverage: number
  errors: number
  ignored: number
}

const root = resolve(import.meta.dirname, "..")
const args = process.argv.slice(2)
const names = args.filter((a) => !a.startsWith("--"))
// Incremental: mutants whose code and tests did not change keep their last result.
const incremental = args.includes("--incremental")
const unknown = names.filter((n) => !Object.hasOwn(modules, n))
if (unknown.length > 0) {
  console.error(`Unknown module ${unknown.join(", ")}; known: ${Object.keys(modules).join(", ")}`)
  process.exit(2)
}
// By default every whole module; a part only when named.
const selected = names.length === 0 ? Object.keys(modules).filter((n) => modules[n]!.partOf === undefined) : names

const count = (name: string): Counts => {
  const report = JSON.parse(readFileSync(join(root, "reports", "mutation", `${name}.json`), "utf8")) as {
    files: { [file: string]: { mutants: ReadonlyArray<{ status: string }> } }
  }
  const c: Counts = { killed: 0, survived: 0, timeout: 0, noCoverage: 0, errors: 0, ignored: 0 }
  for (const file of Object.values(report.files)) {
    for (const m of file.mutants) {
      if (m.status === "Killed") c.killed++
      else if (m.status === "Survived") c.survived++
      else if (m.status === "Timeout") c.timeout++
      else if (m.status === "NoCoverage") c.noCoverage++
      else if (m.status === "Ignored") c.ignored++
      else c.errors++
    }
  }
  return c
}

const score = (c: Counts): number => {
  const valid = c.killed + c.timeout + c.survived + c.noCoverage
  return valid === 0 ? 100 : (100 * (c.killed + c.timeout)) / valid
}

const rows: Array<string> = []
let failed = false
for (const name of selected) {
  const m = modules[name]!
  console.log(`\n=== mutate ${name}: ${m.what} (${m.files.length} files, ${m.package} tests) ===`)
  const started = Date.now()
  // Stryker 10's command line refuses Node.js 20 (its engines say >= 22); its API runs on it, and
  // the project's Node.js is 20 (better-sqlite3 is built for it). One process per module: the
  // config reads the module from the environment.
  const strykerApi = pathToFileURL(join(root, "node_modules/@stryker-mutator/core/dist/src/stryker.js")).href
  const program = `const { Stryker } = await import(${JSON.stringify(strykerApi)})
await new Stryker({ configFile: "stryker.config.mjs", incremental: ${incremental} }).runMutationTest()`
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", program], {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      AIRWORTHY_MUTATE_MODULE: name,
      AIRWORTHY_MUTATE_PACKAGE: m.package,
      AIRWORTHY_MUTATE_FILES: m.files.join(","),
      AIRWORTHY_MUTATE_EXCLUDE: (m.excludeTests ?? []).join(","),
      AIRWORTHY_TEST_DATABASES: process.env.AIRWORTHY_TEST_DATABASES ?? "sqlite-memory"
    }
  })
  const seconds = Math.round((Date.now() - started) / 1000)
  if (run.status !== 0) {
    failed = true
    rows.push(`${name.padEnd(12)} stryker failed (exit ${run.status ?? run.signal}) after ${seconds} s`)
    continue
  }
  const c = count(name)
  rows.push(
    `${name.padEnd(12)} ${score(c).toFixed(1).padStart(5)} %  killed ${c.killed}, survived ${c.survived}, ` +
      `timeout ${c.timeout}, no coverage ${c.noCoverage}, errors ${c.errors}, ignored ${c.ignored}; ${seconds} s`
  )
}

console.log("\n=== mutation score per module (goal: 85 %) ===")
for (const row of rows) console.log(row)
if (failed) process.exit(1)
