// A dispatcher process for the crash test: `node --import tsx --conditions=@airworthy/source
// dispatcher-child.ts <sqlite:FILE | pg:URL> <smtpPort>`. It runs until it is killed.
import { Ids } from "@airworthy/core"
import { Postgres } from "@airworthy/storage/pg"
import { Sqlite } from "@airworthy/storage/sqlite"
import { Effect, Layer } from "effect"
import { Dispatcher, Transport } from "../../src/index.js"

const [database = "", port = "0"] = process.argv.slice(2)
const storage = database.startsWith("pg:")
  ? Postgres.layer({ url: database.slice(3), maxConnections: 2 })
  : Sqlite.layer({ filename: database.replace(/^sqlite:/, "") })

const dispatcher = Dispatcher.layer({
  batchSize: 5,
  concurrency: 1,
  lease: "3 seconds",
  sendTimeout: "2 seconds",
  pollInterval: "50 millis",
  retry: { initialDelay: "200 millis", jitter: 0.2 }
}).pipe(
  Layer.provide(Transport.layerSmtp({ host: "127.0.0.1", port: Number(port), secure: false, from: "qms@mro.example" })),
  Layer.provide(Ids.layer),
  Layer.provide(storage)
)

Effect.runFork(
  Layer.launch(dispatcher).pipe(
    Effect.tapErrorCause((cause) => Effect.logError("dispatcher-child failed", cause)),
    Effect.ensuring(Effect.sync(() => process.exit(1)))
  )
)
