import { type CreateQms, createQms } from "@airworthy/qms"
import { Postgres } from "@airworthy/storage/pg"
import pg from "pg"
import { loadSigningKey } from "./signing-key.js"

// The host's own pool: Airworthy's tables (`aw_*`) live in the host's database, beside its own.
export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })

export const qms: CreateQms.QmsClient = await createQms({
  database: { layer: Postgres.layerFromPool(pool) }, // `qms.dispose()` leaves the pool open: the host ends it
  signingKey: loadSigningKey(process.env.AUDIT_SIGNING_KEY_FILE ?? "audit-signing-key.pem")
})
