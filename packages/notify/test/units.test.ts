// Pure parts: templates and HTML escaping, the retry delay, configuration checks.
import { Errors, Ids } from "@airworthy/core"
import { Sqlite } from "@airworthy/storage/sqlite"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Layer, Schema } from "effect"
import { Dispatcher, NotifyMigrations, Template, Transport } from "../src/index.js"
import { findingRaised, params } from "./layers.js"

describe("Template", () => {
  it("html escapes every interpolated value, keeps SafeHtml, joins arrays and drops empty values", () => {
    const name = `O'Brien & "Sons" <b>`
    const out = Template.html`<p title="${name}">${name}</p>${Template.html`<i>${"<x>"}</i>`}${[1, "<2>"]}${null}${undefined}${false}${0}`
    assert.strictEqual(
      out.value,
      `<p title="O&#39;Brien &amp; &quot;Sons&quot; &lt;b&gt;">O&#39;Brien &amp; &quot;Sons&quot; &lt;b&gt;</p><i>&lt;x&gt;</i>1&lt;2&gt;0`
    )
    assert.strictEqual(Template.unsafeHtml("<hr>").value, "<hr>")
    assert.strictEqual(Template.escapeHtml(`&<>"'`), "&amp;&lt;&gt;&quot;&#39;")
  })

  it.effect("renders from decoded parameters (defaults applied), the recipient and the record", () =>
    Effect.gen(function* () {
      const { actions: _, ...withoutActions } = params(3, "Expired shelf-life sealant")
      const rendered = yield* Template.render(findingRaised, {
        params: withoutActions,
        recipient: { email: " quality@mro.example ", name: "Quinn" },
        record: { type: "finding", id: "f-3" }
      })
      assert.strictEqual(rendered.subject, "Finding FND-0003 raised: Expired shelf-life sealant")
      assert.include(rendered.text, "Dear Quinn,")
      assert.include(rendered.text, "Record: finding/f-3")
      assert.include(rendered.html, "<ul></ul>")
    })
  )

  it.effect("keeps the subject on one line", () =>
    Effect.gen(function* () {
      const rendered = yield* Template.render(findingRaised, {
        params: params(4, "Line one\r\nBcc: attacker@evil.example"),
        recipient: { email: "quality@mro.example" }
      })
      assert.notMatch(rendered.subject, /[\r\n]/)
      assert.strictEqual(rendered.subject, "Finding FND-0004 raised: Line one Bcc: attacker@evil.example")
    })
  )

  it.effect("bad parameters or recipient fail with ValidationFailed naming each field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Template.render(findingRaised, {
          params: { ref: "nope", title: "", level: "9", dueAt: 1 } as never,
          recipient: { email: "quality@mro.example" }
        })
      )
      assert.instanceOf(error, Errors.ValidationFailed)
      assert.deepStrictEqual(error.issues.map((i) => i.path).sort(), [
        "params.dueAt",
        "params.level",
        "params.ref",
        "params.title"
      ])
      assert.strictEqual(error.status, 400)
      const recipient = yield* Effect.flip(
        Template.render(findingRaised, { params: params(), recipient: { email: "quality@mro.example\r\nBcc: x@y" } })
      )
      assert.deepStrictEqual(
        recipient.issues.map((i) => i.path),
        ["recipient.email"]
      )
    })
  )

  it("rejects a malformed kind when the template is declared", () => {
    const spec = { subject: () => "", text: () => "", html: () => Template.html`` }
    assert.throws(() => Template.make({ ...spec, kind: "Finding Raised" }, Schema.Struct({})), /lower-case/)
    assert.strictEqual(Template.make({ ...spec, kind: "capa.overdue_7d" }, Schema.Struct({})).kind, "capa.overdue_7d")
  })
})

describe("Dispatcher.retryDelay", () => {
  const policy: Dispatcher.RetryPolicy = {
    maxAttempts: 8,
    initialDelay: "30 seconds",
    factor: 2,
    maxDelay: "10 minutes",
    jitter: 0.2
  }
  const seconds = (failures: number, r: number) => Duration.toSeconds(Dispatcher.retryDelay(policy, failures, r))

  it("grows exponentially, is capped, and spreads by the jitter", () => {
    assert.deepStrictEqual(
      [1, 2, 3, 4, 5, 6].map((n) => seconds(n, 0.5)),
      [30, 60, 120, 240, 480, 600]
    )
    assert.strictEqual(seconds(1, 0), 24)
    assert.strictEqual(seconds(1, 0.999999), 36)
    assert.strictEqual(seconds(9, 0), 480)
  })

  it.effect("rejects settings that cannot work when the dispatcher is built", () =>
    Effect.gen(function* () {
      const capture = yield* Transport.capture()
      const build = (options: Dispatcher.Options) =>
        Dispatcher.make(options).pipe(
          Effect.provide(
            Layer.mergeAll(Sqlite.layer({ filename: ":memory:" }), Ids.layerTest(1), Transport.layer(capture))
          ),
          Effect.exit
        )
      const message = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "built")
      assert.strictEqual(message(yield* build({ lease: "1 minute", sendTimeout: "30 seconds" })), "built")
      assert.include(message(yield* build({ lease: "10 seconds", sendTimeout: "30 seconds" })), "lease must be longer")
      assert.include(message(yield* build({ batchSize: 0 })), "batchSize must be a positive number")
      assert.include(message(yield* build({ retry: { jitter: 1 } })), "jitter must be in [0, 1)")
    })
  )
})

describe("NotifyMigrations", () => {
  it("registers the package at order 40 with named migrations", () => {
    assert.strictEqual(NotifyMigrations.migrations.package, "@airworthy/notify")
    assert.strictEqual(NotifyMigrations.migrations.order, 40)
    assert.deepStrictEqual(
      NotifyMigrations.migrations.migrations.map((m) => m.name),
      ["0001_create_outbox_and_email_log", "0002_one_row_per_message"]
    )
  })
})
