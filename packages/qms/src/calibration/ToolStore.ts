/**
 * The host's tool store, as the calibration register asks it: which tools and equipment it holds (to
 * import them into the register) and which work orders a tool was issued to in a period (the impact
 * assessment of an out-of-tolerance result). The host implements it over its own tables and gives it
 * to `Qms.layer({ toolStore })`; without it, items are registered directly and an impact assessment
 * says the host could not be asked.
 *
 * ```ts
 * const toolStore = ToolStore.layer({
 *   tools: (tenantId) => db.tools(tenantId),                                 // HostTool[]
 *   usage: (tenantId, toolId, since, until) => db.issues(toolId, since, until) // ToolUse[]
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"

/**
 * One tool or piece of equipment as the host's store knows it.
 * @since 0.1.0
 * @category models
 */
export interface HostTool {
  readonly toolId: string
  readonly description: string
  readonly partNumber?: string | undefined
  readonly serialNumber?: string | undefined
  readonly location?: string | undefined
  readonly owner?: string | undefined
  /** The register's item class (default `general`). */
  readonly itemClass?: string | undefined
  /** The calibration due date the host has on file (`2026-05-01` or ISO date-time). */
  readonly calibrationDue?: string | undefined
  readonly lastCalibratedAt?: string | undefined
}

/**
 * One issue of a tool to a work order.
 * @since 0.1.0
 * @category models
 */
export interface ToolUse {
  readonly workOrder: string
  /** ISO-8601. */
  readonly issuedAt: string
  readonly issuedTo?: string | undefined
}

/**
 * The port.
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly tools: (tenantId: string) => Effect.Effect<ReadonlyArray<HostTool>>
  /** Issues of `toolId` between `since` and `until` (ISO-8601, inclusive). */
  readonly usage: (
    tenantId: string,
    toolId: string,
    since: string,
    until: string
  ) => Effect.Effect<ReadonlyArray<ToolUse>>
}

/**
 * The tool store tag.
 * @since 0.1.0
 * @category tags
 */
export class ToolStore extends Context.Tag("@airworthy/qms/ToolStore")<ToolStore, Service>() {}

/**
 * The port from Effects.
 * @since 0.1.0
 * @category layers
 */
export const layer = (service: Service): Layer.Layer<ToolStore> => Layer.succeed(ToolStore, service)

/**
 * The port from Promise-returning functions (a host without Effect). A rejection is a defect: the
 * command fails with 500 and nothing is written.
 * @since 0.1.0
 * @category layers
 */
export const fromPromises = (service: {
  readonly tools: (tenantId: string) => PromiseLike<ReadonlyArray<HostTool>> | ReadonlyArray<HostTool>
  readonly usage: (
    tenantId: string,
    toolId: string,
    since: string,
    until: string
  ) => PromiseLike<ReadonlyArray<ToolUse>> | ReadonlyArray<ToolUse>
}): Layer.Layer<ToolStore> =>
  layer({
    tools: (tenantId) => Effect.promise(async () => service.tools(tenantId)),
    usage: (tenantId, toolId, since, until) => Effect.promise(async () => service.usage(tenantId, toolId, since, until))
  })

/**
 * The port when the host configured one.
 * @since 0.1.0
 * @category accessors
 */
export const optional = Effect.serviceOption(ToolStore)
