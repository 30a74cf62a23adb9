// Sealing events into the hash chain, and the streaming chain verifier. Pure: no database.
import * as crypto from "node:crypto"
import type { Actor } from "@airworthy/core"
import type { Fault } from "../AuditError.js"
import type { AppendInput, Envelope, Json } from "../AuditEvent.js"
import { diff, genesisHash } from "../AuditEvent.js"
import * as CanonicalJson from "../CanonicalJson.js"
import * as Sensitive from "../Sensitive.js"

// Node >= 20.12 has the one-shot `crypto.hash` (no Hash object per call); older versions use createHash.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash

export const sha256Hex: (text: string) => string =
  typeof oneShot === "function"
    ? (text) => oneShot("sha256", text, "hex")
    : (text) => crypto.createHash("sha256").update(text, "utf8").digest("hex")

export const eventColumns = [
  "tenant_id",
  "sequence",
  "id",
  "occurred_at",
  "actor_id",
  "action",
  "record_type",
  "record_id",
  "severity",
  "correlation_id",
  "envelope",
  "hash"
] as const

export interface EventRow {
  readonly tenant_id: string
  readonly sequence: number
  readonly id: string
  readonly occurred_at: string
  readonly actor_id: string
  readonly action: string
  readonly record_type: string
  readonly record_id: string
  readonly severity: string
  readonly correlation_id: string | null
  readonly envelope: string
  readonly hash: string
}

export const sensitiveColumns = ["tenant_id", "event_sequence", "path", "salt", "value"] as const

export interface Sealed {
  readonly row: EventRow
  readonly envelope: Envelope
  readonly sensitive: ReadonlyArray<Sensitive.Extracted>
}

export interface SealContext {
  readonly tenantId: string
  readonly actor: Actor.Actor
  readonly sequence: number
  readonly id: string
  readonly occurredAt: string
  readonly prevHash: string
  readonly patterns: ReadonlyArray<ReadonlyArray<string>>
}

const relative = (path: string) => path.slice(path.indexOf(".") + 1)

/** Builds the envelope of one event, takes its sensitive values out, canonicalises and hashes it. */
export const seal = (input: AppendInput, ctx: SealContext): Sealed => {
  const original = { before: (input.before ?? null) as Json, after: (input.after ?? null) as Json }
  const paths = ctx.patterns.length > 0 ? Sensitive.locate(original, ctx.patterns) : []
  const changes = diff(original.before, original.after, paths.map(relative))
  // Markers go into a copy: the input may be sealed again (a retry after a stale head guess).
  const holder = paths.length > 0 ? structuredClone(original) : original
  const sensitive = paths.length > 0 ? Sensitive.extract(holder, paths) : []
  // Members in canonical (sorted) order, so canonicalising needs no sort for the envelope itself.
  const envelope: Envelope = {
    action: input.action,
    actor: { id: ctx.actor.actorId, name: ctx.actor.displayName, roles: ctx.actor.roles },
    after: holder.after,
    before: holder.before,
    correlation_id: input.correlationId ?? null,
    diff: changes as ReadonlyArray<Json>,
    id: ctx.id,
    occurred_at: ctx.occurredAt,
    prev_hash: ctx.prevHash,
    reason: input.reason ?? null,
    record: { id: input.recordId, type: input.recordType },
    sensitive: sensitive.map((s) => s.path),
    sequence: ctx.sequence,
    severity: input.severity ?? "info",
    source: input.source ?? ctx.actor.source,
    tenant_id: ctx.tenantId,
    trace_id: ctx.actor.traceId,
    v: 1
  }
  const text = CanonicalJson.canonicalize(envelope)
  return {
    row: {
      tenant_id: ctx.tenantId,
      sequence: ctx.sequence,
      id: ctx.id,
      occurred_at: ctx.occurredAt,
      actor_id: ctx.actor.actorId,
      action: input.action,
      record_type: input.recordType,
      record_id: input.recordId,
      severity: envelope.severity,
      correlation_id: envelope.correlation_id,
      envelope: text,
      hash: sha256Hex(text)
    },
    envelope,
    sensitive
  }
}

export const eventParams = (r: EventRow): Array<string | number | null> => [
  r.tenant_id,
  r.sequence,
  r.id,
  r.occurred_at,
  r.actor_id,
  r.action,
  r.record_type,
  r.record_id,
  r.severity,
  r.correlation_id,
  r.envelope,
  r.hash
]

export interface SensitiveRow {
  readonly event_sequence: number
  readonly path: string
  readonly salt: string | null
  readonly value: string | null
  readonly erased_at: string | null
}

export interface Failure {
  readonly ok: false
  readonly firstBadSequence: number
  readonly fault: Fault
  readonly detail: string
}

export const failure = (firstBadSequence: number, fault: Fault, detail: string): Failure => ({
  ok: false,
  firstBadSequence,
  fault,
  detail
})

const sensitiveKey = (sequence: number, path: string) => `${sequence}\u0000${path}`

// Object keys in RFC 8785 order (UTF-16 code units, as `<` compares strings), at every depth.
const keysSorted = (value: unknown): boolean => {
  if (typeof value !== "object" || value === null) return true
  if (Array.isArray(value)) return value.every(keysSorted)
  let previous: string | undefined
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false
    previous = key
    if (!keysSorted((value as Record<string, unknown>)[key])) return false
  }
  return true
}

// Canonical JSON is what JSON.stringify writes (RFC 8785 takes its number and string forms from
// ECMAScript) with every object's keys sorted: when re-serialising the parsed value gives the same
// text (no whitespace, no duplicated key, the same escapes and number forms) and its keys are in
// order, the text is canonical, decided by native stringify. Otherwise the canonical form itself is
// the judge: JavaScript orders integer-like keys ("9" before "10") ahead of the others, so such data
// takes this slower path without being wrongly refused.
const isCanonical = (env: Envelope, text: string): boolean => {
  if (JSON.stringify(env) === text && keysSorted(env)) return true
  try {
    return CanonicalJson.canonicalize(env) === text
  } catch {
    return false
  }
}

/**
 * Checks events pushed in sequence order: each hash, each envelope against its row, the links, and the
 * sensitive values. Stops at the first fault.
 */
export class ChainVerifier {
  next: number
  prevHash: string
  events = 0
  readonly hashes: Array<string> = []
  private readonly sensitive = new Map<string, SensitiveRow>()
  private readonly erasedListed = new Set<string>()
  private readonly erasedPending: Array<{ seq: number; path: string }> = []
  readonly purgeEvents = new Map<number, string>()

  constructor(
    readonly tenantId: string,
    startSequence: number,
    startHash: string,
    sensitiveRows: ReadonlyArray<SensitiveRow>,
    readonly collectHashes: boolean
  ) {
    this.next = startSequence
    this.prevHash = startHash
    for (const s of sensitiveRows) this.sensitive.set(sensitiveKey(s.event_sequence, s.path), s)
  }

  push(row: EventRow): Failure | undefined {
    const seq = row.sequence
    if (seq !== this.next) {
      return seq > this.next
        ? failure(this.next, "gap", `event ${this.next} is missing (the next stored event is ${seq})`)
        : failure(seq, "reorder", `event ${seq} appears after event ${this.next - 1}`)
    }
    if (sha256Hex(row.envelope) !== row.hash) {
      return failure(seq, "hash_mismatch", `the stored hash of event ${seq} is not SHA-256 of its envelope`)
    }
    let env: Envelope
    try {
      env = JSON.parse(row.envelope) as Envelope
    } catch {
      return failure(seq, "field_mismatch", `the envelope of event ${seq} is not JSON`)
    }
    if (env === null || typeof env !== "object" || env.v !== 1) {
      return failure(seq, "field_mismatch", `the envelope of event ${seq} is not a version 1 envelope`)
    }
    // The stored bytes must be exactly the canonical JSON of the fields they hold: an envelope
    // re-serialised (whitespace, a duplicated or unsorted key) and re-hashed is caught here even
    // after the last checkpoint.
    if (!isCanonical(env, row.envelope)) {
      return failure(seq, "not_canonical", `the envelope of event ${seq} is not the canonical JSON of its fields`)
    }
    if (env.sequence !== seq || env.tenant_id !== this.tenantId || row.tenant_id !== this.tenantId) {
      return failure(
        seq,
        "reorder",
        `position ${seq} holds the envelope of event ${String(env.sequence)} of tenant ${String(env.tenant_id)}`
      )
    }
    if (env.prev_hash !== this.prevHash) {
      return failure(seq, "chain_broken", `event ${seq} does not link to the hash of the event before it`)
    }
    const mismatch = columnMismatch(row, env)
    if (mismatch !== undefined) {
      return failure(seq, "field_mismatch", `column ${mismatch} of event ${seq} differs from its envelope`)
    }
    if (Array.isArray(env.sensitive) && env.sensitive.length > 0) {
      const bad = this.checkSensitive(seq, env)
      if (bad !== undefined) return bad
    }
    if (env.action === "audit.erased") this.noteErased(env)
    if (env.action === "audit.purged") this.notePurged(env)
    if (this.collectHashes) this.hashes.push(row.hash)
    this.prevHash = row.hash
    this.next = seq + 1
    this.events++
    return undefined
  }

  private checkSensitive(seq: number, env: Envelope): Failure | undefined {
    for (const path of env.sensitive) {
      const key = sensitiveKey(seq, path)
      const stored = this.sensitive.get(key)
      if (stored === undefined) {
        return failure(
          seq,
          "sensitive_mismatch",
          `sensitive value ${path} of event ${seq} is missing, with no tombstone`
        )
      }
      this.sensitive.delete(key)
      const marker = Sensitive.get(env, path) as { $sensitive?: unknown } | undefined
      const committed = marker?.$sensitive
      if (stored.erased_at !== null) {
        if (stored.value !== null || stored.salt !== null) {
          return failure(seq, "sensitive_mismatch", `erased value ${path} of event ${seq} still holds data`)
        }
        this.erasedPending.push({ seq, path })
        continue
      }
      if (stored.value === null || stored.salt === null || typeof committed !== "string") {
        return failure(seq, "sensitive_mismatch", `sensitive value ${path} of event ${seq} is incomplete`)
      }
      if (Sensitive.commitment(stored.salt, stored.value) !== committed) {
        return failure(
          seq,
          "sensitive_mismatch",
          `sensitive value ${path} of event ${seq} does not match its commitment`
        )
      }
    }
    return undefined
  }

  private noteErased(env: Envelope) {
    const erased = (env.after as { erased?: unknown } | null)?.erased
    if (!Array.isArray(erased)) return
    for (const e of erased as Array<{ sequence?: unknown; path?: unknown }>) {
      if (typeof e?.sequence === "number" && typeof e.path === "string") {
        this.erasedListed.add(sensitiveKey(e.sequence, e.path))
      }
    }
  }

  private notePurged(env: Envelope) {
    const after = env.after as { to_sequence?: unknown; anchor_hash?: unknown } | null
    if (typeof after?.to_sequence === "number" && typeof after.anchor_hash === "string") {
      this.purgeEvents.set(after.to_sequence, after.anchor_hash)
    }
  }

  /** Checks left after the last event: stray sensitive rows, and erasures nobody recorded (full scans). */
  finish(full: boolean): Failure | undefined {
    let first: Failure | undefined
    const worse = (f: Failure) => {
      if (first === undefined || f.firstBadSequence < first.firstBadSequence) first = f
    }
    for (const s of this.sensitive.values()) {
      worse(
        failure(
          s.event_sequence,
          "sensitive_mismatch",
          `a stored sensitive value ${s.path} is not in event ${s.event_sequence}`
        )
      )
    }
    if (full) {
      for (const e of this.erasedPending) {
        if (!this.erasedListed.has(sensitiveKey(e.seq, e.path))) {
          worse(
            failure(
              e.seq,
              "sensitive_mismatch",
              `value ${e.path} of event ${e.seq} was erased without an audit.erased event`
            )
          )
        }
      }
    }
    return first
  }
}

const columnMismatch = (row: EventRow, env: Envelope): string | undefined => {
  if (row.id !== env.id) return "id"
  if (row.occurred_at !== env.occurred_at) return "occurred_at"
  if (row.actor_id !== env.actor?.id) return "actor_id"
  if (row.action !== env.action) return "action"
  if (row.record_type !== env.record?.type) return "record_type"
  if (row.record_id !== env.record?.id) return "record_id"
  if (row.severity !== env.severity) return "severity"
  if (row.correlation_id !== (env.correlation_id ?? null)) return "correlation_id"
  return undefined
}

export { genesisHash }
