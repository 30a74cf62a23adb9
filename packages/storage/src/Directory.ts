/**
 * Who the people are: the port through which tasks find a person's supervisor and the holders of a
 * role, and notifications find a person's e-mail address. The host implements it over its own user
 * store (`Directory.layer(service)`); `@airworthy/tasks` ships a SQL implementation
 * (`StaffDirectory.layer`) for hosts without one. It lives here, below both tasks and
 * notifications, so that neither has to import the other to reach people.
 *
 * ```ts
 * const DirectoryLive = Directory.layer({ supervisorOf, usersWithRole, contactOf })
 * const qms = yield* Directory.usersWithRole("mro-1", "quality_manager")
 * ```
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Option } from "effect"
import { fromCause, type StorageError } from "./StorageError.js"

/**
 * How to reach a person.
 * @since 0.1.0
 * @category models
 */
export interface Contact {
  readonly actorId: string
  readonly displayName: string
  readonly email: string
}

/**
 * What the host implements.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly supervisorOf: (tenantId: string, actorId: string) => Effect.Effect<Option.Option<string>, StorageError>
  readonly usersWithRole: (tenantId: string, role: string) => Effect.Effect<ReadonlyArray<string>, StorageError>
  readonly contactOf: (tenantId: string, actorId: string) => Effect.Effect<Option.Option<Contact>, StorageError>
}

/**
 * The directory.
 * @since 0.1.0
 * @category tags
 */
export class Directory extends Context.Tag("@airworthy/storage/Directory")<Directory, Service>() {}

/**
 * The host's implementation.
 * @since 0.1.0
 * @category layers
 */
export const layer = (service: Service): Layer.Layer<Directory> => Layer.succeed(Directory, service)

/**
 * The directory's functions over the one in context: `supervisorOf`, `usersWithRole`, `contactOf`.
 * @since 0.1.0
 * @category accessors
 */
export const { contactOf, supervisorOf, usersWithRole } = Effect.serviceFunctions(Directory)

/**
 * The directory as a host without Effect writes it: plain functions, synchronous or async, answering
 * `null` or `undefined` for nobody.
 * @since 0.1.0
 * @category models
 */
export interface PromiseService {
  readonly supervisorOf: (
    tenantId: string,
    actorId: string
  ) => string | null | undefined | PromiseLike<string | null | undefined>
  readonly usersWithRole: (tenantId: string, role: string) => ReadonlyArray<string> | PromiseLike<ReadonlyArray<string>>
  readonly contactOf: (
    tenantId: string,
    actorId: string
  ) => Contact | null | undefined | PromiseLike<Contact | null | undefined>
}

const call = <A>(what: string, f: () => A | PromiseLike<A>): Effect.Effect<A, StorageError> =>
  Effect.tryPromise({
    try: async () => await f(),
    catch: (cause) => fromCause(cause, `The host's directory failed (${what})`)
  })

/**
 * The directory from plain functions (`createQms({ directory: Directory.fromPromises({ ... }) })`);
 * a function that throws or rejects fails the command with a `StorageError` naming it.
 * @since 0.1.0
 * @category constructors
 */
export const fromPromises = (service: PromiseService): Service => ({
  supervisorOf: (tenantId, actorId) =>
    Effect.map(
      call("supervisorOf", () => service.supervisorOf(tenantId, actorId)),
      Option.fromNullable
    ),
  usersWithRole: (tenantId, role) => call("usersWithRole", () => service.usersWithRole(tenantId, role)),
  contactOf: (tenantId, actorId) =>
    Effect.map(
      call("contactOf", () => service.contactOf(tenantId, actorId)),
      Option.fromNullable
    )
})
