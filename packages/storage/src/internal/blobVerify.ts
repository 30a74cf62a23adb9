// A whole read hashes the bytes as they pass and fails at the end if they no longer match their
// name, so a corrupted blob is never served (or packed) as if it were intact.
import { createHash } from "node:crypto"
import { Effect, Stream } from "effect"
import { BlobError } from "../BlobStore.js"

export const verifiedWhole = <E>(
  content: Stream.Stream<Uint8Array, E>,
  sha256: string
): Stream.Stream<Uint8Array, E | BlobError> =>
  Stream.suspend(() => {
    const hash = createHash("sha256")
    return Stream.concat(
      Stream.map(content, (chunk) => {
        hash.update(chunk)
        return chunk
      }),
      Stream.fromEffect(
        Effect.suspend(() => {
          const actual = hash.digest("hex")
          return actual === sha256
            ? Effect.void
            : Effect.fail(
                new BlobError({
                  reason: "hash_mismatch",
                  sha256,
                  detail: `The stored content no longer hashes to ${sha256} (it hashes to ${actual}): it was altered or damaged`
                })
              )
        })
      ).pipe(Stream.drain)
    )
  })
