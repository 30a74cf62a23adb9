// The evidence bench's QMS: one record type and the services a pack needs, composed from the
// published packages only (no test kit, no TypeScript sources of this package), so that a run on the
// built packages (`AIRWORTHY_BENCH_BUILT=1`) loads what a host loads.
import { AuditLog, AuditMigrations, TreeHead } from "@airworthy/audit"
import { Actor, Ids, Policy, Workflow } from "@airworthy/core"
import { EvidencePack, EvidenceProfile } from "@airworthy/evidence"
import { Notify, NotifyMigrations } from "@airworthy/notify"
import { RecordHooks, Records, RecordsMigrations, RecordType, SignerVerification } from "@airworthy/records"
import { BlobStore, Migrations, type StorageError } from "@airworthy/storage"
import { Sqlite } from "@airworthy/storage/sqlite"
import { Effect, Layer, Schema } from "effect"

export const signingKey = TreeHead.keyFromSeed(new Uint8Array(32).fill(7))

const finding = RecordType.make({
  name: "finding",
  prefix: "FND",
  schema: Schema.Struct({
    title: Schema.NonEmptyTrimmedString,
    level: Schema.Literal("1", "2", "observation"),
    requirement: Schema.String
  }),
  workflow: Workflow.unsafeMake({
    name: "finding",
    label: "Finding",
    states: {
      open: { label: "Open", description: "Raised", editable: ["title"] },
      closed: { label: "Closed", description: "Closed" }
    },
    initial: "open",
    terminal: ["closed"],
    transitions: [{ name: "close", from: "open", to: "closed", permission: "finding.close" }]
  }),
  title: (d) => d.title
})

const profiles = [
  EvidenceProfile.make({
    recordType: "finding",
    label: "Finding",
    depth: 1,
    sections: [
      {
        title: "Finding",
        fields: [
          { label: "Level", path: "level" },
          { label: "Requirement", path: "requirement" }
        ]
      }
    ]
  })
]

export type Services =
  | EvidencePack.EvidencePack
  | BlobStore.BlobStore
  | Notify.Notify
  | Records.Records
  | AuditLog.AuditLog

export const benchLayer = (filename: string, blobDir: string): Layer.Layer<Services, StorageError.StorageError> => {
  const database = Sqlite.layer({ filename })
  const migrated = Layer.effectDiscard(
    Effect.orDie(
      Migrations.run([AuditMigrations.migrations, RecordsMigrations.migrations, NotifyMigrations.migrations])
    )
  ).pipe(Layer.provideMerge(database))
  const records = Records.layer({ types: [finding] }).pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        RecordHooks.none,
        SignerVerification.acceptAll,
        Policy.layer({ grant: { quality_manager: ["finding.*", "record.*"] } })
      )
    ),
    Layer.provideMerge(AuditLog.layer({ signingKey })),
    Layer.provideMerge(Ids.layer),
    Layer.provideMerge(migrated)
  )
  return EvidencePack.layer({ signingKey, profiles }).pipe(
    Layer.provideMerge(BlobStore.directory({ path: blobDir })),
    Layer.provideMerge(Notify.layer().pipe(Layer.provideMerge(records)))
  )
}

export const benchActor = (tenantId: string) =>
  Actor.make({
    tenantId,
    actorId: "u-quinn",
    displayName: "Quinn Quality",
    roles: ["quality_manager"],
    traceId: "bench-evidence",
    source: "ui"
  })
