import { generateKeyPairSync } from "node:crypto"
import { readFileSync, statSync, writeFileSync } from "node:fs"

/**
 * The audit signing key (Ed25519, PKCS#8 PEM) from a file only this user may read, created on the
 * first start. A key readable by others is refused; an existing key is never overwritten.
 */
export const loadSigningKey = (file: string): string => {
  try {
    const { mode } = statSync(file)
    if ((mode & 0o077) !== 0) throw new Error(`${file} may be read by other users: run chmod 600 ${file}`)
    return readFileSync(file, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error
  }
  const { privateKey } = generateKeyPairSync("ed25519")
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString()
  writeFileSync(file, pem, { mode: 0o600, flag: "wx" })
  return pem
}
