// Typed links between two records: link, unlink (kept, marked removed) and the links of a record.
import { Actor, Errors } from "@airworthy/core"
import { Query } from "@airworthy/storage"
import { Effect, Option } from "effect"
import { Link, type LinkView, type QmsRecord } from "../QmsRecord.js"
import { auditAction, commandOf, load, recordChange } from "./envelope.js"
import { decodeWith, invalid, LinkInput } from "./inputs.js"
import { type Method, now, provided, type Runtime } from "./runtime.js"
import * as Store from "./store.js"

const q = Query.make<Store.Tables>()

const decodeLink = decodeWith(LinkInput)

/** Both ends, loaded and checked against the link kind's declaration. */
const loadPair = (runtime: Runtime, actor: Actor.Actor, input: typeof LinkInput.Type) =>
  Effect.gen(function* () {
    const from = yield* load(runtime, actor, input.from, "link")
    const to = yield* load(runtime, actor, input.to)
    const kind = runtime.linkKinds.get(input.kind)
    if (kind === undefined) {
      const known = [...runtime.linkKinds.keys()]
      return yield* invalid(
        "kind",
        `Unknown link kind '${input.kind}'; known: ${known.length === 0 ? "none" : known.join(", ")}`
      )
    }
    if (kind.from !== undefined && !kind.from.includes(from.type.name)) {
      return yield* invalid("from", `A ${input.kind} link cannot start at a ${from.type.name}`)
    }
    if (kind.to !== undefined && !kind.to.includes(to.type.name)) {
      return yield* invalid("to", `A ${input.kind} link cannot point to a ${to.type.name}`)
    }
    if (input.from === input.to) return yield* invalid("to", "A record cannot be linked to itself")
    return { from, to }
  })

const activeLink = (tenantId: string, input: typeof LinkInput.Type) =>
  q.maybe((db) =>
    db
      .selectFrom("aw_record_links")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("from_id", "=", input.from)
      .where("kind", "=", input.kind)
      .where("to_id", "=", input.to)
      .where("removed_at", "is", null)
  )

/** The change is recorded for the record at each end. */
const linkChanges = (
  runtime: Runtime,
  actor: Actor.Actor,
  kind: "linked" | "unlinked",
  ends: { readonly from: { readonly record: QmsRecord }; readonly to: { readonly record: QmsRecord } },
  link: Link,
  correlationId: string | undefined
) =>
  Effect.forEach(
    [ends.from.record, ends.to.record],
    (record) =>
      recordChange(
        runtime,
        actor,
        { kind, record, link, ...(correlationId ? { correlationId } : {}) },
        {
          action: auditAction(record.type, kind),
          ...(kind === "linked" ? { after: { link } } : { before: { link } }),
          correlationId
        },
        { linkId: link.id, kind: link.kind, from: link.fromId, to: link.toId }
      ),
    { discard: true }
  )

export const link: Method<"link"> = commandOf("link", decodeLink, Link, (runtime, actor, input) =>
  Effect.gen(function* () {
    const ends = yield* loadPair(runtime, actor, input)
    const existing = yield* activeLink(actor.tenantId, input)
    if (Option.isSome(existing)) return Store.toLink(existing.value)
    const row: Store.LinkRow = {
      tenant_id: actor.tenantId,
      id: yield* runtime.ids.next,
      kind: input.kind,
      from_id: input.from,
      to_id: input.to,
      created_by: actor.actorId,
      created_at: yield* now,
      removed_by: null,
      removed_at: null
    }
    yield* q.exec((db) => db.insertInto("aw_record_links").values(row))
    const created = Store.toLink(row)
    yield* linkChanges(runtime, actor, "linked", ends, created, input.correlationId)
    return created
  })
)

export const unlink: Method<"unlink"> = commandOf("unlink", decodeLink, Link, (runtime, actor, input) =>
  Effect.gen(function* () {
    const ends = yield* loadPair(runtime, actor, input)
    const existing = yield* activeLink(actor.tenantId, input)
    if (Option.isNone(existing)) {
      return yield* new Errors.NotFound({ entity: "link", id: `${input.from} ${input.kind} ${input.to}` })
    }
    const at = yield* now
    yield* q.exec((db) =>
      db
        .updateTable("aw_record_links")
        .set({ removed_at: at, removed_by: actor.actorId })
        .where("tenant_id", "=", actor.tenantId)
        .where("id", "=", existing.value.id)
    )
    const removed = Store.toLink({ ...existing.value, removed_at: at, removed_by: actor.actorId })
    yield* linkChanges(runtime, actor, "unlinked", ends, removed, input.correlationId)
    return removed
  })
)

export const links: Method<"links"> = (runtime, id, filter = {}) =>
  provided(
    runtime,
    Effect.gen(function* () {
      const actor = yield* Actor.CurrentActor
      yield* load(runtime, actor, id)
      const out: Array<LinkView> = []
      for (const direction of ["out", "in"] as const) {
        if (filter.direction !== undefined && filter.direction !== direction) continue
        const rows = yield* q.rows((db) => {
          let query = db
            .selectFrom("aw_record_links as l")
            .innerJoin("aw_records as r", (j) =>
              j
                .onRef("r.tenant_id", "=", "l.tenant_id")
                .onRef("r.id", "=", direction === "out" ? "l.to_id" : "l.from_id")
            )
            .selectAll("l")
            .select(["r.type as other_type", "r.ref as other_ref", "r.title as other_title", "r.state as other_state"])
            .where("l.tenant_id", "=", actor.tenantId)
            .where(direction === "out" ? "l.from_id" : "l.to_id", "=", id)
            .where("l.removed_at", "is", null)
          if (filter.kind !== undefined) query = query.where("l.kind", "=", filter.kind)
          return query.orderBy("l.id")
        })
        for (const r of rows) {
          out.push({
            link: Store.toLink(r),
            direction,
            other: {
              id: direction === "out" ? r.to_id : r.from_id,
              type: r.other_type,
              ref: r.other_ref,
              title: r.other_title,
              state: r.other_state
            }
          })
        }
      }
      return out
    })
  )
