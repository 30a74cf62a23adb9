// A CommonJS caller of the packed @airworthy/qms: `require` fails with the error the qms README quotes
// (ESM only), and a dynamic `import()` loads it.
try {
  require("@airworthy/qms")
  console.error("require(@airworthy/qms) loaded; the README says it fails")
  process.exit(1)
} catch (error) {
  if (error.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw error
  console.log(`require: ${error.code}: ${error.message}`)
}
import("@airworthy/qms").then((qms) => {
  if (typeof qms.createQms !== "function") throw new Error("import() gave no createQms")
  console.log("import(): createQms loaded")
})
