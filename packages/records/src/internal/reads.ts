// Reading records: one record, a filtered page of them, and a record's history.
import { Actor, Policy } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import { DateTime, Effect } from "effect"
import { load, readable } from "./envelope.js"
import { decodeWith, invalid, ListFilter } from "./inputs.js"
import { type Method, provided } from "./runtime.js"
import * as Store from "./store.js"

const q = Query.make<Store.Tables>()

const cursorPrefix = "r1:"
const encodeCursor = (id: string) => Buffer.from(`${cursorPrefix}${id}`, "utf8").toString("base64url")
const decodeCursor = (cursor: string): string | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  const text = Buffer.from(cursor, "base64url").toString("utf8")
  return text.startsWith(cursorPrefix) && text.length > cursorPrefix.length
    ? text.slice(cursorPrefix.length)
    : undefined
}

const asList = (x: string | ReadonlyArray<string> | undefined) =>
  x === undefined ? undefined : typeof x === "string" ? [x] : x

// Reads one row with the layer's own services: nothing to provide, no transaction to open.
export const get: Method<"get"> = (runtime, id) =>
  Effect.flatMap(Actor.CurrentActor, (actor) => Effect.map(load(runtime, actor, id), (loaded) => loaded.record))

const decodeList = decodeWith(ListFilter)

export const list: Method<"list"> = (runtime, raw = {}) =>
  provided(
    runtime,
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      const filter = yield* decodeList(raw)
      const wanted = asList(filter.type)
      for (const t of wanted ?? []) {
        const type = runtime.types.get(t)
        if (type === undefined) return yield* invalid("type", `Unknown record type '${t}'`)
        if (!readable(runtime, actor, type)) yield* Policy.authorizeActor(actor, type.permissions.read)
      }
      const visible = (wanted ?? [...runtime.types.keys()]).filter((t) =>
        readable(runtime, actor, runtime.types.get(t)!)
      )
      if (visible.length === 0) return { items: [], nextCursor: null }
      const states = asList(filter.state)
      const after = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor)
      if (filter.cursor !== undefined && after === undefined) {
        return yield* invalid("cursor", "This is not a cursor returned by list")
      }
      const limit = filter.limit ?? 50
      const desc = filter.order !== "asc"
      const text = filter.text?.trim().toLowerCase()
      const dueBefore = filter.dueBefore === undefined ? undefined : DateTime.formatIso(filter.dueBefore)
      const find = runtime.dialect === "pg" ? "strpos" : "instr"
      const rows = yield* q.rows((db) => {
        let query = db.selectFrom("aw_records").selectAll().where("tenant_id", "=", actor.tenantId)
        query = query.where("type", "in", visible)
        if (states !== undefined && states.length > 0) query = query.where("state", "in", states)
        if (filter.ownerId !== undefined) query = query.where("owner_id", "=", filter.ownerId)
        if (dueBefore !== undefined) query = query.where("due_at", "is not", null).where("due_at", "<", dueBefore)
        if (text !== undefined && text.length > 0) {
          query = query.where((eb) =>
            eb.or([
              eb(eb.fn<number>(find, [eb.fn("lower", ["title"]), eb.val(text)]), ">", 0),
              eb(eb.fn<number>(find, [eb.fn("lower", ["ref"]), eb.val(text)]), ">", 0)
            ])
          )
        }
        if (after !== undefined) query = query.where("id", desc ? "<" : ">", after)
        return query.orderBy("id", desc ? "desc" : "asc").limit(limit + 1)
      })
      const items = rows.slice(0, limit).map(Store.toRecord)
      return {
        items,
        nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!.id) : null
      }
    })
  )

export const history: Method<"history"> = (runtime, id) =>
  provided(
    runtime,
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      yield* load(runtime, actor, id)
      const rows = yield* q.rows((db) =>
        db
          .selectFrom("aw_record_history")
          .selectAll()
          .where("tenant_id", "=", actor.tenantId)
          .where("record_id", "=", id)
          .orderBy("id")
      )
      return rows.map(Store.toHistory)
    })
  )
