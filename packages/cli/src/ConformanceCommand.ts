/**
 * `chatauth conformance`: the conformance kit of `@chatauth/client` against any chatAuthenticate endpoint —
 * chatauth or a real Oracle pod — one line per case, PASS, FAIL (each deviation named below it) or SKIP (with the
 * reason); `--json` prints the report instead. Exit 0 only when no case failed.
 *
 * `--compare URL2` is the shadow diff: the same requests to both endpoints, and where their answers differ, field
 * by field (the token's signature, times and key ids, and the links' origin, left out). Exit 0 only when they
 * agree.
 *
 * The password comes from `--password-file F` (its first line; `-` reads standard input), else
 * `CHATAUTH_PASSWORD`, else a prompt at a terminal; it is never printed, and neither is a token.
 *
 * @example
 * // $ chatauth conformance --base-url http://127.0.0.1:8080 --username portal --password-file ~/.portal-password
 * // $ chatauth conformance --base-url https://pod.example.com --username integration --password-file pw.txt \
 * //     --compare http://127.0.0.1:8080 --compare-username portal --compare-password-file portal.txt --json
 * import { conformanceCommand } from "@chatauth/cli/ConformanceCommand"
 *
 * @since 0.2.0
 */
import type { Conformance, ShadowDiff } from "@chatauth/client"
import { Command, Options, Prompt } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import { Config, Effect, Option, Redacted } from "effect"
import { settings } from "./Authenticate.js"
import { CliError } from "./CliError.js"
import * as Output from "./internal/output.js"
import { prompt, Stdio } from "./internal/stdio.js"

const kinds = ["auto", "chatauth", "pod"] as const

const options = {
  baseUrl: settings.baseUrl,
  username: Options.text("username").pipe(
    Options.withDescription("The caller, HTTP Basic (env CHATAUTH_USERNAME)"),
    Options.withFallbackConfig(Config.string("CHATAUTH_USERNAME"))
  ),
  passwordFile: Options.text("password-file").pipe(
    Options.withDescription(
      "A file whose first line is the password (- reads standard input; else env CHATAUTH_PASSWORD, or a prompt)"
    ),
    Options.optional
  ),
  kind: Options.choice("kind", kinds).pipe(
    Options.withDescription(
      "What the endpoint is: auto (chatauth when its /openapi.json is chatauth's, else a pod), chatauth or pod"
    ),
    Options.withDefault("auto" as const)
  ),
  timeoutMs: Options.integer("timeout-ms").pipe(
    Options.withDescription("Longest time one request may take, in milliseconds (default 10000)"),
    Options.optional
  ),
  jwksUrl: Options.text("jwks-url").pipe(
    Options.withDescription(
      "The keys the token verifies with (default <base URL>/.well-known/jwks.json, if published)"
    ),
    Options.optional
  ),
  audienceDomain: Options.text("audience-domain").pipe(
    Options.withDescription(
      "The Channel Server domain the endpoint must answer: the domain attribute and the host of the token's aud"
    ),
    Options.optional
  ),
  issuer: Options.text("issuer").pipe(
    Options.withDescription("The token's expected iss (default Fusion Apps)"),
    Options.optional
  ),
  tokenTtl: Options.integer("token-ttl").pipe(
    Options.withDescription("The token's expected lifetime, exp - iat, in seconds (default 120)"),
    Options.optional
  ),
  clockTolerance: Options.integer("clock-tolerance").pipe(
    Options.withDescription("How far iat may be from this machine's clock, in seconds (default 30)"),
    Options.optional
  ),
  lockout: Options.boolean("lockout").pipe(
    Options.withDescription(
      "Also run auth.lockout against chatauth (up to 10 failed logins from this address; never against a pod)"
    )
  ),
  skip: Options.text("skip").pipe(Options.withDescription("A case not to run, by id"), Options.repeated),
  compare: Options.text("compare").pipe(
    Options.withDescription("Shadow diff: send the same requests to this endpoint too and show where they differ"),
    Options.optional
  ),
  compareUsername: Options.text("compare-username").pipe(
    Options.withDescription("The caller at the --compare endpoint (default --username)"),
    Options.optional
  ),
  comparePasswordFile: Options.text("compare-password-file").pipe(
    Options.withDescription(
      "Its password's file (- reads standard input; else env CHATAUTH_COMPARE_PASSWORD; default the first password)"
    ),
    Options.optional
  ),
  compareKind: Options.choice("compare-kind", kinds).pipe(
    Options.withDescription("What the --compare endpoint is (default auto)"),
    Options.withDefault("auto" as const)
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print the report (or the comparison) as JSON"))
}

/**
 * How `chatauth conformance --help` groups its options.
 *
 * @since 0.2.0
 * @category help
 */
export const helpGroups: ReadonlyArray<{ readonly title: string; readonly options: ReadonlyArray<string> }> = [
  { title: "ENDPOINT", options: ["base-url", "username", "password-file", "kind", "timeout-ms"] },
  { title: "TOKEN", options: ["jwks-url", "audience-domain", "issuer", "token-ttl", "clock-tolerance"] },
  { title: "CASES", options: ["lockout", "skip"] },
  { title: "SHADOW DIFF", options: ["compare", "compare-username", "compare-password-file", "compare-kind"] },
  { title: "OUTPUT", options: ["json"] }
]

type Parsed = Command.Command.ParseConfig<typeof options>

/** The first line of a password file, or of standard input for `-`. */
const passwordFromFile = (
  path: string,
  flag: string
): Effect.Effect<Redacted.Redacted<string>, CliError, FileSystem.FileSystem | Stdio> =>
  Effect.gen(function*() {
    const text = path === "-"
      ? yield* Effect.flatMap(Stdio, (stdio) => stdio.readAll)
      : yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)).pipe(
        Effect.mapError((error) => CliError.usage(`${flag}: cannot read ${path}: ${error.message}`))
      )
    const line = text.split("\n")[0].replace(/\r$/, "")
    if (line === "") {
      return yield* Effect.fail(CliError.usage(`${flag}: ${path === "-" ? "standard input" : path} holds no password`))
    }
    return Redacted.make(line)
  })

const password = (
  file: Option.Option<string>,
  flag: string,
  variable: string,
  fallback: Effect.Effect<Redacted.Redacted<string>, CliError, Stdio | Prompt.Prompt.Environment>
) =>
  Option.match(file, {
    onSome: (path) => passwordFromFile(path, flag),
    onNone: () =>
      Effect.flatMap(
        Config.option(Config.redacted(variable)).pipe(
          Effect.mapError((error) => CliError.usage(`invalid ${variable}: ${error}`))
        ),
        Option.match({ onSome: Effect.succeed, onNone: () => fallback })
      )
  })

const askPassword = (username: string) =>
  Effect.flatMap(Stdio, (stdio) =>
    stdio.interactive
      ? prompt(Prompt.password({ message: `Password of ${username}` }))
      : Effect.fail(
        CliError.usage("no password: pass --password-file F (- for standard input) or set CHATAUTH_PASSWORD")
      ))

/** The options of the kit's runs, from the command line. */
const runOptions = (parsed: Parsed) =>
  Effect.gen(function*() {
    if (
      Option.getOrUndefined(parsed.passwordFile) === "-" && Option.getOrUndefined(parsed.comparePasswordFile) === "-"
    ) {
      return yield* Effect.fail(
        CliError.usage("--password-file and --compare-password-file cannot both read standard input")
      )
    }
    const first = yield* password(
      parsed.passwordFile,
      "--password-file",
      "CHATAUTH_PASSWORD",
      askPassword(parsed.username)
    )
    const shared = {
      audienceDomain: Option.getOrUndefined(parsed.audienceDomain),
      issuer: Option.getOrUndefined(parsed.issuer),
      tokenTtlSeconds: Option.getOrUndefined(parsed.tokenTtl),
      clockToleranceSeconds: Option.getOrUndefined(parsed.clockTolerance),
      lockout: parsed.lockout,
      skip: parsed.skip,
      timeout: Option.getOrUndefined(parsed.timeoutMs)
    }
    const a: Conformance.ConformanceOptions = {
      ...shared,
      baseUrl: parsed.baseUrl,
      username: parsed.username,
      password: first,
      kind: parsed.kind,
      jwksUrl: Option.getOrUndefined(parsed.jwksUrl)
    }
    if (Option.isNone(parsed.compare)) return { a, b: undefined }
    const username = Option.getOrElse(parsed.compareUsername, () => parsed.username)
    const second = yield* password(
      parsed.comparePasswordFile,
      "--compare-password-file",
      "CHATAUTH_COMPARE_PASSWORD",
      Option.isSome(parsed.compareUsername)
        ? Effect.fail(
          CliError.usage(
            "--compare-username needs its password: pass --compare-password-file F or set CHATAUTH_COMPARE_PASSWORD"
          )
        )
        : Effect.succeed(first)
    )
    const b: Conformance.ConformanceOptions = {
      ...shared,
      baseUrl: parsed.compare.value,
      username,
      password: second,
      kind: parsed.compareKind
    }
    return { a, b }
  })

const VERDICT = { pass: "PASS", fail: "FAIL", skip: "SKIP" } as const

/** The report as text: one line a case, each deviation or the skip's reason indented below it. */
export const renderReport = (report: Conformance.ConformanceReport): string => {
  const width = Math.max(...report.results.map((result) => result.id.length))
  const lines = [`Conformance of ${report.baseUrl} (${report.kind}: ${report.kindReason})`]
  for (const result of report.results) {
    lines.push(`${VERDICT[result.verdict]}  ${result.id.padEnd(width)}  ${result.title}`)
    for (const message of result.messages) lines.push(`      - ${message}`)
    if (result.reason !== undefined) lines.push(`      (${result.reason})`)
  }
  for (const note of report.notes) lines.push(`note: ${note}`)
  lines.push(
    `${report.results.length} cases: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`
  )
  return lines.join("\n")
}

const value = (present: boolean, shown: unknown): string => {
  if (!present) return "(absent)"
  const text = JSON.stringify(shown) ?? String(shown)
  return text.length > 100 ? `${text.slice(0, 100)}…` : text
}

/** The comparison as text: the requests answered differently, each with its differing fields. */
export const renderComparison = (comparison: ShadowDiff.ComparisonReport): string => {
  const lines = [
    `Shadow diff of A ${comparison.a.baseUrl} (${comparison.a.kind}) and B ${comparison.b.baseUrl} (${comparison.b.kind})`
  ]
  for (const exchange of comparison.exchanges) {
    if (exchange.differences.length === 0) continue
    lines.push(`DIFF  ${exchange.label}  (${exchange.cases.join(", ")})`)
    for (const difference of exchange.differences) {
      lines.push(
        `        ${difference.field}: A ${value("a" in difference, difference.a)}, B ${
          value("b" in difference, difference.b)
        }`
      )
    }
  }
  if (comparison.notCompared.length > 0) {
    lines.push("Not compared:")
    for (const { id, reason } of comparison.notCompared) lines.push(`  ${id} (${reason})`)
  }
  const total = comparison.exchanges.length
  lines.push(
    comparison.same
      ? `No differences in ${total} requests.`
      : `${total} requests: ${comparison.differing} answered differently, ${total - comparison.differing} the same`
  )
  return lines.join("\n")
}

/**
 * `chatauth conformance --base-url URL --username U [--password-file F] [--compare URL2] [--json]`.
 *
 * @since 0.2.0
 * @category commands
 */
export const conformanceCommand = Command.make("conformance", options, (parsed) =>
  Effect.gen(function*() {
    const { a, b } = yield* runOptions(parsed)
    // Loaded on use: the kit and its HTTP client are not needed by the other commands.
    const Conformance = yield* Effect.promise(() => import("@chatauth/client/Conformance"))
    const ShadowDiff = yield* Effect.promise(() => import("@chatauth/client/ShadowDiff"))
    const FetchHttpClient = yield* Effect.promise(() => import("@effect/platform/FetchHttpClient"))
    for (const [flag, given] of [["", a], ["--compare: ", b]] as const) {
      const problem = given === undefined ? undefined : Conformance.validate(given)
      if (problem !== undefined) return yield* Effect.fail(CliError.usage(`${flag}${problem}`))
    }
    if (b === undefined) {
      const report = yield* Conformance.run(a).pipe(Effect.provide(FetchHttpClient.layer))
      yield* parsed.json ? Output.json(report) : Output.line(renderReport(report))
      if (!report.ok) {
        return yield* Effect.fail(
          CliError.refused(`${report.failed} of ${report.results.length} cases failed against ${report.baseUrl}`)
        )
      }
      return
    }
    const comparison = yield* ShadowDiff.compare(a, b).pipe(Effect.provide(FetchHttpClient.layer))
    yield* parsed.json ? Output.json(comparison) : Output.line(renderComparison(comparison))
    if (!comparison.same) {
      return yield* Effect.fail(
        CliError.refused(
          `the endpoints answered ${comparison.differing} of ${comparison.exchanges.length} requests differently`
        )
      )
    }
  })).pipe(
    Command.withDescription(
      "Run the documented conformance cases against a chatAuthenticate endpoint (chatauth or an Oracle pod), or " +
        "diff two endpoints' answers (--compare)"
    )
  )
