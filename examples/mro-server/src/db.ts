// The MRO's own data: staff, aircraft, work orders and the tool store, in `mro_` tables next to the
// QMS tables, created by the MRO's own migration and run together with the QMS migrations.
import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto"
import { Qms } from "@airworthy/qms"
import type { Directory } from "@airworthy/storage"
import { Migrations, Query, type Storage, type StorageError } from "@airworthy/storage"
import { StaffDirectory } from "@airworthy/tasks"
import type { SqlClient } from "@effect/sql"
import { Effect, Option } from "effect"

export interface Tables {
  readonly mro_staff: {
    readonly id: string
    readonly organisation_id: string
    readonly name: string
    readonly email: string
    /** Space-separated with a leading and trailing space (`" technician capa_owner "`). */
    readonly roles: string
    readonly supervisor_id: string | null
    /** `scrypt$<salt hex>$<hash hex>` of the demo PIN. */
    readonly pin_hash: string
  }
  readonly mro_aircraft: { readonly registration: string; readonly type: string }
  readonly mro_work_orders: {
    readonly number: string
    readonly aircraft: string
    readonly description: string
    readonly status: string
  }
  readonly mro_tools: { readonly tool_id: string; readonly description: string; readonly calibration_due: string }
  /** Every issue of a tool to a work order (the tool checkout log). */
  readonly mro_tool_issues: {
    readonly tool_id: string
    readonly work_order: string
    readonly issued_to: string
    readonly issued_at: string
  }
}

export type Db = Storage.Storage | SqlClient.SqlClient

const q = Query.make<Tables>()

const ddl = `
CREATE TABLE mro_staff (
  id TEXT PRIMARY KEY,
  organisation_id TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  roles TEXT NOT NULL,
  supervisor_id TEXT REFERENCES mro_staff (id),
  pin_hash TEXT NOT NULL
)
--;
CREATE TABLE mro_aircraft (
  registration TEXT PRIMARY KEY,
  type TEXT NOT NULL
)
--;
CREATE TABLE mro_work_orders (
  number TEXT PRIMARY KEY,
  aircraft TEXT NOT NULL REFERENCES mro_aircraft (registration),
  description TEXT NOT NULL,
  status TEXT NOT NULL
)
--;
CREATE TABLE mro_tools (
  tool_id TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  calibration_due TEXT NOT NULL
)
`

const toolIssues = `
CREATE TABLE mro_tool_issues (
  tool_id TEXT NOT NULL REFERENCES mro_tools (tool_id),
  work_order TEXT NOT NULL REFERENCES mro_work_orders (number),
  issued_to TEXT NOT NULL,
  issued_at TEXT NOT NULL
)
--;
CREATE INDEX mro_tool_issues_tool ON mro_tool_issues (tool_id, issued_at)
`

/** The MRO's migrations, in the same registry as the QMS's (order 100: after every Airworthy package). */
export const migrations = Migrations.make("@airworthy/example-mro-server", 100, [
  Migrations.sql("0001_create_mro_tables", { sqlite: ddl, pg: ddl }),
  Migrations.sql("0002_create_mro_tool_issues", { sqlite: toolIssues, pg: toolIssues })
])

/** The QMS migrations and the MRO's, in one run. */
export const migrate = Migrations.run([...Qms.migrations, migrations])

export const hashPin = (pin: string): string => {
  const salt = randomBytes(16)
  return `scrypt$${salt.toString("hex")}$${scryptSync(pin, salt, 32).toString("hex")}`
}

export const checkPin = (pin: string, stored: string): boolean => {
  const [scheme, salt, hash] = stored.split("$")
  if (scheme !== "scrypt" || salt === undefined || hash === undefined) return false
  const expected = Buffer.from(hash, "hex")
  const actual = scryptSync(pin, Buffer.from(salt, "hex"), expected.length)
  return timingSafeEqual(actual, expected)
}

export const rolesOf = (row: { readonly roles: string }): ReadonlyArray<string> =>
  row.roles.split(" ").filter((r) => r.length > 0)

export interface DemoUser {
  readonly id: string
  readonly name: string
  readonly email: string
  readonly roles: ReadonlyArray<string>
  readonly supervisorId: string | null
  readonly pin: string
}

/** The demo staff: supervisors before the people they supervise. */
export const demoStaff: ReadonlyArray<DemoUser> = [
  {
    id: "s-quinn",
    name: "Quinn Harper",
    email: "quinn@skyline-mro.example",
    roles: ["quality_manager"],
    supervisorId: null,
    pin: "1111"
  },
  {
    id: "s-avery",
    name: "Avery Brooks",
    email: "avery@skyline-mro.example",
    roles: ["auditor"],
    supervisorId: null,
    pin: "2222"
  },
  {
    id: "s-sam",
    name: "Sam Ortega",
    email: "sam@skyline-mro.example",
    roles: ["technician", "capa_owner"],
    supervisorId: null,
    pin: "3333"
  },
  {
    id: "s-olive",
    name: "Olive Chen",
    email: "olive@skyline-mro.example",
    roles: ["technician", "capa_owner"],
    supervisorId: "s-sam",
    pin: "4444"
  },
  {
    id: "s-tariq",
    name: "Tariq Nolan",
    email: "tariq@skyline-mro.example",
    roles: ["technician", "capa_owner"],
    supervisorId: "s-sam",
    pin: "5555"
  },
  {
    id: "s-morgan",
    name: "Morgan Reyes",
    email: "morgan@skyline-mro.example",
    roles: ["accountable_manager"],
    supervisorId: null,
    pin: "6666"
  }
]

/** Seeds the demo data when `mro_staff` is empty; true when it did. */
export const seed = (organisationId: string, today: Date): Effect.Effect<boolean, StorageError.StorageError, Db> =>
  Query.transaction(
    Effect.gen(function* () {
      const existing = yield* q.rows((db) => db.selectFrom("mro_staff").select("id").limit(1))
      if (existing.length > 0) return false
      for (const s of demoStaff) {
        yield* q.exec((db) =>
          db.insertInto("mro_staff").values({
            id: s.id,
            organisation_id: organisationId,
            name: s.name,
            email: s.email,
            roles: StaffDirectory.encodeRoles(s.roles),
            supervisor_id: s.supervisorId,
            pin_hash: hashPin(s.pin)
          })
        )
      }
      yield* q.exec((db) =>
        db.insertInto("mro_aircraft").values([
          { registration: "G-SKYA", type: "ATR 72-600" },
          { registration: "G-SKYB", type: "ATR 72-600" },
          { registration: "G-SKYC", type: "Dash 8-400" }
        ])
      )
      yield* q.exec((db) =>
        db.insertInto("mro_work_orders").values([
          { number: "WO-5521", aircraft: "G-SKYA", description: "A-check; MLG torque checks", status: "open" },
          { number: "WO-5522", aircraft: "G-SKYB", description: "Replace #2 propeller de-ice boot", status: "open" },
          { number: "WO-5519", aircraft: "G-SKYC", description: "Cabin pressure controller swap", status: "closed" }
        ])
      )
      const day = (offset: number) => new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10)
      yield* q.exec((db) =>
        db.insertInto("mro_tools").values([
          { tool_id: "TW-114", description: "Torque wrench 20-100 Nm", calibration_due: day(-12) },
          { tool_id: "TW-120", description: "Torque wrench 5-25 Nm", calibration_due: day(150) },
          { tool_id: "PG-007", description: "Tyre pressure gauge", calibration_due: day(60) }
        ])
      )
      return true
    })
  )

export type StaffRow = Tables["mro_staff"]

export const staffById = (id: string): Effect.Effect<Option.Option<StaffRow>, StorageError.StorageError, Db> =>
  q.maybe((db) => db.selectFrom("mro_staff").selectAll().where("id", "=", id))

export const staffByEmail = (email: string): Effect.Effect<Option.Option<StaffRow>, StorageError.StorageError, Db> =>
  q.maybe((db) => db.selectFrom("mro_staff").selectAll().where("email", "=", email.trim().toLowerCase()))

export const allStaff = q.rows((db) => db.selectFrom("mro_staff").selectAll().orderBy("id"))
export const aircraft = q.rows((db) => db.selectFrom("mro_aircraft").selectAll().orderBy("registration"))
export const workOrders = q.rows((db) => db.selectFrom("mro_work_orders").selectAll().orderBy("number"))
export const tools = q.rows((db) => db.selectFrom("mro_tools").selectAll().orderBy("tool_id"))

export const workOrder = (number: string) =>
  q.maybe((db) => db.selectFrom("mro_work_orders").selectAll().where("number", "=", number))

export const tool = (toolId: string) =>
  q.maybe((db) => db.selectFrom("mro_tools").selectAll().where("tool_id", "=", toolId))

/** Closes a work order (its certificate of release is signed). */
export const closeWorkOrder = (number: string) =>
  q.exec((db) => db.updateTable("mro_work_orders").set({ status: "closed" }).where("number", "=", number))

/** Records a tool issued to a work order (the checkout). */
export const issueTool = (issue: Tables["mro_tool_issues"]) =>
  q.exec((db) => db.insertInto("mro_tool_issues").values(issue))

/** The issues of a tool between two instants (ISO-8601, inclusive), oldest first. */
export const issuesOf = (toolId: string, since: string, until: string) =>
  q.rows((db) =>
    db
      .selectFrom("mro_tool_issues")
      .selectAll()
      .where("tool_id", "=", toolId)
      .where("issued_at", ">=", since)
      .where("issued_at", "<=", until)
      .orderBy("issued_at")
  )

/** The `Directory` port over `mro_staff`: the MRO stays the one place people are kept. */
export const makeDirectory: Effect.Effect<Directory.Service, never, Db> = Effect.gen(function* () {
  const context = yield* Effect.context<Db>()
  const run = <A, E>(self: Effect.Effect<A, E, Db>) => Effect.provide(self, context)
  const inTenant = (tenantId: string, actorId: string) =>
    q.maybe((db) =>
      db.selectFrom("mro_staff").selectAll().where("organisation_id", "=", tenantId).where("id", "=", actorId)
    )
  return {
    supervisorOf: (tenantId, actorId) =>
      run(
        Effect.map(inTenant(tenantId, actorId), (row) =>
          Option.flatMap(row, (r) => Option.fromNullable(r.supervisor_id))
        )
      ),
    usersWithRole: (tenantId, role) =>
      run(
        Effect.map(
          q.rows((db) =>
            db
              .selectFrom("mro_staff")
              .select("id")
              .where("organisation_id", "=", tenantId)
              .where("roles", "like", `% ${role.replace(/[%_\\]/g, "")} %`)
              .orderBy("id")
          ),
          (rows) => rows.map((r) => r.id)
        )
      ),
    contactOf: (tenantId, actorId) =>
      run(
        Effect.map(inTenant(tenantId, actorId), (row) =>
          Option.map(row, (r) => ({ actorId: r.id, displayName: r.name, email: r.email }))
        )
      )
  }
})
