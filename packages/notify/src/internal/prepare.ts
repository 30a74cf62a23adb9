// `prepareMany`: validates a batch of requests (every problem at once) and renders their messages,
// outside any transaction; `enqueuePrepared` writes the result.
import { Errors } from "@airworthy/core"
import { Effect, Either } from "effect"
import type { AnyEnqueueInput, Prepared, PreparedMessage, PreparedRequest } from "../Notify.js"
import * as Template from "../Template.js"
import { NotBefore, Recipients } from "./inputs.js"
import { cacheKey, decoderEither, recipientsFast, recordFast } from "./validation.js"

type Decoder = (input: unknown) => Either.Either<unknown, Array<Errors.FieldIssue>>

const decodeRecipients = decoderEither(Recipients, "recipients")
const decodeRecord = decoderEither(Template.RecordRef, "record")
const decodeNotBefore = decoderEither(NotBefore, "notBefore")

// Decoders per template Schema, built once; weakly held, so a template the host drops is not kept.
const paramDecoders = new WeakMap<object, Decoder>()
const paramsDecoder = (template: Template.Any) => {
  let d = paramDecoders.get(template.schema)
  if (d === undefined) {
    d = decoderEither(template.schema, "params")
    paramDecoders.set(template.schema, d)
  }
  return d
}

/** One request whose every field decoded. */
interface ValidRequest {
  readonly input: AnyEnqueueInput
  readonly params: unknown
  readonly paramsKey: string | undefined
  readonly recipients: ReadonlyArray<Template.Recipient>
  readonly record: Template.RecordRef | undefined
  readonly notBefore: string | undefined
}

/**
 * Decodes every request; throws one `ValidationFailed` naming every problem, its path prefixed with
 * the request's index. Equal inputs are decoded once.
 */
const validate = (requests: ReadonlyArray<AnyEnqueueInput>): Array<ValidRequest> => {
  const decodedCache = new Map<unknown, Map<string, Either.Either<unknown, Array<Errors.FieldIssue>>>>()
  const cachedDecode = (kind: unknown, decoder: Decoder, input: unknown, k: string | undefined = cacheKey(input)) => {
    if (k === undefined) return decoder(input)
    let byKey = decodedCache.get(kind)
    if (byKey === undefined) {
      byKey = new Map()
      decodedCache.set(kind, byKey)
    }
    let result = byKey.get(k)
    if (result === undefined) {
      result = decoder(input)
      byKey.set(k, result)
    }
    return result
  }
  const issues: Array<Errors.FieldIssue> = []
  const valid: Array<ValidRequest> = []
  for (let i = 0; i < requests.length; i++) {
    const input = requests[i]!
    const paramsKey = cacheKey(input.params)
    // Plainly valid recipients and records (the common case) are checked by hand; anything
    // else goes through the Schema, which names every bad field.
    const recipients = recipientsFast(input.recipients)
    const record = input.record === undefined ? undefined : recordFast(input.record)
    const results = [
      cachedDecode(input.template.schema, paramsDecoder(input.template), input.params, paramsKey),
      recipients !== undefined
        ? Either.right(recipients)
        : cachedDecode(Recipients, decodeRecipients, input.recipients),
      input.record === undefined
        ? Either.right(undefined)
        : record !== undefined
          ? Either.right(record)
          : cachedDecode(Template.RecordRef, decodeRecord, input.record),
      input.notBefore === undefined ? Either.right(undefined) : decodeNotBefore(input.notBefore)
    ] as const
    let ok = true
    for (const r of results)
      if (Either.isLeft(r)) {
        ok = false
        for (const issue of r.left) issues.push({ ...issue, path: `requests.${i}.${issue.path}` })
      }
    if (ok)
      valid.push({
        input,
        params: (results[0] as Either.Right<unknown, unknown>).right,
        paramsKey,
        recipients: (results[1] as Either.Right<unknown, ReadonlyArray<Template.Recipient>>).right,
        record: (results[2] as Either.Right<unknown, Template.RecordRef | undefined>).right,
        notBefore: (results[3] as Either.Right<unknown, string | undefined>).right
      })
  }
  if (issues.length > 0) throw new Errors.ValidationFailed({ issues })
  return valid
}

/** Renders each request's messages, once per template, parameters, recipient and record. */
const render = (valid: ReadonlyArray<ValidRequest>): Prepared => {
  const prepared: Array<PreparedRequest> = new Array(valid.length)
  const renderCache = new Map<Template.Any, Map<string, Template.Rendered>>()
  for (let i = 0; i < valid.length; i++) {
    const v = valid[i]!
    const template = v.input.template
    const seen = new Set<string>()
    const messages: Array<PreparedMessage> = []
    const recordKey = v.paramsKey === undefined ? undefined : cacheKey(v.record)
    let byKey = renderCache.get(template)
    if (byKey === undefined) {
      byKey = new Map()
      renderCache.set(template, byKey)
    }
    for (const recipient of v.recipients) {
      // Recipients are de-duplicated by address, case-insensitively.
      const address = recipient.email.toLowerCase()
      if (seen.has(address)) continue
      seen.add(address)
      let message: Template.Rendered | undefined
      const key =
        v.paramsKey === undefined || recordKey === undefined
          ? undefined
          : `${v.paramsKey}\u0000${cacheKey(recipient)}\u0000${recordKey}`
      if (key !== undefined) message = byKey.get(key)
      if (message === undefined) {
        message = Template.renderDecoded(template, { params: v.params, recipient, record: v.record })
        if (key !== undefined) byKey.set(key, message)
      }
      messages.push({ recipient, message })
    }
    prepared[i] = {
      template: template.kind,
      record: v.record,
      notBefore: v.notBefore === undefined ? undefined : new Date(v.notBefore).toISOString(),
      messages
    }
  }
  return { requests: prepared }
}

export const prepareMany = (
  requests: ReadonlyArray<AnyEnqueueInput>
): Effect.Effect<Prepared, Errors.ValidationFailed> =>
  Effect.try({
    try: () => render(validate(requests)),
    catch: (e) => {
      if (e instanceof Errors.ValidationFailed) return e
      throw e
    }
  })
