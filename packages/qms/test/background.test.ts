// Background work a host without Effect turns on in `createQms`: audit checkpoints signed on a
// schedule, and the task sweeper performing the ladders' reminders and escalations.
import { assert, it } from "@effect/vitest"
import { createQms } from "../src/index.js"

const quinn = { tenantId: "mro-background", actorId: "u-quinn", roles: ["quality_manager"] }
const olive = { tenantId: "mro-background", actorId: "u-olive", roles: ["capa_owner"] }

/** Polls until `done` holds (no timing asserted); gives up after 20 s and returns the last value. */
const eventually = async <A>(read: () => Promise<A>, done: (a: A) => boolean): Promise<A> => {
  let value = await read()
  for (let i = 0; i < 200 && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    value = await read()
  }
  return value
}

it("signs a checkpoint covering the new events, in the background, and verify checks it", async () => {
  const qms = await createQms({ database: { sqlite: ":memory:" }, checkpoints: { everyMillis: 1000 } })
  try {
    await qms.staff.upsert({ ...quinn, displayName: "Quinn", email: "quinn@mro.example" })
    await qms.findings.raise(
      { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-quinn" },
      { actor: quinn }
    )
    const verified = await eventually(
      () => qms.auditTrail.verify({}, { actor: quinn }),
      (v) => !v.ok || v.checkpoints > 0
    )
    const events = (await qms.auditTrail.query({}, { actor: quinn })).events.length
    assert.deepStrictEqual(verified, { ok: true, events, checkpoints: 1 })
  } finally {
    await qms.dispose()
  }
})

it("sweeps the tasks' ladders: a step that has come due is performed and sent to the assignee", async () => {
  const qms = await createQms({
    database: { sqlite: ":memory:" },
    // One step long before any due date, so it is due as soon as the task exists (a reminder that
    // early would not be planned at all).
    tasks: {
      ladder: [{ name: "early_notice", kind: "escalation", offsetHours: -100_000, to: ["assignee"], level: 1 }]
    },
    sweeper: { intervalMillis: 200 }
  })
  try {
    await qms.staff.upsert(
      { ...quinn, displayName: "Quinn", email: "quinn@mro.example" },
      { ...olive, displayName: "Olive", email: "olive@mro.example" }
    )
    const finding = await qms.findings.raise(
      { title: "Torque wrench overdue", level: "2", requirement: "145.A.40", ownerId: "u-olive" },
      { actor: quinn }
    )
    const [task] = await qms.tasks.forRecord({ id: finding.id }, { actor: quinn })
    assert.strictEqual(task?.assigneeId, "u-olive")
    const sent = await eventually(
      () => qms.notifications.forTask({ id: task?.id ?? "" }, { actor: quinn }),
      (entries) => entries.length > 0
    )
    assert.deepStrictEqual(
      sent.map((e) => e.recipient),
      ["olive@mro.example"]
    )
    const performed = await qms.auditTrail.query({ action: "task.*" }, { actor: quinn })
    assert.include(
      performed.events.map((e) => e.action),
      "task.escalated"
    )
  } finally {
    await qms.dispose()
  }
})
