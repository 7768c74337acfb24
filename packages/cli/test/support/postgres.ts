/**
 * A PostgreSQL database of its own for one test file, `chatauth_test_<start time, base 36>_<random>`, created on the
 * test server (`CHATAUTH_PG_URL`, default postgres://postgres@127.0.0.1:5432/test, trust authentication, here and in
 * CI) and dropped afterwards, so parallel runs never collide; leftovers of killed runs (a day old by their name) are
 * dropped at the next creation, as the server package's test setup does. An unreachable server fails the suite with
 * a clear message: never a skip.
 */
import { randomBytes } from "node:crypto"
import pg from "pg"

/** The test server's administrative database: where databases are created and dropped from. */
export const ADMIN_URL = process.env.CHATAUTH_PG_URL?.trim() || "postgres://postgres@127.0.0.1:5432/test"

const PREFIX = "chatauth_test_"
const STALE_AFTER_MS = 24 * 60 * 60 * 1000

export interface TestDatabase {
  readonly name: string
  /** `postgres://postgres@127.0.0.1:5432/<name>` */
  readonly url: string
  /** Runs one statement on this database (its own short connection). */
  readonly query: <R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: ReadonlyArray<unknown>
  ) => Promise<Array<R>>
  /** Drops the database, ending the sessions still connected to it. */
  readonly drop: () => Promise<void>
}

const withClient = async <A>(url: string, use: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  try {
    await client.connect()
  } catch (error) {
    throw new Error(
      `PostgreSQL is required by these tests and cannot be reached at ${new URL(url).host} ` +
        `(${error instanceof Error ? error.message : String(error)}); start it, or set CHATAUTH_PG_URL`
    )
  }
  try {
    return await use(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

export const createTestDatabase = async (): Promise<TestDatabase> => {
  const now = Date.now()
  const name = `${PREFIX}${now.toString(36)}_${randomBytes(4).toString("hex")}`
  await withClient(ADMIN_URL, async (client) => {
    const existing = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE left(datname, ${PREFIX.length}) = '${PREFIX}'`
    )
    for (const { datname } of existing.rows) {
      // Only names of this very shape and of a plausible past: never another scheme's live database.
      const time = /^chatauth_test_([0-9a-z]{8})_[0-9a-f]{8}$/.exec(datname)?.[1]
      const started = time === undefined ? NaN : parseInt(time, 36)
      if (started > Date.UTC(2026, 0, 1) && now - started > STALE_AFTER_MS) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
      }
    }
    await client.query(`CREATE DATABASE ${name}`)
  })
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const databaseUrl = url.toString()
  return {
    name,
    url: databaseUrl,
    query: (text, values) =>
      withClient(databaseUrl, async (client) => (await client.query(text, values as Array<unknown>)).rows),
    drop: () =>
      withClient(ADMIN_URL, async (client) => void await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  }
}
