// The route table, derived from the QMS modules: one route per declared operation, with the Schemas
// that validate it. The Hono app and the OpenAPI document are both built from it, so they cannot
// drift apart, and neither holds a Schema of its own.
import type { Actor } from "@airworthy/core"
import { QmsModule } from "@airworthy/qms"
import { type Effect, type Either, type ParseResult, Schema } from "effect"
import type * as QmsRuntime from "../QmsRuntime.js"

// biome-ignore lint/suspicious/noExplicitAny: the encoded side of a route's Schema varies per route.
export type AnySchema = Schema.Schema<any, any, never>

export interface Route {
  readonly method: "get" | "post" | "patch"
  readonly path: string
  readonly operationId: string
  readonly summary: string
  readonly tag: string
  /** Decodes the query string into (part of) the input's wire form. */
  readonly query: AnySchema
  /** Whether the route reads the query string at all. */
  readonly hasQuery: boolean
  /** `query`'s decoder, made once. */
  readonly decodeQuery: (u: unknown) => Either.Either<unknown, ParseResult.ParseError>
  /** The operation's whole input (path parameters, query or body). */
  readonly input: AnySchema
  readonly response: AnySchema
  readonly status: 200 | 201
  readonly etag: boolean
  readonly access: QmsModule.Access
  readonly errors: ReadonlyArray<QmsModule.DeclaredError>
  /** Whether the input takes an `idempotencyKey` (filled from the Idempotency-Key header). */
  readonly idempotent: boolean
  readonly run: (input: unknown) => Effect.Effect<unknown, unknown, QmsRuntime.Services | Actor.CurrentActor>
}

const noQuery = Schema.Struct({})

/** Every route of the modules, relative to where the host mounts the sub-app. */
export const routesOf = (modules: ReadonlyArray<QmsModule.Any>): ReadonlyArray<Route> =>
  modules.flatMap((m) =>
    m.operations.map((op: QmsModule.AnyOperation): Route => {
      const invoke = QmsModule.invoke(op)
      return {
        method: op.http.method,
        path: op.http.path,
        operationId: op.operationId,
        summary: op.summary,
        tag: m.name,
        query: op.http.query ?? noQuery,
        hasQuery: op.http.query !== undefined,
        decodeQuery: Schema.decodeUnknownEither(op.http.query ?? noQuery, {
          errors: "all",
          onExcessProperty: "ignore"
        }),
        input: op.input,
        response: op.output,
        status: op.http.status ?? 200,
        etag: op.http.etag === true,
        access: op.access,
        errors: op.errors,
        idempotent: QmsModule.fieldsOf(op.input).includes("idempotencyKey"),
        run: invoke
      }
    })
  )
