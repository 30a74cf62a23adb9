// Records, audit log, email log and blob store over a test database, the evidence service on top,
// and a finding with everything a pack holds (linked CAPA, comments, approval, signature, emails,
// attachments with real bytes).
import { randomBytes } from "node:crypto"
import { TreeHead } from "@airworthy/audit"
import { Actor, Policy } from "@airworthy/core"
import { EvidencePack, EvidenceProfile } from "@airworthy/evidence"
import { Notify, NotifyMigrations, Template } from "@airworthy/notify"
import { type QmsRecord, Records, RecordType } from "@airworthy/records"
import { BlobStore, Migrations, type StorageError } from "@airworthy/storage"
import { Fixtures, RecordsTestLayer, type TestDatabase, TestKit } from "@airworthy/testing"
import { Chunk, Effect, Layer, Schema, Stream } from "effect"
import * as yauzl from "yauzl"

export const signingKey = TreeHead.generateKey()

export const finding = RecordType.make({
  name: "finding",
  prefix: "FND",
  schema: Fixtures.FindingData,
  workflow: Fixtures.finding,
  title: (d) => d.title,
  dueAt: (d) => d.dueAt
})

export const capa = RecordType.make({
  name: "capa",
  prefix: "CAPA",
  schema: Fixtures.CapaData,
  workflow: Fixtures.capa,
  title: (d) => d.title ?? "",
  dueAt: (d) => d.dueAt
})

export const links = [
  RecordType.link({ kind: "corrective_action", from: "finding", to: "capa" }),
  RecordType.link({ kind: "related" })
]

export const profiles = [
  EvidenceProfile.make({
    recordType: "finding",
    label: "Finding",
    follow: ["corrective_action"],
    depth: 1,
    sections: [
      {
        title: "Finding",
        fields: [
          { label: "Level", path: "level" },
          { label: "Requirement", path: "requirement" },
          { label: "Response", path: "response" }
        ]
      }
    ],
    path: "/findings/:id/evidence-pack"
  }),
  EvidenceProfile.make({ recordType: "capa", label: "CAPA", depth: 1 })
]

export const policy: Policy.Config = {
  ...Fixtures.policy,
  grant: { ...Fixtures.policy.grant, quality_manager: [...(Fixtures.policy.grant?.quality_manager ?? []), "record.*"] }
}

const notifyMigrations = Layer.effectDiscard(Effect.orDie(Migrations.run([NotifyMigrations.migrations])))

export type Services = EvidencePack.EvidencePack | BlobStore.BlobStore | Notify.Notify | RecordsTestLayer.Services

export const evidenceLayer = (
  target: TestDatabase.Target,
  options: { readonly maxBytes?: number } = {}
): Layer.Layer<Services, StorageError.StorageError> => {
  const base = RecordsTestLayer.make({
    types: [finding, capa],
    links,
    database: target.layer,
    policy,
    signingKey,
    seed: 14
  })
  const notify = Notify.layer().pipe(Layer.provideMerge(notifyMigrations), Layer.provideMerge(base))
  return EvidencePack.layer({ signingKey, profiles, ...options }).pipe(
    Layer.provideMerge(BlobStore.memory),
    Layer.provideMerge(notify)
  )
}

export const freshTenant = TestKit.freshTenant

const person = (tenantId: string, actorId: string, displayName: string, roles: ReadonlyArray<string>) =>
  Actor.make({ tenantId, actorId, displayName, roles, traceId: "trace-evidence-1", source: "ui" })

export const people = (tenantId: string) => ({
  quality: person(tenantId, "u-quinn", "Quinn Quality", ["quality_manager"]),
  auditor: person(tenantId, "u-avery", "Avery Auditor", ["auditor"]),
  viewer: person(tenantId, "u-vic", "Vic Viewer", ["viewer"])
})

export const as = TestKit.asActor

const findingRaised = Template.make(
  {
    kind: "finding.raised",
    subject: ({ params }) => `Finding ${params.ref} raised`,
    text: ({ params }) => `Finding ${params.ref} was raised; respond by ${params.dueAt}.`,
    html: ({ params }) => Template.html`<p>Finding <b>${params.ref}</b> was raised.</p>`
  },
  Schema.Struct({ ref: Schema.String, dueAt: Schema.String })
)

/** Stores bytes in the blob store and attaches them to a record. */
export const attachBytes = (
  recordId: string,
  name: string,
  mediaType: string,
  bytes: Uint8Array,
  kind = "evidence"
): Effect.Effect<QmsRecord.Attachment, never, Records.Records | BlobStore.BlobStore | Actor.CurrentActor> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const stored = yield* BlobStore.put(actor.tenantId, Stream.make(bytes))
    return yield* Records.attach({ id: recordId, kind, name, mediaType, size: stored.size, sha256: stored.sha256 })
  }).pipe(Effect.orDie)

/** A PDF-like and a binary attachment: real bytes, not metadata only. */
export const attachmentBytes = {
  report: new TextEncoder().encode("%PDF-1.4\n% calibration certificate 4411\n%%EOF\n"),
  photo: new Uint8Array(randomBytes(200_000))
}

/** A finding with a linked CAPA, a transition with a reason, comments, an approval, a signature, emails and attachments. */
export interface Seeded {
  readonly finding: QmsRecord.QmsRecord
  readonly capa: QmsRecord.QmsRecord
  readonly unrelated: QmsRecord.QmsRecord
}

export const seedFinding: Effect.Effect<
  Seeded,
  never,
  Records.Records | BlobStore.BlobStore | Notify.Notify | Actor.CurrentActor
> = Effect.gen(function* () {
  const created = yield* Records.create({
    type: "finding",
    data: {
      title: "Torque wrench calibration overdue",
      level: "2",
      requirement: "145.A.40",
      description: "Wrench TW-113 was used 12 days past its calibration date"
    },
    ownerId: "u-olive"
  })
  yield* Records.update({ id: created.id, data: { response: "Wrench quarantined; tools of the same lab checked" } })
  yield* Records.transition({ id: created.id, transition: "submit_response" })
  yield* Records.transition({ id: created.id, transition: "reject_response", reason: "Root cause not addressed" })
  yield* Records.comment({ id: created.id, body: "Lab certificate requested from supplier" })
  yield* attachBytes(created.id, "calibration certificate.pdf", "application/pdf", attachmentBytes.report)
  yield* attachBytes(created.id, "wrench photo.jpg", "image/jpeg", attachmentBytes.photo, "photo")
  yield* Records.approve({ id: created.id, note: "Containment accepted" })
  yield* Records.sign({ id: created.id, meaning: "reviewed" })
  const capaRecord = yield* Records.create({
    type: "capa",
    data: { title: "Calibration recall process", description: "Recall tools before their due date" }
  })
  yield* Records.link({ from: created.id, to: capaRecord.id, kind: "corrective_action" })
  yield* Records.comment({ id: capaRecord.id, body: "Owner to propose a recall reminder" })
  yield* Notify.enqueue({
    template: findingRaised,
    params: { ref: created.ref, dueAt: "2026-05-01" },
    recipients: [{ email: "olive@mro.example", name: "Olive Owner" }],
    record: { type: "finding", id: created.id }
  })
  const unrelated = yield* Records.create({
    type: "finding",
    data: { title: "Unrelated finding", level: "observation" }
  })
  return { finding: yield* Records.get(created.id), capa: capaRecord, unrelated }
}).pipe(Effect.orDie)

/** Runs a stream of bytes into one array. */
export const collectBytes = <E, R>(stream: Stream.Stream<Uint8Array, E, R>): Effect.Effect<Uint8Array, E, R> =>
  Effect.map(Stream.runCollect(stream), (chunks) => Buffer.concat(Chunk.toReadonlyArray(chunks)))

/** Reads a ZIP back with yauzl: entry names in order and their bytes, and the raw compression methods. */
export const unzip = (
  bytes: Uint8Array
): Promise<ReadonlyArray<{ readonly name: string; readonly bytes: Buffer; readonly method: number }>> =>
  new Promise((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(bytes), { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err)
      const out: Array<{ name: string; bytes: Buffer; method: number }> = []
      zip.on("entry", (entry: yauzl.Entry) =>
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e)
          const chunks: Array<Buffer> = []
          stream.on("data", (c: Buffer) => chunks.push(c))
          stream.on("end", () => {
            out.push({ name: entry.fileName, bytes: Buffer.concat(chunks), method: entry.compressionMethod })
            zip.readEntry()
          })
        })
      )
      zip.on("end", () => resolve(out))
      zip.on("error", reject)
      zip.readEntry()
    })
  })

/** Writes entries back into a ZIP (yazl), as a tampering inspector's tool would. */
export const rezip = async (entries: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>) => {
  const yazl = await import("yazl")
  const zip = new yazl.ZipFile()
  for (const e of entries) zip.addBuffer(Buffer.from(e.bytes), e.name, { mtime: new Date(1980, 0, 1), compress: false })
  zip.end()
  const chunks: Array<Buffer> = []
  for await (const c of zip.outputStream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export const prepareAs = (
  actor: Actor.Actor,
  recordId: string,
  options?: EvidencePack.Options
): Effect.Effect<
  EvidencePack.Prepared,
  EvidencePack.PrepareError,
  EvidencePack.EvidencePack | Exclude<EvidencePack.Needs, Actor.CurrentActor>
> => EvidencePack.prepare(recordId, options).pipe(as(actor))

export { Policy }
