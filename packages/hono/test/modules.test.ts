// What the module list gives a host: a domain declared in one place gets its route, its OpenAPI
// operation and its facade method; every declared operation refuses an actor without its permission
// the same way over HTTP and through the facade, before anything is read, evaluated or written.
import { TreeHead } from "@airworthy/audit"
import { Actor, Workflow } from "@airworthy/core"
import { createQms, Qms, QmsModule, Rule } from "@airworthy/qms"
import { QmsRecord, Records, RecordType } from "@airworthy/records"
import { Query } from "@airworthy/storage"
import { Sqlite } from "@airworthy/storage/sqlite"
import { StaffDirectory, Tasks } from "@airworthy/tasks"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, FastCheck as fc, ManagedRuntime, Schema } from "effect"
import { Hono } from "hono"
import { QmsRuntime, qmsRoutes } from "../src/index.js"

// ------------------------------------------------------------------ a small extra domain, in one place

const occurrenceWorkflow = Workflow.unsafeMake({
  name: "occurrence",
  label: "Occurrence",
  states: { reported: { editable: ["title"] }, closed: {} },
  initial: "reported",
  terminal: ["closed"],
  transitions: [{ name: "close", from: "reported", to: "closed", permission: "occurrence.close" }]
})

const occurrenceType = RecordType.make({
  name: "occurrence",
  prefix: "OCC",
  schema: Schema.Struct({ title: Schema.NonEmptyTrimmedString }),
  workflow: occurrenceWorkflow,
  title: (d) => d.title
})

const report = QmsModule.operation({
  name: "report",
  operationId: "reportOccurrence",
  summary: "Report an occurrence",
  input: Schema.Struct({ title: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200)) }),
  output: QmsRecord.QmsRecord,
  access: QmsModule.permission("occurrence.report"),
  http: { method: "post", path: "/occurrences", status: 201 },
  run: ({ title }) => Records.create({ type: "occurrence", data: { title } })
})

const occurrences = QmsModule.make({
  name: "occurrences",
  recordTypes: [occurrenceType],
  permissions: {
    "occurrence.read": "See occurrences",
    "occurrence.create": "Record an occurrence",
    "occurrence.report": "Report an occurrence",
    "occurrence.close": "Close an occurrence"
  },
  grants: { technician: ["occurrence.read", "occurrence.create", "occurrence.report"] },
  rules: [
    Rule.make({
      name: "report_occurrence",
      recordType: "occurrence",
      on: Rule.created,
      reactions: [
        Rule.task({
          kind: "occurrence_report",
          title: (r) => `Report ${r.ref} to the authority`,
          assignee: Rule.role("quality_manager")
        })
      ]
    })
  ],
  operations: [report]
})

const modules = [...Qms.modules, occurrences] as const
const signingKey = TreeHead.generateKey()

/** `x-tenant`, `x-actor` and `x-roles` headers stand in for the host's session. */
const mount = (runtime: QmsRuntime.QmsRuntime, list: ReadonlyArray<QmsModule.Any>) => {
  const app = new Hono()
  app.route(
    "/qms",
    qmsRoutes({
      runtime,
      modules: list,
      rateLimit: false,
      authenticate: (c) => ({
        tenantId: c.req.header("x-tenant") ?? "",
        actorId: c.req.header("x-actor") ?? "",
        roles: (c.req.header("x-roles") ?? "").split(",").filter((r) => r !== "")
      })
    })
  )
  return app
}

const request = async (app: Hono, method: string, path: string, roles: string, body?: unknown) => {
  const res = await app.request(`http://localhost/qms${path}`, {
    method,
    headers: {
      "x-tenant": "amo-modules",
      "x-actor": "u-someone",
      "x-roles": roles,
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  const json = res.headers.get("content-type")?.includes("json") === true ? JSON.parse(text) : undefined
  return { status: res.status, json }
}

describe("a domain is one declared module", () => {
  it("gets its route, its OpenAPI operation, its facade method and its rules without touching any other file", async () => {
    const runtime = ManagedRuntime.make(
      QmsRuntime.layer({ database: Sqlite.layer({ filename: ":memory:" }), qms: { signingKey, modules } })
    )
    try {
      await runtime.runPromise(
        StaffDirectory.upsert({
          tenantId: "amo-modules",
          actorId: "u-quinn",
          displayName: "Quinn",
          email: "quinn@mro.example",
          roles: ["quality_manager"]
        })
      )
      const app = mount(runtime, modules)
      const created = await request(app, "POST", "/occurrences", "technician", { title: "Bird strike on approach" })
      assert.strictEqual(created.status, 201)
      assert.strictEqual(created.json.type, "occurrence")
      assert.match(created.json.ref, /^OCC-\d{4}-0001$/)
      // Stored, audited, and the module's rule gave the quality manager the report task.
      const read = await request(app, "GET", `/records/${created.json.id}`, "technician")
      assert.strictEqual(read.json.title, "Bird strike on approach")
      const trail = await request(app, "GET", `/audit-trail?recordType=occurrence&recordId=${created.json.id}`, "admin")
      assert.deepStrictEqual(
        trail.json.events.map((e: { action: string }) => e.action),
        ["occurrence.created"]
      )
      const tasks = await runtime.runPromise(
        Tasks.byRecord({ type: "occurrence", id: created.json.id }).pipe(
          Effect.provideService(
            Actor.CurrentActor,
            Actor.make({
              tenantId: "amo-modules",
              actorId: "u-quinn",
              displayName: "Quinn",
              roles: ["quality_manager"],
              traceId: "t-modules"
            })
          )
        )
      )
      assert.deepStrictEqual(
        tasks.map((t) => [t.kind, t.assigneeId, t.rule]),
        [["occurrence_report", "u-quinn", "report_occurrence"]]
      )
      // Without the module's permission: 403 naming it, nothing written.
      const refused = await request(app, "POST", "/occurrences", "viewer", { title: "Second" })
      assert.strictEqual(refused.status, 403)
      assert.strictEqual(refused.json.missing_permission, "occurrence.report")
      assert.match(refused.json.detail, /Report an occurrence/)
      // Bad input: 400 naming the field.
      const bad = await request(app, "POST", "/occurrences", "technician", { title: "" })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.json.issues[0].path, "title")
      // The OpenAPI operation, with its declared access.
      const doc = (await request(app, "GET", "/openapi.json", "")).json
      const op = doc.paths["/occurrences"].post
      assert.strictEqual(op.operationId, "reportOccurrence")
      assert.strictEqual(op["x-permission"], "occurrence.report")
      assert.property(op.responses, "201")
      assert.property(op.responses, "403")
      // The same app without the module: no such route.
      const without = mount(runtime, Qms.modules)
      assert.strictEqual((await request(without, "POST", "/occurrences", "technician", { title: "x" })).status, 404)
    } finally {
      await runtime.dispose()
    }
    // The facade method, typed from the module.
    const qms = await createQms({ database: { sqlite: ":memory:" }, modules })
    try {
      const tess = { tenantId: "amo-1", actorId: "u-tess", roles: ["technician"] }
      const occurrence = await qms.occurrences.report({ title: "Tool left in engine cowling" }, { actor: tess })
      assert.strictEqual(occurrence.type, "occurrence")
      const refused = await qms.occurrences.report({ title: "x" }, { actor: { ...tess, roles: ["viewer"] } }).then(
        () => undefined,
        (e: { _tag: string; missing_permission: string }) => e
      )
      assert.strictEqual(refused?._tag, "Forbidden")
      assert.strictEqual(refused?.missing_permission, "occurrence.report")
    } finally {
      await qms.dispose()
    }
  })
})

// ------------------------------------------------------------------ the role × operation refusals

type Op = QmsModule.AnyOperation

const permissionOps: ReadonlyArray<readonly [string, Op, string]> = Qms.modules.flatMap((m) =>
  m.operations.flatMap((op: Op) =>
    op.access._tag === "permission" ? [[m.name, op, op.access.permission] as const] : []
  )
)

/** A role holding every permission but one. */
const allBut = (p: string) => `all_but:${p}`
const policy = {
  roles: Object.fromEntries(permissionOps.map(([, , p]) => [allBut(p), ["*"]])),
  revoke: Object.fromEntries(permissionOps.map(([, , p]) => [allBut(p), [p]]))
}

/** A valid input of the operation, in wire form. */
const sampleInput = (op: Op, seed: number): Record<string, unknown> => {
  const value = fc.sample(Arbitrary.make(op.input), { seed, numRuns: 1 })[0]
  return Schema.encodeSync(op.input)(value) as Record<string, unknown>
}

describe("every operation authorises alike over HTTP and through the facade", () => {
  it("refuses an actor without the operation's permission with 403 missing_permission, before anything else", async () => {
    assert.isAbove(permissionOps.length, 15)
    const qms = await createQms({ database: { sqlite: ":memory:" }, policy })
    const runtime = ManagedRuntime.make(
      QmsRuntime.layer({ database: Sqlite.layer({ filename: ":memory:" }), qms: { signingKey, policy } })
    )
    try {
      const app = mount(runtime, Qms.modules)
      let seed = 1
      for (const [moduleName, op, permission] of permissionOps) {
        const input = sampleInput(op, seed++)
        const names = [...op.http.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] ?? "")
        const path = op.http.path.replace(/:([A-Za-z_]+)/g, (_, n: string) => encodeURIComponent(String(input[n])))
        const body = Object.fromEntries(Object.entries(input).filter(([k]) => !names.includes(k)))
        const http = await request(
          app,
          op.http.method.toUpperCase(),
          path,
          allBut(permission),
          op.http.method === "get" ? undefined : body
        )
        assert.strictEqual(http.status, 403, `${op.operationId}: ${JSON.stringify(http.json)}`)
        assert.strictEqual(http.json.missing_permission, permission, op.operationId)
        const facade = (qms as unknown as Record<string, Record<string, (i: unknown, c: unknown) => Promise<unknown>>>)[
          moduleName
        ]![op.name]!
        const refused = await facade(input, {
          actor: { tenantId: "amo-modules", actorId: "u-someone", roles: [allBut(permission)] }
        }).then(
          () => undefined,
          (e: { _tag: string; missing_permission?: string }) => e
        )
        assert.strictEqual(refused?._tag, "Forbidden", `facade ${moduleName}.${op.name}`)
        assert.strictEqual(refused?.missing_permission, permission, `facade ${moduleName}.${op.name}`)
      }
      // Nothing was written by any refused call, over HTTP or the facade.
      const events = (database: typeof qms.runtime | typeof runtime) =>
        database.runPromise(Query.unsafe<{ n: number }>("SELECT count(*) AS n FROM aw_audit_events", []))
      assert.strictEqual(Number((await events(runtime))[0]?.n), 0)
      assert.strictEqual(Number((await events(qms.runtime))[0]?.n), 0)
      // The facade's audit-trail verify is authorised like the route.
      assert.include(
        permissionOps.map(([m, op]) => `${m}.${op.name}`),
        "auditTrail.verify"
      )
    } finally {
      await qms.dispose()
      await runtime.dispose()
    }
  })

  it("a technician calling close gets 403 before any guard is evaluated", async () => {
    const qms = await createQms({ database: { sqlite: ":memory:" } })
    try {
      const quinn = { tenantId: "amo-1", actorId: "u-quinn", roles: ["quality_manager"] }
      await qms.staff.upsert({
        tenantId: "amo-1",
        actorId: "u-olive",
        displayName: "Olive",
        email: "olive@mro.example",
        roles: ["capa_owner"]
      })
      const finding = await qms.findings.raise(
        { title: "Expired sealant", level: "2", requirement: "145.A.42", ownerId: "u-olive" },
        { actor: quinn }
      )
      const refused = await qms.findings
        .close({ id: finding.id }, { actor: { ...quinn, actorId: "u-tess", roles: ["technician"] } })
        .then(
          () => undefined,
          (e: { _tag: string; status: number; missing_permission?: string }) => e
        )
      assert.strictEqual(refused?._tag, "Forbidden")
      assert.strictEqual(refused?.status, 403)
      assert.strictEqual(refused?.missing_permission, "finding.close")
      // The quality manager, who may close, is told what is missing instead.
      const unmet = await qms.findings.close({ id: finding.id }, { actor: quinn }).then(
        () => undefined,
        (e: { _tag: string }) => e
      )
      assert.strictEqual(unmet?._tag, "GuardsFailed")
    } finally {
      await qms.dispose()
    }
  })
})
