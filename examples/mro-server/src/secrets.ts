// The server's two secrets: the HS256 key of its session tokens and the Ed25519 key that signs the
// audit log's checkpoints. From the environment when given (MRO_JWT_SECRET, AUDIT_SIGNING_KEY);
// otherwise generated once and kept in a local file only its owner may read (mode 0600), so that
// sessions and checkpoint signatures survive a restart. Neither is ever printed.
import { randomBytes } from "node:crypto"
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs"

export interface Secrets {
  readonly jwtSecret: string
  readonly signingKey: string
  /** Where they came from, for the start-up line (never the values). */
  readonly source: string
}

export class SecretsFileError extends Error {
  override readonly name = "SecretsFileError"
}

interface Stored {
  readonly jwtSecret: string
  readonly signingKey: string
}

const readStored = (file: string): Stored | undefined => {
  let mode: number
  try {
    mode = statSync(file).mode
  } catch {
    return undefined
  }
  if ((mode & 0o077) !== 0) {
    throw new SecretsFileError(
      `${file} may be read by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${file}`
    )
  }
  const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<Stored>
  if (typeof parsed.jwtSecret !== "string" || parsed.jwtSecret.length < 32 || typeof parsed.signingKey !== "string") {
    throw new SecretsFileError(`${file} does not hold { jwtSecret, signingKey }; move it away to generate new ones`)
  }
  return { jwtSecret: parsed.jwtSecret, signingKey: parsed.signingKey }
}

/**
 * The secrets: each from the environment when set, else from `file`, which is created (mode 0600)
 * with fresh ones on the first start. A file others may read is refused.
 */
export const loadSecrets = (file: string, env: NodeJS.ProcessEnv = process.env): Secrets => {
  const fromEnv = { jwtSecret: env.MRO_JWT_SECRET ?? "", signingKey: env.AUDIT_SIGNING_KEY ?? "" }
  if (fromEnv.jwtSecret !== "" && fromEnv.signingKey !== "") return { ...fromEnv, source: "the environment" }
  const existing = readStored(file)
  let stored: Stored
  let source = file
  if (existing !== undefined) stored = existing
  else {
    // A base64 32-byte Ed25519 seed, which `TreeHead.keyFromConfig` reads.
    stored = { jwtSecret: randomBytes(32).toString("base64url"), signingKey: randomBytes(32).toString("base64") }
    // `wx`: never overwrite a file that appeared meanwhile; the mode is set at creation.
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: "wx" })
    chmodSync(file, 0o600)
    source = `${file} (created)`
  }
  return {
    jwtSecret: fromEnv.jwtSecret !== "" ? fromEnv.jwtSecret : stored.jwtSecret,
    signingKey: fromEnv.signingKey !== "" ? fromEnv.signingKey : stored.signingKey,
    source
  }
}
