// Gathers what a pack holds, as the current actor: the record, its linked records to the declared
// depth, their side entries and email log, their audit events with proofs against a checkpoint that
// covers them all (signed now when the newest events are not covered yet).
import { type AuditError, AuditLog, type Proof } from "@airworthy/audit"
import { Actor, type Errors } from "@airworthy/core"
import { type EmailLog, Notify } from "@airworthy/notify"
import { type QmsRecord, Records } from "@airworthy/records"
import type { StorageError } from "@airworthy/storage"
import { Effect } from "effect"
import type * as EvidenceProfile from "../EvidenceProfile.js"

export interface RecordContents {
  readonly record: QmsRecord.QmsRecord
  readonly depth: number
  readonly links: ReadonlyArray<QmsRecord.LinkView>
  readonly comments: ReadonlyArray<QmsRecord.Comment>
  readonly approvals: ReadonlyArray<QmsRecord.Approval>
  readonly verifications: ReadonlyArray<QmsRecord.Verification>
  readonly signatures: ReadonlyArray<QmsRecord.Signature>
  readonly attachments: ReadonlyArray<QmsRecord.Attachment>
  readonly emails: ReadonlyArray<EmailLog.Entry>
}

export interface TimelineEvent {
  readonly sequence: number
  /** The stored canonical envelope; its SHA-256 is `hash`. */
  readonly envelope: string
  readonly hash: string
  readonly path: ReadonlyArray<string>
}

export interface Contents {
  readonly tenantId: string
  readonly exportedAt: string
  readonly exporter: { readonly actorId: string; readonly name: string }
  readonly depth: number
  readonly records: ReadonlyArray<RecordContents>
  readonly events: ReadonlyArray<TimelineEvent>
  readonly checkpoint: Proof.Checkpoint
  readonly auditKeys: ReadonlyArray<{
    readonly keyId: string
    readonly publicKeyPem: string
    readonly current: boolean
  }>
}

const byTimeThenId =
  <A>(time: (a: A) => string, id: (a: A) => string) =>
  (a: A, b: A): number =>
    time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0

const sorted = <A>(items: ReadonlyArray<A>, time: (a: A) => string, id: (a: A) => string): ReadonlyArray<A> =>
  [...items].sort(byTimeThenId(time, id))

const sideEntries = (record: QmsRecord.QmsRecord, depth: number) =>
  Effect.gen(function* () {
    const links = yield* Records.links(record.id)
    const [comments, approvals, verifications, signatures, attachments, emails] = yield* Effect.all([
      Records.comments(record.id),
      Records.approvals(record.id),
      Records.verifications(record.id),
      Records.signatures(record.id),
      Records.attachments(record.id),
      Notify.emailLog({ recordType: record.type, recordId: record.id, limit: 10_000 })
    ])
    const contents: RecordContents = {
      record,
      depth,
      links: [...links].sort((a, b) =>
        byTimeThenId<QmsRecord.LinkView>(
          (l) => `${l.link.kind}\u0000${l.other.ref}`,
          (l) => l.link.id
        )(a, b)
      ),
      comments: sorted(
        comments,
        (c) => c.createdAt,
        (c) => c.id
      ),
      approvals: sorted(
        approvals,
        (a) => a.approvedAt,
        (a) => a.id
      ),
      verifications: sorted(
        verifications,
        (v) => v.verifiedAt,
        (v) => v.id
      ),
      signatures: sorted(
        signatures,
        (s) => s.signedAt,
        (s) => s.id
      ),
      attachments: sorted(
        attachments,
        (a) => a.addedAt,
        (a) => a.id
      ),
      emails: sorted(
        emails,
        (e) => e.queuedAt,
        (e) => e.id
      )
    }
    return contents
  })

/** The record and the records linked to it, breadth first, each once, to `depth` links away. */
const gatherRecords = (
  recordId: string,
  depthFor: (type: string) => number,
  profileOf: (type: string) => EvidenceProfile.Profile | undefined
) =>
  Effect.gen(function* () {
    const subject = yield* Records.get(recordId)
    const depth = depthFor(subject.type)
    const seen = new Set<string>([subject.id])
    const out: Array<RecordContents> = []
    let frontier: Array<QmsRecord.QmsRecord> = [subject]
    for (let level = 0; frontier.length > 0; level++) {
      const next: Array<QmsRecord.QmsRecord> = []
      for (const record of frontier) {
        const contents = yield* sideEntries(record, level)
        out.push(contents)
        if (level >= depth) continue
        const follow = profileOf(record.type)?.follow
        for (const view of contents.links) {
          if (follow !== undefined && !follow.includes(view.link.kind)) continue
          if (seen.has(view.other.id)) continue
          seen.add(view.other.id)
          next.push(yield* Records.get(view.other.id))
        }
      }
      frontier = next
    }
    return { records: out, depth }
  })

/** Sequences of every audit event of the records, ascending (read without decoding the events). */
const eventSequences = (records: ReadonlyArray<QmsRecord.QmsRecord>) =>
  Effect.gen(function* () {
    const sequences = new Set<number>()
    for (const record of records) {
      const events = yield* AuditLog.recordSequences({ type: record.type, id: record.id })
      // Exports of the pack are not part of the record's history: with them, no two packs could be equal.
      for (const e of events) if (!e.action.startsWith("evidence.")) sequences.add(e.sequence)
    }
    return [...sequences].sort((a, b) => a - b)
  })

/**
 * The oldest signed checkpoint covering `upTo` events, signing one when none does: an unchanged
 * record then gives the same pack on every later export, whatever was appended since.
 */
const coveringCheckpoint = (tenantId: string, upTo: number) =>
  Effect.gen(function* () {
    const log = yield* AuditLog.AuditLog
    const existing = (yield* log.checkpoints(tenantId)).find((c) => c.treeSize >= Math.max(1, upTo))
    return existing ?? (yield* log.checkpoint(tenantId))
  })

export type CollectError =
  | Errors.NotFound
  | Errors.Forbidden
  | Errors.ValidationFailed
  | StorageError.StorageError
  | AuditError.IntegrityViolation

export const collect = (
  recordId: string,
  depthFor: (type: string) => number,
  profileOf: (type: string) => EvidenceProfile.Profile | undefined,
  exportedAt: string
): Effect.Effect<Contents, CollectError, Records.Records | AuditLog.AuditLog | Notify.Notify | Actor.CurrentActor> =>
  Effect.gen(function* () {
    const actor = yield* Actor.CurrentActor
    const log = yield* AuditLog.AuditLog
    const { depth, records } = yield* gatherRecords(recordId, depthFor, profileOf)
    const sequences = yield* eventSequences(records.map((r) => r.record))
    const checkpoint = yield* coveringCheckpoint(actor.tenantId, sequences.at(-1) ?? 0)
    const proofs = yield* log.inclusionProofs(actor.tenantId, sequences, checkpoint.treeSize)
    // Events removed by the retention purge have no envelope left to show; the rest all do.
    const events: Array<TimelineEvent> = proofs.flatMap((p) =>
      p.envelope === undefined ? [] : [{ sequence: p.sequence, envelope: p.envelope, hash: p.eventHash, path: p.proof }]
    )
    const contents: Contents = {
      tenantId: actor.tenantId,
      exportedAt,
      exporter: { actorId: actor.actorId, name: actor.displayName },
      depth,
      records,
      events,
      checkpoint,
      auditKeys: log.keys
    }
    return contents
  })
