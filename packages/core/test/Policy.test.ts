import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc } from "effect"
import { Actor, Errors, Policy } from "../src/index.js"
import { id, person } from "./workflowFixtures.js"

const defaults = Policy.make()
const all = Object.keys(Policy.catalogue)
const allowedTo = (roles: ReadonlyArray<string>, rules = defaults) =>
  all.filter((p) => rules.can(person("u", roles), p))

describe("Policy", () => {
  describe("matches", () => {
    it("covers exact permissions, prefix wildcards and everything", () => {
      assert.isTrue(Policy.matches("finding.close", "finding.close"))
      assert.isTrue(Policy.matches("finding.*", "finding.close"))
      assert.isTrue(Policy.matches("*", "audit_trail.purge"))
      assert.isFalse(Policy.matches("finding.*", "findings.close"))
      assert.isFalse(Policy.matches("finding.*", "finding"))
      assert.isFalse(Policy.matches("finding.close", "finding.closed"))
      assert.isFalse(Policy.matches("fin*", "finding.close"))
    })

    it.prop(
      "a prefix wildcard covers exactly the permissions under it",
      [fc.stringMatching(/^[a-z_]{1,8}$/), fc.stringMatching(/^[a-z_.]{1,16}$/)],
      ([prefix, p]) => {
        assert.strictEqual(Policy.matches(`${prefix}.*`, p), p.startsWith(`${prefix}.`))
      }
    )
  })

  describe("default roles", () => {
    it("admin holds every permission, even unknown ones", () => {
      assert.deepStrictEqual(allowedTo(["admin"]), all)
      assert.isTrue(defaults.can(person("u", ["admin"]), "host.custom_thing"))
    })

    it("viewer reads and does nothing else, nothing sensitive", () => {
      assert.deepStrictEqual(
        allowedTo(["viewer"]),
        all.filter((p) => p.endsWith(".read"))
      )
    })

    it("quality manager runs records and tasks but cannot erase or purge the audit trail", () => {
      const qm = person("qm", ["quality_manager"])
      for (const p of ["record.sign", "record.link", "task.assign", "audit_trail.legal_hold", "audit_trail.verify"]) {
        assert.isTrue(defaults.can(qm, p), p)
      }
      assert.isFalse(defaults.can(qm, "audit_trail.erase"))
      assert.isFalse(defaults.can(qm, "audit_trail.purge"))
    })

    it("gives each role what its job needs", () => {
      const can = (role: string, p: string) => defaults.can(person("u", [role]), p)
      assert.isTrue(can("auditor", "record.sign"))
      assert.isTrue(can("auditor", "audit_trail.verify"))
      assert.isFalse(can("auditor", "task.assign"))
      assert.isTrue(can("technician", "task.complete"))
      assert.isFalse(can("technician", "record.link"))
      assert.isTrue(can("accountable_manager", "audit_trail.read_sensitive"))
      assert.isFalse(can("accountable_manager", "task.complete"))
    })

    it("grants only catalogued permissions (no typos)", () => {
      for (const [role, grants] of Object.entries(Policy.defaultRoles)) {
        for (const g of grants) {
          assert.isTrue(
            g.endsWith("*") ? all.some((p) => Policy.matches(g, p)) : g in Policy.catalogue,
            `${role} grants ${g}`
          )
        }
      }
    })

    it("grants nothing to unknown roles or to an actor without roles", () => {
      assert.deepStrictEqual(allowedTo(["pilot"]), [])
      assert.deepStrictEqual(allowedTo([]), [])
    })

    it("combines the permissions of several roles", () => {
      assert.deepStrictEqual(
        allowedTo(["technician", "auditor"]),
        all.filter((p) => allowedTo(["technician"]).includes(p) || allowedTo(["auditor"]).includes(p))
      )
    })
  })

  describe("host configuration", () => {
    it("adds a role", () => {
      const rules = Policy.make({ roles: { dpo: ["audit_trail.erase", "audit_trail.read_sensitive"] } })
      assert.deepStrictEqual(allowedTo(["dpo"], rules), ["audit_trail.read_sensitive", "audit_trail.erase"])
      assert.deepStrictEqual(allowedTo(["viewer"], rules), allowedTo(["viewer"]))
    })

    it("replaces an existing role given under roles", () => {
      const rules = Policy.make({ roles: { technician: ["record.read"] } })
      assert.deepStrictEqual(allowedTo(["technician"], rules), ["record.read"])
    })

    it("grants and revokes permissions of a role", () => {
      const rules = Policy.make({
        grant: { technician: ["finding.create"], stores: ["task.read"] },
        revoke: { technician: ["record.comment"] }
      })
      const tech = person("t", ["technician"])
      assert.isTrue(rules.can(tech, "finding.create"))
      assert.isFalse(rules.can(tech, "record.comment"))
      assert.isTrue(rules.can(person("s", ["stores"]), "task.read"))
    })

    it("revokes through wildcards: an admin who may not purge", () => {
      const rules = Policy.make({ revoke: { admin: ["audit_trail.purge"], quality_manager: ["task.*"] } })
      assert.isFalse(rules.can(person("a", ["admin"]), "audit_trail.purge"))
      assert.isTrue(rules.can(person("a", ["admin"]), "audit_trail.erase"))
      assert.isFalse(rules.can(person("q", ["quality_manager"]), "task.assign"))
      assert.isTrue(rules.can(person("q", ["quality_manager"]), "record.sign"))
    })

    it("a revocation in one role does not hide a grant from another role", () => {
      const rules = Policy.make({ revoke: { auditor: ["record.sign"] } })
      assert.isFalse(rules.can(person("a", ["auditor"]), "record.sign"))
      assert.isTrue(rules.can(person("a", ["auditor", "quality_manager"]), "record.sign"))
    })

    it("resolves each role to exactly the grants and revocations the host gave", () => {
      const rules = Policy.make({
        roles: { dpo: ["audit_trail.erase"] },
        grant: { stores: ["task.read"], technician: ["finding.create"] },
        revoke: { technician: ["record.comment"], ghost: ["record.read"] }
      })
      // A default role unchanged; a new role from `roles` or from `grant`: nothing more than given.
      assert.deepStrictEqual(rules.roles.viewer, { grants: Policy.defaultRoles.viewer!, denies: [] })
      assert.deepStrictEqual(rules.roles.dpo, { grants: ["audit_trail.erase"], denies: [] })
      assert.deepStrictEqual(rules.roles.stores, { grants: ["task.read"], denies: [] })
      // A revoked exact grant leaves the role's grants, and stays as a revocation.
      assert.deepStrictEqual(rules.roles.technician, {
        grants: ["task.read", "record.read", "task.complete", "record.attach", "finding.create"],
        denies: ["record.comment"]
      })
      // A revocation for a role nobody defined makes no role.
      assert.isFalse(Object.hasOwn(rules.roles, "ghost"))
      assert.isFalse(rules.can(person("g", ["ghost"]), "record.read"))
    })

    it("can start from no roles at all", () => {
      const rules = Policy.make({ defaults: false, roles: { boss: ["*"] } })
      assert.deepStrictEqual(Object.keys(rules.roles), ["boss"])
      assert.isFalse(rules.can(person("a", ["admin"]), "finding.read"))
    })

    it("can is the same pure check as the rules", () => {
      const rules = Policy.make({ grant: { viewer: ["record.comment"] } })
      assert.isTrue(Policy.can(rules, person("v", ["viewer"]), "record.comment"))
      assert.isFalse(Policy.can(defaults, person("v", ["viewer"]), "record.comment"))
    })
  })

  describe("authorize", () => {
    it.effect("passes when the current actor holds the permission", () =>
      Policy.authorize("record.sign").pipe(Actor.withActor(person("a", ["auditor"])), Effect.provide(Policy.layer()))
    )

    it.effect("fails with Forbidden naming the missing permission", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(Policy.authorize("record.link"))
        assert.instanceOf(error, Errors.Forbidden)
        assert.strictEqual(error.missing_permission, "record.link")
        assert.strictEqual(error.status, 403)
        assert.strictEqual(
          error.message,
          "You need the permission record.link (Link records to each other); your roles technician do not grant it"
        )
        // A permission a module declares is described through the layer's catalogue.
        const declared = yield* Effect.flip(
          Policy.authorize("concession.grant").pipe(
            Effect.provide(Policy.layer({ catalogue: { "concession.grant": "Grant a concession" } }))
          )
        )
        assert.strictEqual(
          declared.message,
          "You need the permission concession.grant (Grant a concession); your roles technician do not grant it"
        )
      }).pipe(Actor.withActor(person("t", ["technician"])), Effect.provide(Policy.layer()))
    )

    it.effect("names every role of the actor, no roles at all, and a permission nobody described", () =>
      Effect.gen(function* () {
        const twoRoles = yield* Effect.flip(Policy.authorizeActor(person("v", ["viewer", "technician"]), "record.link"))
        assert.strictEqual(
          twoRoles.message,
          "You need the permission record.link (Link records to each other); your roles viewer, technician do not grant it"
        )
        const none = yield* Effect.flip(Policy.authorizeActor(person("n", []), "record.read"))
        assert.strictEqual(none.missing_permission, "record.read")
        assert.strictEqual(
          none.message,
          "You need the permission record.read (See any QMS record); your no roles do not grant it"
        )
        const undescribed = yield* Effect.flip(Policy.authorizeActor(person("v", ["viewer"]), "host.custom_thing"))
        assert.strictEqual(
          undescribed.message,
          "You need the permission host.custom_thing; your roles viewer do not grant it"
        )
      }).pipe(Effect.provide(Policy.layer()))
    )

    it.effect("uses the host's configuration from the layer", () =>
      Effect.gen(function* () {
        yield* Policy.authorize("finding.close")
        const exit = yield* Effect.exit(Policy.authorize("record.comment"))
        assert.isTrue(Exit.isFailure(exit))
      }).pipe(
        Actor.withActor(person("t", ["technician"])),
        Effect.provide(Policy.layer({ grant: { technician: ["finding.close"] }, revoke: { technician: ["record.*"] } }))
      )
    )
  })

  describe("requireDifferentActor", () => {
    it.effect("fails when the same person would do both duties, in words a quality manager reads", () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Policy.requireDifferentActor({
            actor: person("u-1"),
            other: id("u-1"),
            duty: "verify this finding",
            conflict: "are its owner"
          })
        )
        assert.strictEqual(error._tag, "SeparationOfDutiesViolated")
        assert.strictEqual(error.status, 403)
        assert.isTrue(Errors.isProblem(error))
        assert.strictEqual(
          error.message,
          "You cannot verify this finding: you are its owner, and separation of duties requires someone else to do it"
        )
      })
    )

    it.effect("passes for a different person, or when there is nobody to conflict with", () =>
      Effect.gen(function* () {
        const base = { duty: "approve", conflict: "wrote it" }
        yield* Policy.requireDifferentActor({ ...base, actor: person("u-1"), other: id("u-2") })
        yield* Policy.requireDifferentActor({ ...base, actor: id("u-1"), other: null })
        yield* Policy.requireDifferentActor({ ...base, actor: id("u-1"), other: undefined })
        const exit = yield* Effect.exit(Policy.requireDifferentActor({ ...base, actor: id("u-1"), other: "u-1" }))
        assert.isTrue(Exit.isFailure(exit))
      })
    )
  })

  describe("grants limited to a relation", () => {
    const rules = Policy.make({
      defaults: false,
      roles: {
        owner_role: [Policy.onlyAs("owner", "finding.update"), "finding.read", Policy.onlyAs("creator", "capa.*")],
        editor: ["finding.update"]
      },
      revoke: { owner_role: [Policy.onlyAs("creator", "capa.cancel")] },
      catalogue: { "finding.update": "Edit a finding" }
    })
    const olive = person("u-olive", ["owner_role"])

    it("count on a record the actor has the relation to, never without a record", () => {
      assert.strictEqual(Policy.onlyAs("owner", "finding.update"), "finding.update@owner")
      assert.isFalse(rules.can(olive, "finding.update"))
      assert.isTrue(rules.canOn(olive, "finding.update", ["owner"]))
      assert.isFalse(rules.canOn(olive, "finding.update", ["creator"]))
      assert.isFalse(rules.canOn(olive, "finding.update", []))
      assert.deepStrictEqual(rules.onlyOn(olive, "finding.update"), ["owner"])
      // An unlimited grant counts everywhere and is not "only on" anything.
      assert.isTrue(rules.canOn(olive, "finding.read", []))
      assert.deepStrictEqual(rules.onlyOn(olive, "finding.read"), [])
      assert.isTrue(rules.canOn(person("u", ["editor"]), "finding.update", []))
      // A pattern limited to a relation; a revocation limited to the same relation.
      assert.isTrue(rules.canOn(olive, "capa.plan", ["creator"]))
      assert.isFalse(rules.canOn(olive, "capa.cancel", ["creator"]))
      assert.isFalse(rules.canOn(olive, "capa.plan", ["owner"]))
    })

    it("are removed by a revocation limited to a relation only under that relation", () => {
      const limited = Policy.make({
        defaults: false,
        roles: {
          lead: [Policy.onlyAs("owner", "capa.*"), Policy.onlyAs("creator", "capa.*")],
          editor: ["finding.update"]
        },
        revoke: { lead: [Policy.onlyAs("creator", "capa.cancel")], editor: [Policy.onlyAs("owner", "finding.update")] }
      })
      const lead = person("u-lead", ["lead"])
      assert.isFalse(limited.canOn(lead, "capa.cancel", ["creator"]))
      assert.isTrue(limited.canOn(lead, "capa.cancel", ["owner"]))
      assert.deepStrictEqual(limited.onlyOn(lead, "capa.cancel"), ["owner"])
      assert.deepStrictEqual(limited.onlyOn(lead, "capa.plan"), ["owner", "creator"])
      // A revocation limited to owners does not touch a grant on every record.
      assert.isTrue(limited.can(person("u-ed", ["editor"]), "finding.update"))
    })

    it.effect("refuse with a detail that names every relation the grant needs", () =>
      Effect.gen(function* () {
        const refused = yield* Effect.flip(Policy.authorizeOn(person("u", ["lead"]), "capa.plan", [])).pipe(
          Effect.provide(
            Policy.layer({
              defaults: false,
              roles: { lead: [Policy.onlyAs("owner", "capa.*"), Policy.onlyAs("creator", "capa.*")] }
            })
          )
        )
        assert.strictEqual(
          refused.detail,
          "You need the permission capa.plan; your roles lead grant it only on records where you are its owner or creator, and this one is not"
        )
      })
    )

    it("are removed under every relation by a revocation without one", () => {
      const revoked = Policy.make({
        defaults: false,
        roles: { r: [Policy.onlyAs("owner", "finding.update")] },
        revoke: { r: ["finding.*"] }
      })
      assert.isFalse(revoked.canOn(person("u", ["r"]), "finding.update", ["owner"]))
    })

    it.effect("refuse with a detail that names the relation", () =>
      Effect.gen(function* () {
        const layer = Policy.layer({
          defaults: false,
          roles: { owner_role: [Policy.onlyAs("owner", "finding.update")] },
          catalogue: { "finding.update": "Edit a finding" }
        })
        const refused = yield* Effect.flip(Policy.authorizeOn(olive, "finding.update", ["creator"])).pipe(
          Effect.provide(layer)
        )
        assert.strictEqual(refused.missing_permission, "finding.update")
        assert.strictEqual(
          refused.detail,
          "You need the permission finding.update (Edit a finding); your roles owner_role grant it only on records where you are its owner, and this one is not"
        )
        yield* Policy.authorizeOn(olive, "finding.update", ["owner"]).pipe(Effect.provide(layer))
        const withoutRecord = yield* Effect.flip(Policy.authorizeActor(olive, "finding.update")).pipe(
          Effect.provide(layer)
        )
        assert.strictEqual(withoutRecord._tag, "Forbidden")
      })
    )

    it("reject a malformed relation", () => {
      assert.throws(() => Policy.onlyAs("Owner!", "finding.update"), /lower-case/)
    })
  })
})
