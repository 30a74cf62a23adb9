import { defineConfig } from "tsup"

/** The build every package shares: ESM + bundled .d.ts from its src/index.ts. */
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  // composite project settings confuse the declaration bundler; the bundle needs none of them.
  dts: { compilerOptions: { composite: false, incremental: false, declarationMap: false } },
  clean: true,
  sourcemap: true,
  target: "node20",
  tsconfig: "tsconfig.src.json"
})
