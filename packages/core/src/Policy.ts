/**
 * Authorisation: which roles grant which permissions, and separation of duties.
 *
 * Permissions are dotted strings (`record.read`, `audit_trail.verify`). A role grants patterns: an
 * exact permission, a prefix wildcard (`record.*`) or everything (`*`). The host starts from the
 * default roles below and adds roles, grants or revokes permissions through `layer(config)`.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import type { Actor } from "./Actor.js"
import { CurrentActor } from "./Actor.js"
import { Forbidden, problemBase } from "./Errors.js"
import type { ActorId } from "./Ids.js"

/**
 * A permission such as `record.comment`, or a pattern granting several (`record.*`, `*`). In a
 * role's grants, a pattern may be limited to the records the actor has a relation to:
 * `finding.update@owner` grants `finding.update` only on findings the actor owns (see `onlyAs`).
 * @since 0.1.0
 * @category models
 */
export type Permission = string

/**
 * A relation an actor may have to a record: `owner` (the record's owner), `creator` (who created
 * it), or one a record type declares (`lead`, `team`, ...). Lower-case words.
 * @since 0.1.0
 * @category models
 */
export type Relation = string

const relationPattern = /^[a-z][a-z0-9_]*$/

/**
 * A grant limited to the records the actor has `relation` to: `onlyAs("owner", "finding.update")`
 * is `"finding.update@owner"`. Such a grant counts only where the record is at hand (the records
 * runtime checks it on the record); a check without a record (`authorize`) does not count it.
 * @since 0.1.0
 * @category constructors
 */
export const onlyAs = (relation: Relation, permission: Permission): Permission => {
  if (!relationPattern.test(relation)) throw new Error(`Relation "${relation}" must be lower-case words`)
  return `${permission}@${relation}`
}

interface Parsed {
  readonly pattern: Permission
  /** `undefined`: on every record. */
  readonly relation: Relation | undefined
}

const parse = (grant: Permission): Parsed => {
  const at = grant.lastIndexOf("@")
  return at < 0
    ? { pattern: grant, relation: undefined }
    : { pattern: grant.slice(0, at), relation: grant.slice(at + 1) }
}

/**
 * The generic permissions the kernel's packages check, with what each lets a person do. Domain
 * permissions are declared by the modules that check them and added to the
 * running policy's catalogue through `Config.catalogue`.
 * @since 0.1.0
 * @category constants
 */
export const catalogue: { readonly [permission: string]: string } = {
  "task.read": "See tasks and due dates",
  "task.create": "Create a task",
  "task.update": "Change a task (due date, description)",
  "task.assign": "Assign or reassign a task",
  "task.complete": "Complete a task",

  "audit_trail.read": "Read the audit trail",
  "audit_trail.read_sensitive": "Read personal or sensitive values in the audit trail",
  "audit_trail.verify": "Verify the integrity of the audit trail",
  "audit_trail.erase": "Erase personal data from the audit trail (lawful erasure)",
  "audit_trail.purge": "Purge audit trail entries past their retention period",
  "audit_trail.legal_hold": "Place or release a legal hold on a record's audit trail",

  "record.read": "See any QMS record",
  "record.comment": "Comment on a record",
  "record.link": "Link records to each other",
  "record.attach": "Attach evidence and documents to a record",
  "record.sign": "Sign a record electronically"
}

const readOnly: ReadonlyArray<Permission> = ["task.read", "record.read", "audit_trail.read"]

/**
 * The built-in roles and what they grant of the generic permissions. `admin` gets everything,
 * `viewer` reads only. Each QMS module adds what the roles get of its own permissions.
 * @since 0.1.0
 * @category constants
 */
export const defaultRoles: { readonly [role: string]: ReadonlyArray<Permission> } = {
  admin: ["*"],
  viewer: readOnly,
  quality_manager: [
    "task.*",
    "record.*",
    "audit_trail.read",
    "audit_trail.read_sensitive",
    "audit_trail.verify",
    "audit_trail.legal_hold"
  ],
  auditor: [
    ...readOnly,
    "task.create",
    "task.complete",
    "record.comment",
    "record.link",
    "record.attach",
    "record.sign",
    "audit_trail.verify"
  ],
  technician: ["task.read", "record.read", "task.complete", "record.comment", "record.attach"],
  accountable_manager: [
    ...readOnly,
    "record.comment",
    "record.sign",
    "audit_trail.read_sensitive",
    "audit_trail.verify"
  ]
}

/**
 * How a host changes the default roles. Applied in this order: `roles`, `grant`, `revoke`.
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** Start from the default roles (default `true`); `false` starts from no roles at all. */
  readonly defaults?: boolean
  /** New roles, or a full replacement of the permissions of an existing role. */
  readonly roles?: { readonly [role: string]: ReadonlyArray<Permission> }
  /** Permissions (or patterns) added to a role; the role is created if unknown. */
  readonly grant?: { readonly [role: string]: ReadonlyArray<Permission> }
  /** Permissions (or patterns) a role never grants, even through a wildcard such as `*`. */
  readonly revoke?: { readonly [role: string]: ReadonlyArray<Permission> }
  /** What more permissions let a person do (shown when one is missing); added to `catalogue`. */
  readonly catalogue?: { readonly [permission: string]: string }
}

/**
 * What one role grants, after the host's changes.
 * @since 0.1.0
 * @category models
 */
export interface Role {
  /** Patterns, each possibly limited to a relation (`finding.update@owner`). */
  readonly grants: ReadonlyArray<Permission>
  /** A deny without a relation removes the permission under every relation. */
  readonly denies: ReadonlyArray<Permission>
}

/**
 * The resolved roles and the pure checks over them; the `Policy` service holds one.
 * @since 0.1.0
 * @category models
 */
export interface Rules {
  readonly roles: { readonly [role: string]: Role }
  /** Does any of the actor's roles grant the permission on every record (no relation needed)? */
  readonly can: (actor: Actor, permission: Permission) => boolean
  /**
   * Does any of the actor's roles grant the permission on a record the actor has these relations
   * to (`["owner"]`)? True whenever `can` is.
   * @since 0.1.0
   */
  readonly canOn: (actor: Actor, permission: Permission, relations: ReadonlyArray<Relation>) => boolean
  /**
   * The relations under which the actor's roles grant the permission, when they grant it only on
   * some records (empty when they grant it everywhere or nowhere).
   * @since 0.1.0
   */
  readonly onlyOn: (actor: Actor, permission: Permission) => ReadonlyArray<Relation>
  /** What a permission lets a person do, when known. */
  readonly describe: (permission: Permission) => string | undefined
}

/**
 * The authorisation rules of the running application.
 * @since 0.1.0
 * @category tags
 */
export class Policy extends Context.Tag("@airworthy/core/Policy")<Policy, Rules>() {}

/**
 * Does a granted pattern cover a permission? `*` covers all, `record.*` covers `record.comment`.
 * @since 0.1.0
 * @category utils
 */
export const matches = (pattern: Permission, permission: Permission): boolean => {
  if (pattern === "*" || pattern === permission) return true
  if (pattern.endsWith(".*")) return permission.startsWith(pattern.slice(0, -1))
  return false
}

const denied = (role: Role, permission: Permission, relation: Relation | undefined): boolean =>
  role.denies.some((d) => {
    const deny = parse(d)
    return matches(deny.pattern, permission) && (deny.relation === undefined || deny.relation === relation)
  })

/** The relations under which a role grants the permission; `true`: on every record. */
const roleGrants = (role: Role, permission: Permission): true | ReadonlyArray<Relation> => {
  const relations: Array<Relation> = []
  for (const g of role.grants) {
    const grant = parse(g)
    if (!matches(grant.pattern, permission) || denied(role, permission, grant.relation)) continue
    if (grant.relation === undefined) return true
    relations.push(grant.relation)
  }
  return relations
}

const unique = (xs: ReadonlyArray<Permission>): ReadonlyArray<Permission> => Array.from(new Set(xs))

/**
 * Resolves the roles from the defaults and the host's changes.
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: Config = {}): Rules => {
  const roles = new Map<string, Role>()
  if (config.defaults !== false) {
    for (const [name, grants] of Object.entries(defaultRoles)) roles.set(name, { grants, denies: [] })
  }
  for (const [name, grants] of Object.entries(config.roles ?? {}))
    roles.set(name, { grants: unique(grants), denies: [] })
  for (const [name, grants] of Object.entries(config.grant ?? {})) {
    const role = roles.get(name) ?? { grants: [], denies: [] }
    roles.set(name, { grants: unique([...role.grants, ...grants]), denies: role.denies })
  }
  for (const [name, denies] of Object.entries(config.revoke ?? {})) {
    const role = roles.get(name)
    if (role === undefined) continue
    // Drop the exact grants too, so the resolved role reads as the host meant it.
    roles.set(name, {
      grants: role.grants.filter((g) => !denies.includes(g)),
      denies: unique([...role.denies, ...denies])
    })
  }
  const resolved = Object.fromEntries(roles)
  const described: { readonly [permission: string]: string } = { ...catalogue, ...config.catalogue }
  return {
    roles: resolved,
    describe: (permission) => (Object.hasOwn(described, permission) ? described[permission] : undefined),
    can: (actor, permission) => scope(actor, permission) === true,
    canOn: (actor, permission, relations) => {
      const granted = scope(actor, permission)
      return granted === true || granted.some((r) => relations.includes(r))
    },
    onlyOn: (actor, permission) => {
      const granted = scope(actor, permission)
      return granted === true ? [] : granted
    }
  }

  function scope(actor: Actor, permission: Permission): true | ReadonlyArray<Relation> {
    const relations = new Set<Relation>()
    for (const name of actor.roles) {
      const role = roles.get(name)
      if (role === undefined) continue
      const granted = roleGrants(role, permission)
      if (granted === true) return true
      for (const r of granted) relations.add(r)
    }
    return [...relations]
  }
}

/**
 * Does any of the actor's roles grant the permission? Pure; `rules` from `make` or the service.
 * @since 0.1.0
 * @category utils
 */
export const can = (rules: Rules, actor: Actor, permission: Permission): boolean => rules.can(actor, permission)

/**
 * The default roles with the host's changes.
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config = {}): Layer.Layer<Policy> => Layer.succeed(Policy, make(config))

const forbidden = (rules: Rules, actor: Actor, permission: Permission): Forbidden => {
  const what = rules.describe(permission)
  const roles = actor.roles.length === 0 ? "no roles" : `roles ${actor.roles.join(", ")}`
  const only = rules.onlyOn(actor, permission)
  const grant =
    only.length === 0
      ? "do not grant it"
      : `grant it only on records where you are its ${only.join(" or ")}, and this one is not`
  return new Forbidden({
    missing_permission: permission,
    detail: `You need the permission ${permission}${what === undefined ? "" : ` (${what})`}; your ${roles} ${grant}`
  })
}

/**
 * Fails with `Forbidden` unless the given actor holds the permission.
 * @since 0.1.0
 * @category combinators
 */
export const authorizeActor = (actor: Actor, permission: Permission): Effect.Effect<void, Forbidden, Policy> =>
  Effect.flatMap(Policy, (rules) =>
    rules.can(actor, permission) ? Effect.void : Effect.fail(forbidden(rules, actor, permission))
  )

/**
 * Fails with `Forbidden` unless the actor holds the permission on a record they have these
 * relations to (`["owner"]`); the records runtime works the relations out from the record.
 * @since 0.1.0
 * @category combinators
 */
export const authorizeOn = (
  actor: Actor,
  permission: Permission,
  relations: ReadonlyArray<Relation>
): Effect.Effect<void, Forbidden, Policy> =>
  Effect.flatMap(Policy, (rules) =>
    rules.canOn(actor, permission, relations) ? Effect.void : Effect.fail(forbidden(rules, actor, permission))
  )

/**
 * Fails with `Forbidden` unless the current actor holds the permission.
 * @since 0.1.0
 * @category combinators
 */
export const authorize = (permission: Permission): Effect.Effect<void, Forbidden, Policy | CurrentActor> =>
  Effect.flatMap(CurrentActor, (actor) => authorizeActor(actor, permission))

/**
 * One person tried to do two duties that must be done by different people.
 * @since 0.1.0
 * @category errors
 */
export class SeparationOfDutiesViolated extends Schema.TaggedError<SeparationOfDutiesViolated>()(
  "SeparationOfDutiesViolated",
  {
    actorId: Schema.String,
    duty: Schema.String,
    conflict: Schema.String
  }
) {
  static readonly problem = {
    problemType: `${problemBase}separation-of-duties`,
    title: "Separation of duties",
    status: 403,
    code: "separation_of_duties"
  } as const
  readonly problemType = SeparationOfDutiesViolated.problem.problemType
  readonly title = SeparationOfDutiesViolated.problem.title
  readonly status = SeparationOfDutiesViolated.problem.status
  readonly code = SeparationOfDutiesViolated.problem.code
  override get message() {
    return `You cannot ${this.duty}: you ${this.conflict}, and separation of duties requires someone else to do it`
  }
}

/**
 * Fails unless `actor` is not `other`: "the verifier must not be the owner".
 *
 * `duty` completes "You cannot …" (`"verify this record"`); `conflict` completes "you …"
 * (`"are its owner"`). A missing `other` (no owner yet) never conflicts.
 * @since 0.1.0
 * @category combinators
 */
export const requireDifferentActor = (options: {
  readonly actor: Actor | ActorId
  readonly other: ActorId | string | null | undefined
  readonly duty: string
  readonly conflict: string
}): Effect.Effect<void, SeparationOfDutiesViolated> => {
  const actorId: string = typeof options.actor === "string" ? options.actor : options.actor.actorId
  return options.other !== null && options.other !== undefined && options.other === actorId
    ? Effect.fail(new SeparationOfDutiesViolated({ actorId, duty: options.duty, conflict: options.conflict }))
    : Effect.void
}
