#!/usr/bin/env node
// The offline verifier of evidence packs: `airworthy-verify-pack pack.zip [--trust KEY_ID ...] [--json]`.
import { main } from "../dist/bin.js"

process.exitCode = await main(process.argv.slice(2))
