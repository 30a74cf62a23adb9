/**
 * The OpenAPI 3.1 document of the routes, generated from the same Schemas that decode their input
 * (`JSONSchema` from `effect`, wire form: what a client sends and receives).
 *
 * @since 0.1.0
 */
import type { QmsModule } from "@airworthy/qms"
import { QmsRecord } from "@airworthy/records"
import { JSONSchema, Schema } from "effect"
import type { AnySchema, Route } from "./internal/routes.js"
import * as Problem from "./Problem.js"

/**
 * Options of {@link make}.
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly title?: string
  readonly version?: string
  /**
   * Where the host mounted the routes, e.g. `/qms` (the `servers` entry). `qmsRoutes` fills it from
   * the path `openapi.json` was fetched under when not given.
   */
  readonly basePath?: string
  /** The browser session cookie's name, when `qmsRoutes` accepts one (a second security scheme). */
  readonly sessionCookie?: string
}

type Json = { [key: string]: unknown }

// `Schema.Unknown` becomes `{ "$id": "/schemas/unknown" }`; repeated, that `$id` makes the document invalid.
const withoutIds = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(withoutIds)
  if (typeof u !== "object" || u === null) return u
  const out: Json = {}
  for (const [k, v] of Object.entries(u)) if (k !== "$id") out[k] = withoutIds(v)
  return out
}

const accessText = (access: QmsModule.Access): string => {
  switch (access._tag) {
    case "permission":
      return access.on === undefined ? access.permission : `${access.permission} on the record`
    case "record":
      return `the record type's ${access.action} permission`
    case "transition":
      return "the transition's permission"
    case "actor":
      return "any authenticated actor"
  }
}

const problemResponse = (description: string): Json => ({
  description,
  content: { [Problem.contentType]: { schema: { $ref: "#/components/schemas/Problem" } } }
})

/**
 * Builds the document for a route table (the routes `qmsRoutes` serves, plus health, readiness,
 * events and this document).
 * @since 0.1.0
 * @category constructors
 */
export const make = (routes: ReadonlyArray<Route>, options: Options = {}): Json => {
  const definitions: Record<string, JSONSchema.JsonSchema7> = {}
  const toJson = (schema: Schema.Schema.Any): JSONSchema.JsonSchema7 =>
    JSONSchema.fromAST(Schema.encodedBoundSchema(schema).ast, {
      definitions,
      definitionPath: "#/components/schemas/",
      target: "openApi3.1",
      topLevelReferenceStrategy: "keep"
    })
  toJson(Problem.Problem)
  const paths: Record<string, Record<string, unknown>> = {}
  const add = (path: string, method: string, operation: Json) => {
    const p = path.replace(/:([A-Za-z_]+)/g, "{$1}")
    paths[p] = { ...paths[p], [method]: operation }
  }
  for (const r of routes) {
    const names = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] ?? "")
    const pathParams = names.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } }))
    const queryParams: Array<Json> = []
    const q = toJson(r.query) as { properties?: Record<string, unknown>; required?: ReadonlyArray<string> }
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      queryParams.push({ name, in: "query", required: (q.required ?? []).includes(name), schema })
    }
    // The body is the input without the fields the path names.
    const body =
      r.method === "get"
        ? undefined
        : toJson(
            (Schema.omit as unknown as (...keys: ReadonlyArray<string>) => (s: AnySchema) => AnySchema)(...names)(
              r.input
            )
          )
    const declared: Record<string, Json> = {}
    for (const e of r.errors) {
      const key = String(e.problem.status)
      const known = declared[key]
      declared[key] = problemResponse(
        known === undefined
          ? `${e.problem.title} (\`${e.problem.code}\`)`
          : `${known.description}; ${e.problem.title} (\`${e.problem.code}\`)`
      )
    }
    const success = String(r.status)
    add(r.path, r.method, {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      "x-permission": accessText(r.access),
      parameters: [...pathParams, ...queryParams],
      ...(body === undefined
        ? {}
        : { requestBody: { required: true, content: { "application/json": { schema: body } } } }),
      responses: {
        [success]: {
          description: "OK",
          ...(r.etag ? { headers: { ETag: { schema: { type: "string" } } } } : {}),
          content: { "application/json": { schema: toJson(r.response) } }
        },
        ...(r.etag ? { "304": { description: "Not modified (If-None-Match matched)" } } : {}),
        "400": problemResponse("Invalid input (`issues`)"),
        "401": problemResponse("Not authenticated"),
        ...(r.access._tag === "actor" ? {} : { "403": problemResponse("Missing permission (`missing_permission`)") }),
        ...(r.method === "get"
          ? {}
          : {
              "413": problemResponse("Body too large"),
              "429": problemResponse("Too many writes; see Retry-After")
            }),
        ...declared,
        default: problemResponse("Any other problem")
      }
    })
  }
  const open = { security: [] as Array<never> }
  add("/health", "get", {
    operationId: "health",
    summary: "Liveness",
    tags: ["operations"],
    ...open,
    responses: { "200": { description: "The process is up" } }
  })
  add("/ready", "get", {
    operationId: "ready",
    summary: "Readiness: the database answers",
    tags: ["operations"],
    ...open,
    responses: { "200": { description: "Ready" }, "503": problemResponse("The database does not answer") }
  })
  add("/events", "get", {
    operationId: "events",
    summary:
      "Server-Sent Events of the actor's tenant: replayed from the audit log after Last-Event-ID (or ?lastEventId=), then live; `event: reset` for an unknown or expired cursor",
    tags: ["events"],
    parameters: [
      { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } },
      { name: "lastEventId", in: "query", required: false, schema: { type: "string" } }
    ],
    responses: {
      "200": { description: "An event stream", content: { "text/event-stream": { schema: { type: "string" } } } },
      "401": problemResponse("Not authenticated"),
      "403": problemResponse("Missing permission")
    }
  })
  const attachmentParams = [
    { name: "id", in: "path", required: true, schema: { type: "string" } },
    { name: "attachmentId", in: "path", required: true, schema: { type: "string" } }
  ]
  const binary = { type: "string", contentMediaType: "application/octet-stream" }
  add("/records/:id/attachments/content", "post", {
    operationId: "uploadAttachmentContent",
    summary:
      "Upload a file as a new attachment: multipart/form-data (the file part last) or the raw bytes with the file name in ?name=. The media type is recognised from the bytes and checked against the allow-list; a declared SHA-256 (X-Content-SHA256, Repr-Digest or the sha256 field) must match. Immutable: a new version names the one it supersedes",
    tags: ["records"],
    "x-permission": "the record type's attach permission",
    parameters: [
      attachmentParams[0],
      { name: "name", in: "query", required: false, schema: { type: "string" }, description: "File name (raw body)" },
      { name: "kind", in: "query", required: false, schema: { type: "string" }, description: "Default `document`" },
      { name: "supersedes", in: "query", required: false, schema: { type: "string" } },
      { name: "sha256", in: "query", required: false, schema: { type: "string", pattern: "^[0-9a-f]{64}$" } },
      { name: "X-Content-SHA256", in: "header", required: false, schema: { type: "string" } },
      {
        name: "Repr-Digest",
        in: "header",
        required: false,
        schema: { type: "string" },
        description: "sha-256=:base64:"
      },
      { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string" } }
    ],
    requestBody: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["file"],
            properties: {
              kind: { type: "string" },
              supersedes: { type: "string" },
              sha256: { type: "string" },
              name: { type: "string", description: "Overrides the file part's filename" },
              file: binary
            }
          }
        },
        "*/*": { schema: binary }
      }
    },
    responses: {
      "201": {
        description: "Attached; Location names the content",
        headers: { Location: { schema: { type: "string" } } },
        content: { "application/json": { schema: toJson(QmsRecord.Attachment) } }
      },
      "400": problemResponse("Invalid input or an unreadable body (`invalid_multipart`, `body_missing`)"),
      "401": problemResponse("Not authenticated"),
      "403": problemResponse("Missing permission (`missing_permission`)"),
      "404": problemResponse("No such record in the actor's tenant (`not_found`)"),
      "409": problemResponse("Idempotency key reused for another upload (`idempotency_conflict`)"),
      "413": problemResponse("Larger than the tenant's limit (`content_too_large`, `max_bytes`)"),
      "415": problemResponse("Media type not allowed (`media_type_not_allowed`, `unrecognised_content`)"),
      "422": problemResponse(
        "The declared SHA-256 or media type contradicts the bytes (`content_hash_mismatch`, `media_type_mismatch`)"
      ),
      "429": problemResponse("Too many writes; see Retry-After"),
      default: problemResponse("Any other problem")
    }
  })
  add("/records/:id/attachments/:attachmentId/content", "get", {
    operationId: "downloadAttachmentContent",
    summary:
      "Download an attachment's content (Content-Disposition: attachment). ETag is the SHA-256 (304 on If-None-Match); one bytes= Range gives 206 with Content-Range",
    tags: ["records"],
    "x-permission": "the record type's read permission",
    parameters: [
      ...attachmentParams,
      { name: "Range", in: "header", required: false, schema: { type: "string" }, description: "bytes=start-end" },
      { name: "If-Range", in: "header", required: false, schema: { type: "string" } },
      { name: "If-None-Match", in: "header", required: false, schema: { type: "string" } }
    ],
    responses: {
      "200": {
        description: "The content",
        headers: {
          ETag: { schema: { type: "string" } },
          "Content-Disposition": { schema: { type: "string" } },
          "Accept-Ranges": { schema: { type: "string" } }
        },
        content: { "*/*": { schema: binary } }
      },
      "206": {
        description: "The requested range",
        headers: { "Content-Range": { schema: { type: "string" } }, ETag: { schema: { type: "string" } } },
        content: { "*/*": { schema: binary } }
      },
      "304": { description: "Not modified (If-None-Match matched)" },
      "401": problemResponse("Not authenticated"),
      "403": problemResponse("Missing permission (`missing_permission`)"),
      "404": problemResponse(
        "No such record or attachment (`not_found`); metadata only, no content uploaded (`attachment_content_missing`)"
      ),
      "416": problemResponse("Range outside the content (`range_not_satisfiable`; Content-Range: bytes */size)"),
      default: problemResponse("Any other problem")
    }
  })
  add("/openapi.json", "get", {
    operationId: "openapi",
    summary: "This document",
    tags: ["operations"],
    ...open,
    responses: { "200": { description: "OpenAPI 3.1", content: { "application/json": { schema: {} } } } }
  })
  const securitySchemes: Json = {
    bearer: {
      type: "http",
      scheme: "bearer",
      description: "The host's token in `Authorization: Bearer …`, mapped to an actor by the host's `authenticate`"
    },
    ...(options.sessionCookie === undefined
      ? {}
      : {
          session: {
            type: "apiKey",
            in: "cookie",
            name: options.sessionCookie,
            description:
              "The browser session cookie (HttpOnly, Secure, SameSite=Strict). Unsafe methods also need the header `X-Airworthy-CSRF` and an allowed `Origin` (403 `csrf_check_failed` otherwise)"
          }
        })
  }
  return withoutIds({
    openapi: "3.1.0",
    info: { title: options.title ?? "Airworthy QMS", version: options.version ?? "0.1.0" },
    ...(options.basePath === undefined ? {} : { servers: [{ url: options.basePath }] }),
    security: options.sessionCookie === undefined ? [{ bearer: [] }] : [{ bearer: [] }, { session: [] }],
    paths,
    components: { schemas: definitions, securitySchemes }
  }) as Json
}
