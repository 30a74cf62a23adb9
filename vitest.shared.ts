import { defineProject } from "vitest/config"

/** Settings every package's vitest project shares: source resolution and a lean worker pool. */
export const sharedProject = (name: string) =>
  defineProject({
    resolve: { conditions: ["@airworthy/source"] },
    ssr: { resolve: { conditions: ["@airworthy/source"] } },
    test: {
      name,
      include: ["test/**/*.test.ts"],
      testTimeout: 60_000,
      hookTimeout: 60_000
    }
  })
