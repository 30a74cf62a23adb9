// Starts the MRO server: migrates (SQLite ./mro.db, or DATABASE_URL=postgres://...), seeds the demo
// data, serves on PORT (3000), and prints a token per demo user.
import { randomBytes } from "node:crypto"
import { Storage } from "@airworthy/storage"
import { serve } from "@hono/node-server"
import { makeApp } from "./app.js"
import { demoStaff } from "./db.js"

const url = process.env.DATABASE_URL?.startsWith("postgres") ? process.env.DATABASE_URL : undefined
const database =
  url !== undefined ? Storage.postgres({ url }) : Storage.sqlite({ filename: process.env.MRO_DB_FILE ?? "./mro.db" })

let secret = process.env.MRO_JWT_SECRET
if (secret === undefined || secret === "") {
  secret = randomBytes(32).toString("base64url")
  console.log(`MRO_JWT_SECRET not set: generated a development secret for this process: ${secret}`)
}

const port = Number(process.env.PORT ?? 3000)
const mro = await makeApp({
  database,
  secret,
  ...(process.env.AUDIT_SIGNING_KEY === undefined ? {} : { signingKey: process.env.AUDIT_SIGNING_KEY }),
  background: true,
  onEmail: (m) => console.log(`[mail] to ${m.to.address}: ${m.subject}`)
})

const server = serve({ fetch: mro.app.fetch, port, hostname: process.env.HOST ?? "127.0.0.1" }, async (info) => {
  const base = `http://${info.address === "::" ? "localhost" : info.address}:${info.port}`
  console.log(`Skyline MRO on ${url !== undefined ? Storage.describeUrl(url) : "SQLite"}`)
  console.log(`listening on ${base}  (QMS at ${base}/qms, OpenAPI at ${base}/qms/openapi.json)`)
  console.log("\ndemo users (POST /login with { email, pin }), and a token for each:")
  for (const s of demoStaff) {
    console.log(`  ${s.name.padEnd(13)} ${s.email.padEnd(27)} pin ${s.pin}  roles ${s.roles.join(",")}`)
    console.log(`    ${await mro.tokenFor(s.id)}`)
  }
  const quinn = await mro.tokenFor("s-quinn")
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
