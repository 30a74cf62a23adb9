// The QMS over a test database, with deterministic ids, a manual dispatcher and a capture transport.
import { TreeHead } from "@airworthy/audit"
import { Actor, Ids } from "@airworthy/core"
import { Dispatcher, Transport } from "@airworthy/notify"
import type { Storage, StorageError } from "@airworthy/storage"
import { StaffDirectory } from "@airworthy/tasks"
import { type TestDatabase, TestKit } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { type Effect, Layer } from "effect"
import { Qms } from "../src/index.js"

export const signingKey = TreeHead.generateKey()

export const qmsLayer = (
  target: TestDatabase.Target,
  capture: Transport.Capture
): Layer.Layer<
  Qms.Services | Storage.Storage | SqlClient.SqlClient | TestDatabase.TestDatabaseInfo | Dispatcher.Dispatcher,
  StorageError.StorageError
> => {
  const qms = Qms.layer({ signingKey, ids: Ids.layerTest(29) }).pipe(Layer.provideMerge(target.layer))
  return Layer.merge(qms, Dispatcher.layerManual().pipe(Layer.provide(Transport.layer(capture)), Layer.provide(qms)))
}

/** A tenant no other test uses (the suites share one database per target). */
export const freshTenant = TestKit.freshTenant

const person = (tenantId: string, actorId: string, displayName: string, roles: ReadonlyArray<string>) =>
  Actor.make({ tenantId, actorId, displayName, roles, traceId: "trace-qms-1", source: "ui" })

export const people = (tenantId: string) => ({
  quality: person(tenantId, "u-quinn", "Quinn Quality", ["quality_manager"]),
  auditor: person(tenantId, "u-avery", "Avery Auditor", ["auditor"]),
  owner: person(tenantId, "u-olive", "Olive Owner", ["capa_owner"]),
  stores: person(tenantId, "u-sasha", "Sasha Stores", ["capa_owner"]),
  manager: person(tenantId, "u-morgan", "Morgan Manager", ["accountable_manager"])
})

export const staff = (
  tenantId: string
): Effect.Effect<void, StorageError.StorageError, Storage.Storage | SqlClient.SqlClient> =>
  StaffDirectory.upsert(
    {
      tenantId,
      actorId: "u-quinn",
      displayName: "Quinn Quality",
      email: "quinn@mro.example",
      roles: ["quality_manager"]
    },
    { tenantId, actorId: "u-avery", displayName: "Avery Auditor", email: "avery@mro.example", roles: ["auditor"] },
    { tenantId, actorId: "u-olive", displayName: "Olive Owner", email: "olive@mro.example", roles: ["capa_owner"] },
    { tenantId, actorId: "u-sasha", displayName: "Sasha Stores", email: "sasha@mro.example", roles: ["capa_owner"] }
  )

export const as = TestKit.asActor

export const sha = (n: number) => n.toString(16).padStart(64, "0")
