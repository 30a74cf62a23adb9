/**
 * What a record type adds to its evidence pack, declared by the module that owns the type: the
 * link kinds followed to gather linked records (and how deep), the sections of the record's data the
 * summary shows, and the domain route that exports it (`/findings/:id/evidence-pack`).
 *
 * ```ts
 * EvidenceProfile.make({
 *   recordType: "finding",
 *   label: "Finding",
 *   follow: ["corrective_action"],
 *   sections: [{ title: "Finding", fields: [{ label: "Level", path: "level" }, { label: "Requirement", path: "requirement" }] }],
 *   path: "/findings/:id/evidence-pack"
 * })
 * ```
 *
 * @since 0.1.0
 */

/**
 * One field of a record's data shown in the summary: its label and its dotted path in `data`.
 * @since 0.1.0
 * @category models
 */
export interface Field {
  readonly label: string
  readonly path: string
}

/**
 * A titled group of fields.
 * @since 0.1.0
 * @category models
 */
export interface Section {
  readonly title: string
  readonly fields: ReadonlyArray<Field>
}

/**
 * A record type's evidence declaration.
 * @since 0.1.0
 * @category models
 */
export interface Profile {
  readonly recordType: string
  /** The record type as a reader names it (`Finding`); default the type's name. */
  readonly label: string
  /** Link kinds followed from a record of this type (both directions); `undefined` follows every kind. */
  readonly follow: ReadonlyArray<string> | undefined
  /** How many links away linked records are gathered when a record of this type is exported. */
  readonly depth: number
  readonly sections: ReadonlyArray<Section>
  /** The domain route exporting a record of this type, relative to the routes' mount (`/findings/:id/evidence-pack`). */
  readonly path: string | undefined
}

/**
 * The deepest pack a profile may ask for.
 * @since 0.1.0
 * @category constants
 */
export const maxDepth = 5

/**
 * Declares a profile; throws for a depth outside 0..5 or a route without `:id`.
 * @since 0.1.0
 * @category constructors
 */
export const make = (spec: {
  readonly recordType: string
  readonly label?: string
  readonly follow?: ReadonlyArray<string>
  readonly depth?: number
  readonly sections?: ReadonlyArray<Section>
  readonly path?: string
}): Profile => {
  const depth = spec.depth ?? 1
  if (!Number.isInteger(depth) || depth < 0 || depth > maxDepth) {
    throw new Error(`Evidence profile ${spec.recordType}: depth must be 0..${maxDepth}`)
  }
  if (spec.path !== undefined && !spec.path.includes(":id")) {
    throw new Error(`Evidence profile ${spec.recordType}: path ${spec.path} must name the record as :id`)
  }
  return {
    recordType: spec.recordType,
    label: spec.label ?? spec.recordType,
    follow: spec.follow,
    depth,
    sections: spec.sections ?? [],
    path: spec.path
  }
}

/**
 * The value at a dotted path of a record's data (`undefined` when absent).
 * @since 0.1.0
 * @category utils
 */
export const valueAt = (data: unknown, path: string): unknown => {
  let at: unknown = data
  for (const key of path.split(".")) {
    if (at === null || typeof at !== "object" || !Object.hasOwn(at, key)) return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}
