import { createQms } from "@airworthy/qms"

// Opens (and migrates) the database; a SQLite file here, `{ postgres: "postgres://..." }` in production.
const qms = await createQms({ database: { sqlite: process.env.QMS_SQLITE ?? "qms.db" } })
const quinn = { tenantId: "mro-1", actorId: "u-quinn", roles: ["quality_manager"] } // the logged-in user
await qms.staff.upsert({
  tenantId: "mro-1",
  actorId: "u-olive",
  displayName: "Olive",
  email: "olive@mro.example",
  roles: ["capa_owner"]
})

const finding = await qms.findings.raise(
  { title: "Torque wrench TW-114 past its calibration date", level: "2", requirement: "145.A.40", ownerId: "u-olive" },
  { actor: quinn }
)
const { capa } = await qms.findings.raiseCapa({ id: finding.id }, { actor: quinn }) // owned by u-olive, task created
console.log(finding.ref, capa.ref, capa.state)

const trail = await qms.auditTrail.query(
  { recordType: "finding", recordId: finding.id, order: "asc" },
  { actor: quinn }
)
for (const event of trail.events) console.log(event.sequence, event.action, event.actor.id)
console.log(await qms.auditTrail.verify({}, { actor: quinn })) // recomputes the tenant's hash chain

try {
  const tess = { tenantId: "mro-1", actorId: "u-tess", roles: ["technician"] }
  await qms.findings.close({ id: finding.id }, { actor: tess })
} catch (error) {
  // Rejections are the tagged errors themselves, with their HTTP status and problem code.
  const e = error as { status: number; code: string; missing_permission?: string }
  console.log(e.status, e.code, e.missing_permission)
}
await qms.dispose()
