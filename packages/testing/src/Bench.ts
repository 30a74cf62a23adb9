/**
 * Benchmark scenarios for `pnpm bench`. Each scenario measures its figure and a baseline in the same
 * run, and the runner prints one JSON line per scenario:
 * `{"scenario","unit","value","baseline","baseline_value","ratio"}`.
 *
 * Speed is measured here, never in timed tests.
 *
 * @since 0.1.0
 */
import { performance } from "node:perf_hooks"

/**
 * One measured figure and its same-run baseline.
 * @since 0.1.0
 * @category models
 */
export interface Result {
  readonly scenario: string
  readonly unit: string
  readonly value: number
  readonly baseline: string
  readonly baseline_value: number
  /** value / baseline_value; for latency units ("ms"), lower is better. */
  readonly ratio: number
  /** Optional goal from the issue, e.g. `>= 0.7`; printed for the reader, never asserted. */
  readonly goal?: string
  /**
   * When the scenario measures after a warm-up run of the same work (a long-lived process's steady
   * state), the warm-up run's figure, printed so the cold figure is not hidden.
   */
  readonly warmup_value?: number
}

/**
 * A scenario a package contributes from `bench/*.bench.ts`.
 * @since 0.1.0
 * @category models
 */
export interface Scenario {
  readonly name: string
  /** Needs PostgreSQL: skipped with a loud line when the server is unreachable. */
  readonly postgres?: boolean
  readonly run: () => Promise<Omit<Result, "ratio">>
}

/**
 * Runs `body` `count` times (awaiting each) and returns operations per second.
 * @since 0.1.0
 * @category measuring
 */
export const opsPerSecond = async (count: number, body: (i: number) => unknown | Promise<unknown>): Promise<number> => {
  const start = performance.now()
  for (let i = 0; i < count; i++) await body(i)
  const seconds = (performance.now() - start) / 1000
  return count / seconds
}

/**
 * Times one call that performs `count` operations and returns operations per second.
 * @since 0.1.0
 * @category measuring
 */
export const throughput = async (count: number, body: () => unknown | Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await body()
  return count / ((performance.now() - start) / 1000)
}

/**
 * Completes a result with its ratio, rounded for reading.
 * @since 0.1.0
 * @category constructors
 */
export const result = (r: Omit<Result, "ratio">): Result => ({
  ...r,
  value: round(r.value),
  baseline_value: round(r.baseline_value),
  ...(r.warmup_value === undefined ? {} : { warmup_value: round(r.warmup_value) }),
  ratio: r.baseline_value === 0 ? 0 : Math.round((r.value / r.baseline_value) * 1000) / 1000
})

const round = (n: number) => (n >= 100 ? Math.round(n) : Math.round(n * 100) / 100)

/**
 * Declares a scenario.
 * @since 0.1.0
 * @category constructors
 */
export const scenario = (
  name: string,
  run: () => Promise<Omit<Result, "ratio" | "scenario">>,
  options: { readonly postgres?: boolean } = {}
): Scenario => ({ name, ...options, run: async () => ({ scenario: name, ...(await run()) }) })
