/**
 * Typed statement helpers: build with Kysely, run with `@effect/sql`.
 *
 * ```ts
 * const q = Query.make<MyTables>()
 * const open = q.rows((db) => db.selectFrom("aw_tasks").selectAll().where("status", "=", "open"))
 * ```
 *
 * Parameters are encoded so both drivers accept them: booleans become 1/0 on SQLite, Dates become
 * ISO-8601 strings, plain objects and arrays become JSON text, `undefined` becomes NULL.
 *
 * @since 0.1.0
 */
import { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"
import type { Compilable, CompiledQuery, Kysely } from "kysely"
import { type Dialect, Storage } from "./Storage.js"
import { fromCause, StorageError } from "./StorageError.js"

/**
 * A value either driver accepts as a bound parameter.
 * @since 0.1.0
 * @category models
 */
export type Param = string | number | bigint | boolean | Uint8Array | null

/**
 * Encodes one parameter for a dialect.
 * @since 0.1.0
 * @category encoding
 */
export const encodeParam = (value: unknown, dialect: Dialect): Param => {
  if (value === undefined || value === null) return null
  switch (typeof value) {
    case "string":
    case "number":
    case "bigint":
      return value
    case "boolean":
      return dialect === "sqlite" ? (value ? 1 : 0) : value
    case "object":
      if (value instanceof Date) return value.toISOString()
      if (value instanceof Uint8Array) return dialect === "sqlite" ? Buffer.from(value) : value
      return JSON.stringify(value)
    default:
      throw new TypeError(`Cannot bind a ${typeof value} as an SQL parameter`)
  }
}

/**
 * Encodes every parameter of a compiled query.
 * @since 0.1.0
 * @category encoding
 */
export const encodeParams = (params: ReadonlyArray<unknown>, dialect: Dialect): Array<Param> =>
  params.map((p) => encodeParam(p, dialect))

/**
 * Builds a statement from the dialect-aware compiler.
 * @since 0.1.0
 * @category models
 */
export type Build<DB, O> = (db: Kysely<DB>) => Compilable<O>

const run = <DB, O>(build: Build<DB, O>) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const sql = yield* SqlClient.SqlClient
    const compiled: CompiledQuery<O> = build(storage.compiler as Kysely<DB>).compile()
    const params = yield* Effect.try({
      try: () => encodeParams(compiled.parameters, storage.dialect),
      catch: (cause) => new StorageError({ reason: "query", message: String(cause), cause })
    })
    return yield* sql
      .withoutTransforms()
      .unsafe<O & object>(compiled.sql, params)
      .pipe(Effect.mapError((cause) => fromCause(cause)))
  })

/**
 * Every row the query returns.
 * @since 0.1.0
 * @category execution
 */
export const rows = <DB, O>(
  build: Build<DB, O>
): Effect.Effect<ReadonlyArray<O>, StorageError, Storage | SqlClient.SqlClient> =>
  run(build) as Effect.Effect<ReadonlyArray<O>, StorageError, Storage | SqlClient.SqlClient>

/**
 * The first row, or `Option.none()`.
 * @since 0.1.0
 * @category execution
 */
export const maybe = <DB, O>(
  build: Build<DB, O>
): Effect.Effect<Option.Option<O>, StorageError, Storage | SqlClient.SqlClient> =>
  Effect.map(rows(build), (rs) => Option.fromNullable(rs[0]))

/**
 * Exactly the first row; no row is a `StorageError` with reason `no_row`.
 * @since 0.1.0
 * @category execution
 */
export const one = <DB, O>(build: Build<DB, O>): Effect.Effect<O, StorageError, Storage | SqlClient.SqlClient> =>
  Effect.flatMap(rows(build), (rs) =>
    rs[0] === undefined
      ? Effect.fail(new StorageError({ reason: "no_row", message: "The query returned no row" }))
      : Effect.succeed(rs[0])
  )

/**
 * Runs a statement for its effect.
 * @since 0.1.0
 * @category execution
 */
export const exec = <DB, O>(build: Build<DB, O>): Effect.Effect<void, StorageError, Storage | SqlClient.SqlClient> =>
  Effect.asVoid(run(build))

/**
 * Runs raw SQL (DDL, dialect-specific statements) with encoded parameters.
 * @since 0.1.0
 * @category execution
 */
export const unsafe = <O extends object = Record<string, unknown>>(
  statement: string,
  params: ReadonlyArray<unknown> = []
): Effect.Effect<ReadonlyArray<O>, StorageError, Storage | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const sql = yield* SqlClient.SqlClient
    return yield* sql
      .withoutTransforms()
      .unsafe<O>(statement, encodeParams(params, storage.dialect))
      .pipe(Effect.mapError((cause) => fromCause(cause)))
  })

/**
 * The helpers bound to one table schema, so `db` is typed.
 * @since 0.1.0
 * @category constructors
 */
export const make = <DB>() => ({
  rows: <O>(build: Build<DB, O>) => rows(build),
  maybe: <O>(build: Build<DB, O>) => maybe(build),
  one: <O>(build: Build<DB, O>) => one(build),
  exec: <O>(build: Build<DB, O>) => exec(build)
})

/**
 * Runs an effect in one transaction (joining the current one if there is one).
 * @since 0.1.0
 * @category transactions
 */
export const transaction = <A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E | StorageError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(self).pipe(
      Effect.catchIf(
        (e): e is Extract<typeof e, { _tag: "SqlError" }> =>
          typeof e === "object" && e !== null && "_tag" in e && e._tag === "SqlError",
        (e) => Effect.fail(fromCause(e))
      )
    )
  ) as Effect.Effect<A, E | StorageError, R | SqlClient.SqlClient>
