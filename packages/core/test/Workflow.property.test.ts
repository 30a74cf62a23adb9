import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { Guard, Workflow } from "../src/index.js"
import { context, person, run } from "./workflowFixtures.js"

// ---- Random definitions, mostly invalid -------------------------------------------------------

const stateName = fc.constantFrom("a", "b", "c", "d", "e")
const anyName = fc.constantFrom("a", "b", "c", "d", "e", "zz", "bad name", "")
const guard: fc.Arbitrary<Guard.Guard> = fc.oneof(
  fc.integer({ min: -1, max: 3 }).map((n) => Guard.approvals(n)),
  fc.constantFrom("evidence", "photo", "").map((k) => Guard.attachment(k)),
  fc.array(fc.constantFrom("a.b", "title", "bad path", ""), { maxLength: 3 }).map((fs) => Guard.requiredFields(fs)),
  fc.constantFrom("t0", "t1", "nope").map((t) => Guard.separationOfDuties({ performerOf: t })),
  fc.constant(Guard.verification({ independent: true })),
  fc.constant({ _tag: "Bogus", name: "bogus" } as unknown as Guard.Guard)
)
const anyDefinition: fc.Arbitrary<Workflow.Definition> = fc.record({
  name: fc.constantFrom("wf", ""),
  states: fc.uniqueArray(stateName, { maxLength: 5 }).map((ns) => Object.fromEntries(ns.map((n) => [n, {}]))),
  initial: anyName,
  terminal: fc.array(anyName, { maxLength: 3 }),
  transitions: fc.array(
    fc.record({
      name: fc.constantFrom("t0", "t1", "t2", "t3", "bad name"),
      from: fc.oneof(anyName, fc.array(anyName, { maxLength: 3 })),
      to: anyName,
      permission: fc.constantFrom("x.y", "record.sign", "", "*"),
      guards: fc.array(guard, { maxLength: 3 }),
      reasonRequired: fc.boolean()
    }),
    { maxLength: 8 }
  )
})

// Recomputes the graph rules independently of Workflow.make.
const invariantsHold = (wf: Workflow.Workflow): boolean => {
  const states = Object.keys(wf.states)
  const out = (s: string) => wf.transitions.filter((t) => t.from.includes(s)).map((t) => t.to)
  const seen = new Set([wf.initial])
  const queue = [wf.initial]
  for (let s = queue.pop(); s !== undefined; s = queue.pop()) {
    for (const n of out(s)) {
      if (!seen.has(n)) {
        seen.add(n)
        queue.push(n)
      }
    }
  }
  const names = wf.transitions.map((t) => t.name)
  return (
    states.length > 0 &&
    states.every((s) => seen.has(s)) &&
    states.every((s) => wf.terminal.includes(s) || out(s).length > 0) &&
    wf.terminal.every((s) => out(s).length === 0 && states.includes(s)) &&
    new Set(names).size === names.length &&
    wf.transitions.every((t) => states.includes(t.to) && t.from.every((f) => states.includes(f)))
  )
}

// ---- Random graphs: valid names everywhere, so only the graph rules decide ----------------------

const graphDefinition: fc.Arbitrary<Workflow.Definition> = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc
    .record({
      initial: fc.integer({ min: 0, max: n - 1 }),
      terminal: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: n }),
      edges: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), {
        maxLength: 8
      })
    })
    .map(({ initial, terminal, edges }) => ({
      name: "graph",
      states: Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, {}])),
      initial: `s${initial}`,
      terminal: terminal.map((i) => `s${i}`),
      transitions: edges.map(([from, to], i) => ({ name: `t${i}`, from: `s${from}`, to: `s${to}`, permission: "x.y" }))
    }))
)

// The graph rules by transitive closure (a different algorithm from the one in make).
const graphIsValid = (d: Workflow.Definition): boolean => {
  const states = Object.keys(d.states)
  const edge = (a: string, b: string) => d.transitions.some((t) => t.from === a && t.to === b)
  const reach = new Map(states.map((a) => [a, new Set(states.filter((b) => a === b || edge(a, b)))]))
  for (const k of states)
    for (const a of states)
      for (const b of states) if (reach.get(a)!.has(k) && reach.get(k)!.has(b)) reach.get(a)!.add(b)
  const nonTerminal = states.filter((s) => !d.terminal.includes(s))
  return (
    states.every((s) => reach.get(d.initial)!.has(s)) &&
    nonTerminal.every((s) => d.transitions.some((t) => t.from === s)) &&
    d.terminal.every((s) => !d.transitions.some((t) => t.from === s)) &&
    (d.terminal.length === 0 || nonTerminal.every((s) => d.terminal.some((e) => reach.get(s)!.has(e))))
  )
}

// ---- Random valid definitions: a chain s0 → … → sN plus extra edges from non-terminal states --

interface Shape {
  readonly definition: Workflow.Definition
  readonly kinds: ReadonlyArray<string>
}
const kind = fc.constantFrom("evidence", "photo", "certificate")
const validDefinition: fc.Arbitrary<Shape> = fc.integer({ min: 2, max: 6 }).chain((n) =>
  fc
    .array(
      fc.record({
        from: fc.integer({ min: 0, max: n - 2 }),
        to: fc.integer({ min: 0, max: n - 1 }),
        reason: fc.boolean(),
        kinds: fc.uniqueArray(kind, { maxLength: 3 })
      }),
      { maxLength: 6 }
    )
    .map((extra) => {
      const states = Array.from({ length: n }, (_, i) => `s${i}`)
      const chain = states
        .slice(1)
        .map((to, i) => ({ name: `next${i}`, from: `s${i}`, to, permission: "x.y", reasonRequired: false, kinds: [] }))
      const edges = extra.map((e, i) => ({
        name: `extra${i}`,
        from: `s${e.from}`,
        to: `s${e.to}`,
        permission: "x.y",
        reasonRequired: e.reason,
        kinds: e.kinds
      }))
      return {
        kinds: ["evidence", "photo", "certificate"],
        definition: {
          name: "random",
          states: Object.fromEntries(states.map((s) => [s, {}])),
          initial: "s0",
          terminal: [`s${n - 1}`],
          transitions: [...chain, ...edges].map(({ kinds, ...t }) => ({
            ...t,
            guards: kinds.map((k) => Guard.attachment(k))
          }))
        }
      }
    })
)

describe("Workflow properties", () => {
  it.prop("make never throws; it returns a valid workflow or named problems", [anyDefinition], ([definition]) => {
    const result = Workflow.make(definition)
    if (Either.isRight(result)) {
      assert.isTrue(invariantsHold(result.right))
    } else {
      assert.isAbove(result.left.problems.length, 0)
      for (const p of result.left.problems) {
        assert.isAbove(p.message.length, 0)
        assert.isAbove(p.path.length, 0)
      }
    }
  })

  it.prop("on well-named graphs, make accepts exactly the valid ones", [graphDefinition], ([definition]) => {
    assert.strictEqual(Either.isRight(Workflow.make(definition)), graphIsValid(definition))
  })

  it.prop("chains with extra edges are always accepted", [validDefinition], ([{ definition }]) => {
    const result = Workflow.make(definition)
    assert.isTrue(Either.isRight(result), Either.isLeft(result) ? result.left.message : "")
    assert.isTrue(Either.isRight(result) && invariantsHold(result.right))
  })

  it.prop(
    "step lands exactly where the definition says, or fails for the reason the definition gives",
    [
      validDefinition,
      fc.nat(),
      fc.constantFrom("next0", "next1", "extra0", "extra1", "extra2", "nope"),
      fc.subarray(["evidence", "photo", "certificate"]),
      fc.option(fc.constantFrom("Reason given", "  "), { nil: undefined })
    ],
    ([{ definition }, stateIndex, name, attached, reason]) => {
      const wf = Workflow.unsafeMake(definition)
      const states = [...Object.keys(wf.states), "ghost"]
      const state = states[stateIndex % states.length]!
      const ctx = context({
        actor: person("qm", ["admin"]),
        record: { state },
        attachments: attached.map((k) => ({ kind: k, id: k })),
        input: reason === undefined ? {} : { reason }
      })
      const result = run(Workflow.step(wf, ctx, name))
      const t = wf.transitions.find((x) => x.name === name && x.from.includes(state))
      if (t === undefined) {
        assert.isTrue(Either.isLeft(result) && result.left._tag === "InvalidTransition")
      } else if (t.reasonRequired && (reason === undefined || reason.trim() === "")) {
        assert.isTrue(Either.isLeft(result) && result.left._tag === "ValidationFailed")
      } else {
        const missing = t.guards.filter((g) => g._tag === "Attachment" && !attached.includes(g.kind))
        if (missing.length > 0) {
          assert.isTrue(Either.isLeft(result) && result.left._tag === "GuardsFailed")
          assert.strictEqual(
            Either.isLeft(result) && result.left._tag === "GuardsFailed" ? result.left.unmet.length : -1,
            missing.length
          )
        } else {
          assert.deepStrictEqual(result, Either.right({ from: state, to: t.to, transition: name }))
          assert.isTrue(Either.isRight(result) && result.right.to in wf.states)
        }
      }
    }
  )

  it.prop(
    "extend with a reachable new state, a guard and a permission keeps the workflow valid",
    [validDefinition, fc.nat(), fc.nat(), fc.nat(), kind],
    ([{ definition }, fromIndex, toIndex, changeIndex, k]) => {
      const wf = Workflow.unsafeMake(definition)
      const nonTerminal = Object.keys(wf.states).filter((s) => !wf.terminal.includes(s))
      const all = Object.keys(wf.states)
      const target = wf.transitions[changeIndex % wf.transitions.length]!
      const result = Workflow.extend(wf, {
        states: { on_hold: { label: "On hold" } },
        transitions: [
          { name: "hold", from: nonTerminal[fromIndex % nonTerminal.length]!, to: "on_hold", permission: "x.hold" },
          { name: "resume", from: "on_hold", to: all[toIndex % all.length]!, permission: "x.hold" }
        ],
        change: {
          [target.name]: { addGuards: [Guard.attachment(k, { name: "host_guard" })], permission: "host.permission" }
        }
      })
      // A resume into a state that cannot reach the end is impossible: every state here reaches it.
      assert.isTrue(Either.isRight(result), Either.isLeft(result) ? result.left.message : "")
      if (Either.isLeft(result)) return
      const extended = result.right
      assert.isTrue(invariantsHold(extended))
      assert.deepStrictEqual(
        extended.transitions.map((t) => t.name),
        [...wf.transitions.map((t) => t.name), "hold", "resume"]
      )
      const changed = extended.transitions.find((t) => t.name === target.name)!
      assert.strictEqual(changed.permission, "host.permission")
      assert.strictEqual(changed.guards.at(-1)?.name, "host_guard")
      assert.strictEqual(wf.transitions.find((t) => t.name === target.name)?.permission, "x.y")
    }
  )

  it.prop(
    "the diagram has one edge per transition source, plus the start and the ends",
    [validDefinition],
    ([{ definition }]) => {
      const wf = Workflow.unsafeMake(definition)
      const edges = Workflow.toMermaid(wf)
        .split("\n")
        .filter((l) => l.includes("-->"))
      const expected = wf.transitions.reduce((n, t) => n + t.from.length, 0) + 1 + wf.terminal.length
      assert.strictEqual(edges.length, expected)
    }
  )
})
