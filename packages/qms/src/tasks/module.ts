/**
 * The tasks module: the actor's own tasks, a record's tasks, and open tasks of a queue counted by
 * age (SLA buckets).
 *
 * @since 0.1.0
 */
import { Errors } from "@airworthy/core"
import { Records } from "@airworthy/records"
import { Task, Tasks } from "@airworthy/tasks"
import { Effect, Schema } from "effect"
import { ById, CommaDays } from "../internal/support.js"
import * as QmsModule from "../QmsModule.js"

const mine = QmsModule.operation({
  name: "mine",
  operationId: "myTasks",
  summary: "The actor's tasks",
  input: Schema.Struct({ includeClosed: Schema.optionalWith(Schema.Boolean, { exact: true }) }),
  output: Schema.Array(Task.Task),
  access: QmsModule.permission("task.read"),
  http: {
    method: "get",
    path: "/tasks/mine",
    query: Schema.Struct({
      includeClosed: Schema.optionalWith(
        Schema.transform(Schema.Literal("true", "false"), Schema.Boolean, {
          strict: true,
          decode: (s) => s === "true",
          encode: (b) => (b ? "true" : "false")
        }),
        { exact: true }
      )
    })
  },
  run: ({ includeClosed }) => Tasks.mine({ includeClosed: includeClosed === true })
})

const forRecord = QmsModule.operation({
  name: "forRecord",
  operationId: "recordTasks",
  summary: "Tasks linked to a record",
  input: ById,
  output: Schema.Array(Task.Task),
  access: QmsModule.recordPermission("read"),
  errors: [Errors.NotFound],
  http: { method: "get", path: "/records/:id/tasks" },
  run: ({ id }) => Effect.flatMap(Records.get(id), (record) => Tasks.byRecord({ type: record.type, id: record.id }))
})

const Bucket = Schema.Struct({
  label: Schema.String,
  fromDays: Schema.Number,
  toDays: Schema.NullOr(Schema.Number),
  count: Schema.Number
})

const SlaInput = Schema.Struct({
  kind: Schema.optionalWith(Schema.String, { exact: true }),
  assigneeId: Schema.optionalWith(Schema.String, { exact: true }),
  recordType: Schema.optionalWith(Schema.String, { exact: true }),
  /** Increasing upper bounds in whole days (at most 20, each at most 36,500). */
  buckets: Schema.optionalWith(Schema.Array(Schema.Int.pipe(Schema.between(0, 36_500))).pipe(Schema.maxItems(20)), {
    exact: true
  })
})

const sla = QmsModule.operation({
  name: "slaBuckets",
  operationId: "slaBuckets",
  summary: "Open tasks of one queue (kind, assigneeId or recordType) counted by age",
  input: SlaInput,
  output: Schema.Array(Bucket),
  access: QmsModule.permission("task.read"),
  http: {
    method: "get",
    path: "/tasks/sla-buckets",
    query: Schema.Struct({ ...SlaInput.fields, buckets: Schema.optionalWith(CommaDays, { exact: true }) })
  },
  run: (query) =>
    Effect.gen(function* () {
      const queue: Task.Queue | undefined =
        query.kind !== undefined
          ? { kind: query.kind }
          : query.assigneeId !== undefined
            ? { assigneeId: query.assigneeId }
            : query.recordType !== undefined
              ? { recordType: query.recordType }
              : undefined
      if (queue === undefined) {
        return yield* new Errors.ValidationFailed({
          issues: [{ path: "kind", message: "give one of kind, assigneeId or recordType" }]
        })
      }
      return yield* Tasks.slaBuckets(query.buckets === undefined ? { queue } : { queue, buckets: query.buckets })
    })
})

const operations: readonly [typeof mine, typeof forRecord, typeof sla] = [mine, forRecord, sla]

/**
 * The tasks module.
 * @since 0.1.0
 * @category modules
 */
export const module: QmsModule.QmsModule<"tasks", typeof operations> = QmsModule.make({
  name: "tasks",
  label: "Tasks",
  operations
})
