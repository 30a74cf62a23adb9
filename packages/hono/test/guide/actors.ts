import { type CreateQms, createQms } from "@airworthy/qms"
import { Directory } from "@airworthy/storage"

// The host's own users (its table, its LDAP, ...): Airworthy reads them, never copies them.
export interface User {
  readonly id: string
  readonly orgId: string
  readonly name: string
  readonly email: string
  readonly qmsRoles: ReadonlyArray<string>
  readonly supervisorId?: string
}
export const users: ReadonlyArray<User> = [
  { id: "u-quinn", orgId: "mro-1", name: "Quinn", email: "quinn@mro.example", qmsRoles: ["quality_manager"] },
  {
    id: "u-olive",
    orgId: "mro-1",
    name: "Olive",
    email: "olive@mro.example",
    qmsRoles: ["capa_owner"],
    supervisorId: "u-quinn"
  }
]
const find = (tenantId: string, id: string) => users.find((u) => u.orgId === tenantId && u.id === id)

/** The logged-in user as an actor: the tenant is the user's organisation, never a field of the request. */
export const actorOf = (user: User) => ({
  tenantId: user.orgId,
  actorId: user.id,
  displayName: user.name,
  roles: user.qmsRoles
})

export const qms: CreateQms.QmsClient = await createQms({
  database: { sqlite: process.env.QMS_SQLITE ?? "qms.db" },
  // Who may be named as an owner, reminded, escalated to and emailed: asked of the host's users.
  directory: Directory.fromPromises({
    contactOf: (tenantId, id) => {
      const user = find(tenantId, id)
      return user && { actorId: user.id, displayName: user.name, email: user.email }
    },
    supervisorOf: (tenantId, id) => find(tenantId, id)?.supervisorId,
    usersWithRole: (tenantId, role) =>
      users.filter((u) => u.orgId === tenantId && u.qmsRoles.includes(role)).map((u) => u.id)
  })
})
