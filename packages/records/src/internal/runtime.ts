// What every part of the records service works with, built once per layer and passed explicitly:
// the layer's services, the compiled hot statement, the type registry and the after-commit bus.
import { createHash } from "node:crypto"
import { AuditLog } from "@airworthy/audit"
import { Ids, Policy } from "@airworthy/core"
import { type Query, Storage } from "@airworthy/storage"
import { SqlClient } from "@effect/sql"
import { Clock, Context, Effect, PubSub, type Scope } from "effect"
import * as AttachmentContent from "../AttachmentContent.js"
import type { Committed } from "../RecordEvent.js"
import * as RecordHooks from "../RecordHooks.js"
import type { Config, Records, Requirements, Service } from "../Records.js"
import type * as RecordType from "../RecordType.js"
import { SignerVerification } from "../SignerVerification.js"
import type * as Store from "./store.js"

export interface Runtime {
  readonly dialect: Storage.Dialect
  /** The layer's client without name transforms; it still joins the caller's open transaction. */
  readonly sql: SqlClient.SqlClient
  readonly ids: Ids.Ids["Type"]
  readonly policy: Policy.Policy["Type"]
  readonly audit: AuditLog.AuditLog["Type"]
  readonly hooks: ReadonlyArray<RecordHooks.Hook>
  readonly signer: SignerVerification["Type"]
  readonly bus: PubSub.PubSub<Committed>
  readonly types: ReadonlyMap<string, RecordType.Any>
  readonly linkKinds: ReadonlyMap<string, RecordType.LinkKind>
  /** `SELECT * FROM aw_records WHERE tenant_id = ? AND id = ?`, compiled once for the dialect. */
  readonly selectRecord: string
  /** The layer's services (and the guards' own), which every method runs with. */
  readonly context: Context.Context<Requirements>
  /** Attachment content settings, resolved. */
  readonly attachments: {
    readonly maxBytes: (tenantId: string) => number
    readonly mediaTypes: ReadonlyArray<string>
  }
  /** Gives hooks the records service they may call. */
  readonly provideRecords: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, Records>>
}

/** A method of the service as a function of the runtime. */
export type Method<
  K extends { [M in keyof Service]: Service[M] extends (...args: never) => unknown ? M : never }[keyof Service]
> = (runtime: Runtime, ...args: Parameters<Service[K]>) => ReturnType<Service[K]>

/** Throws when a type is registered twice, a prefix is used twice, or a link kind names an unknown type. */
export const checkConfig = (config: Config<unknown>) => {
  const names = new Set<string>()
  const prefixes = new Set<string>()
  for (const t of config.types) {
    if (names.has(t.name)) throw new Error(`Record type ${t.name} is registered twice`)
    if (prefixes.has(t.prefix)) throw new Error(`Reference prefix ${t.prefix} is used by two record types`)
    names.add(t.name)
    prefixes.add(t.prefix)
  }
  const kinds = new Set<string>()
  for (const l of config.links ?? []) {
    if (kinds.has(l.kind)) throw new Error(`Link kind ${l.kind} is declared twice`)
    kinds.add(l.kind)
    for (const t of [...(l.from ?? []), ...(l.to ?? [])]) {
      if (!names.has(t)) throw new Error(`Link kind ${l.kind} refers to record type ${t}, which is not registered`)
    }
  }
}

export const make = <R>(
  config: Config<R>,
  provideRecords: Runtime["provideRecords"]
): Effect.Effect<Runtime, never, Requirements | R | Scope.Scope> =>
  Effect.gen(function* () {
    const context = (yield* Effect.context<Requirements | R>()) as Context.Context<Requirements>
    const { dialect, compiler } = Context.get(context, Storage.Storage)
    const bus = yield* Effect.acquireRelease(PubSub.unbounded<Committed>(), PubSub.shutdown)
    // The hottest statement (every read and every command loads its record): its SQL is compiled once
    // here and run on the layer's client, instead of building and compiling it with Kysely on every call.
    const db: Parameters<Query.Build<Store.Tables, unknown>>[0] = compiler
    const selectRecord = db
      .selectFrom("aw_records")
      .selectAll()
      .where("tenant_id", "=", "")
      .where("id", "=", "")
      .compile().sql
    return {
      dialect,
      sql: Context.get(context, SqlClient.SqlClient).withoutTransforms(),
      ids: Context.get(context, Ids.Ids),
      policy: Context.get(context, Policy.Policy),
      audit: Context.get(context, AuditLog.AuditLog),
      hooks: Context.get(context, RecordHooks.RecordHooks).hooks,
      signer: Context.get(context, SignerVerification),
      bus,
      // Guards' services (R) are in `context`, provided to every method, so they are erased here.
      types: new Map(config.types.map((t) => [t.name, t as unknown as RecordType.Any])),
      linkKinds: new Map((config.links ?? []).map((l) => [l.kind, l])),
      selectRecord,
      context,
      attachments: {
        maxBytes: resolveMaxBytes(config.attachments?.maxBytes),
        mediaTypes: config.attachments?.mediaTypes ?? AttachmentContent.defaultMediaTypes
      },
      provideRecords
    }
  })

const resolveMaxBytes = (setting: AttachmentContent.Settings["maxBytes"]): ((tenantId: string) => number) => {
  if (setting === undefined) return () => AttachmentContent.defaultMaxBytes
  if (typeof setting === "number") return () => setting
  return setting
}

// Methods run with the layer's services but keep the caller's context on top, so the caller's open
// transaction is the one they join.
export const provided = <A, E, R>(runtime: Runtime, self: Effect.Effect<A, E, R>) =>
  Effect.provide(self, runtime.context) as Effect.Effect<A, E, Exclude<R, Requirements>>

/** What the `Query` statements run with. */
export type SqlServices = Storage.Storage | SqlClient.SqlClient

export const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

export const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")
