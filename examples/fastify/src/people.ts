/**
 * The host's own people: who may sign in, with which bearer token, and what they do in the QMS. A real
 * host keeps them in its user store and its sessions; here they are a fixed list for the demo.
 */
import { Directory } from "@airworthy/storage"
import { Effect, Option } from "effect"

export interface Person {
  readonly token: string
  readonly tenantId: string
  readonly actorId: string
  readonly displayName: string
  readonly email: string
  readonly roles: ReadonlyArray<string>
}

export const people: ReadonlyArray<Person> = [
  {
    token: "demo-quinn",
    tenantId: "amo-1",
    actorId: "u-quinn",
    displayName: "Quinn (quality manager)",
    email: "quinn@mro.example",
    roles: ["quality_manager"]
  },
  {
    token: "demo-olive",
    tenantId: "amo-1",
    actorId: "u-olive",
    displayName: "Olive (CAPA owner)",
    email: "olive@mro.example",
    roles: ["capa_owner"]
  }
]

/** The person a request's `Authorization: Bearer <token>` names, if any. */
export const personFor = (authorization: string | undefined): Person | undefined => {
  const token = authorization?.startsWith("Bearer ") ? authorization.slice("Bearer ".length) : undefined
  return token === undefined ? undefined : people.find((p) => p.token === token)
}

/** The QMS finds owners, role holders and e-mail addresses through the host's people. */
export const directory = Directory.layer({
  supervisorOf: () => Effect.succeed(Option.none()),
  usersWithRole: (tenantId, role) =>
    Effect.succeed(people.filter((p) => p.tenantId === tenantId && p.roles.includes(role)).map((p) => p.actorId)),
  contactOf: (tenantId, actorId) =>
    Effect.succeed(
      Option.fromNullable(people.find((p) => p.tenantId === tenantId && p.actorId === actorId)).pipe(
        Option.map((p) => ({ actorId: p.actorId, displayName: p.displayName, email: p.email }))
      )
    )
})
