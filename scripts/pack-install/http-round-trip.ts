/**
 * Drives a host's `start({ port: 0, database })` over a real socket with fetch:
 * `node http-round-trip.js <database>`. The QMS must answer under `/qms` as mounted by the host:
 * health, 401 without a session, the OpenAPI document naming `/qms`, raise a finding, raise its
 * CAPA, verify the tenant's audit chain.
 */
import { people } from "./people.js"
import { start } from "./server.js"

const database = process.argv[2]
if (database === undefined) throw new Error("usage: http-round-trip.js <database>")

const check = (ok: boolean, what: string, got: unknown) => {
  if (!ok) throw new Error(`${what}; got ${JSON.stringify(got)}`)
}
const quinn = people.find((p) => p.actorId === "u-quinn")!

const running = await start({ port: 0, database })
try {
  const call = async (method: string, path: string, body?: unknown, token: string | null = quinn.token) => {
    const response = await fetch(`${running.url}/qms${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await response.text()
    return {
      status: response.status,
      type: response.headers.get("content-type") ?? "",
      json: JSON.parse(text || "null")
    }
  }

  const health = await call("GET", "/health", undefined, null)
  check(health.status === 200, "GET /qms/health answers 200", health)
  const anonymous = await call("GET", "/findings/open", undefined, null)
  check(
    anonymous.status === 401 && anonymous.type.startsWith("application/problem+json"),
    "without a session: 401 problem+json",
    anonymous
  )
  const openApi = await call("GET", "/openapi.json", undefined, null)
  check(openApi.status === 200 && openApi.json?.servers?.[0]?.url === "/qms", "the OpenAPI document names /qms", {
    status: openApi.status,
    servers: openApi.json?.servers
  })
  const finding = await call("POST", "/findings", {
    title: "Torque wrench TW-114 used past its calibration date",
    level: "2",
    requirement: "145.A.40",
    ownerId: "u-olive"
  })
  check(finding.status === 201 && finding.json?.state === "open", "POST /qms/findings answers 201, open", finding)
  const raised = await call("POST", `/findings/${finding.json.id}/actions/raise-capa`, {})
  check(
    raised.status < 300 && raised.json?.created === true && raised.json?.capa?.ownerId === "u-olive",
    "raise-capa creates the CAPA, owned by the finding's owner",
    raised
  )
  const verified = await call("GET", "/audit-trail/verify")
  check(
    verified.status === 200 && verified.json?.ok === true && verified.json.events >= 3,
    "the audit chain verifies",
    verified
  )
  console.log(`${finding.json.ref} → ${raised.json.capa.ref}, audit chain of ${verified.json.events} events verified`)
} finally {
  await running.close()
}
