/**
 * @airworthy/tasks — tasks with due-date policies, SLA buckets and an escalation ladder performed
 * exactly once by a durable sweeper.
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as DuePolicy from "./DuePolicy.js"
/** @since 0.1.0 */
export * as Ladder from "./Ladder.js"
/** @since 0.1.0 */
export * as StaffDirectory from "./StaffDirectory.js"
/** @since 0.1.0 */
export * as Sweeper from "./Sweeper.js"
/** @since 0.1.0 */
export * as Task from "./Task.js"
/** @since 0.1.0 */
export * as TaskNotifier from "./TaskNotifier.js"
/** @since 0.1.0 */
export * as Tasks from "./Tasks.js"
/** @since 0.1.0 */
export * as TasksMigrations from "./TasksMigrations.js"
