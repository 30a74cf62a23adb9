// The Schemas of a request's fields other than its template parameters, shared by `enqueue` and
// `prepareMany`.
import { Schema } from "effect"
import * as Template from "../Template.js"

export const Recipients = Schema.Array(Template.Recipient).pipe(
  Schema.minItems(1, { message: () => "at least one recipient is required" })
)

export const NotBefore = Schema.String.pipe(
  Schema.filter((s) => !Number.isNaN(Date.parse(s)), { message: () => "must be an ISO-8601 date-time" })
)
