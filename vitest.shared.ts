import { fileURLToPath } from "node:url"
import { defineProject } from "vitest/config"

/**
 * Settings every package's vitest project shares: source resolution, timeouts that fail with the
 * test's name, and the watchdog that names a test blocking its worker's event loop.
 */
export const sharedProject = (name: string) =>
  defineProject({
    resolve: { conditions: ["@airworthy/source"] },
    ssr: { resolve: { conditions: ["@airworthy/source"] } },
    test: {
      name,
      include: ["test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000,
      setupFiles: [fileURLToPath(new URL("./vitest.watchdog.ts", import.meta.url))]
    }
  })
