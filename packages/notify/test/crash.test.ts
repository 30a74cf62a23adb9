// Kill the dispatcher PROCESS with SIGKILL mid-batch, restart it, and check that nothing is lost:
// every message ends `sent`, and the Message-IDs the SMTP server received are exactly the log's.
// A message reaches the server twice only when the kill fell between the server's acceptance and
// the log update, and then both copies carry the same Message-ID.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Actor, Ids } from "@airworthy/core"
import { Migrations, Query, type Storage, type StorageError } from "@airworthy/storage"
import { Postgres } from "@airworthy/storage/pg"
import { Sqlite } from "@airworthy/storage/sqlite"
import { TestDatabase } from "@airworthy/testing"
import type { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Notify, NotifyMigrations } from "../src/index.js"
import { findingRaised, params, recipients } from "./layers.js"
import { type ReceivedMessage, smtpServer } from "./support/smtp.js"

const child = join(import.meta.dirname, "crash", "dispatcher-child.ts")
const messages = 12

interface Running {
  readonly process: ChildProcess
  readonly exited: Promise<NodeJS.Signals | number | null>
  readonly output: Array<string>
}

const start = (database: string, port: number): Running => {
  const process_ = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@airworthy/source", child, database, String(port)],
    {
      cwd: join(import.meta.dirname, ".."),
      stdio: ["ignore", "pipe", "pipe"]
    }
  )
  const output: Array<string> = []
  process_.stdout?.on("data", (d: Buffer) => output.push(d.toString()))
  process_.stderr?.on("data", (d: Buffer) => output.push(d.toString()))
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    process_.on("exit", (code, signal) => resolve(signal ?? code))
  )
  return { process: process_, exited, output }
}

type Db = Storage.Storage | SqlClient.SqlClient

const statuses: Effect.Effect<
  ReadonlyArray<{ status: string; message_id: string }>,
  StorageError.StorageError,
  Db
> = Query.unsafe("SELECT status, message_id FROM aw_notify_email_log ORDER BY id")

const crashAndRecover = (database: string, storage: Layer.Layer<Db, StorageError.StorageError>) =>
  Effect.gen(function* () {
    const db = yield* Layer.build(storage)
    const inDb = <A, E>(self: Effect.Effect<A, E, Db>) => Effect.provide(self, db)
    yield* inDb(Migrations.run([NotifyMigrations.migrations]))
    const actor = Actor.make({ tenantId: "crash-mro", actorId: "u-q", displayName: "Q", roles: [], traceId: "t-crash" })
    yield* inDb(
      Notify.enqueue({ template: findingRaised, params: params(), recipients: recipients(messages) }).pipe(
        Actor.withActor(actor),
        Effect.provide(Notify.layer().pipe(Layer.provide(Ids.layer))),
        Effect.provide(db)
      )
    )

    let phase: "kill-after-accept" | "kill-mid-data" | "run" = "kill-after-accept"
    let current: Running | undefined
    let acceptedAtKill: string | undefined
    let interruptedMidData: string | undefined
    let acceptedInPhase = 0
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
    const server = yield* smtpServer({
      data: async (message: ReceivedMessage) => {
        await sleep(40) // a slow provider, so the kill lands inside a batch
        if (phase === "kill-mid-data" && acceptedInPhase === 2) {
          // The third message of this process is on the wire: kill before the server answers.
          interruptedMidData = message.messageId
          current?.process.kill("SIGKILL")
          phase = "run"
          return { code: 451, message: "connection lost" }
        }
        return undefined
      },
      accepted: (message) => {
        acceptedInPhase++
        if (phase === "kill-after-accept" && acceptedInPhase === 3) {
          // The server has just answered 250; the dispatcher has not recorded it yet.
          acceptedAtKill = message.messageId
          current?.process.kill("SIGKILL")
          phase = "kill-mid-data"
          acceptedInPhase = 0
        }
      }
    })

    const runUntilKilled = () =>
      Effect.promise(async () => {
        current = start(database, server.port)
        const how = await Promise.race([current.exited, sleep(40_000).then(() => "timeout" as const)])
        if (how !== "SIGKILL") throw new Error(`expected SIGKILL, got ${String(how)}: ${current.output.join("")}`)
      })
    yield* runUntilKilled()
    assert.isDefined(acceptedAtKill)
    yield* runUntilKilled()
    assert.isDefined(interruptedMidData)

    // Restart: the last process picks up the killed processes' rows once their leases run out.
    current = start(database, server.port)
    const last = current
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => {
        last.process.kill("SIGKILL")
        return last.exited
      })
    )
    let rows = yield* inDb(statuses)
    for (let i = 0; i < 400 && !rows.every((r) => r.status === "sent"); i++) {
      yield* Effect.promise(() => sleep(100))
      rows = yield* inDb(statuses)
    }
    assert.deepStrictEqual(
      rows.map((r) => r.status),
      Array.from({ length: messages }, () => "sent"),
      last.output.join("")
    )

    if (process.env.AW_DEBUG_CRASH)
      console.log(
        last.output.join(""),
        server.received.map((m) => m.messageId)
      )
    // The log matches what the server received: the same set of Message-IDs.
    const received = server.received.map((m) => m.messageId)
    assert.deepStrictEqual(new Set(received), new Set(rows.map((r) => r.message_id)))
    // Only the message accepted at the moment of the first kill may have arrived twice.
    const counts = new Map<string, number>()
    for (const id of received) counts.set(id, (counts.get(id) ?? 0) + 1)
    const duplicated = [...counts].filter(([, n]) => n > 1)
    assert.isTrue(
      duplicated.every(([id, n]) => id === acceptedAtKill && n === 2),
      JSON.stringify(duplicated)
    )
    assert.strictEqual(received.length, messages + duplicated.length)
    // The message cut off mid-DATA was not accepted then, and arrived exactly once afterwards.
    assert.strictEqual(counts.get(interruptedMidData!), 1)
    // Both copies of a duplicate are the same message.
    for (const [id] of duplicated) {
      const copies = server.received.filter((m) => m.messageId === id)
      assert.strictEqual(copies[0]!.text, copies[1]!.text)
      assert.deepStrictEqual(copies[0]!.to, copies[1]!.to)
    }
  })

const [postgres] = (await TestDatabase.targets({ sqliteFile: false })).filter((t) => t.dialect === "pg")

describe("crash", () => {
  it.scopedLive(
    "SIGKILL of the dispatcher process mid-batch (SQLite file): after restart nothing is lost",
    () =>
      Effect.gen(function* () {
        const dir = yield* Effect.acquireRelease(
          Effect.sync(() => mkdtempSync(join(tmpdir(), "aw-notify-crash-"))),
          (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
        )
        const file = join(dir, "qms.db")
        yield* crashAndRecover(`sqlite:${file}`, Sqlite.layer({ filename: file }))
      }),
    60_000
  )

  it.scopedLive.skipIf(postgres?.skip ?? true)(
    "SIGKILL of the dispatcher process mid-batch (PostgreSQL): after restart nothing is lost",
    () =>
      Effect.gen(function* () {
        const url = yield* TestDatabase.freshPostgresDatabase
        yield* crashAndRecover(`pg:${url}`, Postgres.layer({ url, maxConnections: 2 }))
      }),
    60_000
  )
})
