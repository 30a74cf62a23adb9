/**
 * The calibration register: calibrated items, calibration events, due lists, the tool store port and
 * the tool control port.
 * @since 0.1.0
 */
export * from "./actions.js"
export * from "./Calibration.js"
export * from "./module.js"
export * from "./queries.js"
export * from "./rules.js"
export * as ToolStore from "./ToolStore.js"
