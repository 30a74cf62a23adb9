/**
 * What a record's guards see: the `Guard.GuardContext` of `@airworthy/core`, built from a stored
 * record, the side entries read for it, the acting user and the command's input.
 *
 * `Records` builds every transition's context with it, and so can anything that must judge guards
 * the way `Records` does (a test model, a preview):
 *
 * ```ts
 * const ctx = GuardSnapshot.fromRecord({
 *   actor,
 *   record: yield* Records.get(id),
 *   attachments: yield* Records.attachments(id),
 *   approvals: yield* Records.approvals(id),
 *   input: { reason: "Verified on the aircraft" }
 * })
 * const unmet = yield* Guard.evaluateAll(transition.guards, ctx)
 * ```
 *
 * @since 0.1.0
 */
import type { Actor, Guard, Ids } from "@airworthy/core"
import { DateTime } from "effect"
import type {
  Approval,
  Attachment,
  HistoryEntry,
  Link,
  LinkView,
  QmsRecord,
  Signature,
  Verification
} from "./QmsRecord.js"

/**
 * A link as `fromRecord` reads it: its kind, its direction, and the record at the other end.
 * `Records.links` gives these.
 * @since 0.1.0
 * @category models
 */
export interface LinkEntry {
  readonly link: Pick<Link, "kind">
  readonly direction: LinkView["direction"]
  readonly other: Pick<LinkView["other"], "id" | "type" | "state">
}

/**
 * What the guard context is made of. Each entry needs only the fields a guard looks at, so the
 * models `Records` returns fit as they are; a list left out is empty.
 * @since 0.1.0
 * @category models
 */
export interface Source {
  readonly actor: Actor.Actor
  readonly record: Pick<QmsRecord, "id" | "type" | "state" | "version" | "ownerId" | "createdBy" | "data">
  readonly attachments?: ReadonlyArray<Pick<Attachment, "id" | "kind">>
  readonly verifications?: ReadonlyArray<Pick<Verification, "verifiedBy" | "verifiedAt" | "result">>
  readonly approvals?: ReadonlyArray<Pick<Approval, "approvedBy" | "approvedAt">>
  readonly signatures?: ReadonlyArray<Pick<Signature, "signerId" | "meaning" | "signedAt">>
  readonly links?: ReadonlyArray<LinkEntry>
  /** The record's history; guards see only its transitions. */
  readonly history?: ReadonlyArray<
    Pick<HistoryEntry, "kind" | "transition" | "actorId" | "at" | "fromState" | "toState">
  >
  readonly input?: Guard.CommandInput
  /** The actor's relations to the record (`RecordType.relationsOf`); else owner and creator. */
  readonly relations?: ReadonlyArray<string>
}

const at = (iso: string) => DateTime.unsafeMake(iso)

/**
 * The guard context of a stored record: the snapshot every guard of a transition is judged on.
 * @since 0.1.0
 * @category constructors
 */
export const fromRecord = (source: Source): Guard.GuardContext => {
  const { record } = source
  return {
    actor: source.actor,
    record: {
      id: record.id,
      type: record.type,
      state: record.state,
      version: record.version,
      ownerId: record.ownerId as Ids.ActorId | null,
      createdBy: record.createdBy as Ids.ActorId,
      data: record.data
    },
    attachments: (source.attachments ?? []).map((a) => ({ kind: a.kind, id: a.id })),
    verifications: (source.verifications ?? []).map((v) => ({
      by: v.verifiedBy as Ids.ActorId,
      at: at(v.verifiedAt),
      result: v.result
    })),
    approvals: (source.approvals ?? []).map((a) => ({ by: a.approvedBy as Ids.ActorId, at: at(a.approvedAt) })),
    signatures: (source.signatures ?? []).map((s) => ({
      by: s.signerId as Ids.ActorId,
      meaning: s.meaning,
      at: at(s.signedAt)
    })),
    links: (source.links ?? []).map((l) => ({
      kind: l.link.kind,
      direction: l.direction,
      recordId: l.other.id,
      recordType: l.other.type,
      state: l.other.state
    })),
    history: (source.history ?? [])
      .filter((h) => h.kind === "transitioned")
      .map((h) => ({
        transition: h.transition ?? "",
        by: h.actorId as Ids.ActorId,
        at: at(h.at),
        from: h.fromState ?? "",
        to: h.toState ?? ""
      })),
    input: source.input ?? {},
    ...(source.relations === undefined ? {} : { relations: source.relations })
  }
}
