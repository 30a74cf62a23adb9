/**
 * Re-authentication of a signer before an electronic signature is applied (21 CFR Part 11 §11.200:
 * a signature is executed with the signer's credentials, e.g. password or PIN re-entry). The host
 * implements it against its own identity system; a failure is `Unauthenticated` and nothing is
 * written.
 *
 * @since 0.1.0
 */
import type { Actor } from "@airworthy/core"
import { Errors } from "@airworthy/core"
import { Context, Effect, Layer, type Redacted } from "effect"

/**
 * What the signer presented, and what they are signing.
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly actor: Actor.Actor
  /** The re-entered password, PIN or token; never stored, logged or hashed into idempotency keys. */
  readonly credential: Redacted.Redacted<string> | undefined
  readonly meaning: string
  readonly recordId: string
}

/**
 * Checks the signer's credential.
 * @since 0.1.0
 * @category tags
 */
export class SignerVerification extends Context.Tag("@airworthy/records/SignerVerification")<
  SignerVerification,
  { readonly verify: (request: Request) => Effect.Effect<void, Errors.Unauthenticated> }
>() {}

/**
 * The host's check.
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  verify: (request: Request) => Effect.Effect<void, Errors.Unauthenticated>
): Layer.Layer<SignerVerification> => Layer.succeed(SignerVerification, { verify })

/**
 * Accepts every signer: for tests and for hosts that re-authenticate before calling (document it
 * in your validation package if you do).
 * @since 0.1.0
 * @category layers
 */
export const acceptAll: Layer.Layer<SignerVerification> = layer(() => Effect.void)

/**
 * Rejects every signature (a host without electronic signatures).
 * @since 0.1.0
 * @category layers
 */
export const rejectAll: Layer.Layer<SignerVerification> = layer(() =>
  Effect.fail(new Errors.Unauthenticated({ detail: "Electronic signatures are not enabled" }))
)
