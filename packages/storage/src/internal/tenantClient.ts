// The PostgreSQL client under row-level security: the same pool, but every transaction carries the
// tenant settings of the fiber's scope, and a statement outside a transaction runs in a transaction
// of its own that does the same. Settings are transaction-local (`set_config(..., true)`), so nothing
// outlives the transaction on a pooled connection.
import * as Reactivity from "@effect/experimental/Reactivity"
import { SqlClient, type SqlConnection, SqlError } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Option, Stream } from "effect"
import * as Scope from "./scope.js"

type Connection = SqlConnection.Connection

// What `withTransaction` sends to begin; the reserved connection turns it into BEGIN plus the
// settings, in one round trip (simple protocol: no parameters, the tenant is a quoted literal).
const beginMarker = "BEGIN /* airworthy: tenant settings */"

/**
 * A connection reserved for one transaction. Its settings follow the scope of each statement: the
 * scope at BEGIN is set with it; a statement whose fiber has another scope (a transaction begun
 * before the actor was known, a `withTenant` nested inside) sets its own first; a statement with no
 * scope keeps what the transaction has. A rollback to a savepoint may undo a setting, so the next
 * scoped statement sets it again.
 */
const transactionConnection = (conn: Connection, atBegin: Option.Option<Scope.Scope>): Connection => {
  let applied: Scope.Scope | undefined
  const ensure = <A>(self: Effect.Effect<A, SqlError.SqlError>): Effect.Effect<A, SqlError.SqlError> =>
    Effect.flatMap(Scope.current, (scope) => {
      if (Option.isNone(scope) || (applied !== undefined && Scope.sameScope(applied, scope.value))) return self
      const next = scope.value
      return conn.executeUnprepared(Scope.setScopeSql(next), [], undefined).pipe(
        Effect.tap(() => {
          applied = next
        }),
        Effect.zipRight(self)
      )
    })
  return {
    execute: (sql, params, transformRows) => ensure(conn.execute(sql, params, transformRows)),
    executeRaw: (sql, params) => ensure(conn.executeRaw(sql, params)),
    executeValues: (sql, params) => ensure(conn.executeValues(sql, params)),
    executeStream: (sql, params, transformRows) =>
      Stream.unwrap(ensure(Effect.sync(() => conn.executeStream(sql, params, transformRows)))),
    executeUnprepared: (sql, params, transformRows) => {
      if (sql === beginMarker) {
        if (Option.isNone(atBegin)) return conn.executeUnprepared("BEGIN", [], undefined)
        const scope = atBegin.value
        return conn.executeUnprepared(`BEGIN; ${Scope.setScopeSql(scope)}`, [], undefined).pipe(
          Effect.tap(() => {
            applied = scope
          }),
          Effect.as([])
        )
      }
      // `withTransaction`'s own statements (COMMIT, ROLLBACK, SAVEPOINT) pass as they are.
      if (/^(COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/.test(sql)) {
        if (sql.startsWith("ROLLBACK TO SAVEPOINT")) applied = undefined
        return conn.executeUnprepared(sql, params, transformRows)
      }
      return ensure(conn.executeUnprepared(sql, params, transformRows))
    }
  }
}

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
      acquirer: Effect.flatMap(Scope.current, (scope) =>
        Option.isSome(scope) ? Effect.succeed(ownTransaction) : inner.reserve
      ),
      transactionAcquirer: Effect.flatMap(Scope.current, (scope) =>
        Effect.map(inner.reserve, (conn) => transactionConnection(conn, scope))
      ),
      beginTransaction: beginMarker,
      compiler: PgClient.makeCompiler(),
      spanAttributes: [["db.system.name", "postgresql"]]
    }).pipe(Effect.provide(Reactivity.layer))
    return self
  })
