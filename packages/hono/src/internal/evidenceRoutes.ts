// Evidence packs over HTTP: `GET /records/:id/evidence-pack` streams the ZIP (or, with `?format=pdf`,
// the summary PDF alone), the domain routes the record types' evidence profiles declare
// (`/findings/:id/evidence-pack`, ...) do the same for their type, and `POST /records/:id/evidence-pack`
// stores the pack on the record and emails chosen recipients. Permission, audit event and checks are
// `Evidence.exportPack`'s, so facade and Effect callers get the same answers.
import { Actor, Errors } from "@airworthy/core"
import { Evidence, type QmsModule } from "@airworthy/qms"
import { Cause, Effect, Either, Exit, Option, Schema, Stream } from "effect"
import type { Context, Hono } from "hono"
import * as Problem from "../Problem.js"
import type * as QmsRuntime from "../QmsRuntime.js"
import { contentDisposition } from "./attachmentContent.js"

/** The generic route, and each domain route a module's evidence profile declares (with its record type). */
export const evidencePaths = (
  modules: ReadonlyArray<QmsModule.Any>
): ReadonlyArray<{ readonly path: string; readonly recordType: string | undefined }> => [
  { path: "/records/:id/evidence-pack", recordType: undefined },
  ...modules.flatMap((m) =>
    m.evidence.flatMap((p) => (p.path === undefined ? [] : [{ path: p.path, recordType: p.recordType }]))
  )
]

const Query = Schema.Struct({
  format: Schema.optionalWith(Schema.Literal("zip", "pdf"), { default: () => "zip" as const }),
  depth: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(0, 5)))
})

const StoreBody = Schema.Struct({
  depth: Schema.optional(Schema.Int.pipe(Schema.between(0, 5))),
  notify: Schema.optional(
    Schema.Array(
      Schema.Struct({
        email: Schema.String.pipe(
          Schema.maxLength(320),
          Schema.pattern(/^[^\s@<>]+@[^\s@<>]+$/, { message: () => "an email address" })
        ),
        name: Schema.optionalWith(Schema.String.pipe(Schema.maxLength(200)), { exact: true })
      })
    ).pipe(Schema.maxItems(50))
  )
})

const decode = <A, I>(schema: Schema.Schema<A, I>, input: unknown): Either.Either<A, Errors.ValidationFailed> =>
  Either.mapLeft(Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(input), (e) =>
    Errors.fromParseError(e)
  )

export const mountEvidencePacks = (
  app: Hono,
  runtime: QmsRuntime.QmsRuntime,
  modules: ReadonlyArray<QmsModule.Any>,
  logFailure: (c: Context, cause: Cause.Cause<unknown>) => void
): void => {
  const run = async <A>(c: Context, effect: Effect.Effect<A, unknown, QmsRuntime.Services | Actor.CurrentActor>) => {
    const exit = await runtime.runPromiseExit(Actor.withActor(effect, c.get("actor")))
    if (Exit.isSuccess(exit)) return { ok: true as const, value: exit.value }
    const problem = Problem.fromCause(exit.cause, c.get("traceId") ?? "unknown")
    if (problem.status >= 500) logFailure(c, exit.cause)
    // The size and limit of a pack too large, the attachment of a corrupted one: said in the problem.
    const failure = Option.getOrUndefined(Cause.failureOption(exit.cause)) as
      | { _tag?: string; size?: number; limit?: number; attachmentId?: string; recordId?: string; name?: string }
      | undefined
    const extra =
      failure?._tag === "PackTooLarge"
        ? { size: failure.size, max_bytes: failure.limit }
        : failure?._tag === "AttachmentCorrupted"
          ? { record_id: failure.recordId, attachment_id: failure.attachmentId, attachment_name: failure.name }
          : {}
    return {
      ok: false as const,
      response: c.body(JSON.stringify({ ...problem, ...extra }), problem.status as 400, {
        "content-type": Problem.contentType
      })
    }
  }
  const invalid = (c: Context, error: Errors.ValidationFailed) =>
    Problem.respond(c, Problem.fromUnknown(error, c.get("traceId") ?? "unknown"))

  for (const { path, recordType } of evidencePaths(modules)) {
    app.get(path, async (c) => {
      const query = decode(Query, c.req.query())
      if (Either.isLeft(query)) return invalid(c, query.left)
      const { depth, format } = query.right
      const exported = await run(
        c,
        Evidence.exportPack(c.req.param("id") ?? "", {
          format,
          ...(depth === undefined ? {} : { depth }),
          ...(recordType === undefined ? {} : { recordType })
        })
      )
      if (!exported.ok) return exported.response
      const { pack } = exported.value
      const common = {
        "cache-control": "private, no-store",
        "x-manifest-sha256": pack.manifestSha256,
        "x-audit-event": String(exported.value.event.sequence)
      }
      if (format === "pdf") {
        return new Response(pack.summaryPdf, {
          status: 200,
          headers: {
            ...common,
            "content-type": "application/pdf",
            "content-length": String(pack.summaryPdf.byteLength),
            "content-disposition": contentDisposition(pack.fileName.replace(/\.zip$/, ".pdf"))
          }
        })
      }
      // Streamed while it is built; an attachment changed since the check cuts the response short (logged).
      const body = Stream.toReadableStream(
        pack.zip.pipe(Stream.tapErrorCause((cause) => Effect.sync(() => logFailure(c, cause))))
      )
      return new Response(body, {
        status: 200,
        headers: {
          ...common,
          "content-type": "application/zip",
          "content-disposition": contentDisposition(pack.fileName)
        }
      })
    })
  }

  app.post("/records/:id/evidence-pack", async (c) => {
    let raw: unknown = {}
    const text = await c.req.text()
    if (text.trim() !== "") {
      try {
        raw = JSON.parse(text)
      } catch {
        return invalid(c, new Errors.ValidationFailed({ issues: [{ path: "", message: "The body is not JSON" }] }))
      }
    }
    const body = decode(StoreBody, raw)
    if (Either.isLeft(body)) return invalid(c, body.left)
    const stored = await run(
      c,
      Evidence.exportPack(c.req.param("id"), {
        store: true,
        ...(body.right.depth === undefined ? {} : { depth: body.right.depth }),
        ...(body.right.notify === undefined ? {} : { notify: body.right.notify })
      })
    )
    if (!stored.ok) return stored.response
    const { attachment, event, pack } = stored.value
    return c.json(
      {
        attachment,
        manifestSha256: pack.manifestSha256,
        size: pack.size,
        records: pack.manifest.records.map((r) => r.ref),
        events: pack.manifest.events,
        auditEvent: event.sequence
      },
      201
    )
  })
}
