// End to end over HTTP: the MRO app on a real server, demo users log in, and an audit → finding →
// CAPA → closure runs through /qms while an SSE client on /qms/events watches every event in order.
// A second app, on its own database, runs the background dispatcher as `pnpm start` does: an email the
// QMS queues in its outbox must reach the capture transport and show as sent in the email log.
import type { AddressInfo } from "node:net"
import { AuditLog } from "@airworthy/audit"
import type { Transport } from "@airworthy/notify"
import { TestDatabase } from "@airworthy/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type ServerType, serve } from "@hono/node-server"
import { EventSource } from "eventsource"
import { type AppOptions, type MroApp, makeApp } from "../src/app.js"
import { demoStaff } from "../src/db.js"

interface Reply {
  readonly status: number
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies loosely.
  readonly json: any
  readonly text: string
}

const sha = (n: number) => n.toString(16).padStart(64, "0")

/** One request to the server at `base` as `who` (a demo user's bearer token; `""`: none). */
const request = async (
  base: string,
  tokens: Readonly<Record<string, string>>,
  method: string,
  path: string,
  who: string,
  body?: unknown
): Promise<Reply> => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(who === "" ? {} : { authorization: `Bearer ${tokens[who]}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" })
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await res.text()
  return { status: res.status, text, json: text === "" ? undefined : JSON.parse(text) }
}

const targets = await TestDatabase.targets({ sqliteFile: false })
// The reference server turns row-level security on for PostgreSQL: run it as the application would,
// as a role that is not a superuser (a superuser bypasses row-level security).
const rowLevelSecurity: TestDatabase.Target = {
  name: "postgres-rls",
  dialect: "pg",
  layer: TestDatabase.postgresRowLevelSecurity,
  skip: targets.find((t) => t.dialect === "pg")?.skip ?? true
}

for (const target of [...targets, rowLevelSecurity]) {
  describe.skipIf(target.skip)(`mro-server on ${target.name}`, () => {
    let mro: MroApp
    let server: ServerType
    let base: string
    const tokens: Record<string, string> = {}

    const call = (method: string, path: string, who: string, body?: unknown) =>
      request(base, tokens, method, path, who, body)
    const get = (path: string, who: string) => call("GET", path, who)
    /** A write that must succeed. */
    const post = async (path: string, who: string, body: unknown = {}, method = "POST") => {
      const r = await call(method, path, who, body)
      assert.isTrue(r.status >= 200 && r.status < 300, `${method} ${path} as ${who}: ${r.status} ${r.text}`)
      return r.json
    }

    beforeAll(async () => {
      mro = await makeApp({
        database: target.layer as AppOptions["database"],
        secret: "test-secret-0123456789abcdef0123456789"
      })
      await new Promise<void>((resolve) => {
        server = serve({ fetch: mro.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
          base = `http://127.0.0.1:${info.port}`
          resolve()
        })
      })
    })
    afterAll(async () => {
      await new Promise((r) => server.close(r))
      await mro.dispose()
    })

    it("login, the MRO's own routes, and 401s without a valid token", async () => {
      const bad = await call("POST", "/login", "", { email: "quinn@skyline-mro.example", pin: "0000" })
      assert.strictEqual(bad.status, 401)
      for (const s of demoStaff) {
        const r = await call("POST", "/login", "", { email: s.email, pin: s.pin })
        assert.strictEqual(r.status, 200, r.text)
        assert.deepStrictEqual(r.json.staff.roles, [...s.roles])
        tokens[s.id] = r.json.token
      }
      const aircraft = await get("/aircraft", "s-olive")
      assert.deepStrictEqual(
        aircraft.json.map((a: { registration: string }) => a.registration),
        ["G-SKYA", "G-SKYB", "G-SKYC"]
      )
      assert.strictEqual((await get("/work-orders", "s-olive")).json.length, 3)
      const tools = await get("/tools", "s-olive")
      assert.deepStrictEqual(
        tools.json
          .filter((t: { calibrationOverdue: boolean }) => t.calibrationOverdue)
          .map((t: { tool_id: string }) => t.tool_id),
        ["TW-114"]
      )
      assert.strictEqual((await get("/tools", "")).status, 401)
      assert.strictEqual((await get("/qms/records", "")).status, 401)
      tokens.forged = `${tokens["s-quinn"]?.slice(0, -4)}AAAA`
      assert.strictEqual((await get("/qms/records", "forged")).status, 401)
      assert.strictEqual((await get("/qms/records", "s-quinn")).status, 200)
    })

    it("audit → finding → CAPA → closure over /qms, watched in order over SSE; the audit trail verifies", async () => {
      // The quality manager's dashboard: an SSE stream with the bearer token, replaying from the start.
      const received: Array<{ id: string; sequence: number; action: string; recordType: string }> = []
      const waiters: Array<() => void> = []
      const es = new EventSource(`${base}/qms/events?lastEventId=${AuditLog.cursorAfter(0)}`, {
        fetch: (input, init) =>
          fetch(input, {
            ...init,
            headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${tokens["s-quinn"]}` }
          })
      })
      es.addEventListener("audit", (e) => {
        const data = JSON.parse(e.data) as { sequence: number; action: string; record: { type: string } }
        received.push({ id: e.lastEventId, sequence: data.sequence, action: data.action, recordType: data.record.type })
        for (const w of waiters.splice(0)) w()
      })
      const resets: Array<string> = []
      es.addEventListener("reset", (e) => resets.push(e.data))
      const until = async (check: () => boolean) => {
        while (!check()) await new Promise<void>((resolve) => waiters.push(resolve))
      }

      // Programme and audit: the supervisor Sam is responsible for tool control; Avery audits it.
      const area = await post("/qms/programme/areas", "s-quinn", {
        name: "Tool control",
        scope: "145.A.40",
        responsibleIds: ["s-sam"]
      })
      const audit = await post("/qms/audits", "s-quinn", {
        areaId: area.id,
        leadAuditorId: "s-avery",
        plannedAt: "2026-03-10",
        checklist: [{ item: "Tools calibrated and labelled", requirement: "145.A.40" }]
      })
      const samAudits = await call("POST", "/qms/audits", "s-quinn", {
        areaId: area.id,
        leadAuditorId: "s-sam",
        plannedAt: "2026-03-10"
      })
      assert.strictEqual(samAudits.status, 422, samAudits.text) // not independent
      await post(`/qms/records/${audit.id}/transitions/start`, "s-avery")
      await post(`/qms/audits/${audit.id}/actions/record-checklist`, "s-avery", {
        checklist: [
          { item: "Tools calibrated and labelled", requirement: "145.A.40", result: "finding", note: "TW-114 overdue" }
        ]
      })
      await post(`/qms/records/${audit.id}/transitions/report`, "s-avery")

      // The finding, owned by technician Olive; a technician may not raise one.
      const finding = {
        title: "Torque wrench TW-114 used past its calibration date",
        level: "2",
        requirement: "145.A.40",
        description: "Used on WO-5521 (G-SKYA)",
        ownerId: "s-olive",
        auditId: audit.id
      }
      assert.strictEqual((await call("POST", "/qms/findings", "s-tariq", finding)).status, 403)
      const f = await post("/qms/findings", "s-avery", finding)
      const early = await call("POST", `/qms/findings/${f.id}/actions/close`, "s-avery")
      assert.strictEqual(early.status, 422, early.text)

      // CAPA: raised in one click, planned by Olive, approved (signed) by the accountable manager.
      const { capa } = await post(`/qms/findings/${f.id}/actions/raise-capa`, "s-quinn")
      assert.strictEqual(capa.ownerId, "s-olive")
      await post(
        `/qms/records/${capa.id}`,
        "s-olive",
        { data: { rootCause: { method: "5-why", text: "Calibration recall list not checked at tool issue" } } },
        "PATCH"
      )
      await post(`/qms/records/${capa.id}/transitions/plan_actions`, "s-olive")
      await post(
        `/qms/records/${capa.id}`,
        "s-olive",
        {
          data: {
            actions: [
              {
                kind: "corrective",
                text: "Quarantine and recalibrate TW-114",
                ownerId: "s-tariq",
                dueAt: "2026-03-20"
              },
              { kind: "preventive", text: "Tool store blocks overdue tools", ownerId: "s-olive", dueAt: "2026-05-01" }
            ],
            effectiveness: { plannedAt: "2026-08-01" }
          }
        },
        "PATCH"
      )
      // The approval is signed with Morgan's own PIN re-entered: a wrong PIN (another person's too),
      // none at all, or a 100 KB one is refused, and nothing is written.
      const unsigned = (await get(`/qms/records/${capa.id}`, "s-quinn")).json
      const historyBefore = (await get(`/qms/records/${capa.id}/history`, "s-quinn")).json.length
      for (const [credential, statuses] of [
        ["0000", [401]],
        ["1111", [401]],
        [undefined, [401]],
        ["6".repeat(100_000), [400, 413]]
      ] as const) {
        const refused = await call("POST", `/qms/records/${capa.id}/transitions/approve_plan`, "s-morgan", {
          signature: { meaning: "approved", ...(credential === undefined ? {} : { credential }) }
        })
        assert.include(statuses, refused.status, refused.text)
        assert.strictEqual(refused.json.status, refused.status)
      }
      const still = (await get(`/qms/records/${capa.id}`, "s-quinn")).json
      assert.strictEqual(still.version, unsigned.version)
      assert.strictEqual(still.state, "action_plan")
      assert.strictEqual((await get(`/qms/records/${capa.id}/history`, "s-quinn")).json.length, historyBefore)
      await post(`/qms/records/${capa.id}/transitions/approve_plan`, "s-morgan", {
        signature: { meaning: "approved", credential: "6666" }
      })
      const approved = (await get(`/qms/records/${capa.id}/history`, "s-quinn")).json.at(-1)
      assert.strictEqual(approved.transition, "approve_plan")
      assert.strictEqual(approved.actorId, "s-morgan")
      assert.strictEqual(approved.detail.meaning, "approved")
      await post(`/qms/records/${capa.id}/transitions/complete_implementation`, "s-olive")
      await post(`/qms/capas/${capa.id}/actions/record-effectiveness`, "s-quinn", { result: "effective" })
      const closedCapa = await post(`/qms/records/${capa.id}/transitions/close`, "s-quinn")
      assert.strictEqual(closedCapa.state, "closed")

      // The finding: response, acceptance, evidence, independent verification, closure.
      await post(`/qms/records/${f.id}`, "s-olive", { data: { response: `See ${capa.ref}` } }, "PATCH")
      await post(`/qms/records/${f.id}/transitions/submit_response`, "s-olive")
      await post(`/qms/records/${f.id}/transitions/accept_response`, "s-avery")
      await post(`/qms/records/${f.id}/transitions/submit_for_verification`, "s-olive")
      await post(`/qms/findings/${f.id}/actions/attach-evidence`, "s-olive", {
        name: "TW-114-calibration-certificate.pdf",
        mediaType: "application/pdf",
        size: 1234,
        sha256: sha(1)
      })
      await post(`/qms/findings/${f.id}/actions/record-verification`, "s-avery", { note: "Certificate seen" })
      const closed = await post(`/qms/findings/${f.id}/actions/close`, "s-avery")
      assert.strictEqual(closed.state, "closed")
      await post(`/qms/records/${audit.id}/transitions/close`, "s-quinn")

      // The Directory port is the MRO's staff table: Olive's tasks and emails use her MRO address.
      const timeline = await get(`/qms/findings/${f.id}/timeline`, "s-quinn")
      assert.include(timeline.text, "olive@skyline-mro.example")
      const oliveTasks = await get("/qms/tasks/mine?includeClosed=true", "s-olive")
      assert.isAbove(oliveTasks.json.length, 0, oliveTasks.text)

      // Everything in the audit trail reached the SSE client, once each and in order.
      const trail = await get("/qms/audit-trail?order=asc&limit=1000", "s-quinn")
      const events = trail.json.events as Array<{ sequence: number; action: string }>
      const last = events.at(-1)?.sequence ?? -1
      await until(() => received.some((r) => r.sequence === last))
      es.close()
      assert.deepStrictEqual(resets, [])
      assert.deepStrictEqual(
        received.map((r) => r.sequence),
        events.map((e) => e.sequence)
      )
      assert.deepStrictEqual(
        received.map((r) => r.action),
        events.map((e) => e.action)
      )
      assert.strictEqual(new Set(received.map((r) => r.id)).size, received.length)
      const at = (action: string) => {
        const i = received.findIndex((r) => r.action === action)
        assert.isAtLeast(i, 0, `${action} not streamed: ${received.map((r) => r.action).join(", ")}`)
        return i
      }
      const order = [
        "internal_audit.transition.report",
        "capa.raised_from_finding",
        "capa.transition.approve_plan",
        "capa.transition.close",
        "finding.transition.close",
        "internal_audit.transition.close"
      ].map(at)
      assert.deepStrictEqual(
        order,
        [...order].sort((a, b) => a - b)
      )

      const verified = await get("/qms/audit-trail/verify", "s-quinn")
      assert.strictEqual(verified.status, 200, verified.text)
      assert.strictEqual(verified.json.ok, true, verified.text)
    })

    it("tool control: TW-114 refused at checkout, allowed under a signed concession, refused when it expires", async () => {
      // The register is imported from the MRO's tool store (mro_tools).
      const imported = await post("/qms/calibration/items/import", "s-quinn")
      assert.deepStrictEqual(imported.created.map((i: { data: { toolId: string } }) => i.data.toolId).sort(), [
        "PG-007",
        "TW-114",
        "TW-120"
      ])
      const checkout = (who: string, workOrder: string, toolId: string) =>
        call("POST", `/work-orders/${workOrder}/tools`, who, { toolId })

      // TW-114 is 12 days past its calibration date: refused, with the due date, nothing issued.
      const refused = await checkout("s-olive", "WO-5521", "TW-114")
      assert.strictEqual(refused.status, 409, refused.text)
      assert.strictEqual(refused.json.code, "tool_overdue")
      const due = (await get("/tools", "s-olive")).json.find((t: { tool_id: string }) => t.tool_id === "TW-114")
      assert.strictEqual(refused.json.dueAt, `${due.calibration_due}T00:00:00.000Z`)
      const usable = await get("/qms/calibration/tools/TW-114/usable?workOrder=WO-5521", "s-olive")
      assert.strictEqual(usable.status, 409)
      assert.strictEqual(usable.json.code, "tool_overdue")
      assert.strictEqual(usable.json.dueAt, refused.json.dueAt)
      const fine = await checkout("s-olive", "WO-5521", "TW-120")
      assert.strictEqual(fine.status, 201, fine.text)

      // Olive requests a concession for WO-5521, for a few seconds; Quinn approves it with his PIN.
      const until = new Date(Date.now() + 6000).toISOString()
      const concession = await post("/qms/concessions", "s-olive", {
        toolId: "TW-114",
        workOrders: ["WO-5521"],
        validUntil: until,
        justification: "AOG: the only 20-100 Nm wrench; cross-checked against TW-120 before use"
      })
      assert.strictEqual(concession.state, "requested")
      assert.strictEqual((await checkout("s-olive", "WO-5521", "TW-114")).status, 409)
      const ownApproval = await call("POST", `/qms/concessions/${concession.id}/actions/approve`, "s-olive", {
        reason: "Mine",
        signature: { credential: "4444" }
      })
      assert.strictEqual(ownApproval.status, 403, ownApproval.text)
      const wrongPin = await call("POST", `/qms/concessions/${concession.id}/actions/approve`, "s-quinn", {
        reason: "Cross-check procedure adequate",
        signature: { credential: "0000" }
      })
      assert.strictEqual(wrongPin.status, 401, wrongPin.text)
      const approved = await post(`/qms/concessions/${concession.id}/actions/approve`, "s-quinn", {
        reason: "Cross-check procedure adequate for the AOG",
        signature: { credential: "1111" }
      })
      assert.strictEqual(approved.state, "active")

      const allowed = await checkout("s-olive", "WO-5521", "TW-114")
      assert.strictEqual(allowed.status, 201, allowed.text)
      assert.strictEqual(allowed.json.calibration.concession.ref, concession.ref)
      assert.strictEqual(allowed.json.calibration.status, "overdue")
      // Only for the work order it names.
      const elsewhere = await checkout("s-tariq", "WO-5522", "TW-114")
      assert.strictEqual(elsewhere.status, 409, elsewhere.text)

      // When its period ends the checkout is refused again; refresh marks it expired.
      const deadline = Date.now() + 20_000
      let after = await checkout("s-olive", "WO-5521", "TW-114")
      while (after.status === 201 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500))
        after = await checkout("s-olive", "WO-5521", "TW-114")
      }
      assert.strictEqual(after.status, 409, after.text)
      assert.strictEqual(after.json.code, "tool_overdue")
      assert.isAtLeast(Date.now(), Date.parse(until))
      const refreshed = await post("/qms/concessions/actions/refresh", "s-quinn")
      assert.deepStrictEqual(refreshed.expired, [concession.ref])

      // Calibrated and found out of tolerance: the impact assessment asks mro_tool_issues.
      const item = imported.created.find((i: { data: { toolId: string } }) => i.data.toolId === "TW-114")
      const { event } = await post(`/qms/calibration/items/${item.id}/actions/send-out`, "s-quinn", {
        lab: "Acme Calibration Ltd"
      })
      const form = new FormData()
      form.append("kind", "certificate")
      form.append(
        "file",
        new Blob(["%PDF-1.4\n% TW-114 certificate\n%%EOF\n"], { type: "application/pdf" }),
        "TW-114.pdf"
      )
      const uploaded = await fetch(`${base}/qms/records/${event.id}/attachments/content`, {
        method: "POST",
        headers: { authorization: `Bearer ${tokens["s-quinn"]}` },
        body: form
      })
      assert.strictEqual(uploaded.status, 201, await uploaded.text())
      const result = await post(`/qms/calibration/items/${item.id}/actions/record-result`, "s-quinn", {
        asFound: "out_of_tolerance",
        asLeft: "in_tolerance",
        certificateNumber: "ACME-0001"
      })
      assert.strictEqual(result.item.state, "in_service")
      // Every issue under the concession (the polling above made several), all on WO-5521.
      const orders = result.event.data.impact.workOrders.map((w: { workOrder: string }) => w.workOrder)
      assert.isAtLeast(orders.length, 1)
      assert.deepStrictEqual([...new Set(orders)], ["WO-5521"])
      assert.include(result.finding.data.description, "WO-5521")
      assert.strictEqual((await checkout("s-olive", "WO-5521", "TW-114")).status, 201)
    })

    it("work-order sign-off: refused without an issued authorisation on valid training, then certified once", async () => {
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
      const signOff = (who: string) => call("POST", "/work-orders/WO-5522/sign-off", who)
      const none = await signOff("s-tariq")
      assert.strictEqual(none.status, 422, none.text)
      assert.deepStrictEqual(
        none.json.unmet.map((u: { code: string }) => u.code),
        ["authorisation.missing"]
      )
      const hf = await post("/qms/training/requirements", "s-quinn", {
        code: "HF",
        title: "Human factors",
        kind: "human_factors",
        validityMonths: 24,
        roles: ["technician"]
      })
      const auth = await post("/qms/authorisations", "s-quinn", {
        personId: "s-tariq",
        number: "CS-011",
        scope: { aircraftTypes: ["ATR 72-600"], categories: ["B1"], tasks: [] },
        expiresAt: day(365),
        prerequisites: [hf.id]
      })
      // Not issued while his human factors training is missing.
      const early = await call("POST", `/qms/records/${auth.id}/transitions/issue`, "s-quinn", {})
      assert.strictEqual(early.status, 422, early.text)
      assert.deepStrictEqual(
        early.json.unmet.map((u: { code: string }) => u.code),
        ["training.missing"]
      )
      await post("/qms/training/records", "s-quinn", {
        personId: "s-tariq",
        requirementId: hf.id,
        completedAt: day(-1)
      })
      await post(`/qms/records/${auth.id}/transitions/issue`, "s-quinn")
      // Quinn holds no authorisation: the check is about the signer, whoever else may sign.
      assert.strictEqual((await signOff("s-quinn")).status, 422)
      const signed = await signOff("s-tariq")
      assert.strictEqual(signed.status, 200, signed.text)
      assert.strictEqual(signed.json.authorisation.number, "CS-011")
      assert.strictEqual(
        (await get("/work-orders", "s-tariq")).json.find((w: { number: string }) => w.number === "WO-5522").status,
        "closed"
      )
      assert.strictEqual((await signOff("s-tariq")).status, 409)
    })
  })

  describe.skipIf(target.skip)(`mro-server on ${target.name} with background: true`, () => {
    it("the server's own dispatcher delivers the CAPA owner's email, and the timeline shows it sent", async () => {
      const delivered: Array<Transport.Message> = []
      // A fresh database: each build of the target layer is a new SQLite memory database or a new
      // PostgreSQL database, so this app shares nothing with the suite above.
      const mro = await makeApp({
        database: target.layer as AppOptions["database"],
        secret: "test-secret-background-0123456789abcdef",
        background: true,
        checkpoints: { everyMillis: 1000, minEvents: 1 },
        onEmail: (m) => {
          delivered.push(m)
        }
      })
      let server: ServerType | undefined
      try {
        const base = await new Promise<string>((resolve) => {
          server = serve({ fetch: mro.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) =>
            resolve(`http://127.0.0.1:${info.port}`)
          )
        })
        const tokens: Record<string, string> = {}
        const call = (method: string, path: string, who: string, body?: unknown) =>
          request(base, tokens, method, path, who, body)
        const post = async (path: string, who: string, body: unknown = {}) => {
          const r = await call("POST", path, who, body)
          assert.isTrue(r.status >= 200 && r.status < 300, `POST ${path} as ${who}: ${r.status} ${r.text}`)
          return r.json
        }
        /** Polls every 200 ms until `check` returns a value, failing after 20 s with `describe()`. */
        const poll = async <A>(check: () => Promise<A | undefined> | A | undefined, describe: () => string) => {
          const deadline = Date.now() + 20_000
          for (;;) {
            const found = await check()
            if (found !== undefined) return found
            if (Date.now() > deadline) assert.fail(`not within 20 s: ${describe()}`)
            await new Promise((r) => setTimeout(r, 200))
          }
        }

        for (const s of demoStaff) {
          const r = await call("POST", "/login", "", { email: s.email, pin: s.pin })
          assert.strictEqual(r.status, 200, r.text)
          tokens[s.id] = r.json.token
        }
        const olive = demoStaff.find((s) => s.id === "s-olive")
        assert.isDefined(olive)

        const f = await post("/qms/findings", "s-avery", {
          title: "Torque wrench TW-114 used past its calibration date",
          level: "2",
          requirement: "145.A.40",
          ownerId: "s-olive"
        })
        const { capa, created } = await post(`/qms/findings/${f.id}/actions/raise-capa`, "s-quinn")
        assert.isTrue(created)
        assert.strictEqual(capa.ownerId, "s-olive")

        // The QMS queued Olive's email in the same transaction; only the background dispatcher sends it.
        const message = await poll(
          () => delivered.find((m) => m.subject.includes(capa.ref)),
          () => `no email naming ${capa.ref}; delivered: ${JSON.stringify(delivered.map((m) => m.subject))}`
        )
        assert.strictEqual(message.to.address, olive?.email)
        assert.strictEqual(message.subject, `CAPA ${capa.ref} raised for finding ${f.ref}`)
        assert.match(message.messageId, /^<[^<>@\s]+@[^<>@\s]+>$/)
        assert.isNotEmpty(message.text)

        // The email log (in the finding's timeline) records it as sent, once the dispatcher commits.
        const line = `email to ${olive?.email} (sent): ${message.subject}`
        const entry = await poll(
          async () => {
            const timeline = await call("GET", `/qms/findings/${f.id}/timeline`, "s-quinn")
            assert.strictEqual(timeline.status, 200, timeline.text)
            return (timeline.json as Array<{ source: string; recordRef: string; what: string }>).find(
              (e) => e.source === "email" && e.what === line
            )
          },
          () => `the timeline never showed "${line}"`
        )
        assert.strictEqual(entry.recordRef, capa.ref)
        assert.strictEqual(delivered.filter((m) => m.messageId === message.messageId).length, 1)

        // The server signs checkpoints on its own schedule: the organisation's events get covered.
        const events = (await call("GET", "/qms/audit-trail?limit=1000", "s-quinn")).json.events.length
        const covered = await poll(
          async () => {
            const verified = await call("GET", "/qms/audit-trail/verify", "s-quinn")
            assert.isTrue(verified.json.ok, verified.text)
            return verified.json.checkpoints >= 1 ? verified.json : undefined
          },
          () => "no checkpoint was signed"
        )
        assert.isAtLeast(covered.events, events)
        const keys = (await call("GET", "/qms/audit-trail/keys", "s-quinn")).json
        assert.strictEqual(keys.length, 1)
        assert.isTrue(keys[0].current)
      } finally {
        if (server !== undefined) {
          const s = server
          await new Promise((r) => s.close(r))
        }
        await mro.dispose()
      }
    })
  })
}
