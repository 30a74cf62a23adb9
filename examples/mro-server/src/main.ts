// Starts the MRO server: migrates (SQLite ./mro.db, or DATABASE_URL=postgres://...), seeds the demo
// data, serves on PORT (3000), and prints a token per demo user.
import { BlobStore, RowLevelSecurity, Storage } from "@airworthy/storage"
import { Postgres } from "@airworthy/storage/pg"
import { Sqlite } from "@airworthy/storage/sqlite"
import { serve } from "@hono/node-server"
import { makeApp } from "./app.js"
import { demoStaff } from "./db.js"
import { loadSecrets } from "./secrets.js"

const url = process.env.DATABASE_URL?.startsWith("postgres") ? process.env.DATABASE_URL : undefined
// On PostgreSQL every aw_ table is under row-level security by tenant (MRO_ROW_LEVEL_SECURITY=0 turns
// it off). It holds only for a role that is not a superuser and has no BYPASSRLS: see the README.
const rowLevelSecurity = url !== undefined && process.env.MRO_ROW_LEVEL_SECURITY !== "0"
const database =
  url !== undefined
    ? Postgres.layer({ url, rowLevelSecurity })
    : Sqlite.layer({ filename: process.env.MRO_DB_FILE ?? "./mro.db" })

// Attachment content: files under MRO_BLOB_DIR (./mro-blobs), or MRO_BLOBS=database to keep them in
// the database itself (one SQLite file holds everything).
const blobs =
  process.env.MRO_BLOBS === "database"
    ? BlobStore.database()
    : BlobStore.directory({ path: process.env.MRO_BLOB_DIR ?? "./mro-blobs" })
const maxUploadMiB = Number(process.env.MRO_MAX_UPLOAD_MB ?? 50)

// The session-token secret and the audit signing key: from MRO_JWT_SECRET / AUDIT_SIGNING_KEY, else
// kept in MRO_SECRETS_FILE (./mro-secrets.json, mode 0600, created on the first start). Never printed.
const secrets = loadSecrets(process.env.MRO_SECRETS_FILE ?? "./mro-secrets.json")
console.log(`secrets from ${secrets.source}`)

const port = Number(process.env.PORT ?? 3000)
const mro = await makeApp({
  database,
  secret: secrets.jwtSecret,
  signingKey: secrets.signingKey,
  background: true,
  blobs,
  maxUploadBytes: Math.round(maxUploadMiB * 1024 * 1024),
  checkpoints: {
    everyMillis: 1000 * Number(process.env.MRO_CHECKPOINT_EVERY_SECONDS ?? 300),
    minEvents: Number(process.env.MRO_CHECKPOINT_MIN_EVENTS ?? 1)
  },
  ...(process.env.MRO_PUBLIC_ORIGIN === undefined ? {} : { publicOrigins: [process.env.MRO_PUBLIC_ORIGIN] }),
  onEmail: (m) => console.log(`[mail] to ${m.to.address}: ${m.subject}`)
})

if (rowLevelSecurity) {
  const bypassed = await mro.runtime.runPromise(RowLevelSecurity.bypassed)
  console.log(
    bypassed
      ? "WARNING: row-level security is on, but this PostgreSQL role is a superuser or has BYPASSRLS, so it " +
          "sees every organisation's rows anyway. Run the server as a role without them (see the README)."
      : "row-level security: on (every aw_ table, keyed by the transaction's organisation)"
  )
} else if (url !== undefined) console.log("row-level security: off (MRO_ROW_LEVEL_SECURITY=0)")

const server = serve({ fetch: mro.app.fetch, port, hostname: process.env.HOST ?? "127.0.0.1" }, async (info) => {
  const base = `http://${info.address === "::" ? "localhost" : info.address}:${info.port}`
  console.log(`Skyline MRO on ${url !== undefined ? Storage.describeUrl(url) : "SQLite"}`)
  console.log(`listening on ${base}  (QMS at ${base}/qms, OpenAPI at ${base}/qms/openapi.json)`)
  // Demo conveniences: the demo users' PINs are public, and so a token for each is printed too
  // (MRO_PRINT_TOKENS=0 turns that off); the secrets that mint tokens never are.
  const printTokens = process.env.MRO_PRINT_TOKENS !== "0"
  console.log(`\ndemo users (POST /login with { email, pin })${printTokens ? ", and a token for each" : ""}:`)
  for (const s of demoStaff) {
    console.log(`  ${s.name.padEnd(13)} ${s.email.padEnd(27)} pin ${s.pin}  roles ${s.roles.join(",")}`)
    if (printTokens) console.log(`    ${await mro.tokenFor(s.id)}`)
  }
  const quinn = printTokens ? await mro.tokenFor("s-quinn") : "$TOKEN"
  console.log("\ntry:")
  console.log(`  curl -s ${base}/tools -H "Authorization: Bearer ${quinn}"`)
  console.log(
    `  curl -s -X POST ${base}/qms/findings -H "Authorization: Bearer ${quinn}" -H "content-type: application/json" \\\n` +
      `    -d '{"title":"TW-114 used past its calibration date","level":"2","requirement":"145.A.40","ownerId":"s-olive"}'`
  )
  console.log(`  curl -N ${base}/qms/events -H "Authorization: Bearer ${quinn}"`)
})

const shutdown = () => {
  server.close()
  void mro.dispose().finally(() => process.exit(0))
}
process.once("SIGINT", shutdown)
process.once("SIGTERM", shutdown)
