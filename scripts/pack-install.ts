/**
 * The published packages as a host gets them. Packs every package (`pnpm pack`: `workspace:^` becomes
 * the version range, `publishConfig` applies), then builds fresh hosts in a temporary directory, each
 * installing only the tarballs and the peer dependencies it needs from npm in one `npm install`,
 * compiling with strict TypeScript and `skipLibCheck: false`, and running a round trip: raise a
 * finding, raise its CAPA, verify the audit chain. PostgreSQL hosts get a database of their own,
 * created and dropped here; HTTP hosts answer over a real socket.
 *
 *   pnpm test:packed                      (builds first)
 *   npx tsx scripts/pack-install.ts       (after `pnpm run build`, as in CI)
 *
 * Hosts: `postgres` and `sqlite` (the Promise facade; neither has the other's driver installed),
 * `hono` (PostgreSQL), and `examples/express` and `examples/fastify` copied as they are (SQLite).
 * Installs use the one npm cache (`npm_config_cache`, default ~/.npm) with `--prefer-offline`. Install
 * scripts do not run: the SQLite hosts get better-sqlite3's native addon from the workspace's own
 * install when the versions match (compiling it takes minutes and tests better-sqlite3, not these
 * packages), else `npm rebuild better-sqlite3` compiles it.
 *
 * Exits 1 when any host fails, naming the host, the step and the output; `AIRWORTHY_PACKED_KEEP=1`
 * keeps the temporary directory.
 */
import { spawn } from "node:child_process"
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const pgUrl = process.env.AIRWORTHY_TEST_PG_URL ?? "postgres://root@127.0.0.1:5432/test"
const jobs = Math.max(1, Number(process.env.AIRWORTHY_PACKED_JOBS ?? 2))

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"))
const rootManifest = readJson(join(root, "package.json"))
/** The range the workspace itself uses for a third-party package, so hosts and tests agree. */
const range = (name: string): string => {
  const r = rootManifest.devDependencies?.[name]
  if (typeof r !== "string") throw new Error(`the root package.json has no devDependency ${name}`)
  return r
}

class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly output: string
  ) {
    super(`${step} failed`)
  }
}

/** Runs a command; resolves with its output, or throws StepFailed with it. */
const run = (step: string, command: string, args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = {}) =>
  new Promise<string>((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (d) => {
      output += d
    })
    child.stderr.on("data", (d) => {
      output += d
    })
    child.on("error", (error) => reject(new StepFailed(step, `${output}\n${error.message}`)))
    child.on("close", (code) =>
      code === 0 ? resolvePromise(output) : reject(new StepFailed(step, `${output}\n(exit code ${code})`))
    )
  })

interface Host {
  readonly name: string
  readonly database: "sqlite" | "postgres"
  /** The @airworthy packages it imports; their @airworthy dependencies are added. */
  readonly airworthy: ReadonlyArray<string>
  /** Everything else it installs, as npm ranges. */
  readonly dependencies: Readonly<Record<string, string>>
  /** Files copied into the host's src/: [from, relative to the repository root; to]. */
  readonly files: ReadonlyArray<readonly [string, string]>
  /** The compiled program and its arguments before the database. */
  readonly main: string
  readonly args: ReadonlyArray<string>
  /** Packages that must not be installed in this host. */
  readonly absent: ReadonlyArray<string>
}

const tooling = { typescript: range("typescript"), "@types/node": range("@types/node") }
const effect = {
  effect: range("effect"),
  "@effect/sql": range("@effect/sql"),
  "@effect/platform": range("@effect/platform"),
  "@effect/experimental": range("@effect/experimental")
}
const sqliteDriver = { "@effect/sql-sqlite-node": range("@effect/sql-sqlite-node") }
const pgDriver = { "@effect/sql-pg": range("@effect/sql-pg"), "@types/pg": range("@types/pg") }
const noSqlite = ["better-sqlite3", "@effect/sql-sqlite-node"]
const noPg = ["pg", "@effect/sql-pg"]

/** An example as a host: its own package.json's dependencies, the workspace ones from the tarballs. */
const exampleHost = (example: string): Host => {
  const manifest = readJson(join(root, "examples", example, "package.json"))
  const all: Record<string, string> = { ...manifest.dependencies, ...manifest.devDependencies }
  const airworthy = Object.keys(all).filter((n) => n.startsWith("@airworthy/"))
  const dependencies = Object.fromEntries(Object.entries(all).filter(([n]) => !n.startsWith("@airworthy/")))
  const src = join("examples", example, "src")
  return {
    name: example,
    database: "sqlite",
    airworthy,
    dependencies: { ...dependencies, ...tooling },
    files: [
      ...readdirSync(join(root, src)).map((f) => [join(src, f), f] as const),
      ["scripts/pack-install/http-round-trip.ts", "http-round-trip.ts"]
    ],
    main: "dist/http-round-trip.js",
    args: [],
    absent: noPg
  }
}

const hosts: ReadonlyArray<Host> = [
  {
    name: "postgres",
    database: "postgres",
    airworthy: ["@airworthy/qms"],
    dependencies: { ...effect, ...pgDriver, ...tooling },
    files: [["scripts/pack-install/facade.ts", "facade.ts"]],
    main: "dist/facade.js",
    args: ["postgres"],
    absent: noSqlite
  },
  {
    name: "sqlite",
    database: "sqlite",
    airworthy: ["@airworthy/qms"],
    dependencies: { ...effect, ...sqliteDriver, ...tooling },
    files: [["scripts/pack-install/facade.ts", "facade.ts"]],
    main: "dist/facade.js",
    args: ["sqlite"],
    absent: noPg
  },
  {
    name: "hono",
    database: "postgres",
    airworthy: ["@airworthy/hono", "@airworthy/audit", "@airworthy/storage"],
    dependencies: {
      ...effect,
      ...pgDriver,
      ...tooling,
      hono: "^4.9.0",
      "@hono/node-server": "^1.19.0"
    },
    files: [
      ["scripts/pack-install/hono-server.ts", "server.ts"],
      ["examples/express/src/people.ts", "people.ts"],
      ["scripts/pack-install/http-round-trip.ts", "http-round-trip.ts"]
    ],
    main: "dist/http-round-trip.js",
    args: [],
    absent: noSqlite
  },
  exampleHost("express"),
  exampleHost("fastify")
]

/**
 * Strict, and every declaration file checked too. No `lib`: the default for the target, DOM included,
 * which the declarations of @effect/platform and @hono/node-server need (`Storage`, `Crypto`, `RequestInfo`).
 */
const hostTsconfig = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    skipLibCheck: false,
    types: ["node"],
    rootDir: "src",
    outDir: "dist"
  },
  include: ["src"]
}

/** Each workspace package's @airworthy dependencies, from its manifest. */
const workspaceDeps = (name: string): ReadonlyArray<string> => {
  const manifest = readJson(join(root, "packages", name.slice("@airworthy/".length), "package.json"))
  return Object.keys(manifest.dependencies ?? {}).filter((n) => n.startsWith("@airworthy/"))
}
const closure = (names: ReadonlyArray<string>): ReadonlyArray<string> => {
  const seen = new Set<string>()
  const visit = (n: string) => {
    if (seen.has(n)) return
    seen.add(n)
    for (const d of workspaceDeps(n)) visit(d)
  }
  for (const n of names) visit(n)
  return [...seen].sort()
}

const requireFromRoot = createRequire(join(root, "package.json"))
const workspaceSqlite = dirname(requireFromRoot.resolve("better-sqlite3/package.json"))

const withDatabase = async <A>(host: Host, f: (database: string) => Promise<A>, dir: string): Promise<A> => {
  if (host.database === "sqlite") return f(join(dir, "qms.db"))
  const name = `aw_packed_${host.name}_${process.pid}`
  const admin = new pg.Client({ connectionString: pgUrl })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`)
    await admin.query(`CREATE DATABASE ${name}`)
    const url = new URL(pgUrl)
    url.pathname = `/${name}`
    try {
      return await f(url.toString())
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  } finally {
    await admin.end()
  }
}

const runHost = async (host: Host, work: string, tarballs: string, timings: Array<string>) => {
  const dir = join(work, host.name)
  mkdirSync(join(dir, "src"), { recursive: true })
  const airworthy = Object.fromEntries(
    closure(host.airworthy).map((n) => {
      const file = readdirSync(tarballs).find((f) => f.startsWith(`${n.slice(1).replace("/", "-")}-`))
      if (file === undefined) throw new StepFailed("pack", `no tarball for ${n} in ${tarballs}`)
      return [n, `file:${join(tarballs, file)}`]
    })
  )
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: `packed-host-${host.name}`, private: true, type: "module", dependencies: { ...airworthy, ...host.dependencies } }, null, 2)}\n`
  )
  writeFileSync(join(dir, "tsconfig.json"), `${JSON.stringify(hostTsconfig, null, 2)}\n`)
  for (const [from, to] of host.files) copyFileSync(join(root, from), join(dir, "src", to))

  const timed = async <A>(step: string, f: () => Promise<A>): Promise<A> => {
    const t0 = Date.now()
    const a = await f()
    timings.push(`${host.name}: ${step} ${((Date.now() - t0) / 1000).toFixed(1)}s`)
    return a
  }
  await timed("npm install", () =>
    run(
      "npm install",
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
      dir
    )
  )
  const present = host.absent.filter((n) => existsSync(join(dir, "node_modules", n)))
  if (present.length > 0) throw new StepFailed("dependencies", `installed but not wanted here: ${present.join(", ")}`)
  if (host.database === "sqlite") {
    const installed = join(dir, "node_modules", "better-sqlite3")
    const addon = join("build", "Release", "better_sqlite3.node")
    if (readJson(join(installed, "package.json")).version === readJson(join(workspaceSqlite, "package.json")).version) {
      mkdirSync(join(installed, "build", "Release"), { recursive: true })
      copyFileSync(join(workspaceSqlite, addon), join(installed, addon))
    } else {
      await timed("npm rebuild better-sqlite3", () => run("npm rebuild", "npm", ["rebuild", "better-sqlite3"], dir))
    }
  }
  await timed("tsc", () =>
    run("tsc (strict, skipLibCheck false)", join(dir, "node_modules", ".bin", "tsc"), ["-p", "."], dir)
  )
  const output = await withDatabase(
    host,
    (database) => timed("round trip", () => run("round trip", "node", [host.main, ...host.args, database], dir)),
    dir
  )
  if (host.name !== "sqlite") return output.trim()
  // ESM only: what a CommonJS caller gets (the qms README quotes it), and that `import()` works.
  copyFileSync(join(root, "scripts/pack-install/esm-only.cjs"), join(dir, "esm-only.cjs"))
  const esm = await run("CommonJS caller", "node", ["esm-only.cjs"], dir)
  return `${output.trim()}\n${esm.trim()}`
}

const main = async () => {
  const started = Date.now()
  const work = mkdtempSync(join(tmpdir(), "airworthy-packed-"))
  const tarballs = join(work, "tarballs")
  const failures: Array<{ host: string; error: unknown }> = []
  const timings: Array<string> = []
  try {
    for (const dir of readdirSync(join(root, "packages"))) {
      if (!existsSync(join(root, "packages", dir, "dist", "index.js"))) {
        throw new StepFailed("build", `packages/${dir}/dist is missing: run \`pnpm run build\` first`)
      }
    }
    await run(
      "pnpm pack",
      "npx",
      ["-y", "pnpm@10", "-r", "--filter", "./packages/*", "pack", "--pack-destination", tarballs],
      root
    )
    console.log(`packed: ${readdirSync(tarballs).sort().join(", ")} (${((Date.now() - started) / 1000).toFixed(1)}s)`)
    const queue = [...hosts]
    const worker = async () => {
      for (let host = queue.shift(); host !== undefined; host = queue.shift()) {
        const name = host.name
        try {
          const output = await runHost(host, work, tarballs, timings)
          console.log(`ok   ${name}: ${output.split("\n").join(`\n     ${name}: `)}`)
        } catch (error) {
          failures.push({ host: name, error })
          console.log(`FAIL ${name}: ${error instanceof StepFailed ? error.step : String(error)}`)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(jobs, hosts.length) }, worker))
  } catch (error) {
    failures.push({ host: "(all)", error })
  } finally {
    if (process.env.AIRWORTHY_PACKED_KEEP === "1") console.log(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
  console.log(timings.sort().join("\n"))
  console.log(`pack and install: ${hosts.length} hosts in ${((Date.now() - started) / 1000).toFixed(1)}s`)
  for (const { host, error } of failures) {
    const detail =
      error instanceof StepFailed
        ? `${error.step}:\n${error.output.trim().split("\n").slice(-60).join("\n")}`
        : String(error)
    console.error(`\nhost ${host} failed at ${detail}`)
  }
  if (failures.length > 0) {
    console.error(`\n${failures.length} host(s) failed: ${failures.map((f) => f.host).join(", ")}`)
    process.exit(1)
  }
}

await main()
