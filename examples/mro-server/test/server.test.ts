// The server as `pnpm start` runs it: its secrets persist across a restart in a file only its owner
// may read (a session token issued before the restart still works after it) and are never printed;
// `/login` is limited in size and in attempts; attachment content lands in the blob folder and is
// served again after the restart.
import { type ChildProcess, spawn } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Sqlite } from "@airworthy/storage/sqlite"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { makeApp } from "../src/app.js"
import { demoStaff } from "../src/db.js"
import { loadSecrets, SecretsFileError } from "../src/secrets.js"

const dir = mkdtempSync(join(tmpdir(), "mro-server-"))
const tsx = fileURLToPath(new URL("../../../node_modules/tsx/dist/cli.mjs", import.meta.url))
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url))
const running: Array<ChildProcess> = []

/** Starts `src/main.ts`; resolves with its base URL once it listens, and what it printed so far. */
const start = (env: Record<string, string>) =>
  new Promise<{ base: string; output: () => string; child: ChildProcess }>((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, "--conditions=@airworthy/source", main], {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    running.push(child)
    let output = ""
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 45_000)
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1] !== undefined && output.includes("try:")) {
        clearTimeout(timer)
        resolve({ base: match[1], output: () => output, child })
      }
    }
    child.stdout.on("data", read)
    child.stderr.on("data", read)
    child.once("exit", (code) => reject(new Error(`the server exited (${code}):\n${output}`)))
  })

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGTERM")
  })

afterAll(async () => {
  for (const child of running) await stop(child)
})

describe("secrets", () => {
  it("are created once with mode 0600, read back the same, and a file others may read is refused", () => {
    const file = join(dir, "secrets-unit.json")
    const first = loadSecrets(file, {})
    assert.strictEqual(statSync(file).mode & 0o777, 0o600)
    assert.match(first.source, /created/)
    const again = loadSecrets(file, {})
    assert.deepStrictEqual([again.jwtSecret, again.signingKey], [first.jwtSecret, first.signingKey])
    assert.isAtLeast(first.jwtSecret.length, 43)
    // The environment wins, value by value.
    const env = loadSecrets(file, { MRO_JWT_SECRET: "from-env-0123456789abcdef0123456789abcdef" })
    assert.strictEqual(env.jwtSecret, "from-env-0123456789abcdef0123456789abcdef")
    assert.strictEqual(env.signingKey, first.signingKey)
    const open = join(dir, "secrets-open.json")
    writeFileSync(open, readFileSync(file), { mode: 0o644 })
    assert.throws(() => loadSecrets(open, {}), SecretsFileError, /chmod 600/)
  })

  it("survive a restart of the server and are never printed", async () => {
    const env = {
      MRO_SECRETS_FILE: join(dir, "mro-secrets.json"),
      MRO_DB_FILE: join(dir, "mro.db"),
      MRO_BLOB_DIR: join(dir, "blobs")
    }
    const one = await start(env)
    const login = await fetch(`${one.base}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: demoStaff[0]!.email, pin: demoStaff[0]!.pin })
    })
    assert.strictEqual(login.status, 200)
    const { token } = (await login.json()) as { token: string }

    const auth = { authorization: `Bearer ${token}` }
    const finding = await fetch(`${one.base}/qms/findings`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        title: "TW-114 past calibration",
        level: "2",
        requirement: "145.A.40",
        ownerId: "s-olive"
      })
    })
    assert.strictEqual(finding.status, 201, await finding.clone().text())
    const { id } = (await finding.json()) as { id: string }
    const pdf = Buffer.concat([Buffer.from("%PDF-1.7\n"), Buffer.alloc(100_000, 9)])
    const form = new FormData()
    form.set("kind", "evidence")
    form.set("file", new Blob([pdf], { type: "application/pdf" }), "certificate.pdf")
    const uploaded = await fetch(`${one.base}/qms/records/${id}/attachments/content`, {
      method: "POST",
      headers: auth,
      body: form
    })
    assert.strictEqual(uploaded.status, 201, await uploaded.clone().text())
    const attachment = (await uploaded.json()) as { id: string; sha256: string }
    assert.strictEqual(attachment.sha256, createHash("sha256").update(pdf).digest("hex"))
    // The directory adapter: the file is under the organisation's folder, named by its SHA-256.
    const onDisk = readFileSync(join(env.MRO_BLOB_DIR, "skyline-mro", attachment.sha256.slice(0, 2), attachment.sha256))
    assert.strictEqual(Buffer.compare(onDisk, pdf), 0)
    await stop(one.child)

    const two = await start(env)
    const me = await fetch(`${two.base}/me`, { headers: { authorization: `Bearer ${token}` } })
    assert.strictEqual(me.status, 200, "a token issued before the restart")
    const download = await fetch(`${two.base}/qms/records/${id}/attachments/${attachment.id}/content`, {
      headers: auth
    })
    assert.strictEqual(download.status, 200)
    assert.strictEqual(Buffer.compare(Buffer.from(await download.arrayBuffer()), pdf), 0, "the content after a restart")
    assert.strictEqual(download.headers.get("etag"), `"${attachment.sha256}"`)
    const stored = JSON.parse(readFileSync(env.MRO_SECRETS_FILE, "utf8")) as { jwtSecret: string; signingKey: string }
    for (const printed of [one.output(), two.output()]) {
      assert.notInclude(printed, stored.jwtSecret)
      assert.notInclude(printed, stored.signingKey)
      assert.include(printed, "secrets from")
    }
    await stop(two.child)
  })
})

describe("/login limits", () => {
  it("refuses a body over 1 KiB, and too many attempts per address or failures per account with 429", async () => {
    const mro = await makeApp({
      database: Sqlite.layer({ filename: ":memory:" }),
      secret: "test-secret-0123456789abcdef0123456789",
      loginLimits: { perAddressPerMinute: 8, failuresPerAccount: 3 }
    })
    try {
      const login = (body: unknown) =>
        mro.app.request("/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: typeof body === "string" ? body : JSON.stringify(body)
        })
      const [olive, sam] = [demoStaff[0]!, demoStaff[1]!]
      const big = await login({ email: olive.email, pin: "1".repeat(2_000) })
      assert.strictEqual(big.status, 413)
      // Three wrong PINs lock the account: the right one is refused too, with Retry-After.
      for (let i = 0; i < 3; i++) assert.strictEqual((await login({ email: olive.email, pin: "0000" })).status, 401)
      const locked = await login({ email: olive.email, pin: olive.pin })
      assert.strictEqual(locked.status, 429)
      assert.isAbove(Number(locked.headers.get("retry-after")), 0)
      // Another account is not locked, and a success clears its failures.
      assert.strictEqual((await login({ email: sam.email, pin: "0000" })).status, 401)
      assert.strictEqual((await login({ email: sam.email, pin: sam.pin })).status, 200)
      // The address limit: 8 attempts a minute (the 413 did not reach it), the 9th is refused.
      assert.strictEqual((await login({ email: sam.email, pin: sam.pin })).status, 200)
      assert.strictEqual((await login({ email: sam.email, pin: sam.pin })).status, 200)
      const tooMany = await login({ email: sam.email, pin: sam.pin })
      assert.strictEqual(tooMany.status, 429, await tooMany.text())
    } finally {
      await mro.dispose()
    }
  })
})
