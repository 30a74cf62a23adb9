// Values generated from the record type's schema: whole records, one path's value, and wrong values.
import { Guard } from "@airworthy/core"
import { Arbitrary, SchemaAST as AST, FastCheck as fc, Schema } from "effect"
import { isObject } from "./recordData.js"

const stripUndefined = (ast: AST.AST): AST.AST => {
  if (!AST.isUnion(ast)) return ast
  const types = ast.types.filter((t) => !AST.isUndefinedKeyword(t))
  return types.length === 1 ? types[0]! : AST.Union.make(types)
}

/** The structure holding the properties of an AST: through refinements, suspensions, classes. */
const structOf = (ast: AST.AST): AST.TypeLiteral | undefined => {
  let current: AST.AST = ast
  for (let i = 0; i < 20; i++) {
    current = stripUndefined(current)
    switch (current._tag) {
      case "TypeLiteral":
        return current
      case "Refinement":
        current = current.from
        break
      case "Suspend":
        current = current.f()
        break
      case "Transformation":
        current = current.from
        break
      default:
        return undefined
    }
  }
  return undefined
}

/** The schema of the value at a dotted path, when the schema is made of structs down there. */
const schemaAt = (
  schema: Schema.Schema<unknown, unknown>,
  path: string
): Schema.Schema<unknown, unknown> | undefined => {
  let ast: AST.AST = schema.ast
  for (const segment of path.split(".")) {
    const struct = structOf(ast)
    const property = struct?.propertySignatures.find((p) => p.name === segment)
    if (property === undefined) return undefined
    ast = stripUndefined(property.type)
  }
  return Schema.make(ast) as Schema.Schema<unknown, unknown>
}

export const topLevelKeys = (schema: Schema.Schema<unknown, unknown>): ReadonlyArray<string> =>
  (structOf(schema.ast)?.propertySignatures ?? []).flatMap((p) => (typeof p.name === "string" ? [p.name] : []))

export const sampleOf = <T>(arb: fc.Arbitrary<T>, seed: number): T => fc.sample(arb, { seed, numRuns: 1 })[0]!

/** A value of the wrong type for the given valid one. */
export const wrongValue = (valid: unknown): unknown =>
  typeof valid === "string"
    ? 12345
    : typeof valid === "number"
      ? "not a number"
      : typeof valid === "boolean"
        ? "maybe"
        : Array.isArray(valid)
          ? "not a list"
          : isObject(valid)
            ? 7
            : { unexpected: true }

/** A valid value for the path; with `present`, one that counts as filled in, if a few tries find one. */
export type ValidValue = (path: string, seed: number, present?: boolean) => unknown

/**
 * Valid values for data paths, drawn from the schema at the path, or from whole created data where the
 * schema has no struct down there. Each path's arbitrary is made once.
 */
export const validValues = (schema: Schema.Schema<unknown, unknown>, createData: fc.Arbitrary<unknown>): ValidValue => {
  const valueCache = new Map<string, { arb: fc.Arbitrary<unknown>; encode: (u: unknown) => unknown } | null>()
  const anyValidValue = (path: string, seed: number): unknown => {
    let entry = valueCache.get(path)
    if (entry === undefined) {
      const sub = schemaAt(schema, path)
      entry = null
      if (sub !== undefined) {
        try {
          entry = { arb: Arbitrary.make(sub), encode: Schema.encodeUnknownSync(sub) }
        } catch {
          entry = null
        }
      }
      valueCache.set(path, entry)
    }
    if (entry !== null) {
      try {
        return entry.encode(sampleOf(entry.arb, seed))
      } catch {
        // fall through to a whole sample
      }
    }
    return Guard.valueAt(sampleOf(createData, seed), path)
  }
  return (path, seed, present = false) => {
    for (let i = 0; present && i < 8; i++) {
      const value = anyValidValue(path, seed + i)
      if (Guard.isPresent(value)) return value
    }
    return anyValidValue(path, seed)
  }
}
