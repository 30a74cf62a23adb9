// @ts-check
// Mutation testing of one module at a time; `pnpm mutate [module]` (scripts/mutate.ts) sets the
// variables below from its module table. See docs/mutation.md.
const name = process.env.AIRWORTHY_MUTATE_MODULE
const files = process.env.AIRWORTHY_MUTATE_FILES
if (name === undefined || files === undefined || process.env.AIRWORTHY_MUTATE_PACKAGE === undefined) {
  throw new Error("Run mutation testing through `pnpm mutate [module]`: it picks the files and the tests")
}

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
const config = {
  testRunner: "vitest",
  plugins: ["@stryker-mutator/vitest-runner"],
  vitest: { configFile: "scripts/vitest.mutate.ts", related: false },
  mutate: files.split(","),
  // Each mutant runs only the tests that reached its code in the first, unmutated run.
  coverageAnalysis: "perTest",
  // Mutants of module-level values (the default roles, the catalogue) would reload every test file
  // per mutant, about 90 % of the time on these modules; they are left out and listed as ignored.
  ignoreStatic: true,
  // The machine has 2 cores shared with others.
  concurrency: Number(process.env.AIRWORTHY_MUTATE_CONCURRENCY ?? 2),
  timeoutMS: 20_000,
  timeoutFactor: 2,
  // One sandbox folder per module, so runs of two modules at once never clean up each other's.
  tempDirName: `.stryker-tmp/${name}`,
  cleanTempDir: true,
  // `.stryker-tmp`: another module's sandbox, when two modules run at once.
  ignorePatterns: [
    "dist",
    "coverage",
    "docs/api",
    "reports",
    ".stryker-tmp",
    "*.db",
    "*.db-wal",
    "*.db-shm",
    "mro-secrets.json"
  ],
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  thresholds: { high: 90, low: 85, break: null }
}

export default config
