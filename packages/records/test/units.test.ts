import { Fixtures } from "@airworthy/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { QmsRecord, RecordHooks, Records, RecordType } from "../src/index.js"
import { capa, config, finding } from "./layers.js"

const record = (type: string) =>
  new QmsRecord.QmsRecord({
    id: "r",
    type,
    ref: "X-2026-0001",
    title: "",
    state: "open",
    version: 1,
    ownerId: null,
    createdBy: "u",
    createdAt: "",
    updatedAt: "",
    dueAt: null,
    closedAt: null,
    data: {}
  })

describe("configuration", () => {
  it("rejects malformed type names, prefixes and link kinds when they are declared", () => {
    const base = { schema: Schema.Struct({}), workflow: Fixtures.capa, title: () => "" }
    assert.throws(() => RecordType.make({ ...base, name: "Capa", prefix: "CAPA" }), /lower-case/)
    assert.throws(() => RecordType.make({ ...base, name: "capa", prefix: "capa" }), /upper-case/)
    assert.throws(() => RecordType.link({ kind: "Corrective Action" }), /lower-case/)
    assert.deepStrictEqual(RecordType.link({ kind: "related", from: "finding" }), {
      kind: "related",
      from: ["finding"]
    })
  })

  it("defaults the permissions from the type name, and lets the host override them", () => {
    assert.strictEqual(finding.permissions.update, "finding.update")
    assert.strictEqual(finding.permissions.comment, "record.comment")
    const custom = RecordType.make({
      name: "concession",
      prefix: "CON",
      schema: Schema.Struct({}),
      workflow: Fixtures.capa,
      title: () => "",
      permissions: { approve: "concession.grant" }
    })
    assert.strictEqual(custom.permissions.approve, "concession.grant")
    assert.strictEqual(custom.permissions.read, "concession.read")
  })

  it("rejects a layer whose types or link kinds do not fit together", () => {
    assert.throws(() => Records.layer({ types: [finding, finding] }), /registered twice/)
    assert.throws(() => Records.layer({ types: [capa, { ...capa, name: "capa2" }] }), /prefix CAPA/)
    assert.throws(
      () => Records.layer({ types: [finding], links: [RecordType.link({ kind: "corrective_action", to: "capa" })] }),
      /not registered/
    )
    assert.doesNotThrow(() => Records.layer(config))
  })
})

describe("hooks", () => {
  const run = () => Effect.void
  const change = (kind: RecordHooks.Change["kind"], type: string, transition?: string): RecordHooks.Change => ({
    kind,
    record: record(type),
    auditSequence: 1,
    ...(transition !== undefined ? { transition: { name: transition, from: "a", to: "b" } } : {})
  })

  it("match by kind, record type and transition name", () => {
    const close = RecordHooks.onTransition("close", run, { type: "capa" })
    assert.isTrue(RecordHooks.matches(close, change("transitioned", "capa", "close")))
    assert.isFalse(RecordHooks.matches(close, change("transitioned", "capa", "open")))
    assert.isFalse(RecordHooks.matches(close, change("transitioned", "finding", "close")))
    assert.isFalse(RecordHooks.matches(close, change("updated", "capa")))
    const any = RecordHooks.onTransition("*", run)
    assert.isTrue(RecordHooks.matches(any, change("transitioned", "finding", "open")))
    assert.isTrue(RecordHooks.matches(RecordHooks.on("*", run), change("signed", "finding")))
    assert.isTrue(RecordHooks.matches(RecordHooks.onCreated(run), change("created", "finding")))
    assert.isFalse(RecordHooks.matches(RecordHooks.onCommented(run), change("created", "finding")))
  })

  it("a hook failure carries its problem metadata", () => {
    const e = new RecordHooks.HookFailed({ hook: "tasks", detail: "no assignee" })
    assert.deepStrictEqual([e.status, e.code, e.message], [500, "hook_failed", "tasks: no assignee"])
  })
})

describe("inputs", () => {
  it("a signature credential decodes to a redacted value that never prints", () => {
    const input = Schema.decodeUnknownSync(Records.SignInput)({ id: "r", meaning: "approved", credential: "pin-1234" })
    assert.notInclude(String(input.credential), "pin-1234")
    assert.notInclude(JSON.stringify(input), "pin-1234")
  })
})

describe("record data is JSON, judged without recursion", () => {
  const decode = Schema.decodeUnknownEither(Records.CreateInput)
  const message = (data: unknown) => {
    const result = decode({ type: "finding", data })
    return result._tag === "Left" ? result.left.message : "accepted"
  }

  it("refuses what JSON cannot hold, naming where", () => {
    assert.include(message({ a: [1, undefined] }), "undefined is not a JSON value at /a/1")
    assert.include(message({ n: Number.NaN }), "NaN is not a JSON number at /n")
    assert.include(message({ d: new Date(0) }), "Not a plain JSON object at /d")
    assert.include(message({ f: () => 1 }), "function is not a JSON value at /f")
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    assert.include(message(cycle), "Nested deeper than 64 levels")
    assert.strictEqual(message({ title: "t", nested: { list: [1, "two", null, true, { x: 1.5 }] } }), "accepted")
    assert.strictEqual(message({ title: "t", note: undefined }), "accepted")
  })

  it("refuses nesting past 64 levels at any width, without overflowing the stack", () => {
    let deep: unknown = "bottom"
    for (let i = 0; i < 100_000; i++) deep = [deep]
    assert.include(message({ deep }), "Nested deeper than 64 levels")
    let ok: unknown = "bottom"
    for (let i = 0; i < 63; i++) ok = { k: ok }
    assert.strictEqual(message(ok), "accepted")
    const patch = Schema.decodeUnknownEither(Records.UpdateInput)({ id: "r", data: { deep } })
    assert.strictEqual(patch._tag, "Left")
  })
})
