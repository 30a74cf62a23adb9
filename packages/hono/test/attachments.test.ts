// Attachment content over HTTP, on SQLite and PostgreSQL, with the directory blob store (and the
// database one on SQLite): what was stored is read back byte for byte, and every boundary holds.
import { createHash } from "node:crypto"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AuditLog } from "@airworthy/audit"
import { Actor, Ids } from "@airworthy/core"
import { BlobStore } from "@airworthy/storage"
import { TestDatabase } from "@airworthy/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type ServerType, serve } from "@hono/node-server"
import { Effect, ManagedRuntime, Option } from "effect"
import { Hono } from "hono"
import { type QmsRoutes, QmsRuntime, qmsRoutes } from "../src/index.js"
import { type BytesReply, bytesCall, finding, freshTenant, signingKey, staff } from "./helpers.js"

const roles: Record<string, ReadonlyArray<string>> = {
  "u-quinn": ["quality_manager"],
  "u-olive": ["capa_owner"],
  "u-vera": ["viewer"],
  "u-nobody": []
}
const authenticate: QmsRoutes.QmsRoutesOptions["authenticate"] = (c) => {
  const tenantId = c.req.header("x-tenant")
  const actorId = c.req.header("x-actor")
  return tenantId === undefined || actorId === undefined ? null : { tenantId, actorId, roles: roles[actorId] ?? [] }
}

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const pdf = (size: number, seed = 1) => {
  const out = Buffer.alloc(size)
  out.write("%PDF-1.7\n%\u00e2\u00e3\n", "latin1")
  let x = seed
  for (let i = 16; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)])
const exe = Buffer.concat([Buffer.from("MZ\u0090\u0000", "latin1"), Buffer.alloc(300, 0)])

const multipart = (
  file: { readonly name: string; readonly type?: string; readonly bytes: Uint8Array },
  fields: Record<string, string> = {},
  boundary = "----aw-test-7d1f"
) => {
  const parts: Array<Buffer> = []
  for (const [k, v] of Object.entries(fields))
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n${
        file.type === undefined ? "" : `Content-Type: ${file.type}\r\n`
      }\r\n`
    ),
    Buffer.from(file.bytes),
    Buffer.from(`\r\n--${boundary}--\r\n`)
  )
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` }
}

type Reply = BytesReply

const setups = async () => {
  const list: Array<{
    readonly name: string
    readonly database: TestDatabase.TestLayer
    readonly blobs: "directory" | "database"
  }> = []
  for (const t of await TestDatabase.targets({ sqliteFile: false })) {
    if (t.skip) continue
    list.push({ name: `${t.name}, directory`, database: t.layer, blobs: "directory" })
    if (t.name === "sqlite-memory")
      list.push({ name: `${t.name}, database blobs`, database: t.layer, blobs: "database" })
  }
  return list
}

for (const setup of await setups()) {
  describe(setup.name, () => {
    const dir = mkdtempSync(join(tmpdir(), "aw-http-blobs-"))
    let runtime: QmsRuntime.QmsRuntime
    let app: Hono
    beforeAll(async () => {
      runtime = ManagedRuntime.make(
        QmsRuntime.layer({
          database: setup.database as QmsRuntime.Config["database"],
          qms: {
            signingKey,
            ids: Ids.layerTest(97),
            blobs: setup.blobs === "directory" ? BlobStore.directory({ path: dir }) : BlobStore.database(),
            attachments: { maxBytes: (tenantId) => (tenantId.startsWith("small") ? 1000 : 5 * 1024 * 1024) }
          }
        })
      )
      await runtime.runtime()
      app = new Hono()
      app.route("/qms", qmsRoutes({ runtime, authenticate, rateLimit: false, maxBodyBytes: 16 * 1024 }))
    })
    afterAll(async () => {
      await runtime.dispose()
      rmSync(dir, { recursive: true, force: true })
    })

    const call = bytesCall(() => app)
    const problem = (r: Reply, status: number, code: string) => {
      assert.strictEqual(r.status, status, r.bytes.toString().slice(0, 500))
      assert.strictEqual(r.headers.get("content-type"), "application/problem+json")
      assert.strictEqual(r.json.code, code, r.bytes.toString().slice(0, 500))
    }
    const upload = (
      tenant: string,
      recordId: string,
      file: { readonly name: string; readonly type?: string; readonly bytes: Uint8Array },
      options: { actor?: string; fields?: Record<string, string>; headers?: Record<string, string> } = {}
    ) => {
      const form = multipart(file, options.fields)
      return call(tenant, "POST", `/records/${recordId}/attachments/content`, {
        ...(options.actor === undefined ? {} : { actor: options.actor }),
        headers: { "content-type": form.contentType, ...options.headers },
        body: form.body
      })
    }
    const raw = (
      tenant: string,
      recordId: string,
      bytes: Uint8Array,
      query: string,
      headers: Record<string, string> = {},
      actor?: string
    ) =>
      call(tenant, "POST", `/records/${recordId}/attachments/content?${query}`, {
        ...(actor === undefined ? {} : { actor }),
        headers,
        body: bytes
      })
    const newFinding = async (tenant: string) => {
      await staff(runtime, tenant)
      const f = await call(tenant, "POST", "/findings", {
        headers: { "content-type": "application/json" },
        body: JSON.stringify(finding)
      })
      assert.strictEqual(f.status, 201, f.bytes.toString())
      return f.json.id as string
    }
    const list = async (tenant: string, id: string) => (await call(tenant, "GET", `/records/${id}/attachments`)).json
    const stat = (tenant: string, hash: string) =>
      runtime.runPromise(Effect.map(BlobStore.stat(tenant, hash), Option.isSome))
    const leftovers = () =>
      setup.blobs === "directory"
        ? readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".part")).length
        : 0
    const audit = (tenant: string, id: string) =>
      runtime.runPromise(
        AuditLog.query({ record: { type: "finding", id }, limit: 1000 }).pipe(
          Effect.map((p) => p.events),
          Actor.withActor(
            Actor.make({ tenantId: tenant, actorId: "u-admin", displayName: "A", roles: ["admin"], traceId: "t" })
          )
        )
      )

    it("multipart upload: download gives the same bytes and hash, with ETag, Content-Disposition, and one audit event", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      const bytes = pdf(300_000)
      const up = await upload(
        tenant,
        id,
        { name: "Calibration certificate TW-114.pdf", type: "application/pdf", bytes },
        {
          fields: { kind: "evidence" }
        }
      )
      assert.strictEqual(up.status, 201, up.bytes.toString())
      assert.strictEqual(up.json.sha256, sha(bytes))
      assert.strictEqual(up.json.size, bytes.byteLength)
      assert.strictEqual(up.json.mediaType, "application/pdf")
      assert.strictEqual(up.json.kind, "evidence")
      assert.strictEqual(up.json.hasContent, true)
      assert.strictEqual(up.json.supersedes, null)
      assert.strictEqual(up.headers.get("location"), `/qms/records/${id}/attachments/${up.json.id}/content`)

      const down = await call(tenant, "GET", `/records/${id}/attachments/${up.json.id}/content`)
      assert.strictEqual(down.status, 200)
      assert.strictEqual(Buffer.compare(down.bytes, bytes), 0)
      assert.strictEqual(sha(down.bytes), sha(bytes))
      assert.strictEqual(down.headers.get("etag"), `"${sha(bytes)}"`)
      assert.strictEqual(down.headers.get("content-type"), "application/pdf")
      assert.strictEqual(down.headers.get("content-length"), String(bytes.byteLength))
      assert.strictEqual(down.headers.get("accept-ranges"), "bytes")
      // The middleware's headers reach a streamed response too.
      assert.strictEqual(down.headers.get("x-content-type-options"), "nosniff")
      assert.match(down.headers.get("x-trace-id") ?? "", /.+/)
      assert.strictEqual(
        down.headers.get("content-disposition"),
        `attachment; filename="Calibration certificate TW-114.pdf"; filename*=UTF-8''Calibration%20certificate%20TW-114.pdf`
      )
      const notModified = await call(tenant, "GET", `/records/${id}/attachments/${up.json.id}/content`, {
        headers: { "if-none-match": `"${sha(bytes)}"` }
      })
      assert.strictEqual(notModified.status, 304)
      assert.strictEqual(notModified.bytes.byteLength, 0)

      const events = (await audit(tenant, id)).filter((e) => e.action === "finding.attached")
      assert.strictEqual(events.length, 1)
      const after = events[0]!.after as { attachment: Record<string, unknown> }
      assert.strictEqual(after.attachment.id, up.json.id)
      assert.strictEqual(after.attachment.name, "Calibration certificate TW-114.pdf")
      assert.strictEqual(after.attachment.size, bytes.byteLength)
      assert.strictEqual(after.attachment.sha256, sha(bytes))
      assert.strictEqual(events[0]!.actor.id, "u-quinn")
      const listed = await list(tenant, id)
      assert.deepStrictEqual(
        listed.map((a: { id: string }) => a.id),
        [up.json.id]
      )
      assert.strictEqual(leftovers(), 0)
    })

    it("raw body with a declared SHA-256: a match is stored, a mismatch is 422 and stores nothing", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      const bytes = pdf(50_000, 2)
      const wrong = sha(Buffer.from("something else"))
      const refused = await raw(tenant, id, bytes, "name=wo-4411.pdf", {
        "content-type": "application/pdf",
        "x-content-sha256": wrong
      })
      problem(refused, 422, "content_hash_mismatch")
      assert.include(refused.json.detail, sha(bytes))
      assert.deepStrictEqual(await list(tenant, id), [])
      assert.isFalse(await stat(tenant, sha(bytes)))
      assert.strictEqual(leftovers(), 0)
      assert.strictEqual((await audit(tenant, id)).filter((e) => e.action === "finding.attached").length, 0)

      const digest = createHash("sha256").update(bytes).digest("base64")
      const ok = await raw(tenant, id, bytes, "name=wo-4411.pdf&kind=work_order", {
        "content-type": "application/pdf",
        "repr-digest": `sha-256=:${digest}:`
      })
      assert.strictEqual(ok.status, 201, ok.bytes.toString())
      assert.strictEqual(ok.json.kind, "work_order")
      assert.isTrue(await stat(tenant, sha(bytes)))
      const down = await call(tenant, "GET", `/records/${id}/attachments/${ok.json.id}/content`)
      assert.strictEqual(sha(down.bytes), sha(bytes))
    })

    it("the tenant's size limit: 413 with the limit, nothing stored, no temporary file", async () => {
      const tenant = freshTenant("small")
      const id = await newFinding(tenant)
      const bytes = pdf(5000, 3)
      const big = await raw(tenant, id, bytes, "name=big.pdf", { "content-type": "application/pdf" })
      problem(big, 413, "content_too_large")
      assert.strictEqual(big.json.max_bytes, 1000)
      assert.deepStrictEqual(await list(tenant, id), [])
      assert.isFalse(await stat(tenant, sha(bytes)))
      assert.strictEqual(leftovers(), 0)
      const small = await raw(tenant, id, Buffer.from("a,b\n1,2\n"), "name=small.csv")
      assert.strictEqual(small.status, 201, small.bytes.toString())
      assert.strictEqual(small.json.mediaType, "text/csv")
      // The same 5 000 bytes fit another tenant's limit.
      const other = freshTenant("att")
      const otherId = await newFinding(other)
      assert.strictEqual((await raw(other, otherId, bytes, "name=big.pdf")).status, 201)
    })

    it("media types are recognised from the bytes and checked against the allow-list", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      problem(
        await upload(tenant, id, { name: "photo.pdf", type: "application/pdf", bytes: png }),
        422,
        "media_type_mismatch"
      )
      problem(await upload(tenant, id, { name: "tool.exe", bytes: exe }), 415, "unrecognised_content")
      problem(
        await upload(tenant, id, { name: "tool.exe", type: "application/x-msdownload", bytes: exe }),
        415,
        "media_type_not_allowed"
      )
      problem(
        await upload(tenant, id, {
          name: "page.html",
          type: "text/html",
          bytes: Buffer.from("<script>alert(1)</script>")
        }),
        415,
        "media_type_not_allowed"
      )
      problem(
        await upload(tenant, id, { name: "notes.txt", type: "image/png", bytes: Buffer.from("plain words") }),
        422,
        "media_type_mismatch"
      )
      assert.deepStrictEqual(await list(tenant, id), [])
      const photo = await upload(tenant, id, { name: "corrosion.png", type: "application/octet-stream", bytes: png })
      assert.strictEqual(photo.status, 201, photo.bytes.toString())
      assert.strictEqual(photo.json.mediaType, "image/png")
      const text = await upload(tenant, id, {
        name: "notes.txt",
        type: "text/plain; charset=utf-8",
        bytes: Buffer.from("Rückmeldung")
      })
      assert.strictEqual(text.json.mediaType, "text/plain")
      assert.strictEqual(leftovers(), 0)
    })

    it("Range requests: first byte, last byte, a middle span, open-ended, and 416 outside", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      const bytes = pdf(200_000, 4)
      const up = await raw(tenant, id, bytes, "name=r.pdf")
      const path = `/records/${id}/attachments/${up.json.id}/content`
      const range = (value: string, extra: Record<string, string> = {}) =>
        call(tenant, "GET", path, { headers: { range: value, ...extra } })
      const first = await range("bytes=0-0")
      assert.strictEqual(first.status, 206)
      assert.deepStrictEqual([...first.bytes], [bytes[0]])
      assert.strictEqual(first.headers.get("content-range"), `bytes 0-0/${bytes.byteLength}`)
      const last = await range("bytes=-1")
      assert.deepStrictEqual([...last.bytes], [bytes[bytes.byteLength - 1]])
      assert.strictEqual(last.headers.get("content-range"), `bytes 199999-199999/${bytes.byteLength}`)
      const middle = await range("bytes=65530-140000")
      assert.strictEqual(Buffer.compare(middle.bytes, bytes.subarray(65_530, 140_001)), 0)
      assert.strictEqual(middle.headers.get("content-length"), String(140_001 - 65_530))
      const open = await range("bytes=199990-")
      assert.strictEqual(Buffer.compare(open.bytes, bytes.subarray(199_990)), 0)
      const beyond = await range("bytes=150000-999999")
      assert.strictEqual(beyond.headers.get("content-range"), `bytes 150000-199999/${bytes.byteLength}`)
      const outside = await range(`bytes=${bytes.byteLength}-`)
      problem(outside, 416, "range_not_satisfiable")
      assert.strictEqual(outside.headers.get("content-range"), `bytes */${bytes.byteLength}`)
      problem(await range("bytes=10-5"), 416, "range_not_satisfiable")
      // Malformed or several ranges: the whole content; a stale If-Range: the whole content too.
      for (const value of ["bytes=abc", "items=0-1", "bytes=0-1,5-6"]) {
        const whole = await range(value)
        assert.strictEqual(whole.status, 200, value)
        assert.strictEqual(whole.bytes.byteLength, bytes.byteLength)
      }
      assert.strictEqual((await range("bytes=0-9", { "if-range": '"stale"' })).status, 200)
      assert.strictEqual((await range("bytes=0-9", { "if-range": `"${sha(bytes)}"` })).status, 206)
      const head = await call(tenant, "HEAD", path)
      assert.strictEqual(head.status, 200)
      assert.strictEqual(head.bytes.byteLength, 0)
      assert.strictEqual(head.headers.get("content-length"), String(bytes.byteLength))
    })

    it("another tenant gets 404; an actor without the permission 403, and nothing is stored", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      const bytes = pdf(20_000, 5)
      const up = await raw(tenant, id, bytes, "name=a.pdf")
      const path = `/records/${id}/attachments/${up.json.id}/content`
      const other = freshTenant("att")
      problem(await call(other, "GET", path), 404, "not_found")
      problem(await raw(other, id, pdf(1000, 6), "name=b.pdf"), 404, "not_found")
      assert.isFalse(await stat(other, sha(pdf(1000, 6))))
      assert.isFalse(await stat(other, sha(bytes)))

      const denied = await raw(tenant, id, pdf(1000, 7), "name=c.pdf", {}, "u-nobody")
      problem(denied, 403, "forbidden")
      assert.isFalse(await stat(tenant, sha(pdf(1000, 7))))
      problem(await call(tenant, "GET", path, { actor: "u-nobody" }), 403, "forbidden")
      // A viewer reads the content but may not upload.
      const viewed = await call(tenant, "GET", path, { actor: "u-vera" })
      assert.strictEqual(viewed.status, 200)
      assert.strictEqual(sha(viewed.bytes), sha(bytes))
      const viewer = await raw(tenant, id, pdf(1000, 8), "name=d.pdf", {}, "u-vera")
      problem(viewer, 403, "forbidden")
      assert.strictEqual(viewer.json.missing_permission, "record.attach")
      assert.isFalse(await stat(tenant, sha(pdf(1000, 8))))
      assert.strictEqual((await list(tenant, id)).length, 1)
    })

    it("a replayed upload with the same Idempotency-Key is the same attachment; another body under it is 409", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      const bytes = pdf(30_000, 9)
      const key = { "idempotency-key": "upload-wo-77" }
      const first = await raw(tenant, id, bytes, "name=wo-77.pdf", key)
      const again = await raw(tenant, id, bytes, "name=wo-77.pdf", key)
      assert.strictEqual(first.status, 201)
      assert.strictEqual(again.status, 201)
      assert.strictEqual(again.json.id, first.json.id)
      assert.strictEqual((await list(tenant, id)).length, 1)
      problem(await raw(tenant, id, pdf(30_000, 10), "name=wo-77.pdf", key), 409, "idempotency_conflict")
      assert.strictEqual((await list(tenant, id)).length, 1)
      // Without a key, the same bytes again are a second attachment sharing the stored content.
      const second = await raw(tenant, id, bytes, "name=wo-77.pdf")
      assert.notStrictEqual(second.json.id, first.json.id)
      assert.strictEqual(second.json.sha256, first.json.sha256)
      assert.strictEqual((await list(tenant, id)).length, 2)
      assert.strictEqual((await audit(tenant, id)).filter((e) => e.action === "finding.attached").length, 2)
    })

    it("a new version supersedes the old; the list shows the chain; a fork or a stranger's attachment is refused", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      const v1 = await raw(tenant, id, pdf(1000, 11), "name=procedure.pdf")
      const v2 = await upload(
        tenant,
        id,
        { name: "procedure.pdf", bytes: pdf(1200, 12) },
        { fields: { supersedes: v1.json.id } }
      )
      assert.strictEqual(v2.status, 201, v2.bytes.toString())
      assert.strictEqual(v2.json.supersedes, v1.json.id)
      const v3 = await raw(tenant, id, pdf(1300, 13), `name=procedure.pdf&supersedes=${v2.json.id}`)
      assert.strictEqual(v3.json.supersedes, v2.json.id)
      const chain = await list(tenant, id)
      assert.deepStrictEqual(
        chain.map((a: { id: string; supersedes: string | null }) => [a.id, a.supersedes]),
        [
          [v1.json.id, null],
          [v2.json.id, v1.json.id],
          [v3.json.id, v2.json.id]
        ]
      )
      const fork = await raw(tenant, id, pdf(1400, 14), `name=procedure.pdf&supersedes=${v1.json.id}`)
      problem(fork, 400, "validation_failed")
      assert.strictEqual(fork.json.issues[0].path, "supersedes")
      const otherRecord = await newFinding(tenant)
      problem(
        await raw(tenant, otherRecord, pdf(1500, 15), `name=x.pdf&supersedes=${v3.json.id}`),
        400,
        "validation_failed"
      )
      problem(await raw(tenant, id, pdf(1600, 16), "name=x.pdf&supersedes=nope"), 400, "validation_failed")
      assert.isFalse(await stat(tenant, sha(pdf(1500, 15))))
      // The old version's content stays downloadable: attachments are immutable.
      const old = await call(tenant, "GET", `/records/${id}/attachments/${v1.json.id}/content`)
      assert.strictEqual(sha(old.bytes), sha(pdf(1000, 11)))
    })

    it("metadata-only attachments keep working; their download is 404 attachment_content_missing", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      const bytes = pdf(2000, 17)
      // Metadata naming a hash whose bytes this tenant does have: still no content through it.
      await raw(tenant, id, bytes, "name=real.pdf")
      const meta = await call(tenant, "POST", `/records/${id}/attachments`, {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          kind: "evidence",
          name: "scan.pdf",
          mediaType: "application/pdf",
          size: 2000,
          sha256: sha(bytes)
        })
      })
      assert.strictEqual(meta.status, 201, meta.bytes.toString())
      assert.strictEqual(meta.json.hasContent, false)
      const one = await call(tenant, "GET", `/records/${id}/attachments/${meta.json.id}`)
      assert.strictEqual(one.json.name, "scan.pdf")
      problem(
        await call(tenant, "GET", `/records/${id}/attachments/${meta.json.id}/content`),
        404,
        "attachment_content_missing"
      )
      problem(await call(tenant, "GET", `/records/${id}/attachments/nope/content`), 404, "not_found")
      problem(await call(tenant, "GET", `/records/${id}/attachments/nope`), 404, "not_found")
    })

    it("hostile inputs get a 4xx, never a 5xx, and store nothing", async () => {
      const tenant = freshTenant("att")
      const id = await newFinding(tenant)
      const path = `/records/${id}/attachments/content`
      const b = "----x"
      const cases: Array<[string, Record<string, string>, (RequestInit["body"] & {}) | undefined]> = [
        ["no body", {}, undefined],
        ["no name", { "content-type": "application/pdf" }, pdf(100)],
        ["bad sha header", { "x-content-sha256": "../../etc" }, pdf(100)],
        ["multipart without boundary", { "content-type": "multipart/form-data" }, "x"],
        [
          "multipart without file",
          { "content-type": `multipart/form-data; boundary=${b}` },
          `--${b}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nx\r\n--${b}--\r\n`
        ],
        [
          "multipart never closed",
          { "content-type": `multipart/form-data; boundary=${b}` },
          `--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.7 and then nothing`
        ],
        [
          "multipart endless headers",
          { "content-type": `multipart/form-data; boundary=${b}` },
          `--${b}\r\n${"X-A: b\r\n".repeat(5000)}`
        ],
        ["multipart garbage", { "content-type": `multipart/form-data; boundary=${b}` }, "\u0000\u0001garbage"],
        ["a very long name", {}, pdf(100)],
        ["bad kind", {}, pdf(100)]
      ]
      for (const [what, headers, body] of cases) {
        const query =
          what === "a very long name"
            ? `name=${"n".repeat(5000)}`
            : what === "bad kind"
              ? `name=a.pdf&kind=${"k".repeat(100)}`
              : what === "no name"
                ? ""
                : "name=a.pdf"
        const r = await call(tenant, "POST", `${path}?${query}`, { headers, ...(body === undefined ? {} : { body }) })
        assert.isTrue(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${r.bytes.toString().slice(0, 300)}`)
        assert.strictEqual(r.headers.get("content-type"), "application/problem+json", what)
      }
      // A path and control characters in a file name: only the last segment is kept, and the header is safe.
      const odd = await raw(
        tenant,
        id,
        pdf(500, 18),
        `name=${encodeURIComponent('..\\..\\evil\r\nX-Injected: 1 "Prüfbericht" 100%.pdf')}`
      )
      assert.strictEqual(odd.status, 201, odd.bytes.toString())
      assert.strictEqual(odd.json.name, 'evilX-Injected: 1 "Prüfbericht" 100%.pdf')
      const down = await call(tenant, "GET", `/records/${id}/attachments/${odd.json.id}/content`)
      assert.strictEqual(
        down.headers.get("content-disposition"),
        `attachment; filename="evilX-Injected: 1 _Pr_fbericht_ 100_.pdf"; filename*=UTF-8''evilX-Injected%3A%201%20%22Pr%C3%BCfbericht%22%20100%25.pdf`
      )
      assert.isNull(down.headers.get("x-injected"))
      for (const attachmentId of ["x".repeat(5000), "%00", "..%2F..%2Fetc"]) {
        const r = await call(tenant, "GET", `/records/${id}/attachments/${attachmentId}/content`)
        assert.isTrue(r.status >= 400 && r.status < 500, `${attachmentId.slice(0, 20)}: ${r.status}`)
      }
      for (const recordId of ["%00", "x".repeat(300), "nope"]) {
        const r = await raw(tenant, recordId, pdf(100), "name=a.pdf")
        assert.include([400, 404], r.status, `${recordId.slice(0, 20)}: ${r.bytes.toString().slice(0, 200)}`)
        const d = await call(tenant, "GET", `/records/${recordId}/attachments/x/content`)
        assert.strictEqual(d.status, 404, recordId.slice(0, 20))
      }
      assert.strictEqual((await list(tenant, id)).length, 1)
      assert.strictEqual(leftovers(), 0)
    })

    it("OpenAPI declares the upload and download routes", async () => {
      const doc = (await call(freshTenant("att"), "GET", "/openapi.json")).json
      const up = doc.paths["/records/{id}/attachments/content"].post
      assert.strictEqual(up.operationId, "uploadAttachmentContent")
      assert.includeMembers(Object.keys(up.requestBody.content), ["multipart/form-data", "*/*"])
      assert.includeMembers(Object.keys(up.responses), ["201", "413", "415", "422"])
      const down = doc.paths["/records/{id}/attachments/{attachmentId}/content"].get
      assert.includeMembers(Object.keys(down.responses), ["200", "206", "304", "404", "416"])
      assert.ok(doc.paths["/records/{id}/attachments"].get)
    })
  })
}

// Over a real socket (@hono/node-server): the body arrives in network-sized pieces, a 20 MB file is
// stored and served back byte for byte, and the tenant's limit answers 413 while the client is still
// sending, leaving nothing behind.
describe("over a real server", () => {
  const dir = mkdtempSync(join(tmpdir(), "aw-http-blobs-real-"))
  let runtime: QmsRuntime.QmsRuntime
  let server: ServerType
  let base = ""
  beforeAll(async () => {
    runtime = ManagedRuntime.make(
      QmsRuntime.layer({
        database: TestDatabase.sqliteMemory as QmsRuntime.Config["database"],
        qms: {
          signingKey,
          ids: Ids.layerTest(98),
          blobs: BlobStore.directory({ path: dir }),
          attachments: { maxBytes: (tenantId) => (tenantId.startsWith("small") ? 100_000 : 64 * 1024 * 1024) }
        }
      })
    )
    await runtime.runtime()
    const app = new Hono()
    app.route("/qms", qmsRoutes({ runtime, authenticate, rateLimit: false }))
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        base = `http://127.0.0.1:${info.port}/qms`
        resolve()
      })
    })
  })
  afterAll(async () => {
    ;(server as Server).closeAllConnections()
    await new Promise((r) => server.close(r))
    await runtime.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  const findingIn = async (tenant: string) => {
    await staff(runtime, tenant)
    const res = await fetch(`${base}/findings`, {
      method: "POST",
      headers: { "x-tenant": tenant, "x-actor": "u-quinn", "content-type": "application/json" },
      body: JSON.stringify(finding)
    })
    return ((await res.json()) as { id: string }).id
  }

  it("stores 20 MB streamed in, serves it back whole, and refuses past the limit mid-upload", async () => {
    const tenant = freshTenant("real")
    const id = await findingIn(tenant)
    const bytes = pdf(20 * 1024 * 1024, 21)
    const headers = { "x-tenant": tenant, "x-actor": "u-quinn" }
    const up = await fetch(`${base}/records/${id}/attachments/content?name=manual.pdf`, {
      method: "POST",
      headers: { ...headers, "x-content-sha256": sha(bytes) },
      body: bytes
    })
    assert.strictEqual(up.status, 201, await up.clone().text())
    const attachment = (await up.json()) as { id: string; size: number }
    assert.strictEqual(attachment.size, bytes.byteLength)
    const down = await fetch(`${base}/records/${id}/attachments/${attachment.id}/content`, { headers })
    assert.strictEqual(down.status, 200)
    assert.strictEqual(sha(Buffer.from(await down.arrayBuffer())), sha(bytes))

    const small = freshTenant("small")
    const smallId = await findingIn(small)
    const refused = await fetch(`${base}/records/${smallId}/attachments/content?name=manual.pdf`, {
      method: "POST",
      headers: { "x-tenant": small, "x-actor": "u-quinn" },
      body: bytes
    })
    assert.strictEqual(refused.status, 413)
    const problem = (await refused.json()) as { code: string; max_bytes: number }
    assert.strictEqual(problem.code, "content_too_large")
    assert.strictEqual(problem.max_bytes, 100_000)
    assert.strictEqual(
      readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".part")).length,
      0
    )
    const listed = await fetch(`${base}/records/${smallId}/attachments`, {
      headers: { "x-tenant": small, "x-actor": "u-quinn" }
    })
    assert.deepStrictEqual(await listed.json(), [])
  })
})
