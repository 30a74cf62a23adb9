// Loaded before every test file of a mutation run (scripts/vitest.mutate.ts): property tests run 10
// cases instead of 100. A mutant is judged by many runs; the full count belongs to `pnpm test`.
import { FastCheck } from "effect"
import * as fc from "fast-check"

FastCheck.configureGlobal({ ...FastCheck.readConfigureGlobal(), numRuns: 10 })
fc.configureGlobal({ ...fc.readConfigureGlobal(), numRuns: 10 })
