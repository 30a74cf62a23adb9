import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, FastCheck as fc, Schema } from "effect"
import { Guard } from "../src/index.js"
import { at, context, id, person, unmetOf } from "./workflowFixtures.js"

describe("Guard", () => {
  describe("requiredFields", () => {
    const guard = Guard.requiredFields(["title", "rootCause.method", { path: "rootCause.text", label: "root cause" }])

    it("lists every missing field, each in words", () => {
      assert.deepStrictEqual(unmetOf(context(), guard), [
        { code: "field.required", message: "Title must be filled in" },
        { code: "field.required", message: "Root cause method must be filled in" },
        { code: "field.required", message: "Root cause must be filled in" }
      ])
    })

    it("treats undefined, null, blank text and empty lists as missing; 0 and false as present", () => {
      const g = Guard.requiredFields(["a", "b", "c", "d", "e", "f", "g"])
      const data = { a: null, b: "   ", c: [], d: 0, e: false, f: ["x"], g: { nested: 1 } }
      assert.deepStrictEqual(
        unmetOf(context({ record: { data } }), g).map((u) => u.message),
        ["A must be filled in", "B must be filled in", "C must be filled in"]
      )
    })

    it("is met when every field is there, including nested paths and list indexes", () => {
      const data = { title: "Torque values", rootCause: { method: "5-why", text: "Old manual revision" } }
      assert.deepStrictEqual(unmetOf(context({ record: { data } }), guard), [])
      const indexed = Guard.requiredFields(["actions.0.owner"])
      assert.deepStrictEqual(unmetOf(context({ record: { data: { actions: [{ owner: "u" }] } } }), indexed), [])
      assert.strictEqual(unmetOf(context({ record: { data: { actions: [] } } }), indexed).length, 1)
    })

    it("does not read inherited properties as data", () => {
      assert.strictEqual(unmetOf(context({ record: { data: {} } }), Guard.requiredFields(["constructor"])).length, 1)
    })

    it("in any mode asks for one of the fields", () => {
      const g = Guard.oneOfFields(["effectiveness.result", "effectivenessSkipRationale"])
      assert.deepStrictEqual(unmetOf(context(), g), [
        {
          code: "field.one_of_required",
          message: "One of these must be filled in: effectiveness result, or effectiveness skip rationale"
        }
      ])
      assert.deepStrictEqual(unmetOf(context({ record: { data: { effectivenessSkipRationale: "one-off" } } }), g), [])
    })

    it.prop(
      "reports exactly the missing fields",
      [
        fc.dictionary(
          fc.constantFrom("a", "b", "c", "d"),
          fc.oneof(fc.constant(null), fc.constant(""), fc.string(), fc.integer())
        )
      ],
      ([data]) => {
        const fields = ["a", "b", "c", "d"]
        const missing = fields.filter((f) => {
          const v = (data as Record<string, unknown>)[f]
          return v === undefined || v === null || (typeof v === "string" && v.trim() === "")
        })
        const unmet = unmetOf(context({ record: { data } }), Guard.requiredFields(fields))
        assert.deepStrictEqual(
          unmet.map((u) => u.message),
          missing.map((f) => `${f.toUpperCase()} must be filled in`)
        )
      }
    )
  })

  describe("attachment", () => {
    it("asks for evidence of the kind", () => {
      const ctx = context({ attachments: [{ kind: "document", id: "a1" }] })
      assert.deepStrictEqual(unmetOf(ctx, Guard.attachment("photo")), [
        { code: "attachment.missing", message: "Evidence of kind 'photo' must be attached" }
      ])
      assert.deepStrictEqual(unmetOf(ctx, Guard.attachment("document")), [])
    })

    it("counts a minimum", () => {
      const ctx = context({ attachments: [{ kind: "photo", id: "a1" }] })
      assert.deepStrictEqual(unmetOf(ctx, Guard.attachment("photo", { min: 2 })), [
        { code: "attachment.missing", message: "At least 2 attachments of kind 'photo' must be attached (1 attached)" }
      ])
    })
  })

  describe("verification", () => {
    const independent = Guard.verification({ independent: true })

    it("asks for a verification", () => {
      assert.deepStrictEqual(unmetOf(context(), independent), [
        { code: "verification.missing", message: "A verification must be recorded" }
      ])
    })

    it("does not count the owner's own verification when it must be independent", () => {
      const ctx = context({ verifications: [{ by: id("owner"), at: at(1) }] })
      assert.deepStrictEqual(unmetOf(ctx, independent), [
        {
          code: "verification.not_independent",
          message: "The verification must be recorded by someone other than the owner of this record"
        }
      ])
      assert.deepStrictEqual(unmetOf(ctx, Guard.verification()), [])
      const other = context({
        verifications: [
          { by: id("owner"), at: at(1) },
          { by: id("auditor"), at: at(2) }
        ]
      })
      assert.deepStrictEqual(unmetOf(other, independent), [])
    })

    it("takes the creator as owner when the record has no owner", () => {
      const ctx = context({ record: { ownerId: null }, verifications: [{ by: id("auditor"), at: at(1) }] })
      assert.strictEqual(unmetOf(ctx, independent)[0]?.code, "verification.not_independent")
    })

    it("counts only accepted results when asked", () => {
      const g = Guard.verification({ results: ["effective"] })
      const ctx = context({ verifications: [{ by: id("qa"), at: at(1), result: "ineffective" }] })
      assert.deepStrictEqual(unmetOf(ctx, g), [
        { code: "verification.result", message: "A verification with the result 'effective' must be recorded" }
      ])
      const ok = context({ verifications: [{ by: id("qa"), at: at(2), result: "effective" }] })
      assert.deepStrictEqual(unmetOf(ok, g), [])
    })

    it("ignores verifications from before the record last entered its state, unless since is 'ever'", () => {
      const ctx = context({
        record: { state: "verification" },
        verifications: [{ by: id("qa"), at: at(5) }],
        history: [
          { transition: "submit", by: id("owner"), at: at(1), from: "open", to: "verification" },
          { transition: "reject", by: id("qa"), at: at(6), from: "verification", to: "open" },
          { transition: "submit", by: id("owner"), at: at(9), from: "open", to: "verification" }
        ]
      })
      assert.strictEqual(unmetOf(ctx, independent)[0]?.code, "verification.missing")
      assert.deepStrictEqual(unmetOf(ctx, Guard.verification({ since: "ever" })), [])
    })
  })

  describe("approvals", () => {
    it("counts distinct approvers", () => {
      const twice = context({
        approvals: [
          { by: id("a"), at: at(1) },
          { by: id("a"), at: at(2) }
        ]
      })
      assert.deepStrictEqual(unmetOf(twice, Guard.approvals(2)), [
        { code: "approvals.insufficient", message: "2 approvals from different people are required (1 given)" }
      ])
      const two = context({
        approvals: [
          { by: id("a"), at: at(1) },
          { by: id("b"), at: at(2) }
        ]
      })
      assert.deepStrictEqual(unmetOf(two, Guard.approvals(2)), [])
    })

    it("can leave out the owner's approval", () => {
      const ctx = context({ approvals: [{ by: id("owner"), at: at(1) }] })
      assert.deepStrictEqual(unmetOf(ctx, Guard.approvals(1)), [])
      assert.deepStrictEqual(unmetOf(ctx, Guard.approvals(1, { independent: true })), [
        { code: "approvals.insufficient", message: "An approval from someone other than the owner is required" }
      ])
    })
  })

  describe("separationOfDuties", () => {
    it("rules out the owner", () => {
      const g = Guard.separationOfDuties("owner")
      assert.deepStrictEqual(unmetOf(context({ actor: person("owner") }), g), [
        { code: "separation_of_duties.owner", message: "Someone other than the owner of this record must do this" }
      ])
      assert.deepStrictEqual(unmetOf(context({ actor: person("qm") }), g), [])
    })

    it("rules out the creator", () => {
      const g = Guard.separationOfDuties("creator")
      assert.strictEqual(unmetOf(context({ actor: person("auditor") }), g)[0]?.code, "separation_of_duties.creator")
      assert.deepStrictEqual(unmetOf(context({ actor: person("owner") }), g), [])
    })

    it("rules out whoever last performed a transition", () => {
      const g = Guard.separationOfDuties({ performerOf: "submit_for_verification" })
      const history = [
        { transition: "submit_for_verification", by: id("tech-1"), at: at(1), from: "a", to: "b" },
        { transition: "submit_for_verification", by: id("tech-2"), at: at(3), from: "a", to: "b" }
      ]
      assert.deepStrictEqual(unmetOf(context({ actor: person("tech-2"), history }), g), [
        {
          code: "separation_of_duties.performer",
          message: "Someone other than the person who did 'submit for verification' must do this"
        }
      ])
      assert.deepStrictEqual(unmetOf(context({ actor: person("tech-1"), history }), g), [])
    })
  })

  describe("linkedRecord", () => {
    const link = (state: string, kind = "corrective_action", direction: "out" | "in" = "out") => ({
      kind,
      direction,
      recordId: `capa-${state}`,
      recordType: "capa",
      state
    })

    it("asks for a linked record", () => {
      const g = Guard.linkedRecord({ kind: "corrective_action", states: "closed", recordType: "capa" })
      assert.deepStrictEqual(unmetOf(context({ links: [link("closed", "related")] }), g), [
        { code: "link.missing", message: "A linked capa (corrective action) in state 'closed' is required" }
      ])
    })

    it("in all mode names every linked record in the wrong state", () => {
      const g = Guard.linkedRecord({ kind: "corrective_action", states: ["closed", "cancelled"] })
      const ctx = context({ links: [link("closed"), link("open"), link("implementation")] })
      assert.deepStrictEqual(unmetOf(ctx, g), [
        {
          code: "link.state",
          message: "Linked capa capa-open (corrective action) must be in state 'closed' or 'cancelled'; it is 'open'"
        },
        {
          code: "link.state",
          message:
            "Linked capa capa-implementation (corrective action) must be in state 'closed' or 'cancelled'; it is 'implementation'"
        }
      ])
    })

    it("in any mode needs one in the state", () => {
      const g = Guard.linkedRecord({ kind: "corrective_action", states: "closed", mode: "any" })
      assert.deepStrictEqual(unmetOf(context({ links: [link("closed"), link("open")] }), g), [])
      assert.strictEqual(unmetOf(context({ links: [link("open")] }), g)[0]?.code, "link.state")
    })

    it("looks only at links in the asked direction", () => {
      const g = Guard.linkedRecord({ kind: "corrective_action", states: "closed" })
      assert.strictEqual(
        unmetOf(context({ links: [link("closed", "corrective_action", "in")] }), g)[0]?.code,
        "link.missing"
      )
      const either = Guard.linkedRecord({ kind: "corrective_action", states: "closed", direction: "either" })
      assert.deepStrictEqual(unmetOf(context({ links: [link("closed", "corrective_action", "in")] }), either), [])
    })
  })

  describe("custom", () => {
    class Fleet extends Context.Tag("test/Fleet")<Fleet, { readonly grounded: ReadonlyArray<string> }>() {}

    it.effect("uses services and reports its own requirements under its name", () =>
      Effect.gen(function* () {
        const g = Guard.custom("aircraft_not_grounded", (ctx) =>
          Effect.map(Fleet, (fleet) =>
            fleet.grounded.includes(String((ctx.record.data as { tail?: string }).tail))
              ? [{ code: "aircraft.grounded", message: "The aircraft is grounded" }]
              : true
          )
        )
        const grounded = yield* Guard.evaluate(g, context({ record: { data: { tail: "G-ABCD" } } }))
        assert.deepStrictEqual(grounded, [
          { guard: "aircraft_not_grounded", code: "aircraft.grounded", message: "The aircraft is grounded" }
        ])
        const flying = yield* Guard.evaluate(g, context({ record: { data: { tail: "G-WXYZ" } } }))
        assert.deepStrictEqual(flying, [])
      }).pipe(Effect.provideService(Fleet, { grounded: ["G-ABCD"] }))
    )

    it("turns false into its message", () => {
      const g = Guard.custom("always_no", () => Effect.succeed(false), { message: "Never allowed" })
      assert.deepStrictEqual(unmetOf(context(), g), [{ code: "always_no", message: "Never allowed" }])
      const plain = Guard.custom("torque_check_done", () => Effect.succeed(false))
      assert.deepStrictEqual(unmetOf(context(), plain), [
        { code: "torque_check_done", message: "Requirement not met: torque check done" }
      ])
    })
  })

  it.effect("evaluateAll reports every unmet requirement of every guard, in order", () =>
    Effect.gen(function* () {
      const unmet = yield* Guard.evaluateAll(
        [
          Guard.requiredFields(["title", "level"]),
          Guard.attachment("evidence"),
          Guard.approvals(1),
          Guard.attachment("photo", { name: "photo" })
        ],
        context({ attachments: [{ kind: "photo", id: "p" }] })
      )
      assert.deepStrictEqual(
        unmet.map((u) => `${u.guard}:${u.code}`),
        [
          "required_fields:field.required",
          "required_fields:field.required",
          "attachment.evidence:attachment.missing",
          "approvals:approvals.insufficient"
        ]
      )
    })
  )

  it("humanize and valueAt read paths the way people and records do", () => {
    assert.strictEqual(Guard.humanize("rootCause.method"), "root cause method")
    assert.strictEqual(Guard.humanize("action_in_progress"), "action in progress")
    assert.strictEqual(Guard.valueAt({ a: { b: [1, { c: 2 }] } }, "a.b.1.c"), 2)
    assert.strictEqual(Guard.valueAt({ a: "text" }, "a.length"), undefined)
    assert.strictEqual(Guard.valueAt(null, "a"), undefined)
  })

  describe("relations, names, words and the order of the history", () => {
    it("relationsOf takes the context's own list, else owner and creator as they apply", () => {
      assert.deepStrictEqual(Guard.relationsOf({ ...context(), relations: ["lead"] }), ["lead"])
      assert.deepStrictEqual(Guard.relationsOf({ ...context({ actor: person("owner") }), relations: [] }), [])
      assert.deepStrictEqual(Guard.relationsOf(context({ actor: person("owner") })), ["owner"])
      assert.deepStrictEqual(Guard.relationsOf(context({ actor: person("auditor") })), ["creator"])
      assert.deepStrictEqual(Guard.relationsOf(context({ actor: person("qm") })), [])
      const own = context({ actor: person("tech"), record: { ownerId: id("tech"), createdBy: id("tech") } })
      assert.deepStrictEqual(Guard.relationsOf(own), ["owner", "creator"])
    })

    it("names each guard by what it checks, as the unmet requirements report it", () => {
      assert.strictEqual(Guard.requiredFields(["a"]).name, "required_fields")
      assert.strictEqual(Guard.requiredFields(["a"], { mode: "any" }).name, "one_of_fields")
      const oneOf = Guard.oneOfFields(["a", "b"])
      assert.deepStrictEqual([oneOf.name, oneOf.mode], ["one_of_fields", "any"])
      const reported = Effect.runSync(Guard.evaluate(oneOf, context()))
      assert.deepStrictEqual(
        reported.map((u) => u.guard),
        ["one_of_fields"]
      )
      assert.strictEqual(Guard.separationOfDuties("owner").name, "separation_of_duties.owner")
      assert.strictEqual(Guard.separationOfDuties("creator").name, "separation_of_duties.creator")
      assert.strictEqual(
        Guard.separationOfDuties({ performerOf: "submit" }).name,
        "separation_of_duties.performer.submit"
      )
    })

    it("one of a single field asks for that field; an empty label still reports", () => {
      assert.deepStrictEqual(unmetOf(context(), Guard.oneOfFields(["rootCause.method"])), [
        { code: "field.one_of_required", message: "Root cause method must be filled in" }
      ])
      assert.deepStrictEqual(unmetOf(context(), Guard.requiredFields([{ path: "x", label: "" }])), [
        { code: "field.required", message: " must be filled in" }
      ])
    })

    it("humanize drops empty segments of a path", () => {
      assert.strictEqual(Guard.humanize("_internal__flag."), "internal flag")
    })

    it("the record entered its state at the latest entry into it, whatever the order of the history", () => {
      const history = [
        { transition: "submit", by: id("owner"), at: at(9), from: "open", to: "verification" },
        { transition: "submit", by: id("owner"), at: at(1), from: "open", to: "verification" },
        { transition: "reject", by: id("qa"), at: at(12), from: "verification", to: "open" }
      ]
      const entered = Guard.enteredStateAt(context({ record: { state: "verification" }, history }))
      assert.deepStrictEqual(entered, at(9))
      assert.deepStrictEqual(Guard.enteredStateAt(context({ record: { state: "open" }, history })), at(12))
      assert.strictEqual(Guard.enteredStateAt(context({ record: { state: "closed" }, history })), undefined)
    })

    it("a verification asked with several results names them all", () => {
      const g = Guard.verification({ results: ["effective", "partially_effective"] })
      const ctx = context({ verifications: [{ by: id("qa"), at: at(1), result: "ineffective" }] })
      assert.deepStrictEqual(unmetOf(ctx, g), [
        {
          code: "verification.result",
          message: "A verification with the result 'effective' or 'partially_effective' must be recorded"
        }
      ])
    })

    it("independent approvals count everyone but the owner", () => {
      const ctx = context({
        approvals: [
          { by: id("owner"), at: at(1) },
          { by: id("qa"), at: at(2) }
        ]
      })
      assert.deepStrictEqual(unmetOf(ctx, Guard.approvals(1, { independent: true })), [])
      assert.deepStrictEqual(unmetOf(ctx, Guard.approvals(2, { independent: true })), [
        {
          code: "approvals.insufficient",
          message: "2 approvals from different people other than the owner are required (1 given)"
        }
      ])
    })

    it("the creator is told in words who must do it", () => {
      assert.deepStrictEqual(unmetOf(context({ actor: person("auditor") }), Guard.separationOfDuties("creator")), [
        {
          code: "separation_of_duties.creator",
          message: "Someone other than the person who raised this record must do this"
        }
      ])
    })

    it("the performer is whoever did that transition last by time, not whoever acted last", () => {
      const g = Guard.separationOfDuties({ performerOf: "submit" })
      const submittedThenRejected = [
        { transition: "submit", by: id("tech-1"), at: at(1), from: "open", to: "verification" },
        { transition: "reject", by: id("tech-2"), at: at(3), from: "verification", to: "open" }
      ]
      assert.deepStrictEqual(unmetOf(context({ actor: person("tech-2"), history: submittedThenRejected }), g), [])
      assert.strictEqual(
        unmetOf(context({ actor: person("tech-1"), history: submittedThenRejected }), g)[0]?.code,
        "separation_of_duties.performer"
      )
      const unordered = [
        { transition: "submit", by: id("tech-2"), at: at(3), from: "open", to: "verification" },
        { transition: "submit", by: id("tech-1"), at: at(1), from: "open", to: "verification" }
      ]
      assert.strictEqual(
        unmetOf(context({ actor: person("tech-2"), history: unordered }), g)[0]?.code,
        "separation_of_duties.performer"
      )
      assert.deepStrictEqual(unmetOf(context({ actor: person("tech-1"), history: unordered }), g), [])
    })

    it("a linked record of another type does not count; without a type any record does, in words", () => {
      const audit = {
        kind: "corrective_action",
        direction: "out" as const,
        recordId: "a-1",
        recordType: "audit",
        state: "closed"
      }
      const typed = Guard.linkedRecord({ kind: "corrective_action", states: "closed", recordType: "capa" })
      assert.deepStrictEqual(unmetOf(context({ links: [audit] }), typed), [
        { code: "link.missing", message: "A linked capa (corrective action) in state 'closed' is required" }
      ])
      assert.deepStrictEqual(
        unmetOf(context({ links: [audit, { ...audit, recordId: "c-1", recordType: "capa" }] }), typed),
        []
      )
      const untyped = Guard.linkedRecord({ kind: "corrective_action", states: "closed" })
      assert.deepStrictEqual(unmetOf(context({ links: [audit] }), untyped), [])
      assert.deepStrictEqual(unmetOf(context(), untyped), [
        { code: "link.missing", message: "A linked record (corrective action) in state 'closed' is required" }
      ])
      const any = Guard.linkedRecord({ kind: "corrective_action", states: ["closed", "cancelled"], mode: "any" })
      assert.deepStrictEqual(unmetOf(context({ links: [{ ...audit, state: "open" }] }), any), [
        {
          code: "link.state",
          message: "At least one linked record (corrective action) must be in state 'closed' or 'cancelled'"
        }
      ])
    })
  })

  it("the context is a Schema the records runtime can check", () => {
    const ctx = context({ verifications: [{ by: id("qa"), at: at(1), result: "effective" }] })
    assert.isTrue(Schema.is(Guard.GuardContext)(ctx))
    assert.isFalse(Schema.is(Guard.GuardContext)({ ...ctx, links: [{ kind: "x", direction: "sideways" }] }))
  })
})
