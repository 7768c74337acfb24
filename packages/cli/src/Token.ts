/**
 * `chatauth token decode|verify`: read a chat token, or check it the way a Channel Server must.
 *
 * - `decode TOKEN` prints the header and claims WITHOUT verifying anything, and says so; a token that is not three
 *   base64url JSON segments exits 1.
 * - `verify TOKEN --jwks URL|FILE` checks the signature against the JWKS, the algorithm, `iss` (default
 *   "Fusion Apps"), `exp`/`iat` with a clock tolerance, and `aud` when `--audience` is given (otherwise the audience
 *   is shown, not checked, and the output says so). Valid: exit 0 and the claims; refused: exit 1 and the reason.
 *
 * @example
 * // $ chatauth token verify "$JWT" --jwks http://127.0.0.1:8080/.well-known/jwks.json \
 * //     --audience https://chat.example.com/engagement/api/consumer/site-a
 * import { tokenCommand } from "@chatauth/cli/Token"
 *
 * @since 0.1.0
 */
import type { JwksSource } from "@chatauth/core/TokenVerifier"
import { Args, Command, Options } from "@effect/cli"
import { Clock, Effect, Either, Encoding, Option } from "effect"
import { CliError } from "./CliError.js"
import * as Output from "./internal/output.js"
import { Stdio } from "./internal/stdio.js"

const tokenArg = Args.text({ name: "TOKEN" }).pipe(
  Args.withDescription("A compact JWT, such as the jwt of a chatAuthenticate answer (- reads stdin)")
)

const jsonOption = Options.boolean("json").pipe(Options.withDescription("Print the result as JSON"))

const readToken = (value: string) =>
  value === "-"
    ? Effect.flatMap(Stdio, (stdio) => Effect.map(stdio.readAll, (text) => text.trim()))
    : Effect.succeed(value.trim())

const segmentJson = (segment: string | undefined, name: string): Either.Either<Record<string, unknown>, string> => {
  if (segment === undefined || !/^[A-Za-z0-9_-]+$/.test(segment)) return Either.left(`its ${name} is not base64url`)
  return Either.flatMap(
    Either.mapLeft(Encoding.decodeBase64UrlString(segment), () => `its ${name} is not base64url`),
    (text) => {
      try {
        const value: unknown = JSON.parse(text)
        return value !== null && typeof value === "object" && !Array.isArray(value)
          ? Either.right(value as Record<string, unknown>)
          : Either.left(`its ${name} is not a JSON object`)
      } catch {
        return Either.left(`its ${name} is not JSON`)
      }
    }
  )
}

/**
 * Reads a compact JWS's header and claims without verifying anything.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnverified = (
  token: string
): Either.Either<{ readonly header: Record<string, unknown>; readonly claims: Record<string, unknown> }, string> => {
  const segments = token.split(".")
  if (segments.length !== 3) return Either.left("it is not a compact JWT (three dot-separated parts)")
  return Either.all({ header: segmentJson(segments[0], "header"), claims: segmentJson(segments[1], "payload") })
}

// `exp` and `iat` as readable times next to the raw claims.
const timeLines = (claims: Record<string, unknown>, nowSeconds: number): Array<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = []
  if (typeof claims.iat === "number") {
    out.push(["issued", `${Output.time(claims.iat * 1000)} (${Output.relative(claims.iat - nowSeconds)})`])
  }
  if (typeof claims.exp === "number") {
    const left = claims.exp - nowSeconds
    out.push(["expires", `${Output.time(claims.exp * 1000)} (${left < 0 ? "expired " : ""}${Output.relative(left)})`])
  }
  return out
}

const decode = Command.make(
  "decode",
  { token: tokenArg, json: jsonOption },
  ({ json, token }) =>
    Effect.gen(function*() {
      const decoded = decodeUnverified(yield* readToken(token))
      if (Either.isLeft(decoded)) return yield* Effect.fail(CliError.refused(`malformed token: ${decoded.left}`))
      const { claims, header } = decoded.right
      if (json) return yield* Output.json({ verified: false, header, claims })
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      yield* Output.line("NOT VERIFIED: decoded without checking the signature, issuer, audience or expiry.")
      yield* Output.line("Do not trust these values; check them with `chatauth token verify`.")
      yield* Output.line(`header: ${JSON.stringify(header, null, 2)}`)
      yield* Output.line(`claims: ${JSON.stringify(claims, null, 2)}`)
      const times = timeLines(claims, now)
      if (times.length > 0) yield* Output.line(Output.fields(times))
    })
).pipe(Command.withDescription("Print a token's header and claims WITHOUT verifying it"))

/**
 * The clock skew `token verify` tolerates by default, in seconds: core's `DEFAULT_CLOCK_TOLERANCE_SECONDS`, written
 * out so that `--help` does not load the verifier.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30

const algorithms = ["RS256", "ES256", "EdDSA"] as const
type Algorithm = typeof algorithms[number]

const parseAlgorithms = (value: string): Either.Either<ReadonlyArray<Algorithm>, string> => {
  const list = value.split(",").map((item) => item.trim()).filter((item) => item !== "")
  const invalid = list.filter((alg) => !(algorithms as ReadonlyArray<string>).includes(alg))
  return list.length === 0 || invalid.length > 0
    ? Either.left(`--algorithms must be a comma-separated list of ${algorithms.join(", ")}`)
    : Either.right(list as ReadonlyArray<Algorithm>)
}

const jwksSource = (value: string): JwksSource => /^https?:\/\//i.test(value) ? { url: value } : { file: value }

const verify = Command.make(
  "verify",
  {
    token: tokenArg,
    jwks: Options.text("jwks").pipe(
      Options.withDescription("The verification keys: a JWKS URL (http/https) or a JWKS file")
    ),
    audience: Options.text("audience").pipe(
      Options.withDescription(
        "The expected aud, e.g. https://<domain>/engagement/api/consumer/<chatSiteName>; without it aud is shown, not checked"
      ),
      Options.optional
    ),
    issuer: Options.text("issuer").pipe(
      Options.withDescription("The expected iss (default Fusion Apps)"),
      Options.withDefault("Fusion Apps")
    ),
    clockTolerance: Options.integer("clock-tolerance").pipe(
      Options.withDescription(
        `Tolerated clock skew for exp and iat, in seconds (default ${DEFAULT_CLOCK_TOLERANCE_SECONDS})`
      ),
      Options.withDefault(DEFAULT_CLOCK_TOLERANCE_SECONDS)
    ),
    algorithms: Options.text("algorithms").pipe(
      Options.withDescription("Accepted algorithms, comma-separated among RS256, ES256, EdDSA (default RS256)"),
      Options.withDefault("RS256")
    ),
    json: jsonOption
  },
  (options) =>
    Effect.gen(function*() {
      const algs = parseAlgorithms(options.algorithms)
      if (Either.isLeft(algs)) return yield* Effect.fail(CliError.usage(algs.left))
      if (options.clockTolerance < 0) {
        return yield* Effect.fail(CliError.usage("--clock-tolerance must not be negative"))
      }
      const token = yield* readToken(options.token)
      // Loaded on use (jose and the verifier are not needed by the other commands).
      const { TokenVerifier } = yield* Effect.promise(() => import("@chatauth/core/TokenVerifier"))
      const verifier = yield* TokenVerifier.make({
        jwks: jwksSource(options.jwks),
        issuer: options.issuer,
        algorithms: algs.right,
        clockToleranceSeconds: options.clockTolerance
      }).pipe(Effect.mapError((error) => CliError.refused(`cannot use --jwks: ${error.message}`)))
      const audience = Option.getOrUndefined(options.audience)
      const verified = yield* verifier.verify(token, audience === undefined ? undefined : { audience }).pipe(
        Effect.mapError((error) => CliError.refused(`token rejected (${error.reason}): ${error.message}`)),
        // An unreachable JWKS URL or an unusable published key is not the token's fault (TokenVerifier dies).
        Effect.catchAllDefect((defect) =>
          Effect.fail(
            CliError.refused(`cannot verify: ${defect instanceof Error ? defect.message : String(defect)}`)
          )
        )
      )
      const audienceChecked = audience !== undefined
      if (options.json) {
        return yield* Output.json({
          valid: true,
          audienceChecked,
          header: verified.header,
          claims: verified.claims
        })
      }
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const { claims } = verified
      yield* Output.line(
        `VALID: signature (${verified.header.alg}, kid ${verified.header.kid ?? "-"}), issuer and expiry checked`
      )
      yield* Output.line(Output.fields([
        ["sub", claims.sub],
        ["prn", claims.prn],
        ["iss", claims.iss],
        [
          "aud",
          audienceChecked ? `${claims.aud} (checked)` : `${claims.aud} (NOT checked: pass --audience to check it)`
        ],
        ...timeLines(claims, now)
      ]))
      yield* Output.line(`claims: ${JSON.stringify(claims)}`)
    })
).pipe(Command.withDescription("Verify a token's signature, algorithm, issuer, expiry and (with --audience) audience"))

/**
 * `chatauth token decode|verify`.
 *
 * @since 0.1.0
 * @category commands
 */
export const tokenCommand = Command.make("token").pipe(
  Command.withDescription("Read (decode) or check (verify) a chat token"),
  Command.withSubcommands([decode, verify])
)
