import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import { vi } from "vitest"
import * as CanonicalJson from "../src/CanonicalJson.js"
import { CanonicalJsonError, canonicalBytes, canonicalize } from "../src/CanonicalJson.js"

// An IEEE-754 double from its 16 hex digits, as RFC 8785 Appendix B lists them.
const fromIeeeHex = (hex: string): number => {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, BigInt(`0x${hex}`))
  return view.getFloat64(0)
}

const reasonOf = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    assert.instanceOf(e, CanonicalJsonError)
    return `${(e as CanonicalJsonError).reason}@${(e as CanonicalJsonError).path}`
  }
  return undefined
}

// Reorders object keys everywhere (deterministically by seed) without changing the JSON value.
const shuffleKeys = (value: unknown, seed: number): unknown => {
  if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i))
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
    const keyed = entries.map(([k, v], i) => ({ k, v, r: ((i + 1) * 2654435761 + seed * 40503) % 1000003 }))
    keyed.sort((a, b) => a.r - b.r)
    const out: Record<string, unknown> = {}
    // defineProperty so a "__proto__" key stays an own member, as JSON.parse makes it.
    for (const { k, v } of keyed.reverse()) {
      Object.defineProperty(out, k, {
        value: shuffleKeys(v, seed + 1),
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
    return out
  }
  return value
}

// An independent, deliberately naive RFC 8785 serialiser for JSON data (no toJSON, no rejections):
// members sorted by UTF-16 code units, strings and numbers as JSON.stringify writes them.
const naive = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(naive).join(",")}]`
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>
    const members = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${naive(record[k])}`)
    return `{${members.join(",")}}`
  }
  return JSON.stringify(value)
}

describe("CanonicalJson", () => {
  // RFC 8785 §3.2.3 "Sorting of Object Properties" example: UTF-16 code unit order, so the emoji's
  // high surrogate (0xD83D) sorts before U+FB33.
  it("sorts members by UTF-16 code units (RFC 8785 §3.2.3)", () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One",' +
        '"\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}'
    )
    const out = canonicalize(input)
    const keys = Object.keys(JSON.parse(out))
    const order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]
    assert.deepStrictEqual(
      [...out.matchAll(/"([^"]*)":"[^"]*"/g)].map((m) => JSON.parse(`"${m[1]}"`)),
      order
    )
    assert.strictEqual(keys.length, 7)
    assert.strictEqual(
      out,
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
  })

  // RFC 8785 §3.2.2 / §3.2.4 example; same data as cyberphone/json-canonicalization testdata/input|output/values.json.
  it("serialises the RFC 8785 §3.2.2 example exactly", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}'
    )
    assert.strictEqual(
      canonicalize(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    // §3.2.4: the UTF-8 of the example output (first and last bytes, and the euro sign as e2 82 ac).
    const bytes = canonicalBytes(input)
    const hex = Buffer.from(bytes).toString("hex")
    assert.isTrue(hex.startsWith("7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d"))
    assert.include(hex, "22e282ac245c7530303066")
    assert.isTrue(hex.endsWith("2f227d"))
  })

  // cyberphone/json-canonicalization testdata/input/structures.json -> testdata/output/structures.json
  it("canonicalises nested structures (JCS reference testdata structures.json)", () => {
    const input = JSON.parse('{"1":{"f":{"f":"hi","F":5},"\\n":56.0},"10":{},"":"empty","a":{},"111":[{}],"A":{}}')
    assert.strictEqual(
      canonicalize(input),
      '{"":"empty","1":{"\\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{}],"A":{},"a":{}}'
    )
  })

  // cyberphone/json-canonicalization testdata/input/weird.json -> testdata/output/weird.json
  it("canonicalises the JCS reference weird.json", () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","1":"One","\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley",' +
        '"\\u00f6":"Latin Small Letter O With Diaeresis","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
        '"</script>":"Browser Challenge"}'
    )
    assert.strictEqual(
      canonicalize(input),
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
  })

  it("serialises numbers as RFC 8785 requires", () => {
    const cases: ReadonlyArray<readonly [number, string]> = [
      [1e21, "1e+21"],
      [1e-7, "1e-7"],
      [-0, "0"],
      [0, "0"],
      [0.000001, "0.000001"],
      // Parsed from text: the literal's extra digits are the point of the RFC example.
      [Number("333333333.33333329"), "333333333.3333333"],
      [5e-324, "5e-324"],
      [-5e-324, "-5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [-1.7976931348623157e308, "-1.7976931348623157e+308"],
      [1e30, "1e+30"],
      [4.5, "4.5"],
      [0.002, "0.002"],
      [1e-27, "1e-27"],
      [100, "100"],
      [-1, "-1"]
    ]
    for (const [n, s] of cases) assert.strictEqual(canonicalize(n), s, `number ${n}`)
  })

  // RFC 8785 Appendix B "Number Serialization Samples" (IEEE-754 hex -> JSON), plus the sample lines in
  // cyberphone/json-canonicalization testdata/README.md.
  it("matches the RFC 8785 Appendix B number samples", () => {
    const samples: ReadonlyArray<readonly [string, string]> = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4340000000000001", "9007199254740994"],
      ["4340000000000002", "9007199254740996"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"]
    ]
    for (const [hex, expected] of samples) assert.strictEqual(canonicalize(fromIeeeHex(hex)), expected, hex)
    // Appendix B: NaN and Infinity must be rejected.
    assert.strictEqual(
      reasonOf(() => canonicalize(fromIeeeHex("7fffffffffffffff"))),
      "non_finite_number@"
    )
    assert.strictEqual(
      reasonOf(() => canonicalize(fromIeeeHex("7ff0000000000000"))),
      "non_finite_number@"
    )
  })

  it("escapes strings like JSON.stringify: short escapes, lower-case \\u00xx, no escaping of / or non-ASCII", () => {
    assert.strictEqual(canonicalize('\b\f\n\r\t\u0000\u001f"\\/é'), '"\\b\\f\\n\\r\\t\\u0000\\u001f\\"\\\\/é"')
    assert.strictEqual(canonicalize("\u007f\u2028"), '"\u007f\u2028"')
  })

  it("omits undefined members and writes no whitespace", () => {
    assert.strictEqual(
      canonicalize({ b: [1, { d: undefined, c: true }], a: null, z: undefined }),
      '{"a":null,"b":[1,{"c":true}]}'
    )
    assert.strictEqual(canonicalize([]), "[]")
    assert.strictEqual(canonicalize({}), "{}")
  })

  it("honours toJSON and unwraps boxed primitives like JSON.stringify", () => {
    const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6))
    assert.strictEqual(canonicalize({ at: date }), '{"at":"2026-01-02T03:04:05.006Z"}')
    const boxed = [new String("s"), new Number(2), new Boolean(false)]
    assert.strictEqual(canonicalize(boxed), '["s",2,false]')
  })

  it("rejects values JSON cannot represent faithfully, naming where", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = { back: cyclic }
    const cyclicArray: Array<unknown> = []
    cyclicArray.push(cyclicArray)
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [Number.NaN, "non_finite_number@"],
      [{ a: [1, Number.POSITIVE_INFINITY] }, "non_finite_number@/a/1"],
      [{ x: Number.NEGATIVE_INFINITY }, "non_finite_number@/x"],
      [10n, "bigint@"],
      [{ n: 1n }, "bigint@/n"],
      [() => 1, "function@"],
      [{ f: () => 1 }, "function@/f"],
      [Symbol("s"), "symbol@"],
      [{ s: Symbol("s") }, "symbol@/s"],
      [undefined, "undefined@"],
      [[1, undefined], "undefined@/1"],
      [cyclic, "cycle@/self/back"],
      [cyclicArray, "cycle@/0"],
      ["\ud800", "lone_surrogate@"],
      [{ "a/b~": "x\udc00" }, "lone_surrogate@/a~1b~0"],
      [{ "\udfff": 1 }, "lone_surrogate@/\udfff"],
      [new Map([["a", 1]]), "unsupported_object@"],
      [{ s: new Set([1]) }, "unsupported_object@/s"],
      [new Uint8Array([1, 2]), "unsupported_object@"]
    ]
    for (const [value, expected] of cases)
      assert.strictEqual(
        reasonOf(() => canonicalize(value)),
        expected,
        expected
      )
    assert.throws(() => canonicalBytes(undefined))
  })

  it("keeps an own __proto__ member like any other key", () => {
    assert.strictEqual(canonicalize(JSON.parse('{"b":1,"__proto__":{"x":2}}')), '{"__proto__":{"x":2},"b":1}')
  })

  it("accepts shared (non-cyclic) references", () => {
    const shared = { k: 1 }
    assert.strictEqual(canonicalize({ a: shared, b: [shared, shared] }), '{"a":{"k":1},"b":[{"k":1},{"k":1}]}')
  })

  it("canonicalBytes is the UTF-8 of canonicalize", () => {
    const value = { "€": "\ud83d\ude00", n: 1.5 }
    assert.deepStrictEqual(Buffer.from(canonicalBytes(value)), Buffer.from(canonicalize(value), "utf8"))
    assert.strictEqual(Buffer.from(canonicalBytes({ "€": 1 })).toString("hex"), "7b22e282ac223a317d")
  })

  it.prop(
    "is a fixpoint of parse: canonicalize(JSON.parse(canonicalize(x))) === canonicalize(x)",
    [fc.jsonValue({ stringUnit: "grapheme" })],
    ([x]) => {
      const once = canonicalize(x)
      assert.strictEqual(canonicalize(JSON.parse(once)), once)
      // And it is always valid JSON denoting the same value as JSON.stringify.
      assert.deepStrictEqual(JSON.parse(once), JSON.parse(JSON.stringify(x)))
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "input key order never changes the output",
    [fc.jsonValue({ stringUnit: "grapheme-ascii" }), fc.integer({ min: 0, max: 1_000_000 })],
    ([x, seed]) => {
      const shuffled = shuffleKeys(x, seed)
      assert.deepStrictEqual(shuffled, x)
      assert.strictEqual(canonicalize(shuffled), canonicalize(x))
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "agrees with a naive sort-then-stringify serialiser on any JSON value (index-like and __proto__ names included)",
    [
      fc.jsonValue({ stringUnit: "grapheme" }),
      fc.dictionary(
        fc.oneof(
          fc.constantFrom("0", "1", "10", "9", "__proto__", "toJSON", "a", "\ud83d\ude00", "\uff01"),
          fc.string()
        ),
        fc.jsonValue({ maxDepth: 2 })
      )
    ],
    ([x, y]) => {
      assert.strictEqual(canonicalize(x), naive(x))
      const parsed = JSON.parse(JSON.stringify(y)) // own "__proto__" members, as JSON.parse makes them
      assert.strictEqual(canonicalize(parsed), naive(parsed))
    },
    { fastCheck: { numRuns: 500 } }
  )

  it.prop(
    "matches JSON.stringify on values without objects (nothing to sort)",
    [
      fc.array(
        fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null))
      )
    ],
    ([xs]) => {
      assert.strictEqual(canonicalize(xs), JSON.stringify(xs))
    }
  )
})

describe("depth", () => {
  it("refuses nesting past maxDepth with too_deep instead of overflowing the stack", () => {
    let deep: unknown = 1
    for (let i = 0; i < 50_000; i++) deep = [deep]
    assert.throws(() => CanonicalJson.canonicalize(deep), /too deep/)
    let ok: unknown = 1
    for (let i = 0; i < CanonicalJson.maxDepth - 1; i++) ok = { a: ok }
    assert.isString(CanonicalJson.canonicalize(ok))
  })
})

// The corners the tests above leave open (docs/mutation.md, audit-json): the exact depth limit, each
// kind of lossy object, objects that are neither plain nor lossy, toJSON's key and cycles through it,
// and the shared sort cache meeting two key lists that join to the same text.
describe("CanonicalJson edges", () => {
  const nested = (levels: number): unknown => {
    let value: unknown = 1
    for (let i = 0; i < levels; i++) value = { a: value }
    return value
  }

  it("accepts exactly maxDepth nested containers; one more is too_deep, its path cut to 64 tokens", () => {
    assert.isString(canonicalize(nested(CanonicalJson.maxDepth)))
    assert.strictEqual(
      reasonOf(() => canonicalize(nested(CanonicalJson.maxDepth + 1))),
      `too_deep@${"/a".repeat(64)}`
    )
  })

  it("checkDepth refuses a depth past maxDepth only, with the path cut to 200 characters", () => {
    CanonicalJson.checkDepth(CanonicalJson.maxDepth, "/x")
    assert.strictEqual(
      reasonOf(() => CanonicalJson.checkDepth(CanonicalJson.maxDepth + 1, "/x")),
      "too_deep@/x"
    )
    assert.strictEqual(
      reasonOf(() => CanonicalJson.checkDepth(CanonicalJson.maxDepth + 1, "/y".repeat(150))),
      `too_deep@${"/y".repeat(100)}`
    )
    const error = new CanonicalJsonError({ reason: "too_deep", path: "/a" })
    assert.strictEqual(error.message, 'Cannot canonicalize too deep at "/a"')
  })

  it("refuses every kind of object JSON.stringify would empty or turn into an index map", () => {
    const lossy: ReadonlyArray<readonly [string, unknown]> = [
      ["WeakMap", new WeakMap()],
      ["WeakSet", new WeakSet()],
      ["ArrayBuffer", new ArrayBuffer(2)],
      ["DataView", new DataView(new ArrayBuffer(2))],
      ["Promise", Promise.resolve(1)],
      ["RegExp", /a/g]
    ]
    for (const [name, value] of lossy) {
      assert.strictEqual(
        reasonOf(() => canonicalize({ v: value })),
        "unsupported_object@/v",
        name
      )
    }
  })

  it("writes objects of other prototypes by their own enumerable members, and finds their cycles", () => {
    class Part {
      constructor(
        readonly pn: string,
        readonly qty: number
      ) {}
    }
    assert.strictEqual(canonicalize({ part: new Part("P-1", 2) }), '{"part":{"pn":"P-1","qty":2}}')
    const bare = Object.create(null) as Record<string, unknown>
    bare.b = 1
    bare.a = [true]
    assert.strictEqual(canonicalize(bare), '{"a":[true],"b":1}')
    const looped = new Part("P-2", 1) as Part & { self?: unknown }
    looped.self = { back: looped }
    assert.strictEqual(
      reasonOf(() => canonicalize(looped)),
      "cycle@/self/back"
    )
    bare.self = bare
    assert.strictEqual(
      reasonOf(() => canonicalize({ x: bare })),
      "cycle@/x/self"
    )
  })

  it("calls toJSON with the member name or index, as JSON.stringify does, and refuses a toJSON cycle", () => {
    const named = { toJSON: (key: string) => `key:${key}` }
    assert.strictEqual(canonicalize({ m: named, l: [named] }), '{"l":["key:0"],"m":"key:m"}')
    assert.strictEqual(canonicalize(named), '"key:"')
    // The same object (or date) twice is no cycle.
    assert.strictEqual(canonicalize({ a: named, b: named }), '{"a":"key:a","b":"key:b"}')
    const date = new Date(Date.UTC(2026, 0, 2))
    assert.strictEqual(
      canonicalize({ a: date, b: date }),
      '{"a":"2026-01-02T00:00:00.000Z","b":"2026-01-02T00:00:00.000Z"}'
    )
    const selfish: { toJSON: () => unknown } = { toJSON: () => selfish }
    assert.strictEqual(
      reasonOf(() => canonicalize({ s: selfish })),
      "cycle@/s"
    )
  })

  it("sorts objects whose key lists join to the same text each by its own keys", async () => {
    // A fresh copy of the module: an empty sort cache (the property tests above may have filled it).
    vi.resetModules()
    const fresh = await import("../src/CanonicalJson.js")
    // Each key list joined with U+0000 reads "c\u0000a\u0000b": none may reuse another's sort.
    assert.strictEqual(fresh.canonicalize({ c: 1, "a\u0000b": 2 }), '{"a\\u0000b":2,"c":1}')
    assert.strictEqual(fresh.canonicalize({ "c\u0000a": 3, b: 4 }), '{"b":4,"c\\u0000a":3}')
    assert.strictEqual(fresh.canonicalize({ c: 5, a: 6, b: 7 }), '{"a":6,"b":7,"c":5}')
    // The same shape again is served from the cache, with its own values.
    assert.strictEqual(fresh.canonicalize({ c: 8, "a\u0000b": 9 }), '{"a\\u0000b":9,"c":8}')
  })

  it("leaves out undefined members wherever they fall, with no stray comma", () => {
    assert.strictEqual(canonicalize({ a: undefined, b: 1 }), '{"b":1}')
    assert.strictEqual(canonicalize({ b: 1, a: undefined, c: 2 }), '{"b":1,"c":2}')
    assert.strictEqual(canonicalize({ b: undefined }), "{}")
    assert.strictEqual(canonicalize([]), "[]")
    assert.strictEqual(canonicalize([[], {}, [1, [2]]]), "[[],{},[1,[2]]]")
  })
})
