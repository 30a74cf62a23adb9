// docs/host-guide.md shows only real code: each TypeScript block is a file of test/guide/, word for
// word, and each file runs here; its install lines name every peer dependency of the packages they
// install, with the ranges the packages declare.
import { readFileSync, statSync, writeFileSync } from "node:fs"
import { chmod, mkdtemp } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { TreeHead } from "@airworthy/audit"
import { TestDatabase } from "@airworthy/testing"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { vi } from "vitest"

const root = new URL("../../../", import.meta.url)
const read = (path: string) => readFileSync(new URL(path, root), "utf8")
const guide = read("docs/host-guide.md")

const fresh = () => mkdtemp(join(tmpdir(), "host-guide-"))

describe("the host guide's code blocks", () => {
  it("every TypeScript block is the file its marker names, word for word", () => {
    const blocks = [...guide.matchAll(/(?:<!-- snippet: (\S+) -->\n\n)?```ts\n([\s\S]*?)```/g)]
    assert.isAtLeast(blocks.length, 6)
    for (const [, path, body] of blocks) {
      assert.isDefined(path, `a TypeScript block without a snippet marker:\n${body}`)
      assert.strictEqual(body, read(path ?? ""), path)
    }
    // No other kind of code block but shell install lines and printed text.
    for (const [, lang] of guide.matchAll(/^```(\w*)$/gm)) if (lang !== "") assert.include(["ts", "sh", "text"], lang)
  })

  it("the install lines (guide and README) name every peer of the packages they install, with its declared range", () => {
    const manifest = (name: string) =>
      JSON.parse(read(`packages/${name.replace("@airworthy/", "")}/package.json`)) as {
        dependencies?: Record<string, string>
        peerDependencies?: Record<string, string>
        peerDependenciesMeta?: Record<string, { optional?: boolean }>
      }
    // The guide's, and the one in the root README's "Embedding Airworthy in your system".
    const blocks = [guide, read("README.md")].flatMap((text) =>
      [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map(([, body]) => body ?? "")
    )
    const installs = blocks.filter((b) => b.startsWith("npm install"))
    assert.strictEqual(installs.length, 3)
    const drivers = ["@effect/sql-sqlite-node", "@effect/sql-pg"]
    for (const block of installs) {
      const named = new Map<string, string>()
      for (const word of block.split(/\s+/)) {
        const spec = word.replace(/^"|"$/g, "")
        if (spec === "" || spec === "npm" || spec === "install" || spec.startsWith("--")) continue
        const at = spec.lastIndexOf("@")
        named.set(at > 0 ? spec.slice(0, at) : spec, at > 0 ? spec.slice(at + 1) : "")
      }
      // Every @airworthy package installed, and the @airworthy packages they depend on.
      const ours = new Set([...named.keys()].filter((n) => n.startsWith("@airworthy/")))
      for (const name of ours) {
        for (const dep of Object.keys(manifest(name).dependencies ?? {}))
          if (dep.startsWith("@airworthy/")) ours.add(dep)
      }
      for (const name of ours) {
        const { peerDependencies = {}, peerDependenciesMeta = {} } = manifest(name)
        for (const [peer, range] of Object.entries(peerDependencies)) {
          if (peerDependenciesMeta[peer]?.optional === true) {
            if (named.has(peer)) assert.strictEqual(named.get(peer), range, `${peer} (optional peer of ${name})`)
            continue
          }
          assert.strictEqual(named.get(peer), range, `${peer}, peer of ${name}, in:\n${block}`)
        }
      }
      // Exactly one database driver per host.
      assert.strictEqual(drivers.filter((d) => named.has(d)).length, 1, block)
      if (named.has("@effect/sql-pg")) assert.isTrue(named.has("pg") && named.has("@types/pg"), block)
    }
  })
})

describe("the host guide's code runs", () => {
  const env = { ...process.env }
  afterAll(() => {
    process.env = env
  })

  it("quick start: a finding, its CAPA, the audit trail, verify, a refusal", async () => {
    process.env.QMS_SQLITE = join(await fresh(), "qms.db")
    const lines: Array<string> = []
    const spy = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "))
    })
    try {
      await import("./guide/quick-start.js")
    } finally {
      spy.mockRestore()
    }
    assert.strictEqual(lines.length, 6)
    assert.match(lines[0] ?? "", /^FND-\d{4}-0001 CAPA-\d{4}-0001 open$/)
    assert.deepStrictEqual(lines.slice(1), [
      "1 finding.created u-quinn",
      "4 finding.linked u-quinn",
      "8 capa.raised_from_finding u-quinn",
      '{"ok":true,"events":8,"checkpoints":0}',
      "403 forbidden finding.close"
    ])
    // What the guide says it prints, the year aside.
    const printed = /```text\n([\s\S]*?)```/.exec(guide)?.[1]
    assert.strictEqual(
      printed?.replace(/\d{4}-0001/g, "YYYY-0001"),
      `${[lines[0]?.replace(/\d{4}-0001/g, "YYYY-0001"), ...lines.slice(1, 4), "{ ok: true, events: 8, checkpoints: 0 }", lines[5]].join("\n")}\n`
    )
  })

  it("the signing key file: created 0600 once, then read; a file others may read is refused", async () => {
    const { loadSigningKey } = await import("./guide/signing-key.js")
    const file = join(await fresh(), "audit-signing-key.pem")
    const pem = loadSigningKey(file)
    assert.strictEqual(statSync(file).mode & 0o777, 0o600)
    assert.strictEqual(loadSigningKey(file), pem)
    assert.match(TreeHead.keyFromConfig(pem).keyId, /^[0-9a-f]{16}$/)
    await chmod(file, 0o644)
    assert.throws(() => loadSigningKey(file), /may be read by other users/)
  })

  it("the host's users as actors and directory: owners must exist, emails go to the host's addresses", async () => {
    process.env.QMS_SQLITE = join(await fresh(), "qms.db")
    const { qms, users, actorOf } = await import("./guide/actors.js")
    try {
      const [quinn, olive] = users
      if (quinn === undefined || olive === undefined) return assert.fail("the guide's users")
      const actor = actorOf(quinn)
      const finding = await qms.findings.raise(
        { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: olive.id },
        { actor }
      )
      assert.strictEqual(finding.ownerId, "u-olive")
      const log = await qms.notifications.forRecord({ id: finding.id }, { actor })
      assert.deepStrictEqual(
        log.map((e) => [e.recipient, e.recipientName]),
        [["olive@mro.example", "Olive"]]
      )
      const unknown = await qms.findings
        .raise({ title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-nobody" }, { actor })
        .then(
          () => "resolved",
          (e: { status?: number; code?: string }) => `${e.status} ${e.code}`
        )
      assert.strictEqual(unknown, "422 unknown_reference")
      // Another organisation's user is nobody here, also as an owner.
      const elsewhere = await qms.findings
        .raise(
          { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-olive" },
          { actor: { ...actor, tenantId: "mro-2" } }
        )
        .then(
          () => "resolved",
          (e: { code?: string }) => e.code
        )
      assert.strictEqual(elsewhere, "unknown_reference")
    } finally {
      await qms.dispose()
    }
  })

  it("mounted under Hono: bearer tokens, the session cookie with its CSRF check, 401 without either", async () => {
    const dir = await fresh()
    process.env.QMS_SQLITE = join(dir, "qms.db")
    process.env.AUDIT_SIGNING_KEY_FILE = join(dir, "audit-signing-key.pem")
    const { app, runtime, sessions } = await import("./guide/mount-hono.js")
    try {
      sessions.set("t-quinn", { id: "u-quinn", orgId: "mro-1", name: "Quinn", qmsRoles: ["quality_manager"] })
      const area = { name: "Tool control", responsibleIds: [] }
      const post = (headers: Record<string, string>) =>
        app.request("http://mro.example/qms/programme/areas", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(area)
        })
      assert.strictEqual((await post({ authorization: "Bearer t-quinn" })).status, 201)
      assert.strictEqual((await post({ authorization: "Bearer t-nobody" })).status, 401)
      assert.strictEqual((await post({})).status, 401)
      const noCsrf = await post({ cookie: "mro_session=t-quinn", origin: "http://mro.example" })
      assert.strictEqual(noCsrf.status, 403)
      assert.strictEqual(((await noCsrf.json()) as { code: string }).code, "csrf_check_failed")
      const browser = await post({
        cookie: "mro_session=t-quinn",
        origin: "http://mro.example",
        "x-airworthy-csrf": "1"
      })
      assert.strictEqual(browser.status, 201)
      const keys = await app.request("http://mro.example/qms/audit-trail/keys", {
        headers: { authorization: "Bearer t-quinn" }
      })
      const pem = readFileSync(process.env.AUDIT_SIGNING_KEY_FILE, "utf8")
      assert.deepStrictEqual(
        ((await keys.json()) as ReadonlyArray<{ keyId: string }>).map((k) => k.keyId),
        [TreeHead.keyFromConfig(pem).keyId]
      )
    } finally {
      await runtime.dispose()
    }
  })

  it("rotation: the new key signs, checkpoints of the retired one still verify, both are published", async () => {
    const dir = await fresh()
    process.env.QMS_SQLITE = join(dir, "qms.db")
    const { startWithNewKey } = await import("./guide/rotation.js")
    const quinn = { tenantId: "mro-1", actorId: "u-quinn", roles: ["quality_manager"] }
    const first = await startWithNewKey(join(dir, "key-2026.pem"), {})
    await first.staff.upsert({ ...quinn, displayName: "Quinn", email: "quinn@mro.example" })
    const finding = await first.findings.raise(
      { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-quinn" },
      { actor: quinn }
    )
    await first.evidence.writePack(finding.id, join(dir, "pack.zip"), { actor: quinn }) // signs a checkpoint
    const [old] = await first.auditTrail.keys({}, { actor: quinn })
    await first.dispose()
    assert.isDefined(old)
    writeFileSync(join(dir, "retired.json"), JSON.stringify({ [old?.keyId ?? ""]: old?.publicKeyPem }))

    const retired = JSON.parse(readFileSync(join(dir, "retired.json"), "utf8")) as Record<string, string>
    const qms = await startWithNewKey(join(dir, "key-2027.pem"), retired)
    try {
      const keys = await qms.auditTrail.keys({}, { actor: quinn })
      assert.deepStrictEqual(
        keys.map((k) => [k.keyId === old?.keyId, k.current]),
        [
          [false, true],
          [true, false]
        ]
      )
      assert.deepStrictEqual(await qms.auditTrail.verify({}, { actor: quinn }), { ok: true, events: 3, checkpoints: 1 })
    } finally {
      await qms.dispose()
    }
  })
})

const [postgres] = (await TestDatabase.targets({ sqliteFile: false })).filter((t) => t.dialect === "pg")

describe.skipIf(postgres?.skip ?? true)("the host guide's pool code on PostgreSQL", () => {
  it("createQms over the host's pg.Pool: the QMS writes its aw_ tables, and the pool stays the host's", () =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          process.env.DATABASE_URL = yield* TestDatabase.freshPostgresDatabase
          process.env.AUDIT_SIGNING_KEY_FILE = join(yield* Effect.promise(fresh), "audit-signing-key.pem")
          yield* Effect.promise(async () => {
            const { pool, qms } = await import("./guide/host-pool.js")
            const quinn = { tenantId: "mro-1", actorId: "u-quinn", roles: ["quality_manager"] }
            await qms.staff.upsert({ ...quinn, displayName: "Quinn", email: "quinn@mro.example" })
            const finding = await qms.findings.raise(
              { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-quinn" },
              { actor: quinn }
            )
            const rows = await pool.query("SELECT ref FROM aw_records WHERE tenant_id = $1", ["mro-1"])
            assert.deepStrictEqual(
              rows.rows.map((r: { ref: string }) => r.ref),
              [finding.ref]
            )
            await qms.dispose()
            // Still the host's: open after the QMS is gone, ended by the host.
            assert.strictEqual((await pool.query("SELECT 1 AS ok")).rows[0]?.ok, 1)
            await pool.end()
          })
        })
      )
    ))
})
