// The abstract commands a run is made of, and how fast-check generates them.
import { FastCheck as fc } from "effect"
import { pickFrom } from "./lists.js"

export type Kind =
  | "create"
  | "update"
  | "assign"
  | "transition"
  | "attach"
  | "verify"
  | "approve"
  | "sign"
  | "comment"
  | "link"
  | "target"
  | "fulfil"

/** One abstract command; it is read against the state of the run when it executes. */
export interface Command {
  readonly kind: Kind
  /** Which record of the run. */
  readonly on: number
  /** Which transition, path, kind, target... */
  readonly pick: number
  /** Which actor. */
  readonly who: number
  /** Below 7: an actor holding the permission (else anyone). */
  readonly holder: number
  /** Below 7: the command's requirements are given properly (else something is wrong or missing). */
  readonly properly: number
  /** Seed of generated data values. */
  readonly seed: number
}

/** Commands of the kinds the definition gives weight to (see `analyse`). */
export const commandArbitrary = (weights: ReadonlyArray<readonly [Kind, number]>): fc.Arbitrary<Command> =>
  fc.record({
    kind: fc.oneof(...weights.map(([kind, weight]) => ({ arbitrary: fc.constant(kind), weight }))),
    on: fc.nat(7),
    pick: fc.nat(99),
    who: fc.nat(99),
    holder: fc.nat(9),
    properly: fc.nat(9),
    seed: fc.nat(9999)
  })

/**
 * Mostly a step that needs no reason (rejections and cancellations need one and end runs early),
 * sometimes any step out of the state, sometimes any transition of the workflow (mostly invalid there).
 */
export const pickTransition = <T extends { readonly reasonRequired: boolean }>(
  pick: number,
  leaving: ReadonlyArray<T>,
  all: ReadonlyArray<T>
): T => {
  const onward = leaving.filter((t) => !t.reasonRequired)
  const n = Math.floor(pick / 5)
  if (leaving.length === 0 || pick % 5 === 4) return pickFrom(all, pick)
  if (pick % 5 === 3 || onward.length === 0) return pickFrom(leaving, n)
  return pickFrom(onward, n)
}

/** The command is given by an actor holding its permission. */
export const entitled = (c: Command) => c.holder < 7
/** The command's requirements are given properly. */
export const proper = (c: Command) => c.properly < 7
