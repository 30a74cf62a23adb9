/**
 * Who is acting: the actor context every command runs in.
 *
 * The host maps its logged-in user to an `Actor`; the tenant always comes from here, never from
 * request input.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import { ActorId, TenantId, TraceId } from "./Ids.js"

/**
 * How the actor reached us; recorded with every audit event.
 * @since 0.1.0
 * @category models
 */
export const Source = Schema.Literal("api", "ui", "system", "sweeper", "import", "migration")
/** @since 0.1.0 @category models */
export type Source = typeof Source.Type

/**
 * An authenticated person or system acting inside one tenant.
 * @since 0.1.0
 * @category models
 */
export class Actor extends Schema.Class<Actor>("@airworthy/core/Actor")({
  tenantId: TenantId,
  actorId: ActorId,
  displayName: Schema.String,
  roles: Schema.Array(Schema.NonEmptyTrimmedString),
  traceId: TraceId,
  source: Schema.optionalWith(Source, { default: () => "api" as const })
}) {}

/**
 * The actor of the current command.
 * @since 0.1.0
 * @category tags
 */
export class CurrentActor extends Context.Tag("@airworthy/core/CurrentActor")<CurrentActor, Actor>() {}

/**
 * Provides a fixed actor.
 * @since 0.1.0
 * @category layers
 */
export const layer = (actor: Actor): Layer.Layer<CurrentActor> => Layer.succeed(CurrentActor, actor)

/**
 * Runs an effect as the given actor.
 * @since 0.1.0
 * @category combinators
 */
export const withActor: {
  (actor: Actor): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, CurrentActor>>
  <A, E, R>(self: Effect.Effect<A, E, R>, actor: Actor): Effect.Effect<A, E, Exclude<R, CurrentActor>>
} = ((...args: Array<unknown>) => {
  if (args.length === 1) {
    const actor = args[0] as Actor
    return <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.provideService(self, CurrentActor, actor)
  }
  return Effect.provideService(args[0] as Effect.Effect<unknown>, CurrentActor, args[1] as Actor)
}) as never

/**
 * The current actor.
 * @since 0.1.0
 * @category accessors
 */
export const current: Effect.Effect<Actor, never, CurrentActor> = CurrentActor

/**
 * Builds an actor from plain values (decoding and branding them).
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: {
  readonly tenantId: string
  readonly actorId: string
  readonly displayName: string
  readonly roles: ReadonlyArray<string>
  readonly traceId: string
  readonly source?: Source
}): Actor => Schema.decodeUnknownSync(Actor)(input)
