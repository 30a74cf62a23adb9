// One measured process of the evidence bench, so that its peak RSS is its own. `pack` exports the
// seeded record's pack into a file, `baseline` zips the same attachment bytes and the same event
// envelopes with yazl (no sealing, proofs, PDF or records); both run twice and print both runs
// (`cold`, then `warm`; the cold run's peak RSS is its own). `verify` runs the offline verifier on
// the pack, `hash` only hashes the pack file (the verifier's baseline). Prints one JSON line.
import { createHash } from "node:crypto"
import { createReadStream, createWriteStream, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { pipeline } from "node:stream/promises"
import { Actor } from "@airworthy/core"
import { EvidencePack, PackFormat, VerifyPack } from "@airworthy/evidence"
import Database from "better-sqlite3"
import { ManagedRuntime } from "effect"
import * as yazl from "yazl"
import { benchActor, benchLayer } from "./packLayer.js"

const filesUnder = (dir: string): Array<string> =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? filesUnder(path) : [path]
    })

// Peak RSS of the whole process, and how far it rose above the RSS the process had once its modules
// were loaded (run from TypeScript sources through tsx, loading them alone takes about 200 MB).
const peakMb = () => process.resourceUsage().maxRSS / 1024
let loadedMb = 0
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1000
}
const measured = (ms: number, cpu: NodeJS.CpuUsage, bytes: number, events: number) => ({
  ms,
  cpuMs: cpuMs(cpu),
  peakMb: peakMb(),
  growthMb: peakMb() - loadedMb,
  bytes,
  events
})

const main = async () => {
  loadedMb = process.memoryUsage().rss / 1024 / 1024
  const [mode, dbFile, blobDir, recordId, tenantId, out] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
    string,
    string
  ]
  if (mode === "pack") {
    const runtime = ManagedRuntime.make(benchLayer(dbFile, blobDir))
    await runtime.runtime()
    loadedMb = process.memoryUsage().rss / 1024 / 1024
    const once = async () => {
      const start = performance.now()
      const cpu = process.cpuUsage()
      const pack = await runtime.runPromise(EvidencePack.prepare(recordId).pipe(Actor.withActor(benchActor(tenantId))))
      await runtime.runPromise(EvidencePack.writeFile(pack, out))
      return measured(performance.now() - start, cpu, statSync(out).size, pack.manifest.events)
    }
    const cold = await once()
    const warm = await once()
    await runtime.dispose()
    return { cold, warm }
  }
  if (mode === "baseline") {
    // The same envelopes and the same attachment bytes, through the same library, unsealed.
    const once = async () => {
      const start = performance.now()
      const cpu = process.cpuUsage()
      const db = new Database(dbFile, { readonly: true })
      const envelopes = db
        .prepare("SELECT envelope FROM aw_audit_events WHERE tenant_id = ? AND record_id = ? ORDER BY sequence")
        .all(tenantId, recordId) as Array<{ envelope: string }>
      db.close()
      const zip = new yazl.ZipFile()
      const options = { mtime: PackFormat.entryTime(), forceDosTimestamp: true }
      zip.addBuffer(Buffer.from(envelopes.map((e) => `${e.envelope}\n`).join("")), "timeline.jsonl", {
        ...options,
        compress: true
      })
      for (const file of filesUnder(blobDir).filter((f) => !f.includes(".put-"))) {
        zip.addReadStreamLazy(file.slice(blobDir.length + 1), { ...options, compress: false }, (cb) =>
          cb(null, createReadStream(file))
        )
      }
      zip.end()
      await pipeline(zip.outputStream, createWriteStream(out))
      return measured(performance.now() - start, cpu, statSync(out).size, envelopes.length)
    }
    const cold = await once()
    const warm = await once()
    return { cold, warm }
  }
  if (mode === "verify") {
    const start = performance.now()
    const cpu = process.cpuUsage()
    const report = await VerifyPack.verifyFile(out)
    const ms = performance.now() - start
    if (!report.ok) throw new Error(`the pack does not verify: ${JSON.stringify(report.failures.slice(0, 3))}`)
    return measured(ms, cpu, statSync(out).size, report.events)
  }
  // hash: read and SHA-256 the pack file, nothing else.
  const start = performance.now()
  const cpu = process.cpuUsage()
  const hash = createHash("sha256")
  for await (const chunk of createReadStream(out)) hash.update(chunk as Buffer)
  hash.digest()
  return measured(performance.now() - start, cpu, statSync(out).size, 0)
}

if (process.argv[1]?.endsWith("packChild.ts")) {
  main().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`)
      process.exit(0)
    },
    (e) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
      process.exit(1)
    }
  )
}
