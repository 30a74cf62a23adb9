// The PostgreSQL client under row-level security: the same pool, but every transaction begins by
// making the tenant settings of the fiber's scope, and a statement outside a transaction runs in a
// transaction of its own that does the same. Settings are transaction-local (`set_config(..., true)`),
// so nothing outlives the transaction on a pooled connection.
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient, type SqlConnection, SqlError } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Option, Stream } from "effect"
import * as RowLevelSecurity from "./scope.js"

type Connection = SqlConnection.Connection

// What `withTransaction` sends to begin; the reserved connection turns it into BEGIN plus the
// settings, in one round trip (simple protocol: no parameters, the tenant is a quoted literal).
const beginMarker = "BEGIN /* airworthy: tenant settings */"

const delegate = (conn: Connection, executeUnprepared: Connection["executeUnprepared"]): Connection => ({
  execute: (sql, params, transformRows) => conn.execute(sql, params, transformRows),
  executeRaw: (sql, params) => conn.executeRaw(sql, params),
  executeStream: (sql, params, transformRows) => conn.executeStream(sql, params, transformRows),
  executeValues: (sql, params) => conn.executeValues(sql, params),
  executeUnprepared
})

const beginning = (conn: Connection, scope: Option.Option<RowLevelSecurity.Scope>): Connection =>
  delegate(conn, (sql, params, transformRows) =>
    sql === beginMarker
      ? Effect.as(
          conn.executeUnprepared(
            Option.isSome(scope) ? `BEGIN; ${RowLevelSecurity.setScopeSql(scope.value)}` : "BEGIN",
            [],
            undefined
          ),
          []
        )
      : conn.executeUnprepared(sql, params, transformRows)
  )

/**
 * Wraps a PostgreSQL `SqlClient` (made without name transforms) so that every statement runs with the
 * tenant settings of its fiber's scope.
 */
export const make = (inner: SqlClient.SqlClient): Effect.Effect<SqlClient.SqlClient> =>
  Effect.gen(function* () {
    let self: SqlClient.SqlClient | undefined
    const inTransaction = <A>(f: (conn: Connection) => Effect.Effect<A, SqlError.SqlError>) =>
      (self as SqlClient.SqlClient).withTransaction(
        Effect.flatMap(
          Effect.serviceOption(SqlClient.TransactionConnection),
          Option.match({
            onNone: () => Effect.fail(new SqlError.SqlError({ message: "No transaction connection" })),
            onSome: ([conn]) => f(conn)
          })
        )
      )
    // A statement outside any transaction, with a scope: its own transaction (BEGIN + settings,
    // the statement, COMMIT), through the same code path as every other transaction.
    const ownTransaction: Connection = {
      execute: (sql, params, transformRows) => inTransaction((c) => c.execute(sql, params, transformRows)),
      executeRaw: (sql, params) => inTransaction((c) => c.executeRaw(sql, params)),
      executeValues: (sql, params) => inTransaction((c) => c.executeValues(sql, params)),
      executeUnprepared: (sql, params, transformRows) =>
        inTransaction((c) => c.executeUnprepared(sql, params, transformRows)),
      // A cursor cannot outlive its transaction here: the rows are read whole, then streamed.
      executeStream: (sql, params, transformRows) =>
        Stream.unwrap(
          Effect.map(
            inTransaction((c) => Stream.runCollect(c.executeStream(sql, params, transformRows))),
            Stream.fromChunk
          )
        )
    }
    self = yield* SqlClient.make({
      // Outside a transaction: without a scope, a plain pooled connection (it sees no tenant row).
      acquirer: Effect.flatMap(RowLevelSecurity.current, (scope) =>
        Option.isSome(scope) ? Effect.succeed(ownTransaction) : inner.reserve
      ),
      transactionAcquirer: Effect.flatMap(RowLevelSecurity.current, (scope) =>
        Effect.map(inner.reserve, (conn) => beginning(conn, scope))
      ),
      beginTransaction: beginMarker,
      compiler: PgClient.makeCompiler(),
      spanAttributes: [["db.system.name", "postgresql"]]
    }).pipe(Effect.provide(Reactivity.layer))
    return self
  })
