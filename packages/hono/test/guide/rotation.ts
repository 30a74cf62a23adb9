import { type CreateQms, createQms } from "@airworthy/qms"
import { loadSigningKey } from "./signing-key.js"

/**
 * Starts with a new signing key. `retired` holds the public key of every earlier key by key id, as
 * `qms.auditTrail.keys` (`GET /qms/audit-trail/keys`) listed them before the rotation; kept in the
 * host's configuration, never in the database.
 */
export const startWithNewKey = (
  keyFile: string,
  retired: { readonly [keyId: string]: string }
): Promise<CreateQms.QmsClient> =>
  createQms({
    database: { sqlite: process.env.QMS_SQLITE ?? "qms.db" },
    signingKey: loadSigningKey(keyFile),
    verificationKeys: retired
  })
