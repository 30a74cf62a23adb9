// The runtime's failures told in words for the transcript, and compared with the workflow step's.
import type { Errors } from "@airworthy/core"
import { isObject } from "./recordData.js"

export const short = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

export const describeError = (error: unknown): string => {
  if (!isObject(error)) return short(String(error))
  const tag = typeof error._tag === "string" ? error._tag : "Error"
  switch (tag) {
    case "Forbidden":
      return `Forbidden (missing ${String(error.missing_permission)})`
    case "GuardsFailed":
      return `GuardsFailed (${(error as unknown as Errors.GuardsFailed).unmet.map((u) => u.message).join("; ")})`
    case "ValidationFailed":
      return short(
        `ValidationFailed (${(error as unknown as Errors.ValidationFailed).issues.map((i) => `${i.path}: ${i.message}`).join("; ")})`
      )
    case "InvalidTransition":
      return `InvalidTransition (no '${String(error.transition)}' from '${String(error.state)}')`
    default:
      return short(`${tag}${error instanceof Error ? ` (${error.message})` : ""}`)
  }
}

/** A comparable key of a step's failure: its tag and what exactly failed. */
export const failureKey = (error: unknown): string => {
  if (!isObject(error)) return String(error)
  switch (error._tag) {
    case "Forbidden":
      return `Forbidden:${String(error.missing_permission)}`
    case "GuardsFailed":
      return `GuardsFailed:${(error as unknown as Errors.GuardsFailed).unmet.map((u) => `${u.guard}/${u.code}`).join(",")}`
    case "ValidationFailed":
      return `ValidationFailed:${(error as unknown as Errors.ValidationFailed).issues.map((i) => i.path).join(",")}`
    default:
      return String(error._tag)
  }
}

/** The failures the workflow step itself can decide on. */
export const stepErrors = new Set(["InvalidTransition", "Forbidden", "ValidationFailed", "GuardsFailed"])
