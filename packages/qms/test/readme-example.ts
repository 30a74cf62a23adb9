import { createQms } from "@airworthy/qms"

const qms = await createQms({ database: { sqlite: ":memory:" } }) // or { postgres: "postgres://..." }; migrates on start
const quinn = { tenantId: "amo-1", actorId: "u-quinn", roles: ["quality_manager"] }
// The people the QMS may name (owners, auditors); a host with its own user store passes `directory` instead.
await qms.staff.upsert({
  tenantId: "amo-1",
  actorId: "u-olive",
  displayName: "Olive",
  email: "olive@mro.example",
  roles: ["capa_owner"]
})

const finding = await qms.findings.raise(
  {
    title: "Torque wrench TW-114 used past its calibration date",
    level: "2",
    requirement: "145.A.40",
    ownerId: "u-olive"
  },
  { actor: quinn }
)
const { capa } = await qms.findings.raiseCapa({ id: finding.id }, { actor: quinn }) // linked, owned by u-olive, task created
const again = await qms.findings.raiseCapa({ id: finding.id }, { actor: quinn }) // idempotent: same CAPA, nothing written
console.log(capa.ref, capa.ownerId, again.capa.id === capa.id, again.created)

try {
  await qms.findings.close({ id: finding.id }, { actor: quinn })
} catch (error) {
  // the tagged error itself: GuardsFailed, 422, with every unmet requirement
  const e = error as { _tag: string; status: number; unmet: ReadonlyArray<{ code: string }> }
  console.log(e._tag, e.status, e.unmet.map((u) => u.code).join(", "))
}
await qms.dispose()
