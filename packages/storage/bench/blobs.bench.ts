// Attachment content: BlobStore.put and a whole (hash-verified) read of a 50 MB file, beside plain
// `fs` streaming of the same bytes in the same run. The directory adapter is the default; the
// database adapter (SQLite file) is measured against the same baseline.
import { randomBytes } from "node:crypto"
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { open } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { Bench } from "@airworthy/testing"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"
import { BlobStore, Migrations, StorageMigrations } from "../src/index.js"
import { Sqlite } from "../src/sqlite/index.js"

const size = 50 * 1024 * 1024
const chunk = 64 * 1024
const mb = size / (1024 * 1024)

const withTempDir = async <A>(body: (dir: string) => Promise<A>): Promise<A> => {
  const dir = mkdtempSync(join(tmpdir(), "aw-bench-blobs-"))
  try {
    return await body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** MB/s of one timed call. */
const rate = async (body: () => Promise<unknown>) => {
  const start = performance.now()
  await body()
  return mb / ((performance.now() - start) / 1000)
}

const source = (dir: string) => {
  const file = join(dir, "source.bin")
  // Random bytes: nothing compresses or deduplicates them.
  writeFileSync(file, randomBytes(size))
  return file
}

const fileStream = (file: string) =>
  Stream.fromAsyncIterable(createReadStream(file, { highWaterMark: chunk }), (e) => e) as Stream.Stream<
    Uint8Array,
    unknown
  >

/** Plain fs: stream the file into another and fsync it (the durability a put gives). */
const copyBaseline = async (from: string, to: string) => {
  await pipeline(createReadStream(from, { highWaterMark: chunk }), createWriteStream(to))
  const handle = await open(to, "r+")
  await handle.sync()
  await handle.close()
}

/** Plain fs: stream a file to nowhere. */
const readBaseline = async (file: string) => {
  let n = 0
  for await (const c of createReadStream(file, { highWaterMark: chunk })) n += (c as Buffer).byteLength
  return n
}

const measure = async (dir: string, store: Layer.Layer<BlobStore.BlobStore, unknown>, tenant: string) => {
  const file = source(dir)
  const runtime = ManagedRuntime.make(store)
  try {
    // Warm-up of both sides (page cache, JIT), then the timed runs: baseline, ours, baseline again.
    await copyBaseline(file, join(dir, "warm.bin"))
    const warm = await runtime.runPromise(BlobStore.put("warm", fileStream(file)))
    const copy1 = await rate(() => copyBaseline(file, join(dir, "copy1.bin")))
    let sha = ""
    const put = await rate(async () => {
      sha = (await runtime.runPromise(BlobStore.put(tenant, fileStream(file)))).sha256
    })
    const copy2 = await rate(() => copyBaseline(file, join(dir, "copy2.bin")))
    await readBaseline(file)
    await runtime.runPromise(Stream.runDrain(BlobStore.read("warm", warm.sha256)))
    const plainRead1 = await rate(() => readBaseline(file))
    const read = await rate(() => runtime.runPromise(Stream.runDrain(BlobStore.read(tenant, sha))))
    const plainRead2 = await rate(() => readBaseline(file))
    return { put, copy: (copy1 + copy2) / 2, read, plainRead: (plainRead1 + plainRead2) / 2 }
  } finally {
    await runtime.dispose()
  }
}

const cache = new Map<string, Promise<Awaited<ReturnType<typeof measure>>>>()
const once = (key: string, make: () => Promise<Awaited<ReturnType<typeof measure>>>) => {
  let p = cache.get(key)
  if (p === undefined) {
    p = make()
    cache.set(key, p)
  }
  return p
}

const directory = () =>
  once("directory", () =>
    withTempDir((dir) => measure(dir, BlobStore.directory({ path: join(dir, "blobs") }), "mro-1"))
  )
const database = () =>
  once("database", () =>
    withTempDir((dir) => {
      const db = Sqlite.layer({ filename: join(dir, "qms.db") })
      const migrated = Layer.effectDiscard(Effect.orDie(Migrations.run([StorageMigrations.migrations]))).pipe(
        Layer.provideMerge(db)
      )
      return measure(dir, BlobStore.database().pipe(Layer.provide(migrated)), "mro-1")
    })
  )

// Peak memory: 256 MB generated in 64 KiB chunks (never held whole by the source) put into the
// directory store, beside the same chunks written to a file with a plain fs write stream.
const bigSize = 256 * 1024 * 1024
const generated = function* () {
  const block = randomBytes(chunk)
  for (let i = 0; i < bigSize / chunk; i++) {
    const c = Buffer.from(block)
    c.writeUInt32BE(i, 0)
    yield c
  }
}

/** Peak RSS growth (MB) over `body`, sampled every 5 ms. */
const peakRss = async (body: () => Promise<unknown>) => {
  globalThis.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 5)
  try {
    await body()
  } finally {
    clearInterval(timer)
  }
  peak = Math.max(peak, process.memoryUsage().rss)
  return (peak - before) / (1024 * 1024)
}

const rssOf = () =>
  once("rss", () =>
    withTempDir(async (dir) => {
      const runtime = ManagedRuntime.make(BlobStore.directory({ path: join(dir, "blobs") }))
      try {
        const plain = await peakRss(async () => {
          const out = createWriteStream(join(dir, "plain.bin"))
          await pipeline(Readable.from(generated()), out)
        })
        const ours = await peakRss(() =>
          runtime.runPromise(BlobStore.put("mro-1", Stream.fromIteratorSucceed(generated(), 1)))
        )
        return { put: ours, copy: plain, read: 0, plainRead: 0 }
      } finally {
        await runtime.dispose()
      }
    })
  )

export const scenarios: ReadonlyArray<Bench.Scenario> = [
  Bench.scenario("blob.put.peak_rss", async () => {
    const r = await rssOf()
    return {
      unit: "MB",
      value: r.put,
      baseline: "fs write stream of the same 256 MB (peak RSS growth)",
      baseline_value: r.copy
    }
  }),
  Bench.scenario("blob.put", async () => {
    const r = await directory()
    return {
      unit: "MB/s",
      value: r.put,
      baseline: `fs streaming copy of the same ${mb} MB + fsync`,
      baseline_value: r.copy
    }
  }),
  Bench.scenario("blob.read.peak_rss", async () => {
    const r = await rssOf()
    return {
      unit: "MB",
      value: r.read,
      baseline: "fs createReadStream of the same 256 MB (peak RSS growth)",
      baseline_value: r.plainRead
    }
  }),
  Bench.scenario("blob.read", async () => {
    const r = await directory()
    return {
      unit: "MB/s",
      value: r.read,
      baseline: `fs createReadStream of the same ${mb} MB (ours re-hashes it)`,
      baseline_value: r.plainRead
    }
  }),
  Bench.scenario("blob.put.database_sqlite", async () => {
    const r = await database()
    return {
      unit: "MB/s",
      value: r.put,
      baseline: `fs streaming copy of the same ${mb} MB + fsync`,
      baseline_value: r.copy
    }
  }),
  Bench.scenario("blob.read.database_sqlite", async () => {
    const r = await database()
    return {
      unit: "MB/s",
      value: r.read,
      baseline: `fs createReadStream of the same ${mb} MB (ours re-hashes it)`,
      baseline_value: r.plainRead
    }
  })
]
