// The streaming multipart reader, fed in pieces of every size: the delimiter split across pieces,
// file bytes that almost look like a delimiter, fields before the file, and malformed bodies.
import { assert, describe, it } from "@effect/vitest"
import { boundaryOf, MultipartError, readFilePart } from "../src/internal/multipart.js"

const boundary = "----aw7d1f"
const trap = Buffer.from(`\r\n--${boundary.slice(0, -1)}X\r\n-\r\n--\r\n`)
const file = Buffer.concat([Buffer.from("%PDF-1.7\n"), trap, Buffer.alloc(5000, 0x41), trap, Buffer.from("end")])
const body = Buffer.concat([
  Buffer.from(`preamble\r\n--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nevidence\r\n`),
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="supersedes"\r\n\r\n0192-abc\r\n`),
  Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"; filename*=UTF-8''Pr%C3%BCfbericht.pdf\r\nContent-Type: application/pdf\r\n\r\n`
  ),
  file,
  Buffer.from(`\r\n--${boundary}--\r\n`)
])

const inPieces = (bytes: Buffer, size: (i: number) => number) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      let at = 0
      for (let i = 0; at < bytes.length; i++) {
        const n = Math.max(1, size(i))
        controller.enqueue(new Uint8Array(bytes.subarray(at, at + n)))
        at += n
      }
      controller.close()
    }
  })

const collect = async (content: AsyncIterable<Uint8Array>) => {
  const parts: Array<Uint8Array> = []
  for await (const c of content) parts.push(c)
  return Buffer.concat(parts)
}

describe("multipart", () => {
  it("reads the fields and the file's exact bytes whatever the piece sizes", async () => {
    for (const size of [() => 1, () => 2, () => 7, () => 61, (i: number) => (i * 37) % 113, () => 100_000]) {
      const part = await readFilePart(inPieces(body, size), boundary)
      assert.deepStrictEqual(part.fields, { kind: "evidence", supersedes: "0192-abc" })
      assert.strictEqual(part.filename, "Prüfbericht.pdf")
      assert.strictEqual(part.contentType, "application/pdf")
      const bytes = await collect(part.content)
      assert.strictEqual(Buffer.compare(bytes, file), 0, `pieces of ${size(3)}`)
    }
  })

  it("finds the boundary in the content type, quoted or not", () => {
    assert.strictEqual(boundaryOf(`multipart/form-data; boundary=${boundary}`), boundary)
    assert.strictEqual(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"'), "a b")
    assert.strictEqual(boundaryOf("multipart/form-data"), undefined)
    assert.strictEqual(boundaryOf("application/pdf"), undefined)
  })

  it("refuses a body with no file, an unclosed file, or endless headers", async () => {
    const refuses = async (text: string, what: RegExp) => {
      let error: unknown
      try {
        await collect(
          (
            await readFilePart(
              inPieces(Buffer.from(text), () => 5),
              boundary
            )
          ).content
        )
      } catch (e) {
        error = e
      }
      const caught = error ?? new Error("no error")
      assert.instanceOf(caught, MultipartError)
      assert.match((caught as Error).message, what)
    }
    await refuses(
      `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--${boundary}--\r\n`,
      /No file/
    )
    await refuses(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nnever closed`,
      /ended before/
    )
    await refuses(`--${boundary}\r\n${"X-A: b\r\n".repeat(5000)}`, /headers is longer/)
    await refuses("no delimiter at all", /ended inside the preamble/)
  })
})
