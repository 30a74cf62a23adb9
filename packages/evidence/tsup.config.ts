import { defineConfig } from "tsup"
import shared from "../../tsup.shared.js"

// The library and the offline verifier's command (`airworthy-verify-pack`).
export default defineConfig({
  ...(shared as object),
  entry: ["src/index.ts", "src/bin.ts"]
})
