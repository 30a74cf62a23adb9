// Pure parts of the audit log: diff, sensitive paths, retention periods, cursors, input decoding.
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc, ParseResult, Schema } from "effect"
import { AuditEvent, AuditLog, CanonicalJson, Retention, Sensitive } from "../src/index.js"

describe("AuditEvent.diff", () => {
  it("lists changed, added and removed fields by dotted path; arrays compare whole", () => {
    assert.deepStrictEqual(
      AuditEvent.diff(
        { state: "open", owner: { id: "u1", name: "Ann" }, tags: ["a"], gone: 1 },
        { state: "closed", owner: { id: "u2", name: "Ann" }, tags: ["a", "b"], added: true }
      ),
      [
        { path: "added", to: true },
        { path: "gone", from: 1 },
        { path: "owner.id", from: "u1", to: "u2" },
        { path: "state", from: "open", to: "closed" },
        { path: "tags", from: ["a"], to: ["a", "b"] }
      ]
    )
    assert.deepStrictEqual(AuditEvent.diff(null, { a: 1 }), [{ path: "a", to: 1 }])
    assert.deepStrictEqual(AuditEvent.diff({ a: null }, { a: { b: 1 } }), [{ path: "a", from: null, to: { b: 1 } }])
    assert.deepStrictEqual(AuditEvent.diff({ a: 1 }, { a: 1 }), [])
    // "__proto__" is an ordinary key (JSON.parse makes it one), never the prototype.
    const withProto = JSON.parse('{"__proto__": {"x": 1}}')
    assert.deepStrictEqual(AuditEvent.diff({}, withProto), [{ path: "__proto__.x", to: 1 }])
    const copy = Schema.decodeUnknownSync(AuditEvent.JsonValue)(withProto)
    assert.strictEqual(CanonicalJson.canonicalize(copy), '{"__proto__":{"x":1}}')
  })

  it("reports sensitive fields, their ancestors and descendants without values", () => {
    const d = AuditEvent.diff({ reporter: { email: "a@x", name: "A" } }, { reporter: { email: "b@x", name: "B" } }, [
      "reporter.email"
    ])
    assert.deepStrictEqual(d, [
      { path: "reporter.email", sensitive: true },
      { path: "reporter.name", from: "A", to: "B" }
    ])
    const whole = AuditEvent.diff({ contact: { email: "a" } }, { contact: 5 }, ["contact.email"])
    assert.deepStrictEqual(whole, [{ path: "contact", sensitive: true }])
  })

  it.prop(
    "a value never differs from itself, and any difference is reported",
    [fc.jsonValue(), fc.jsonValue()],
    ([a, b]) => {
      const x = a as AuditEvent.Json
      const y = b as AuditEvent.Json
      assert.deepStrictEqual(AuditEvent.diff(x, x), [])
      // A null root against an object counts as {} (a record created or deleted).
      const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v)
      const root = (v: AuditEvent.Json, other: AuditEvent.Json) => (v === null && isObject(other) ? {} : v)
      const same = CanonicalJson.canonicalize(root(x, y)) === CanonicalJson.canonicalize(root(y, x))
      assert.strictEqual(AuditEvent.diff(x, y).length === 0, same)
    },
    { fastCheck: { numRuns: 1000 } }
  )

  it("reports a member added or removed as an empty object, also under an empty key", () => {
    assert.deepStrictEqual(AuditEvent.diff({}, { a: {} }), [{ path: "a", to: {} }])
    assert.deepStrictEqual(AuditEvent.diff({ a: { b: {} } }, { a: {} }), [{ path: "a.b", from: {} }])
    assert.deepStrictEqual(AuditEvent.diff(null, { "": {} }), [{ path: "", to: {} }])
    assert.deepStrictEqual(AuditEvent.diff(null, {}), [])
    assert.deepStrictEqual(AuditEvent.diff({ a: null }, { a: {} }), [{ path: "a", from: null, to: {} }])
  })
})

describe("AuditEvent.JsonValue", () => {
  it("copies JSON, drops undefined keys, and names the path of anything that is not JSON", () => {
    const decode = Schema.decodeUnknownEither(AuditEvent.JsonValue)
    const input: unknown = { a: [1, { b: undefined, c: -0 }] }
    const copy = decode(input)
    assert.deepStrictEqual(copy._tag === "Right" ? copy.right : copy, { a: [1, { c: 0 }] })
    assert.notStrictEqual(copy._tag === "Right" ? copy.right : undefined, input)
    for (const [bad, path] of [
      [{ when: new Date(0) }, ["after", "when"]],
      [{ list: [1, Number.POSITIVE_INFINITY] }, ["after", "list", 1]],
      [[undefined], ["after", 0]],
      [{ f: () => 1 }, ["after", "f"]]
    ] as const) {
      const r = Schema.decodeUnknownEither(AuditEvent.AppendInput)({
        action: "finding.updated",
        recordType: "finding",
        recordId: "f",
        after: bad
      })
      assert.strictEqual(r._tag, "Left")
      if (r._tag === "Left") {
        assert.deepStrictEqual(ParseResult.ArrayFormatter.formatErrorSync(r.left)[0]?.path, path)
      }
    }
  })
})

describe("Sensitive", () => {
  const config: Sensitive.SensitivePaths = {
    "finding.*": ["after.reporter.email"],
    capa: ["after.owner"],
    "*": ["after.people.*.email"]
  }

  it("matches keys by action prefix, exact action or record type", () => {
    assert.lengthOf(Sensitive.patternsFor(config, "finding.closed", "finding"), 2)
    assert.lengthOf(Sensitive.patternsFor(config, "capa.opened", "capa"), 2)
    assert.lengthOf(Sensitive.patternsFor(config, "tool.lost", "tool"), 1)
    assert.isFalse(Sensitive.keyMatches("finding.*", "findings.x", "x"))
  })

  it("locates concrete paths (wildcards over keys and indexes), outermost first, and extracts them", () => {
    const holder = {
      before: null,
      after: { owner: { email: "o@x", name: "O" }, people: [{ email: "p@x" }, { name: "none" }] }
    } as { before: AuditEvent.Json; after: AuditEvent.Json }
    const paths = Sensitive.locate(holder, [
      ["after", "owner"],
      ["after", "owner", "email"],
      ["after", "people", "*", "email"]
    ])
    assert.deepStrictEqual(paths, ["after.owner", "after.people.0.email"])
    const out = Sensitive.extract(holder, paths)
    assert.deepStrictEqual(
      out.map((e) => [e.path, e.value]),
      [
        ["after.owner", '{"email":"o@x","name":"O"}'],
        ["after.people.0.email", '"p@x"']
      ]
    )
    assert.deepStrictEqual(Sensitive.get(holder, "after.owner"), { $sensitive: out[0]!.commitment })
    assert.strictEqual(out[0]!.commitment, Sensitive.commitment(out[0]!.salt, out[0]!.value))
    assert.notStrictEqual(out[0]!.salt, out[1]!.salt)
  })

  it("rejects paths outside before/after when the layer is configured", () => {
    assert.throws(() => Sensitive.validate({ x: ["reason"] }), /before\. or after\./)
    assert.throws(() => Sensitive.validate({ x: ["after."] }), /before\. or after\./)
  })
})

describe("Retention", () => {
  const config: Retention.Config = {
    policies: [
      { recordType: "tool", minimum: { years: 3 } },
      { action: "tool.scrapped", minimum: { days: 4000 } }
    ]
  }

  it("uses the longest matching period, calendar years, and 5 years by default", () => {
    const at = "2024-02-29T12:00:00.000Z"
    assert.strictEqual(
      new Date(
        Retention.purgeableAt(config, { action: "tool.lost", recordType: "tool", occurredAt: at })
      ).toISOString(),
      "2027-03-01T12:00:00.000Z"
    )
    assert.strictEqual(
      Retention.purgeableAt(config, { action: "tool.scrapped", recordType: "tool", occurredAt: at }),
      Date.parse(at) + 4000 * 86_400_000
    )
    assert.strictEqual(
      new Date(
        Retention.purgeableAt(config, { action: "finding.raised", recordType: "finding", occurredAt: at })
      ).toISOString(),
      "2029-03-01T12:00:00.000Z"
    )
    assert.throws(() => Retention.validate({ policies: [{ minimum: { years: 1 } }] }), /recordType/)
    assert.throws(() => Retention.validate({ default: { days: -1 } }), />= 0/)
  })
})

describe("cursors", () => {
  it.prop(
    "round-trip any sequence; anything else is not a cursor",
    [fc.nat({ max: Number.MAX_SAFE_INTEGER })],
    ([n]) => {
      assert.strictEqual(AuditLog.cursorSequence(AuditLog.cursorAfter(n)), n)
    }
  )

  it("rejects strings that are not cursors", () => {
    for (const bad of [
      "",
      "12",
      "garbage!",
      Buffer.from("aw1:-1").toString("base64url"),
      Buffer.from("aw1:01").toString("base64url")
    ]) {
      assert.isUndefined(AuditLog.cursorSequence(bad), bad)
    }
  })
})
