/**
 * How a host registers a record type: the Schema of its data, its workflow, its reference prefix,
 * how to get a title (and a due date) from its data, and the permissions its commands need. Link
 * kinds between record types are declared here too.
 *
 * ```ts
 * const capa = RecordType.make({
 *   name: "capa", prefix: "CAPA", schema: CapaData, workflow: BuiltinWorkflows.capa,
 *   title: (d) => d.title ?? "", dueAt: (d) => d.dueAt
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Policy, Workflow } from "@airworthy/core"
import type { Schema } from "effect"

/**
 * The permissions of a type's commands. Workflow transitions carry their own.
 * @since 0.1.0
 * @category models
 */
export interface Permissions {
  /** Default `<type>.read`; `record.read` also grants it. */
  readonly read: Policy.Permission
  /** Default `<type>.create`. */
  readonly create: Policy.Permission
  /** Editing data while the state allows it. Default `<type>.update`. */
  readonly update: Policy.Permission
  /** Changing the owner. Default `<type>.assign`. */
  readonly assign: Policy.Permission
  /** Recording a verification. Default `<type>.verify`. */
  readonly verify: Policy.Permission
  /** Recording an approval. Default `<type>.approve`. */
  readonly approve: Policy.Permission
  /** Default `record.comment`. */
  readonly comment: Policy.Permission
  /** Default `record.attach`. */
  readonly attach: Policy.Permission
  /** Linking and unlinking (checked on the source record). Default `record.link`. */
  readonly link: Policy.Permission
  /** Default `record.sign`. */
  readonly sign: Policy.Permission
}

/**
 * A registered record type. `A` is the decoded data, `I` its JSON form, `R` what the workflow's
 * custom guards need.
 * @since 0.1.0
 * @category models
 */
export interface RecordType<A, I, R = never> {
  /** Lower-case: `finding`, `capa`, `fracas_case`. Also the audit record type. */
  readonly name: string
  readonly label: string
  /** Upper-case reference prefix: `CAPA` gives `CAPA-2026-0001`. */
  readonly prefix: string
  readonly schema: Schema.Schema<A, I>
  readonly workflow: Workflow.Workflow<R>
  readonly title: (data: A) => string
  readonly dueAt?: ((data: A) => string | Date | null | undefined) | undefined
  readonly permissions: Permissions
  /**
   * Relations an actor may have to a record of this type besides `owner` and `creator`, for grants
   * limited to them (`audit.update@lead`): each a test of the stored record and the actor's id.
   */
  readonly relations: { readonly [relation: string]: RelationTest }
}

/**
 * Whether an actor has a relation to a record, judged on the stored record alone.
 * @since 0.1.0
 * @category models
 */
export type RelationTest = (
  record: { readonly ownerId: string | null; readonly createdBy: string; readonly data: unknown },
  actorId: string
) => boolean

/**
 * The actor's relations to a record of this type: `owner` (the record's owner), `creator` (who
 * created it), then each the type declares that holds.
 * @since 0.1.0
 * @category utils
 */
export const relationsOf = (
  type: Pick<Any, "relations">,
  record: Parameters<RelationTest>[0],
  actorId: string
): ReadonlyArray<string> => {
  const relations: Array<string> = []
  if (record.ownerId === actorId) relations.push("owner")
  if (record.createdBy === actorId) relations.push("creator")
  for (const [name, holds] of Object.entries(type.relations)) if (holds(record, actorId)) relations.push(name)
  return relations
}

/**
 * Any record type, for collections of them.
 * @since 0.1.0
 * @category models
 */
// biome-ignore lint/suspicious/noExplicitAny: a collection holds types of different data shapes.
export type Any<R = never> = RecordType<any, any, R>

const namePattern = /^[a-z][a-z0-9_]{0,63}$/
const prefixPattern = /^[A-Z][A-Z0-9]{0,15}$/

/**
 * Registers a record type; throws when its name or prefix is malformed.
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I, R = never>(options: {
  readonly name: string
  readonly label?: string
  readonly prefix: string
  readonly schema: Schema.Schema<A, I>
  readonly workflow: Workflow.Workflow<R>
  readonly title: (data: A) => string
  readonly dueAt?: (data: A) => string | Date | null | undefined
  readonly permissions?: Partial<Permissions>
  /** Relations besides `owner` and `creator`, by name (lower-case words). */
  readonly relations?: { readonly [relation: string]: RelationTest }
}): RecordType<A, I, R> => {
  if (!namePattern.test(options.name)) {
    throw new Error(`Record type "${options.name}" must be lower-case letters, digits and _ (e.g. capa)`)
  }
  if (!prefixPattern.test(options.prefix)) {
    throw new Error(`Record type ${options.name}: prefix "${options.prefix}" must be upper-case (e.g. CAPA)`)
  }
  for (const relation of Object.keys(options.relations ?? {})) {
    if (!/^[a-z][a-z0-9_]*$/.test(relation) || relation === "owner" || relation === "creator") {
      throw new Error(`Record type ${options.name}: relation "${relation}" must be a new lower-case word`)
    }
  }
  const n = options.name
  return {
    name: n,
    label: options.label ?? options.workflow.label,
    prefix: options.prefix,
    schema: options.schema,
    workflow: options.workflow,
    title: options.title,
    dueAt: options.dueAt,
    permissions: {
      read: `${n}.read`,
      create: `${n}.create`,
      update: `${n}.update`,
      assign: `${n}.assign`,
      verify: `${n}.verify`,
      approve: `${n}.approve`,
      comment: "record.comment",
      attach: "record.attach",
      link: "record.link",
      sign: "record.sign",
      ...options.permissions
    },
    relations: options.relations ?? {}
  }
}

/**
 * A kind of link between records: `corrective_action` from a finding to a CAPA. `from`/`to` list the
 * record types allowed at each end (any type when absent).
 * @since 0.1.0
 * @category models
 */
export interface LinkKind {
  readonly kind: string
  readonly label?: string
  readonly from?: ReadonlyArray<string>
  readonly to?: ReadonlyArray<string>
}

const kindPattern = /^[a-z][a-z0-9_]{0,63}$/

/**
 * Declares a link kind; throws when its name is malformed.
 * @since 0.1.0
 * @category constructors
 */
export const link = (options: {
  readonly kind: string
  readonly label?: string
  readonly from?: string | ReadonlyArray<string>
  readonly to?: string | ReadonlyArray<string>
}): LinkKind => {
  if (!kindPattern.test(options.kind)) {
    throw new Error(`Link kind "${options.kind}" must be lower-case letters, digits and _ (e.g. corrective_action)`)
  }
  const list = (x: string | ReadonlyArray<string> | undefined) => (typeof x === "string" ? [x] : x)
  const from = list(options.from)
  const to = list(options.to)
  return {
    kind: options.kind,
    ...(options.label !== undefined ? { label: options.label } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {})
  }
}
