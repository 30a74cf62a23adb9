/**
 * Typed templates, one per notification kind: a Schema for the parameters, and functions that
 * render the subject, the plain text and the HTML from the parameters, the recipient and the record.
 *
 * ```ts
 * const findingRaised = Template.make(
 *   {
 *     kind: "finding.raised",
 *     subject: ({ params }) => `Finding ${params.ref} raised: ${params.title}`,
 *     text: ({ params, recipient }) => `Dear ${recipient.name ?? recipient.email},\n\n${params.title} is due ${params.dueAt}.`,
 *     html: ({ params, recipient }) => Template.html`<p>Dear ${recipient.name ?? recipient.email},</p><p>${params.title}</p>`
 *   },
 *   Schema.Struct({ ref: Schema.String, title: Schema.String, dueAt: Schema.String })
 * )
 * ```
 *
 * Every value interpolated with `Template.html` is HTML-escaped unless it is itself `SafeHtml`, so
 * a finding titled `<script>` arrives as text. Subjects are kept on one line (no header injection).
 *
 * @since 0.1.0
 */
import type { Errors } from "@airworthy/core"
import { Effect, Schema } from "effect"
import { decode, emailPattern, namePattern } from "./internal/validation.js"

/**
 * An e-mail address: no spaces, angle brackets or line breaks, one `@`.
 * @since 0.1.0
 * @category models
 */
export const EmailAddress = Schema.Trim.pipe(
  Schema.compose(Schema.String.pipe(Schema.maxLength(254), Schema.pattern(emailPattern))),
  Schema.annotations({ message: () => "must be an e-mail address such as quality@mro.example" })
)

/**
 * Who receives one copy of a notification.
 * @since 0.1.0
 * @category models
 */
export const Recipient = Schema.Struct({
  email: EmailAddress,
  name: Schema.optional(Schema.String.pipe(Schema.maxLength(200), Schema.pattern(namePattern))),
  /** The host's id for the person, when there is one. */
  actorId: Schema.optional(Schema.String.pipe(Schema.maxLength(128)))
})
/** @since 0.1.0 @category models */
export type Recipient = typeof Recipient.Type
/** @since 0.1.0 @category models */
export type RecipientInput = typeof Recipient.Encoded

/**
 * The record a notification concerns (finding, CAPA, audit, ...).
 * @since 0.1.0
 * @category models
 */
export const RecordRef = Schema.Struct({
  type: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(64)),
  id: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(128))
})
/** @since 0.1.0 @category models */
export type RecordRef = typeof RecordRef.Type

/**
 * HTML that is already safe to insert: produced by `html` (which escapes what it interpolates) or,
 * deliberately, by `unsafeHtml`.
 * @since 0.1.0
 * @category models
 */
export class SafeHtml {
  readonly _tag = "SafeHtml"
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }

/**
 * Escapes text for HTML element content and quoted attribute values.
 * @since 0.1.0
 * @category rendering
 */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c] ?? c)

const interpolate = (value: unknown): string => {
  if (value === null || value === undefined || value === false) return ""
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(interpolate).join("")
  return escapeHtml(String(value))
}

/**
 * Tagged template for HTML bodies: every interpolated value is escaped (arrays are joined, `null`,
 * `undefined` and `false` render nothing, `SafeHtml` is inserted as it is).
 * @since 0.1.0
 * @category rendering
 */
export const html = (strings: TemplateStringsArray, ...values: ReadonlyArray<unknown>): SafeHtml => {
  let out = strings[0] ?? ""
  for (let i = 0; i < values.length; i++) out += interpolate(values[i]) + (strings[i + 1] ?? "")
  return new SafeHtml(out)
}

/**
 * Marks a string as safe HTML without escaping it. Only for markup the host wrote itself.
 * @since 0.1.0
 * @category rendering
 */
export const unsafeHtml = (markup: string): SafeHtml => new SafeHtml(markup)

/**
 * What a template's render functions receive.
 * @since 0.1.0
 * @category models
 */
export interface RenderContext<P> {
  readonly params: P
  readonly recipient: Recipient
  readonly record: RecordRef | undefined
}

/**
 * How one kind of notification reads.
 * @since 0.1.0
 * @category models
 */
export interface Spec<K extends string, P> {
  /** e.g. `capa.overdue`: lower-case words separated by dots or underscores. */
  readonly kind: K
  readonly subject: (context: RenderContext<P>) => string
  readonly text: (context: RenderContext<P>) => string
  readonly html: (context: RenderContext<P>) => SafeHtml
}

/**
 * A template: its spec and the Schema its parameters are decoded with.
 * @since 0.1.0
 * @category models
 */
export interface Template<K extends string, P, I> extends Spec<K, P> {
  readonly schema: Schema.Schema<P, I>
}

/**
 * Any template, whatever its kind and parameters.
 * @since 0.1.0
 * @category models
 */
// biome-ignore lint/suspicious/noExplicitAny: parameter types vary per template.
export type Any = Template<string, any, any>

/**
 * One rendered message.
 * @since 0.1.0
 * @category models
 */
export interface Rendered {
  readonly subject: string
  readonly text: string
  readonly html: string
}

const kindPattern = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$/

/**
 * Declares a template; a malformed kind is a programming error and throws here.
 * @since 0.1.0
 * @category constructors
 */
export const make = <const K extends string, P, I>(
  spec: Spec<K, P>,
  schema: Schema.Schema<P, I>
): Template<K, P, I> => {
  if (!kindPattern.test(spec.kind) || spec.kind.length > 100) {
    throw new Error(`Template kind "${spec.kind}" must be lower-case words separated by dots, e.g. capa.overdue`)
  }
  return { ...spec, schema }
}

/**
 * Decodes a template's parameters; bad ones fail with `ValidationFailed` (paths start with `params`).
 * @since 0.1.0
 * @category rendering
 */
export const decodeParams = <K extends string, P, I>(
  template: Template<K, P, I>,
  params: unknown
): Effect.Effect<P, Errors.ValidationFailed> => decode(template.schema, "params")(params)

/**
 * Renders decoded parameters for one recipient. The subject is kept on one line.
 * @since 0.1.0
 * @category rendering
 */
export const renderDecoded = <K extends string, P, I>(
  template: Template<K, P, I>,
  context: RenderContext<P>
): Rendered => ({
  subject: template
    .subject(context)
    .replace(/[\r\n\t]+/g, " ")
    .trim(),
  text: template.text(context),
  html: template.html(context).value
})

/**
 * Decodes the parameters and the recipient, then renders.
 * @since 0.1.0
 * @category rendering
 */
export const render = <K extends string, P, I>(
  template: Template<K, P, I>,
  input: { readonly params: I; readonly recipient: RecipientInput; readonly record?: RecordRef | undefined }
): Effect.Effect<Rendered, Errors.ValidationFailed> =>
  Effect.gen(function* () {
    const params = yield* decodeParams(template, input.params)
    const recipient = yield* decode(Recipient, "recipient")(input.recipient)
    return yield* Effect.sync(() => renderDecoded(template, { params, recipient, record: input.record }))
  })
