import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

/**
 * The vitest project mutation testing runs (`pnpm mutate`, see docs/mutation.md): one package's
 * tests, `AIRWORTHY_MUTATE_PACKAGE`, against the sources of this tree. Every `@airworthy/*`
 * import is aliased to its package's `src/index.ts` here, not resolved through node_modules: the
 * workspace links point at the real tree, so a test would otherwise never load the mutated copy
 * of another package (the records tests import `@airworthy/core`'s policy that way).
 */
const root = fileURLToPath(new URL("..", import.meta.url))
const pkg = process.env.AIRWORTHY_MUTATE_PACKAGE
if (pkg === undefined || !/^[a-z]+$/.test(pkg)) {
  throw new Error("Set AIRWORTHY_MUTATE_PACKAGE to the package whose tests to run (pnpm mutate does)")
}

const alias = [
  { find: /^@airworthy\/([a-z]+)$/, replacement: `${root}packages/$1/src/index.ts` },
  { find: /^@airworthy\/([a-z]+)\/([a-z]+)$/, replacement: `${root}packages/$1/src/$2/index.ts` }
]

export default defineConfig({
  root: `${root}packages/${pkg}`,
  resolve: { conditions: ["@airworthy/source"], alias },
  ssr: { resolve: { conditions: ["@airworthy/source"] } },
  test: {
    name: `${pkg} (mutation)`,
    include: ["test/**/*.test.ts"],
    exclude: (process.env.AIRWORTHY_MUTATE_EXCLUDE ?? "").split(",").filter((f) => f !== ""),
    setupFiles: [`${root}scripts/mutate.setup.ts`],
    // One worker kept across mutants with its modules loaded: a mutant is switched on at run time,
    // so only the test files run again (loading effect and the sources anew for every mutant was
    // most of the time).
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
