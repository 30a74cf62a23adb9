#!/usr/bin/env node
/**
 * `airworthy-verify-pack pack.zip [--trust KEY_ID ...] [--json]`: verifies an evidence pack offline and
 * exits 0 when it verifies, 1 when it does not (each failure printed), 2 on a usage error.
 *
 * @since 0.1.0
 */
import { realpathSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as VerifyPack from "./VerifyPack.js"

const usage = "usage: airworthy-verify-pack pack.zip [--trust KEY_ID ...] [--json]"

/**
 * Runs the command with its arguments; resolves to the exit code.
 * @since 0.1.0
 * @category running
 */
export const main = async (
  args: ReadonlyArray<string>,
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)
): Promise<number> => {
  const files: Array<string> = []
  const trusted: Array<string> = []
  let json = false
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--json") json = true
    else if (arg === "--trust" && i + 1 < args.length) trusted.push(args[++i]!)
    else if (arg === "--help" || arg === "-h") {
      out(usage)
      return 0
    } else if (arg.startsWith("-")) {
      out(usage)
      return 2
    } else files.push(arg)
  }
  if (files.length !== 1) {
    out(usage)
    return 2
  }
  const report = await VerifyPack.verifyFile(files[0]!, trusted.length > 0 ? { trustedKeyIds: trusted } : {})
  out(json ? JSON.stringify({ ...report, manifest: undefined }, null, 2) : VerifyPack.describe(report))
  return report.ok ? 0 : 1
}

// Run as the `airworthy-verify-pack` command (not when imported).
const invoked =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
if (invoked) process.exitCode = await main(process.argv.slice(2))
