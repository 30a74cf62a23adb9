/**
 * A host of the Promise facade on one database, installed from the packed tarballs:
 * `node facade.js <sqlite|postgres> <file or URL>`. Raises a finding, raises its CAPA, verifies the
 * tenant's audit chain; then asks for the other database, whose driver this host did not install,
 * and expects the typed start-up error naming the driver to install.
 */
import { createQms } from "@airworthy/qms"

const [kind, target] = process.argv.slice(2)
if ((kind !== "sqlite" && kind !== "postgres") || target === undefined) {
  throw new Error("usage: facade.js <sqlite|postgres> <file or URL>")
}

const check = (ok: boolean, what: string, got: unknown) => {
  if (!ok) throw new Error(`${what}; got ${JSON.stringify(got)}`)
}

const qms = await createQms({ database: kind === "sqlite" ? { sqlite: target } : { postgres: target } })
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
    {
      title: "Torque wrench TW-114 used past its calibration date",
      level: "2",
      requirement: "145.A.40",
      ownerId: "u-olive"
    },
    { actor: quinn }
  )
  check(finding.state === "open", "the finding is open", finding.state)
  const raised = await qms.findings.raiseCapa({ id: finding.id }, { actor: quinn })
  check(raised.created && raised.capa.ownerId === "u-olive", "a new CAPA owned by the finding's owner", raised)
  const again = await qms.findings.raiseCapa({ id: finding.id }, { actor: quinn })
  check(!again.created && again.capa.id === raised.capa.id, "the second raise returns the same CAPA", again)
  const verified = await qms.auditTrail.verify({}, { actor: quinn })
  check(verified.ok && verified.events >= 3, "the audit chain verifies", verified)
  console.log(
    `${finding.ref} → ${raised.capa.ref}, audit chain of ${verified.ok ? verified.events : 0} events verified`
  )
} finally {
  await qms.dispose()
}

// The driver this host did not install: createQms rejects with the StorageError that names it.
const other =
  kind === "sqlite" ? ({ postgres: "postgres://nobody@127.0.0.1:1/none" } as const) : ({ sqlite: ":memory:" } as const)
const driver = kind === "sqlite" ? "@effect/sql-pg" : "@effect/sql-sqlite-node"
const refused = await createQms({ database: other }).then(
  async (q) => {
    await q.dispose()
    return undefined
  },
  (error: unknown) => error as { readonly _tag?: string; readonly code?: string; readonly message?: string }
)
check(
  refused?._tag === "StorageError" &&
    refused.code === "storage_connection" &&
    (refused.message ?? "").includes(`npm install ${driver}`),
  `without ${driver}, createQms rejects with a StorageError naming it`,
  refused && { _tag: refused._tag, code: refused.code, message: refused.message }
)
console.log(`without ${driver}: ${refused?.message}`)
