import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Either, pipe } from "effect"
import { Errors, Guard, Policy, Workflow } from "../src/index.js"
import { at, context, id, person, run } from "./workflowFixtures.js"

// A small work-order style workflow used across these tests.
const base: Workflow.Definition = {
  name: "concession",
  states: {
    draft: { editable: ["title", "justification"] },
    review: { label: "Under review", editable: ["justification.risk"] },
    approved: {},
    rejected: {}
  },
  initial: "draft",
  terminal: ["approved", "rejected"],
  transitions: [
    {
      name: "submit",
      from: "draft",
      to: "review",
      permission: "record.update",
      guards: [Guard.requiredFields(["title", "justification"])]
    },
    {
      name: "approve",
      from: "review",
      to: "approved",
      permission: "record.sign",
      signature: { meaning: "approved" },
      guards: [
        Guard.approvals(2),
        Guard.separationOfDuties({ performerOf: "submit" }),
        Guard.attachment("risk_assessment")
      ]
    },
    { name: "reject", from: "review", to: "rejected", permission: "record.sign", reasonRequired: true },
    { name: "withdraw", from: ["draft", "review"], to: "rejected", permission: "record.update", reasonRequired: true }
  ]
}

const concession = Workflow.unsafeMake(base)

const problemsOf = (definition: Workflow.Definition<unknown>) => {
  const result = Workflow.make(definition)
  assert.isTrue(Either.isLeft(result), "expected the definition to be rejected")
  return Either.isLeft(result) ? result.left.problems.map((p) => ({ code: p.code, message: p.message })) : []
}

const codesOf = (definition: Workflow.Definition<unknown>) => problemsOf(definition).map((p) => p.code)

describe("Workflow.make", () => {
  it("accepts a valid definition and fills in defaults", () => {
    assert.strictEqual(concession.label, "Concession")
    assert.strictEqual(concession.states.draft?.label, "Draft")
    assert.strictEqual(concession.states.review?.label, "Under review")
    assert.deepStrictEqual(concession.states.approved?.editable, [])
    const withdraw = concession.transitions.find((t) => t.name === "withdraw")
    assert.deepStrictEqual(withdraw?.from, ["draft", "review"])
    assert.strictEqual(concession.transitions.find((t) => t.name === "submit")?.reasonRequired, false)
    assert.isTrue(Workflow.isWorkflow(concession))
    assert.isFalse(Workflow.isWorkflow(base))
  })

  it("rejects unknown states in initial, terminal, from and to, naming each", () => {
    assert.deepStrictEqual(
      problemsOf({
        ...base,
        initial: "drafted",
        terminal: ["approved", "rejected", "archived"],
        transitions: [
          ...base.transitions,
          { name: "park", from: ["review", "parked"], to: "limbo", permission: "record.update" }
        ]
      }).filter((p) => p.code === "unknown_state"),
      [
        {
          code: "unknown_state",
          message: "Initial state 'drafted' is not one of the states (draft, review, approved, rejected)"
        },
        {
          code: "unknown_state",
          message: "Terminal state 'archived' is not one of the states (draft, review, approved, rejected)"
        },
        { code: "unknown_state", message: "Transition 'park' starts from unknown state 'parked'" },
        { code: "unknown_state", message: "Transition 'park' goes to unknown state 'limbo'" }
      ]
    )
  })

  it("rejects a workflow without states", () => {
    assert.deepStrictEqual(problemsOf({ name: "empty", states: {}, initial: "x", terminal: [], transitions: [] }), [
      { code: "empty_states", message: "The workflow has no states" },
      { code: "unknown_state", message: "Initial state 'x' is not one of the states (none)" }
    ])
  })

  it("rejects unreachable states and non-terminal dead ends", () => {
    assert.deepStrictEqual(
      problemsOf({
        ...base,
        states: { ...base.states, on_hold: {}, archived: {} },
        terminal: [...base.terminal, "archived"]
      }),
      [
        { code: "unreachable_state", message: "State 'on_hold' cannot be reached from the initial state 'draft'" },
        { code: "unreachable_state", message: "State 'archived' cannot be reached from the initial state 'draft'" },
        { code: "dead_end", message: "State 'on_hold' is not terminal but no transition leads out of it" }
      ]
    )
  })

  it("rejects loops that can never reach a terminal state", () => {
    assert.deepStrictEqual(
      problemsOf({
        name: "loop",
        states: { a: {}, b: {}, c: {}, done: {} },
        initial: "a",
        terminal: ["done"],
        transitions: [
          { name: "finish", from: "a", to: "done", permission: "x.y" },
          { name: "go", from: "a", to: "b", permission: "x.y" },
          { name: "there", from: "b", to: "c", permission: "x.y" },
          { name: "back", from: "c", to: "b", permission: "x.y" }
        ]
      }),
      [
        { code: "no_path_to_terminal", message: "From state 'b' no terminal state can ever be reached" },
        { code: "no_path_to_terminal", message: "From state 'c' no terminal state can ever be reached" }
      ]
    )
  })

  it("rejects duplicate transition names and transitions out of a terminal state", () => {
    assert.deepStrictEqual(
      problemsOf({
        ...base,
        transitions: [
          ...base.transitions,
          { name: "reject", from: "draft", to: "rejected", permission: "record.update" },
          { name: "reopen", from: "approved", to: "review", permission: "record.update" }
        ]
      }),
      [
        {
          code: "duplicate_transition",
          message: "Two transitions are named 'reject'; transition names must be unique"
        },
        {
          code: "transition_from_terminal",
          message: "Transition 'reopen' leaves terminal state 'approved'; terminal states accept no transitions"
        }
      ]
    )
  })

  it("checks the configuration of every guard", () => {
    const unknownGuard = { _tag: "Telepathy", name: "mind_reading" } as unknown as Guard.Guard
    assert.deepStrictEqual(
      problemsOf({
        ...base,
        transitions: [
          {
            name: "submit",
            from: "draft",
            to: "review",
            permission: "record.update",
            guards: [
              Guard.approvals(0),
              Guard.attachment("", { min: 0 }),
              Guard.requiredFields([]),
              Guard.requiredFields(["bad path"], { name: "fields" }),
              Guard.separationOfDuties({ performerOf: "sign" }),
              Guard.linkedRecord({ kind: "capa", states: [] }),
              Guard.verification({ results: [] }),
              Guard.attachment("photo"),
              Guard.attachment("photo"),
              unknownGuard
            ]
          },
          ...base.transitions.slice(1)
        ]
      }),
      [
        {
          code: "invalid_guard",
          message: "Guard 'approvals' of transition 'submit' needs a count of at least 1 approval (got 0)"
        },
        { code: "invalid_guard", message: "Guard 'attachment.' of transition 'submit' needs an attachment kind" },
        {
          code: "invalid_guard",
          message: "Guard 'attachment.' of transition 'submit' needs a minimum of at least 1 attachment (got 0)"
        },
        { code: "invalid_guard", message: "Guard 'required_fields' of transition 'submit' lists no fields" },
        {
          code: "invalid_guard",
          message: "Guard 'fields' of transition 'submit' has an invalid field path 'bad path'"
        },
        {
          code: "unknown_transition",
          message:
            "Guard 'separation_of_duties.performer.sign' of transition 'submit' refers to transition 'sign', which the workflow does not have"
        },
        {
          code: "invalid_guard",
          message: "Guard 'linked_record.capa' of transition 'submit' needs at least one state for the linked record"
        },
        {
          code: "invalid_guard",
          message:
            "Guard 'verification' of transition 'submit' lists no accepted results; leave results out to accept any"
        },
        {
          code: "duplicate_guard",
          message: "Transition 'submit' has two guards named 'attachment.photo'; give one of them a different name"
        },
        { code: "unknown_guard", message: "Transition 'submit' uses an unknown guard 'Telepathy'" }
      ]
    )
  })

  it("rejects bad names, permissions and signatures", () => {
    assert.deepStrictEqual(
      codesOf({
        ...base,
        name: "",
        states: { ...base.states, "in review": {} },
        transitions: [
          ...base.transitions,
          { name: "to review", from: "review", to: "in review", permission: "" },
          { name: "x", from: "in review", to: "approved", permission: "record.*", signature: { meaning: " " } },
          { name: "y", from: [], to: "approved", permission: "record.sign" }
        ]
      }),
      [
        "invalid_name",
        "invalid_name",
        "invalid_name",
        "invalid_permission",
        "invalid_permission",
        "invalid_signature",
        "invalid_transition"
      ]
    )
  })

  it("lists every problem together in one typed error with problem metadata", () => {
    const result = Workflow.make({ ...base, initial: "nope", terminal: ["approved", "rejected", "gone"] })
    assert.isTrue(Either.isLeft(result))
    if (Either.isRight(result)) return
    const error = result.left
    assert.strictEqual(error._tag, "WorkflowDefinitionError")
    assert.strictEqual(error.workflow, "concession")
    assert.isTrue(Errors.isProblem(error))
    assert.strictEqual(error.status, 500)
    assert.deepStrictEqual(
      error.problems.map((p) => p.path),
      ["initial", "terminal"]
    )
    assert.include(error.message, "Initial state 'nope'")
    assert.throws(() => Workflow.unsafeMake({ ...base, initial: "nope" }), /Initial state 'nope'/)
  })

  it.effect("can be yielded in Effect.gen", () =>
    Effect.gen(function* () {
      const wf = yield* Workflow.make(base)
      assert.strictEqual(wf.name, "concession")
      // Either, not flip: a failing test must not report a whole workflow as its error value.
      const result = yield* Effect.either(Workflow.make({ ...base, terminal: [] }))
      assert.deepStrictEqual(Either.isLeft(result) ? result.left.problems.map((p) => p.code) : ["accepted"], [
        "dead_end",
        "dead_end"
      ])
    })
  )
})

describe("Workflow.extend", () => {
  it("adds a state, transitions, a guard and a new permission without touching the base", () => {
    const extended = Workflow.unsafeExtend(concession, {
      states: { on_hold: { label: "On hold" } },
      transitions: [
        { name: "hold", from: "review", to: "on_hold", permission: "record.update" },
        { name: "resume", from: "on_hold", to: "review", permission: "record.update" }
      ],
      change: {
        approve: { addGuards: [Guard.attachment("engineering_approval")], permission: "concession.approve" },
        withdraw: { addFrom: ["on_hold"] }
      }
    })
    const approve = extended.transitions.find((t) => t.name === "approve")
    assert.deepStrictEqual(
      approve?.guards.map((g) => g.name),
      [
        "approvals",
        "separation_of_duties.performer.submit",
        "attachment.risk_assessment",
        "attachment.engineering_approval"
      ]
    )
    assert.strictEqual(approve?.permission, "concession.approve")
    assert.deepStrictEqual(extended.transitions.find((t) => t.name === "withdraw")?.from, [
      "draft",
      "review",
      "on_hold"
    ])
    assert.strictEqual(extended.states.on_hold?.label, "On hold")
    // The base is unchanged.
    assert.strictEqual(concession.transitions.find((t) => t.name === "approve")?.guards.length, 3)
    assert.strictEqual(concession.transitions.find((t) => t.name === "approve")?.permission, "record.sign")
    assert.isUndefined(concession.states.on_hold)
  })

  it("adds terminal states and removes transitions", () => {
    const conditional = Workflow.unsafeExtend(concession, {
      states: { approved_with_conditions: { label: "Approved with conditions" } },
      transitions: [
        {
          name: "approve_with_conditions",
          from: "review",
          to: "approved_with_conditions",
          permission: "record.sign",
          reasonRequired: true
        }
      ],
      terminal: ["approved_with_conditions"],
      remove: ["reject"]
    })
    assert.deepStrictEqual(conditional.terminal, ["approved", "rejected", "approved_with_conditions"])
    assert.deepStrictEqual(
      conditional.transitions.map((t) => t.name),
      ["submit", "approve", "withdraw", "approve_with_conditions"]
    )
    // Removing the only way into a state leaves it unreachable, which the checks catch.
    const result0 = Workflow.extend(concession, { remove: ["approve"] })
    assert.deepStrictEqual(Either.isLeft(result0) ? result0.left.problems.map((p) => p.code) : [], [
      "unreachable_state"
    ])
    // Marking review terminal while it still has transitions out is rejected.
    const result = Workflow.extend(concession, { terminal: ["review"] })
    assert.deepStrictEqual(Either.isLeft(result) ? result.left.problems.map((p) => p.message) : [], [
      "Transition 'approve' leaves terminal state 'review'; terminal states accept no transitions",
      "Transition 'reject' leaves terminal state 'review'; terminal states accept no transitions",
      "Transition 'withdraw' leaves terminal state 'review'; terminal states accept no transitions"
    ])
  })

  it("drops guards, changes the signature and the reason requirement", () => {
    const relaxed = Workflow.unsafeExtend(concession, {
      change: {
        approve: { removeGuards: ["approvals"], signature: null },
        reject: { reasonRequired: false, signature: { meaning: "reviewed" }, label: "Refuse" }
      }
    })
    const approve = relaxed.transitions.find((t) => t.name === "approve")
    assert.deepStrictEqual(
      approve?.guards.map((g) => g.name),
      ["separation_of_duties.performer.submit", "attachment.risk_assessment"]
    )
    assert.isUndefined(approve?.signature)
    const reject = relaxed.transitions.find((t) => t.name === "reject")
    assert.deepStrictEqual(
      { reason: reject?.reasonRequired, signature: reject?.signature, label: reject?.label },
      { reason: false, signature: { meaning: "reviewed" }, label: "Refuse" }
    )
  })

  it("reports changes to things that do not exist, together with the checks of the result", () => {
    const result = Workflow.extend(concession, {
      states: { orphan: {} },
      remove: ["vanish"],
      change: { teleport: { permission: "x.y" }, approve: { removeGuards: ["quorum"] } }
    })
    assert.isTrue(Either.isLeft(result))
    if (Either.isRight(result)) return
    assert.deepStrictEqual(
      result.left.problems.map((p) => p.message),
      [
        "There is no transition 'teleport' to change",
        "There is no transition 'vanish' to remove",
        "Transition 'approve' has no guard named 'quorum' to remove",
        "State 'orphan' cannot be reached from the initial state 'draft'",
        "State 'orphan' is not terminal but no transition leads out of it"
      ]
    )
  })

  it("works in a pipe", () => {
    const result = pipe(concession, Workflow.extend({ name: "concession_v2" }))
    assert.strictEqual(Either.getOrThrow(result).name, "concession_v2")
  })
})

describe("Workflow.toMermaid", () => {
  it("renders a stateDiagram-v2", () => {
    assert.strictEqual(
      Workflow.toMermaid(concession),
      [
        "stateDiagram-v2",
        '  state "Draft" as draft',
        '  state "Under review" as review',
        '  state "Approved" as approved',
        '  state "Rejected" as rejected',
        "  [*] --> draft",
        "  draft --> review: submit",
        "  review --> approved: approve",
        "  review --> rejected: reject",
        "  draft --> rejected: withdraw",
        "  review --> rejected: withdraw",
        "  approved --> [*]",
        "  rejected --> [*]",
        ""
      ].join("\n")
    )
  })

  it("lists guards on the edges when asked, and escapes labels", () => {
    const text = Workflow.toMermaid(
      { ...base, states: { ...base.states, draft: { label: 'The "first" draft' } } },
      {
        guards: true
      }
    )
    assert.include(text, '  state "The #quot;first#quot; draft" as draft')
    assert.include(text, "  draft --> review: submit (required_fields)")
    assert.include(
      text,
      "  review --> approved: approve (approvals, separation_of_duties.performer.submit, attachment.risk_assessment)"
    )
    assert.include(text, "  review --> rejected: reject\n")
  })
})

describe("Workflow.step", () => {
  const inReview = {
    record: { type: "concession", state: "review", data: { title: "t", justification: "j" } },
    history: [{ transition: "submit", by: id("engineer"), at: at(1), from: "draft", to: "review" }]
  }
  const ready = context({
    ...inReview,
    actor: person("qm", ["admin"]),
    approvals: [
      { by: id("a"), at: at(2) },
      { by: id("b"), at: at(3) }
    ],
    attachments: [{ kind: "risk_assessment", id: "att-1" }],
    input: { signature: { meaning: "approved" } }
  })

  it("moves to the target state when everything is met", () => {
    assert.deepStrictEqual(
      run(Workflow.step(concession, ready, "approve")),
      Either.right({
        from: "review",
        to: "approved",
        transition: "approve"
      })
    )
  })

  it("rejects a transition that does not leave the current state, or does not exist", () => {
    const fromDraft = run(Workflow.step(concession, context({ record: { state: "draft" } }), "approve"))
    assert.deepStrictEqual(
      fromDraft,
      Either.left(new Errors.InvalidTransition({ transition: "approve", state: "draft" }))
    )
    const unknown = run(Workflow.step(concession, ready, "fly"))
    assert.deepStrictEqual(unknown, Either.left(new Errors.InvalidTransition({ transition: "fly", state: "review" })))
    const unknownState = run(Workflow.step(concession, context({ record: { state: "lost" } }), "submit"))
    assert.deepStrictEqual(
      unknownState,
      Either.left(new Errors.InvalidTransition({ transition: "submit", state: "lost" }))
    )
  })

  it("terminal states accept no transitions", () => {
    const result = run(Workflow.step(concession, context({ record: { state: "approved" } }), "withdraw"))
    assert.deepStrictEqual(
      result,
      Either.left(new Errors.InvalidTransition({ transition: "withdraw", state: "approved" }))
    )
  })

  it("checks the permission before the input and the guards", () => {
    const result = run(Workflow.step(concession, context({ ...inReview, actor: person("v", ["viewer"]) }), "approve"))
    assert.isTrue(Either.isLeft(result))
    const error = Either.isLeft(result) ? result.left : undefined
    assert.strictEqual(error?._tag, "Forbidden")
    assert.strictEqual(error?._tag === "Forbidden" ? error.missing_permission : "", "record.sign")
  })

  it("asks for a missing reason and signature together, before the guards", () => {
    const noInput = context({ ...inReview, input: {} })
    assert.deepStrictEqual(
      run(Workflow.step(concession, noInput, "approve")),
      Either.left(
        new Errors.ValidationFailed({
          issues: [{ path: "signature", message: "This step must be signed with the meaning 'approved'" }]
        })
      )
    )
    const wrong = context({ ...inReview, input: { reason: "  ", signature: { meaning: "reviewed" } } })
    assert.deepStrictEqual(
      run(Workflow.step(concession, wrong, "approve")),
      Either.left(
        new Errors.ValidationFailed({
          issues: [
            { path: "signature.meaning", message: "The signature must have the meaning 'approved', not 'reviewed'" }
          ]
        })
      )
    )
    assert.deepStrictEqual(
      run(Workflow.step(concession, wrong, "reject")),
      Either.left(
        new Errors.ValidationFailed({ issues: [{ path: "reason", message: "A reason is required to reject" }] })
      )
    )
    assert.isTrue(
      Either.isRight(run(Workflow.step(concession, context({ ...inReview, input: { reason: "Unsafe" } }), "reject")))
    )
  })

  it("lists every unmet requirement of every guard in one GuardsFailed", () => {
    const blocked = context({
      ...inReview,
      actor: person("engineer", ["admin"]),
      approvals: [{ by: id("a"), at: at(2) }],
      input: { signature: { meaning: "approved" } }
    })
    const result = run(Workflow.step(concession, blocked, "approve"))
    assert.isTrue(Either.isLeft(result))
    if (Either.isRight(result)) return
    assert.strictEqual(result.left._tag, "GuardsFailed")
    assert.deepStrictEqual(result.left._tag === "GuardsFailed" ? result.left.unmet : [], [
      {
        guard: "approvals",
        code: "approvals.insufficient",
        message: "2 approvals from different people are required (1 given)"
      },
      {
        guard: "separation_of_duties.performer.submit",
        code: "separation_of_duties.performer",
        message: "Someone other than the person who did 'submit' must do this"
      },
      {
        guard: "attachment.risk_assessment",
        code: "attachment.missing",
        message: "Evidence of kind 'risk_assessment' must be attached"
      }
    ])
    assert.strictEqual(result.left.status, 422)
  })

  it("uses the host's policy from the layer", () => {
    const ctx = context({
      record: { state: "draft", data: { title: "t", justification: "j" } },
      actor: person("e", ["engineer"])
    })
    const withEngineers = Workflow.step(concession, ctx, "submit").pipe(
      Effect.provide(Policy.layer({ roles: { engineer: ["record.update"] } })),
      Effect.either,
      Effect.runSync
    )
    assert.isTrue(Either.isRight(withEngineers))
    assert.isTrue(Either.isLeft(run(Workflow.step(concession, ctx, "submit"))))
  })

  describe("custom guards with services", () => {
    class Stores extends Context.Tag("test/Stores")<Stores, { readonly inStock: (part: string) => boolean }>() {}
    const partsAvailable = Guard.custom(
      "parts_available",
      (ctx) => Effect.map(Stores, (stores) => stores.inStock(String((ctx.record.data as { part?: string }).part))),
      { message: "The replacement part is not in stock" }
    )
    const withStores = Workflow.unsafeMake({
      ...base,
      transitions: base.transitions.map((t) => (t.name === "submit" ? { ...t, guards: [partsAvailable] } : t))
    })
    const ctx = context({ record: { state: "draft", data: { part: "P-1" } } })

    it.effect("carry their requirements into the step", () =>
      Effect.gen(function* () {
        const ok = yield* Workflow.step(withStores, ctx, "submit").pipe(
          Effect.provideService(Stores, { inStock: (p) => p === "P-1" })
        )
        assert.strictEqual(ok.to, "review")
        const error = yield* Workflow.step(withStores, ctx, "submit").pipe(
          Effect.provideService(Stores, { inStock: () => false }),
          Effect.flip
        )
        assert.deepStrictEqual(error._tag === "GuardsFailed" ? error.unmet : [], [
          { guard: "parts_available", code: "parts_available", message: "The replacement part is not in stock" }
        ])
      }).pipe(Effect.provide(Policy.layer()))
    )

    it("the step's type requires the guard's services", () => {
      const needsStores: Effect.Effect<unknown, unknown, Stores | Policy.Policy> = Workflow.step(
        withStores,
        ctx,
        "submit"
      )
      // @ts-expect-error Stores is not provided, so this does not type-check.
      const missing: Effect.Effect<unknown, unknown, Policy.Policy> = Workflow.step(withStores, ctx, "submit")
      const plain: Effect.Effect<unknown, unknown, Policy.Policy> = Workflow.step(concession, ctx, "submit")
      assert.isDefined(needsStores)
      assert.isDefined(missing)
      assert.isDefined(plain)
    })
  })
})

describe("Workflow.available", () => {
  it("lists each next step with what blocks it", () => {
    const ctx = context({
      record: { state: "review", data: {} },
      actor: person("tech", ["technician"]),
      attachments: [{ kind: "risk_assessment", id: "a" }]
    })
    const result = Either.getOrThrow(run(Workflow.available(concession, ctx)))
    assert.deepStrictEqual(result, [
      {
        transition: "approve",
        label: "Approve",
        to: "approved",
        permission: "record.sign",
        allowed: false,
        missingPermission: "record.sign",
        unmet: [
          {
            guard: "approvals",
            code: "approvals.insufficient",
            message: "2 approvals from different people are required (0 given)"
          }
        ],
        reasonRequired: false,
        signature: { meaning: "approved" }
      },
      {
        transition: "reject",
        label: "Reject",
        to: "rejected",
        permission: "record.sign",
        allowed: false,
        missingPermission: "record.sign",
        unmet: [],
        reasonRequired: true
      },
      {
        transition: "withdraw",
        label: "Withdraw",
        to: "rejected",
        permission: "record.update",
        allowed: false,
        missingPermission: "record.update",
        unmet: [],
        reasonRequired: true
      }
    ])
  })

  it("marks a step allowed when the permission and guards are met; the reason is asked for later", () => {
    const ctx = context({ record: { state: "review" }, actor: person("qm", ["admin"]) })
    const result = Either.getOrThrow(run(Workflow.available(concession, ctx)))
    assert.deepStrictEqual(
      result.map((a) => [a.transition, a.allowed]),
      [
        ["approve", false],
        ["reject", true],
        ["withdraw", true]
      ]
    )
  })

  it("offers nothing in a terminal state", () => {
    assert.deepStrictEqual(
      run(Workflow.available(concession, context({ record: { state: "rejected" } }))),
      Either.right([])
    )
  })
})

describe("editable fields", () => {
  it("allows only the fields the state lists, and paths below them", () => {
    assert.isTrue(Workflow.isEditable(concession, "draft", "justification.risk"))
    assert.isTrue(Workflow.isEditable(concession, "review", "justification.risk"))
    assert.isFalse(Workflow.isEditable(concession, "review", "justification"))
    assert.isFalse(Workflow.isEditable(concession, "review", "justification.riskLevel"))
    assert.isFalse(Workflow.isEditable(concession, "approved", "title"))
    assert.deepStrictEqual(Workflow.editableFields(concession, "draft"), ["title", "justification"])
    assert.deepStrictEqual(Workflow.editableFields(concession, "nowhere"), [])
  })

  it.effect("checkEditable names every field that cannot change", () =>
    Effect.gen(function* () {
      yield* Workflow.checkEditable(concession, "draft", ["title", "justification.text"])
      const error = yield* Effect.flip(
        Workflow.checkEditable(concession, "review", ["title", "justification.risk", "x"])
      )
      assert.deepStrictEqual(error.issues, [
        { path: "title", message: "Cannot be changed while the concession is 'Under review'" },
        { path: "x", message: "Cannot be changed while the concession is 'Under review'" }
      ])
    })
  )
})
