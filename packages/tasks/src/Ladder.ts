/**
 * The escalation ladder, as data: reminders before the due date, the due date itself, and
 * escalations after it, each naming who is told and which escalation level the task reaches.
 *
 * ```ts
 * const ladder = Ladder.make([
 *   { name: "reminder_48h", kind: "reminder", offsetHours: -48, to: ["assignee"], level: 0 },
 *   { name: "due", kind: "due", offsetHours: 0, to: ["owner"], level: 1 },
 *   { name: "quality_manager", kind: "escalation", offsetHours: 7 * 24, to: [{ role: "quality_manager" }], level: 3 }
 * ])
 * ```
 *
 * A task's steps are computed when it is created, and stored as rows of `aw_task_escalations`;
 * changing a ladder changes the steps of tasks created afterwards. `Tasks.update` re-plans the steps
 * not performed yet when the due date moves.
 *
 * @since 0.1.0
 */
import { hour } from "./internal/tables.js"

/**
 * Who a step tells: the task's assignee, its owner, the owner's supervisor (from the `Directory`),
 * or everyone with a role.
 * @since 0.1.0
 * @category models
 */
export type Recipient = "assignee" | "owner" | "owner_supervisor" | { readonly role: string }

/**
 * One rung of the ladder, `offsetHours` relative to the task's due date (negative: before it).
 * @since 0.1.0
 * @category models
 */
export interface Step {
  /** Lower-case words, e.g. `reminder_48h`; appears in audit events and notifications. */
  readonly name: string
  readonly kind: "reminder" | "due" | "escalation"
  readonly offsetHours: number
  readonly to: ReadonlyArray<Recipient>
  /** The task's escalation level once the step is performed (reminders usually leave it at 0). */
  readonly level: number
}

/**
 * A ladder: steps in time order.
 * @since 0.1.0
 * @category models
 */
export type Ladder = ReadonlyArray<Step>

/**
 * Reminders 48 h and 24 h before due to the assignee; at due the owner (level 1); 2 days overdue the
 * owner's supervisor (level 2); 7 days overdue the quality manager (level 3).
 * @since 0.1.0
 * @category constants
 */
export const defaults: Ladder = [
  { name: "reminder_48h", kind: "reminder", offsetHours: -48, to: ["assignee"], level: 0 },
  { name: "reminder_24h", kind: "reminder", offsetHours: -24, to: ["assignee"], level: 0 },
  { name: "due", kind: "due", offsetHours: 0, to: ["owner", "assignee"], level: 1 },
  { name: "supervisor", kind: "escalation", offsetHours: 48, to: ["owner_supervisor"], level: 2 },
  { name: "quality_manager", kind: "escalation", offsetHours: 7 * 24, to: [{ role: "quality_manager" }], level: 3 }
]

const namePattern = /^[a-z][a-z0-9_]*$/

/**
 * Checks a ladder: names, strictly increasing offsets, levels that never go down.
 * @since 0.1.0
 * @category constructors
 */
export const make = (steps: Ladder): Ladder => {
  let previous: Step | undefined
  for (const s of steps) {
    if (!namePattern.test(s.name))
      throw new Error(`Ladder step "${s.name}" must be lower-case words, e.g. reminder_48h`)
    if (s.to.length === 0) throw new Error(`Ladder step "${s.name}" tells nobody`)
    if (!Number.isFinite(s.offsetHours)) throw new Error(`Ladder step "${s.name}" needs a finite offset`)
    if (previous !== undefined && s.offsetHours <= previous.offsetHours)
      throw new Error(`Ladder step "${s.name}" must come after "${previous.name}" (offsets strictly increase)`)
    if (previous !== undefined && s.level < previous.level)
      throw new Error(`Ladder step "${s.name}" lowers the escalation level`)
    previous = s
  }
  return steps
}

/**
 * One step of one task, with its instant.
 * @since 0.1.0
 * @category models
 */
export interface Planned {
  readonly index: number
  readonly step: Step
  readonly dueAtMillis: number
}

/**
 * The steps a task gets: every step of the ladder at due + offset, except reminders that would fall
 * before the task was created (a task due in 24 h gets no 48 h reminder).
 * @since 0.1.0
 * @category utils
 */
export const plan = (ladder: Ladder, createdAtMillis: number, dueAtMillis: number): ReadonlyArray<Planned> =>
  ladder.flatMap((step, index) => {
    const at = dueAtMillis + step.offsetHours * hour
    return step.kind === "reminder" && at < createdAtMillis ? [] : [{ index, step, dueAtMillis: at }]
  })
