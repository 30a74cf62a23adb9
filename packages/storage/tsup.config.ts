import shared from "../../tsup.shared.js"

// The drivers are entry points of their own, so importing the main entry loads neither.
export default {
  ...shared,
  entry: { index: "src/index.ts", "sqlite/index": "src/sqlite/index.ts", "pg/index": "src/pg/index.ts" }
}
