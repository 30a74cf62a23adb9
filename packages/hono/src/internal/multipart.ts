// A streaming `multipart/form-data` reader for uploads: the small text fields before the file are
// read whole (bounded), the file's bytes are passed on as they arrive, never held whole. Fields that
// follow the file are not read (browsers send fields in form order: put the file last).

/** A malformed or oversized multipart body. */
export class MultipartError extends Error {}

/** The boundary of a `multipart/form-data` content type, or `undefined`. */
export const boundaryOf = (contentType: string | undefined): string | undefined => {
  if (contentType === undefined || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType)
  return m?.[1] ?? m?.[2]
}

export interface FilePart {
  readonly fields: Readonly<Record<string, string>>
  readonly filename: string | undefined
  readonly contentType: string | undefined
  /** The file's bytes; iterate once. */
  readonly content: AsyncIterable<Uint8Array>
}

const maxHeaderBytes = 8 * 1024
const maxFieldBytes = 16 * 1024
const maxFields = 32

const headerParam = (header: string, name: string): string | undefined => {
  // filename*=UTF-8''... (RFC 5987) wins over filename="..."
  if (name === "filename") {
    const ext = /;\s*filename\*\s*=\s*(?:UTF-8|utf-8)''([^;\s]+)/.exec(header)
    if (ext?.[1] !== undefined) {
      try {
        return decodeURIComponent(ext[1])
      } catch {
        throw new MultipartError("The part's filename* is not valid percent-encoded UTF-8")
      }
    }
  }
  const quoted = new RegExp(`;\\s*${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`, "i").exec(header)
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(.)/g, "$1")
  const bare = new RegExp(`;\\s*${name}\\s*=\\s*([^;\\s]+)`, "i").exec(header)
  return bare?.[1]
}

/**
 * Reads `body` up to its first part that has a filename (or is named `file`), and gives that part's
 * bytes as a stream. Throws `MultipartError` when the body is malformed or has no file.
 */
export const readFilePart = async (body: ReadableStream<Uint8Array>, boundary: string): Promise<FilePart> => {
  const reader = body.getReader()
  let buf: Buffer = Buffer.alloc(0)
  let done = false
  const fill = async (): Promise<boolean> => {
    if (done) return false
    const r = await reader.read()
    if (r.done) {
      done = true
      return false
    }
    buf = buf.length === 0 ? Buffer.from(r.value) : Buffer.concat([buf, r.value])
    return true
  }
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  // Until `needle` is in the buffer (at most `limit` bytes before it); returns its index.
  const until = async (needle: Buffer, limit: number, what: string): Promise<number> => {
    for (;;) {
      const at = buf.indexOf(needle)
      if (at >= 0) {
        if (at > limit) throw new MultipartError(`${what} is longer than ${limit} bytes`)
        return at
      }
      if (buf.length > limit + needle.length) throw new MultipartError(`${what} is longer than ${limit} bytes`)
      if (!(await fill())) throw new MultipartError(`The body ended inside ${what.toLowerCase()}`)
    }
  }
  // The preamble may be empty (the body starts with the first delimiter, without its CRLF).
  buf = Buffer.concat([Buffer.from("\r\n"), buf])
  const first = await until(delimiter, maxHeaderBytes, "The preamble")
  buf = buf.subarray(first + delimiter.length)
  const fields: Record<string, string> = {}
  for (let part = 0; ; part++) {
    if (part > maxFields) throw new MultipartError(`More than ${maxFields} fields before the file`)
    while (buf.length < 2) if (!(await fill())) throw new MultipartError("The body ended after a delimiter")
    if (buf[0] === 0x2d && buf[1] === 0x2d) throw new MultipartError("No file part (a part with a filename)")
    const headersEnd = await until(Buffer.from("\r\n\r\n"), maxHeaderBytes, "A part's headers")
    const headerText = buf.subarray(0, headersEnd).toString("utf8")
    buf = buf.subarray(headersEnd + 4)
    const headers = new Map<string, string>()
    for (const line of headerText.split("\r\n")) {
      const colon = line.indexOf(":")
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
    }
    const disposition = headers.get("content-disposition")
    if (disposition === undefined || !/^form-data\b/i.test(disposition))
      throw new MultipartError("A part without Content-Disposition: form-data")
    const name = headerParam(disposition, "name") ?? ""
    const filename = headerParam(disposition, "filename")
    if (filename !== undefined || name === "file") {
      return { fields, filename, contentType: headers.get("content-type"), content: fileBytes() }
    }
    const end = await until(delimiter, maxFieldBytes, `Field ${name.slice(0, 40)}`)
    fields[name] = buf.subarray(0, end).toString("utf8")
    buf = buf.subarray(end + delimiter.length)
  }

  async function* fileBytes(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const at = buf.indexOf(delimiter)
        if (at >= 0) {
          if (at > 0) yield buf.subarray(0, at)
          return
        }
        // Keep what could be the start of the delimiter; pass the rest on.
        const safe = buf.length - (delimiter.length - 1)
        if (safe > 0) {
          const out = buf.subarray(0, safe)
          buf = buf.subarray(safe)
          yield out
        }
        if (!(await fill())) throw new MultipartError("The body ended before the file part's closing delimiter")
      }
    } finally {
      reader.releaseLock()
    }
  }
}
