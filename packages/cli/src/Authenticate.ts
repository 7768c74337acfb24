/**
 * `chatauth authenticate`: one call to chatAuthenticate, on this project's server or a real Oracle Fusion pod,
 * through `@chatauth/client`.
 *
 * Every request attribute has its flag, in kebab case (`--queue-id`, `--media-list`, `--resume-type`, …);
 * `--data @file.json` (or `--data '{…}'`) gives a JSON body that the flags override attribute by attribute.
 * Credentials come from `--username`/`--password` or `CHATAUTH_USERNAME`/`CHATAUTH_PASSWORD`; at a terminal a
 * missing one is asked for, elsewhere it is a usage error (exit 2). The password is never printed.
 *
 * Success prints a summary (site, domain, pool, engagement URL, token expiry) or, with `--json`, the item as the
 * server answered it, or with `--jwt-only` the token alone (for `JWT=$(chatauth authenticate … --jwt-only)`). A refusal exits 1 with the status and the server's reason on standard error.
 *
 * @example
 * // $ CHATAUTH_PASSWORD=s3cret chatauth authenticate --base-url http://127.0.0.1:8080 --username svc \
 * //     --auth-user-name john.doe@example.com --media-list CHAT --json
 * import { authenticateCommand } from "@chatauth/cli/Authenticate"
 *
 * @since 0.1.0
 */
import type { ChatAuthClientError, ChatAuthRequest, ChatAuthResult } from "@chatauth/client"
import * as Attributes from "@chatauth/core/Attributes"
import { BASE_PATHS, STATUS_TITLES } from "@chatauth/core/Resource"
import { Command, Options, Prompt } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Clock, Config, Duration, Effect, Option, Schema } from "effect"
import { CliError } from "./CliError.js"
import * as Output from "./internal/output.js"
import { prompt, Stdio } from "./internal/stdio.js"

/**
 * `queueId` → `queue-id`: the flag of a request attribute.
 *
 * @since 0.1.0
 * @category options
 */
export const flagName = (attribute: string): string =>
  attribute.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)

const describedAttributes = Attributes.attributes.filter((a) => Attributes.requestAttributeNames.includes(a.name))

/**
 * A flag per request attribute (`--auth-user-name`, `--queue-id`, …).
 *
 * @since 0.1.0
 * @category options
 */
export const attributeOptions: Options.Options<Record<string, Option.Option<string>>> = Options.all(
  Object.fromEntries(
    describedAttributes.map((attribute) => [
      attribute.name,
      Options.text(flagName(attribute.name)).pipe(
        Options.withDescription(
          `${attribute.description} (attribute ${attribute.name})`
        ),
        Options.optional
      )
    ])
  )
) as Options.Options<Record<string, Option.Option<string>>>

/**
 * The connection options of `authenticate` (also `chat`'s): server, credentials, base path, framework version,
 * Metadata-Context, onlyData, timeout, `--data`, `--json`.
 *
 * @since 0.1.0
 * @category options
 */
export const settings = {
  baseUrl: Options.text("base-url").pipe(
    Options.withDescription("The server: scheme, host and port, e.g. https://pod.example.com (env CHATAUTH_BASE_URL)"),
    Options.withFallbackConfig(Config.string("CHATAUTH_BASE_URL"))
  ),
  username: Options.text("username").pipe(
    Options.withDescription("The integration user, HTTP Basic (env CHATAUTH_USERNAME; asked for at a terminal)"),
    Options.withFallbackConfig(Config.string("CHATAUTH_USERNAME")),
    Options.optional
  ),
  password: Options.redacted("password").pipe(
    Options.withDescription(
      "Its password (env CHATAUTH_PASSWORD, preferred: a flag stays in the shell history; asked for at a terminal)"
    ),
    Options.withFallbackConfig(Config.redacted("CHATAUTH_PASSWORD")),
    Options.optional
  ),
  basePath: Options.choice("base-path", BASE_PATHS).pipe(
    Options.withDescription(`The resource's base path (env CHATAUTH_BASE_PATH; default ${BASE_PATHS[0]})`),
    Options.withFallbackConfig(Config.literal(...BASE_PATHS)("CHATAUTH_BASE_PATH")),
    Options.optional
  ),
  frameworkVersion: Options.integer("framework-version").pipe(
    Options.withDescription("REST-Framework-Version, 1–9 (env CHATAUTH_FRAMEWORK_VERSION; default 4: JSON errors)"),
    Options.withFallbackConfig(Config.integer("CHATAUTH_FRAMEWORK_VERSION")),
    Options.optional
  ),
  metadataContext: Options.text("metadata-context").pipe(
    Options.withDescription("Metadata-Context header, e.g. sandbox=\"TrackEmployeeFeature\""),
    Options.optional
  ),
  onlyData: Options.boolean("only-data").pipe(Options.withDescription("Send onlyData=true: the answer has no links")),
  timeoutMs: Options.integer("timeout-ms").pipe(
    Options.withDescription("Longest time one attempt may take, in milliseconds (default 10000)"),
    Options.optional
  ),
  data: Options.text("data").pipe(
    Options.withDescription("A JSON request body, inline or @file.json; the attribute flags override its attributes"),
    Options.optional
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print the answer (the item) as JSON")),
  jwtOnly: Options.boolean("jwt-only").pipe(
    Options.withDescription("Print the token alone, one line: JWT=$(chatauth authenticate … --jwt-only)")
  )
}

const readData = (
  data: Option.Option<string>
): Effect.Effect<Record<string, unknown>, CliError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    if (Option.isNone(data)) return {}
    const fs = yield* FileSystem.FileSystem
    const text = data.value.startsWith("@")
      ? yield* fs.readFileString(data.value.slice(1)).pipe(
        Effect.mapError((error) => CliError.usage(`--data: cannot read ${data.value.slice(1)}: ${error.message}`))
      )
      : data.value
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      return yield* Effect.fail(CliError.usage(`--data is not JSON: ${(error as Error).message}`))
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      return yield* Effect.fail(CliError.usage("--data must be a JSON object"))
    }
    return parsed as Record<string, unknown>
  })

const credential = <A>(
  given: Option.Option<A>,
  ask: Prompt.Prompt<A>,
  missing: string
): Effect.Effect<A, CliError, Stdio | Prompt.Prompt.Environment> =>
  Option.match(given, {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.flatMap(Stdio, (stdio) => stdio.interactive ? prompt(ask) : Effect.fail(CliError.usage(missing)))
  })

/**
 * The words a refusal is reported with: the status and the server's reason.
 *
 * @since 0.1.0
 * @category errors
 */
export const describeFailure = (error: ChatAuthClientError): CliError => {
  switch (error._tag) {
    case "RequestInvalid":
      return CliError.refused(`invalid request (not sent): ${error.message.replace(/\n/g, "; ")}`)
    case "NetworkError":
      return CliError.refused(
        error.plainHttp === true
          ? "the server answered in plain HTTP, not TLS: give --base-url an http:// URL"
          : error.message
      )
    case "RequestTimeout":
      return CliError.refused(error.message)
    case "InvalidResponse":
      return CliError.refused(error.message)
    case "ServerError":
    case "UnexpectedStatus":
      return CliError.refused(`refused: ${error.status}: ${error.message}`)
    case "TooManyRequests":
      return CliError.refused(
        `refused: 429 Too Many Requests: ${error.message}` +
          (error.retryAfterSeconds === undefined ? "" : ` (Retry-After: ${error.retryAfterSeconds} s)`)
      )
    default: {
      const reason = error.message.replace(/\n/g, "; ")
      return CliError.refused(
        `refused: ${error.status} ${STATUS_TITLES[error.status] ?? ""}${reason === "" ? "" : `: ${reason}`}`
      )
    }
  }
}

const checkBaseUrl = (value: string): Effect.Effect<string, CliError> => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return Effect.fail(CliError.usage(`--base-url must be an absolute http(s) URL, got ${JSON.stringify(value)}`))
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Effect.fail(CliError.usage("--base-url must be an http or https URL"))
  }
  if (url.username !== "" || url.password !== "") {
    return Effect.fail(CliError.usage("--base-url must not hold credentials: use --username and CHATAUTH_PASSWORD"))
  }
  if (url.search !== "" || url.hash !== "") {
    return Effect.fail(CliError.usage("--base-url must not have a query or fragment"))
  }
  return Effect.succeed(value)
}

const summary = (result: ChatAuthResult, nowMillis: number): string => {
  const { item } = result
  const header = result.unverifiedTokenHeader
  const left = Math.round((result.tokenExpiresAt.getTime() - nowMillis) / 1000)
  const rows: Array<readonly [string, string]> = [
    ["site", item.chatSiteName],
    ["domain", item.domain],
    ["pool", item.poolId],
    ["engagement", result.engagementUrl],
    [
      "token",
      `expires ${result.tokenExpiresAt.toISOString()} (${Output.relative(left)}), ${header.alg}, kid ${
        header.kid ?? "-"
      }`
    ]
  ]
  if (result.mediaList !== undefined) rows.push(["mediaList", String(item.mediaList)])
  rows.push(["jwt", item.jwt])
  return `Created a chat authentication for ${item.authUserName}\n${Output.fields(rows)}`
}

/**
 * The parsed options of `authenticate`.
 *
 * @since 0.1.0
 * @category options
 */
export type AuthenticateOptions = Omit<
  Command.Command.ParseConfig<typeof settings & { readonly attributes: typeof attributeOptions }>,
  "jwtOnly"
>

/**
 * One chatAuthenticate call from the command's options: the body from `--data` and the attribute flags, the
 * credentials from the flags, the environment or a prompt.
 *
 * @since 0.1.0
 * @category running
 */
export const authenticateWith = (
  options: AuthenticateOptions
): Effect.Effect<ChatAuthResult, CliError, FileSystem.FileSystem | Stdio | Prompt.Prompt.Environment> =>
  Effect.gen(function*() {
    const body: Record<string, unknown> = { ...(yield* readData(options.data)) }
    for (const [name, value] of Object.entries(options.attributes)) {
      if (Option.isSome(value)) body[name] = value.value
    }
    if (body.authUserName === undefined || body.authUserName === null || body.authUserName === "") {
      return yield* Effect.fail(CliError.usage("--auth-user-name is required (or authUserName in --data)"))
    }
    const baseUrl = yield* checkBaseUrl(options.baseUrl)
    const username = yield* credential(
      options.username,
      Prompt.text({ message: "User name" }),
      "no user name: pass --username or set CHATAUTH_USERNAME"
    )
    if (username === "" || username.includes(":")) {
      return yield* Effect.fail(CliError.usage("the user name must be non-empty and hold no ':'"))
    }
    const password = yield* credential(
      options.password,
      Prompt.password({ message: `Password of ${username}` }),
      "no password: set CHATAUTH_PASSWORD (or pass --password, or run at a terminal to be asked)"
    )
    // Loaded on use: the client and the contract are not needed by the other commands.
    const { ChatAuthClient } = yield* Effect.promise(() => import("@chatauth/client/ChatAuthClient"))
    const FetchHttpClient = yield* Effect.promise(() => import("@effect/platform/FetchHttpClient"))
    const client = yield* ChatAuthClient.make({
      baseUrl,
      username,
      password,
      basePath: Option.getOrUndefined(options.basePath),
      frameworkVersion: Option.getOrUndefined(options.frameworkVersion),
      metadataContext: Option.getOrUndefined(options.metadataContext),
      onlyData: options.onlyData ? true : undefined,
      timeout: Option.getOrUndefined(Option.map(options.timeoutMs, Duration.millis))
    }).pipe(
      Effect.provide(FetchHttpClient.layer),
      // The client dies on options it cannot use (a programming error for a library, a usage error here).
      Effect.catchAllDefect((defect) => {
        const text = defect instanceof Error ? defect.message : String(defect)
        return text.startsWith("ChatAuthClient:")
          ? Effect.fail(CliError.usage(text.replace(/^ChatAuthClient: /, "")))
          : Effect.die(defect)
      })
    )
    return yield* client.authenticate(body as ChatAuthRequest.ChatAuthRequest).pipe(Effect.mapError(describeFailure))
  })

/**
 * How `chatauth authenticate --help` groups its options: the connection first, the body's attribute flags (one per
 * request attribute, over 30) listed by name only.
 *
 * @since 0.2.0
 * @category help
 */
export const helpGroups: ReadonlyArray<{
  readonly title: string
  readonly options: ReadonlyArray<string>
  readonly compact?: boolean
  readonly note?: string
}> = [
  {
    title: "CONNECTION",
    options: ["base-url", "username", "password", "base-path", "framework-version", "metadata-context", "timeout-ms"]
  },
  { title: "REQUEST", options: ["auth-user-name", "data", "only-data"] },
  {
    title: "REQUEST ATTRIBUTES",
    note: "One flag per attribute of the request, in kebab case (queueId is --queue-id), each taking the attribute's " +
      "value; they override the same attributes of --data.",
    options: describedAttributes.map((attribute) => flagName(attribute.name)).filter((name) =>
      name !== "auth-user-name"
    ),
    compact: true
  },
  { title: "OUTPUT", options: ["json", "jwt-only"] }
]

/**
 * `chatauth authenticate --base-url URL --auth-user-name NAME [attribute flags] [--data @file.json] [--json]`.
 *
 * @since 0.1.0
 * @category commands
 */
export const authenticateCommand = Command.make(
  "authenticate",
  { ...settings, attributes: attributeOptions },
  (options) =>
    Effect.gen(function*() {
      if (options.json && options.jwtOnly) {
        return yield* Effect.fail(CliError.usage("--json and --jwt-only exclude each other: choose one"))
      }
      const result = yield* authenticateWith(options)
      if (options.json) {
        const { ChatAuthenticateItem } = yield* Effect.promise(() => import("@chatauth/core/ChatAuthenticate"))
        return yield* Output.json(Schema.encodeSync(ChatAuthenticateItem)(result.item))
      }
      if (options.jwtOnly) return yield* Output.line(result.item.jwt)
      yield* Output.line(summary(result, yield* Clock.currentTimeMillis))
    })
).pipe(
  Command.withDescription(
    "Call chatAuthenticate once and print the answer: site, domain, pool, engagement URL and token expiry (or --json)"
  )
)
