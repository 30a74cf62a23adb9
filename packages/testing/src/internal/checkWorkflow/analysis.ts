// Reading the definition: what its guards ask for, and so what the generator should make.
import { type Guard, Workflow } from "@airworthy/core"
import { RecordType } from "@airworthy/records"
import { Schema } from "effect"
import type { Kind } from "./commands.js"
import { unique } from "./lists.js"
import { fieldPath, plainPath } from "./recordData.js"

/** A link kind a `LinkedRecord` guard asks for, to records of which type, in which direction. */
export interface LinkNeed {
  readonly kind: string
  readonly targetType: string
  readonly direction: "out" | "in" | "either"
}

/** A record type made up to be linked to: a state for each state a guard wants it in, and one elsewhere. */
export interface Stub {
  readonly type: RecordType.Any
  readonly states: ReadonlyArray<string>
}

const stubPermission = "checkworkflow.fixture"

/** What the definition's guards ask for: what the generator should make. */
export const analyse = <R>(wf: Workflow.Workflow<R>, typeName: string) => {
  const guards = wf.transitions.flatMap((t) => t.guards)
  const requiredByState = new Map<string, Array<string>>()
  for (const t of wf.transitions) {
    const paths = t.guards.flatMap((g) => (g._tag === "RequiredFields" ? g.fields.map(fieldPath) : []))
    for (const s of t.from) requiredByState.set(s, unique([...(requiredByState.get(s) ?? []), ...paths]))
  }
  const required = unique(guards.flatMap((g) => (g._tag === "RequiredFields" ? g.fields.map(fieldPath) : [])))
  const editable = unique(Object.values(wf.states).flatMap((s) => s.editable))
  const linkNeeds: Array<LinkNeed> = []
  for (const g of guards) {
    if (g._tag !== "LinkedRecord") continue
    const targetType = g.recordType ?? "checked_target"
    if (!linkNeeds.some((l) => l.kind === g.kind && l.targetType === targetType))
      linkNeeds.push({ kind: g.kind, targetType, direction: g.direction })
  }
  const stubs = linkStubs(guards, typeName)
  const attachmentKinds = unique(guards.flatMap((g) => (g._tag === "Attachment" ? [g.kind] : [])))
  const results = unique([
    ...guards.flatMap((g) => (g._tag === "VerificationRecorded" ? (g.results ?? []) : [])),
    "effective"
  ])
  const meanings = unique([...wf.transitions.flatMap((t) => (t.signature ? [t.signature.meaning] : [])), "reviewed"])
  const has = (tag: Guard.Guard<R>["_tag"]) => guards.some((g) => g._tag === tag)
  const custom = has("Custom")
  const weights: Array<[Kind, number]> = [
    ["transition", 10],
    ["update", editable.length + required.length > 0 ? 6 : 1],
    ["assign", 2],
    ["attach", attachmentKinds.length > 0 || custom ? 3 : 1],
    ["verify", has("VerificationRecorded") || custom ? 3 : 1],
    ["approve", has("Approvals") || custom ? 3 : 1],
    ["sign", custom ? 2 : 1],
    ["comment", 1],
    ["create", 1],
    ["link", linkNeeds.length > 0 ? 3 : 0],
    ["target", stubs.length > 0 ? 3 : 0],
    // Looks at what blocks the next steps and does one thing about it, so runs get deep.
    ["fulfil", guards.length > 0 ? 8 : 3]
  ]
  return {
    requiredByState,
    paths: unique([...required, ...editable]).filter(plainPath),
    linkNeeds,
    stubs,
    attachmentKinds,
    results,
    meanings,
    weights: weights.filter(([, w]) => w > 0)
  }
}

export type Analysis = ReturnType<typeof analyse>

/** A record type for each other type a `LinkedRecord` guard names, whose records the run moves at will. */
const linkStubs = <R>(guards: ReadonlyArray<Guard.Guard<R>>, typeName: string): Array<Stub> => {
  const stubStates = new Map<string, Array<string>>()
  for (const g of guards) {
    if (g._tag !== "LinkedRecord") continue
    const targetType = g.recordType ?? "checked_target"
    if (targetType === typeName) continue
    stubStates.set(targetType, unique([...(stubStates.get(targetType) ?? []), ...g.states]))
  }
  return [...stubStates].map(([name, states], i) => {
    const all = unique(["elsewhere", ...states])
    const workflow = Workflow.unsafeMake({
      name,
      states: Object.fromEntries(all.map((s) => [s, {}])),
      initial: "elsewhere",
      terminal: [],
      transitions: all.map((s) => ({
        name: `to_${s}`,
        from: all.filter((x) => x !== s),
        to: s,
        permission: stubPermission
      }))
    })
    return {
      type: RecordType.make({
        name,
        prefix: `LNK${i + 1}`,
        schema: Schema.Struct({}),
        workflow,
        title: () => `Linked ${name}`
      }),
      states: all
    }
  })
}

/** A schema with every path the definition names, as optional text (nested paths as structs). */
export const derivedSchema = (paths: ReadonlyArray<string>): Schema.Schema<unknown, unknown> => {
  interface Tree {
    [key: string]: Tree
  }
  const root: Tree = {}
  for (const p of paths) {
    let node = root
    for (const segment of p.split(".")) {
      node[segment] ??= {}
      node = node[segment]!
    }
  }
  const build = (node: Tree): Schema.Schema<unknown, unknown> =>
    Schema.Struct(
      Object.fromEntries(
        Object.entries(node).map(([k, child]) => [
          k,
          Schema.optional(Object.keys(child).length === 0 ? Schema.String : build(child))
        ])
      )
    ) as unknown as Schema.Schema<unknown, unknown>
  return build(root)
}

export const sanitizeName = (name: string): string => {
  const s = name.toLowerCase().replace(/[^a-z0-9_]/g, "_")
  return (/^[a-z]/.test(s) ? s : `wf_${s}`).slice(0, 64)
}

export const prefixOf = (name: string): string => {
  const letters = name.toUpperCase().replace(/[^A-Z0-9]/g, "")
  return (/^[A-Z]/.test(letters) ? letters : `W${letters}`).slice(0, 8) || "REC"
}
