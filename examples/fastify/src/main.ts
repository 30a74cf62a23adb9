import { start } from "./server.js"

const running = await start({
  port: Number(process.env.PORT ?? 3000),
  database: process.env.QMS_DB_FILE ?? "qms.db",
  signingKey: process.env.AUDIT_SIGNING_KEY
})
console.log(`Listening on ${running.url}; the QMS is at ${running.url}/qms`)
console.log(`Try: curl -H "Authorization: Bearer demo-quinn" ${running.url}/qms/findings/open`)
const stop = () => void running.close().then(() => process.exit(0))
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
