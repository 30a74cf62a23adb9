// Media types from the first bytes, and what an upload is stored as or refused with.
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { AttachmentContent } from "../src/index.js"

const b = (...xs: ReadonlyArray<number | string>) =>
  Buffer.concat(xs.map((x) => (typeof x === "string" ? Buffer.from(x, "latin1") : Buffer.from([x]))))
const allowed = AttachmentContent.defaultMediaTypes
const decide = (declared: string | undefined, name: string, head: Uint8Array) =>
  AttachmentContent.decide(declared, name, head, allowed)
const stored = (e: Either.Either<string, AttachmentContent.ContentRefused>) =>
  Either.isRight(e) ? e.right : `refused:${e.left.reason}`

describe("AttachmentContent", () => {
  it("recognises PDF, PNG, JPEG, GIF, TIFF (both byte orders), ZIP and text", () => {
    const cases: ReadonlyArray<readonly [Uint8Array, string]> = [
      [b("%PDF-1.4\n"), "application/pdf"],
      [b(0x89, "PNG\r\n", 0x1a, "\n", 0), "image/png"],
      [b(0xff, 0xd8, 0xff, 0xe0), "image/jpeg"],
      [b("GIF89a", 1, 0), "image/gif"],
      [b("GIF87a"), "image/gif"],
      [b("II*", 0, 8, 0), "image/tiff"],
      [b("MM", 0, "*"), "image/tiff"],
      [b("PK", 3, 4, 20, 0), "application/zip"]
    ]
    for (const [head, type] of cases) {
      const s = AttachmentContent.sniff(head)
      assert.strictEqual(s._tag === "signature" ? s.mediaType : s._tag, type)
    }
    assert.strictEqual(AttachmentContent.sniff(Buffer.from("Rückmeldung\r\n\tok"))._tag, "text")
    // A multi-byte character cut by the end of the sample is still text.
    assert.strictEqual(AttachmentContent.sniff(Buffer.from("abc€").subarray(0, 5))._tag, "text")
    assert.strictEqual(AttachmentContent.sniff(new Uint8Array(0))._tag, "text")
    for (const binary of [b("MZ", 0x90, 0), b("abc", 0, "def"), b(0xc0, 0x80), b(0xff, 0xfe, "x")]) {
      assert.strictEqual(AttachmentContent.sniff(binary)._tag, "binary")
    }
  })

  it("stores the declared type when the bytes agree, the sniffed one when none is declared", () => {
    const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert.strictEqual(stored(decide(docx, "report.docx", b("PK", 3, 4))), docx)
    assert.strictEqual(stored(decide(undefined, "report.docx", b("PK", 3, 4))), "application/zip")
    assert.strictEqual(stored(decide("Application/PDF; q=1", "a.pdf", b("%PDF-"))), "application/pdf")
    assert.strictEqual(stored(decide("application/octet-stream", "a.pdf", b("%PDF-"))), "application/pdf")
    assert.strictEqual(stored(decide(undefined, "Readings.CSV", b("a,b\n1,2\n"))), "text/csv")
    assert.strictEqual(stored(decide(undefined, "notes", b("plain"))), "text/plain")
    assert.strictEqual(stored(decide("text/csv", "x", b("a,b"))), "text/csv")
  })

  it("refuses contradictions, unknown bytes and types off the allow-list", () => {
    assert.strictEqual(
      stored(decide("application/pdf", "a.pdf", b(0x89, "PNG\r\n", 0x1a, "\n"))),
      "refused:media_type_mismatch"
    )
    assert.strictEqual(stored(decide("image/png", "a.png", b("just text"))), "refused:media_type_mismatch")
    assert.strictEqual(stored(decide("text/plain", "a.txt", b("MZ", 0x90, 0))), "refused:media_type_mismatch")
    assert.strictEqual(stored(decide(undefined, "a.exe", b("MZ", 0x90, 0))), "refused:unrecognised_content")
    assert.strictEqual(stored(decide("text/html", "a.html", b("<p>hi</p>"))), "refused:media_type_not_allowed")
    assert.strictEqual(
      stored(decide("application/x-msdownload", "a.exe", b("MZ", 0x90, 0))),
      "refused:media_type_not_allowed"
    )
    // A host may allow a type we cannot recognise: accepted as declared, unless the bytes say otherwise.
    const dwg = AttachmentContent.decide("image/vnd.dwg", "a.dwg", b("AC1027", 0, 0), [...allowed, "image/vnd.dwg"])
    assert.strictEqual(stored(dwg), "image/vnd.dwg")
    const e = decide("application/pdf", "a.pdf", b(0x89, "PNG\r\n", 0x1a, "\n"))
    assert.isTrue(Either.isLeft(e))
    if (Either.isLeft(e)) {
      assert.strictEqual(e.left.status, 422)
      assert.strictEqual(e.left.code, "media_type_mismatch")
      assert.strictEqual(e.left.sniffed, "image/png")
    }
  })

  it("keeps a file name's last segment without control characters", () => {
    assert.strictEqual(AttachmentContent.fileName("C:\\Users\\q\\cal.pdf"), "cal.pdf")
    assert.strictEqual(AttachmentContent.fileName("../../etc/passwd"), "passwd")
    assert.strictEqual(AttachmentContent.fileName("a\r\nb\u0000.pdf"), "ab.pdf")
    assert.strictEqual(AttachmentContent.fileName("dir/"), "")
  })
})
