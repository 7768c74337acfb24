/**
 * The conformance cases: each one states what it sends and what it expects, with the rule of the contract it holds
 * the endpoint to (docs/contract.md, and docs/conformance.md for the list), and judges the answers.
 *
 * A case checks its own rule only, and names every deviation it finds: the status of a created item is
 * `create.status`'s business, so the echo cases read an item from any 2xx answer. A case that cannot find what it
 * judges (no answer, a refusal where an item was due) fails saying so.
 */
import { itemHref, RESOURCE_NAME } from "@chatauth/core/Links"
import { ADF_ERROR_JSON, ADF_RESOURCE_ITEM, essence } from "@chatauth/core/MediaTypes"
import { BASE_PATHS, DEFAULT_BASE_PATH } from "@chatauth/core/Resource"
import { audienceFor } from "@chatauth/core/TokenIssuer"
import { TokenVerifier } from "@chatauth/core/TokenVerifier"
import { Clock, Effect, Either } from "effect"
import {
  answerOf,
  answerProblems,
  authChallenge,
  compareAttributes,
  decodeToken,
  describeAnswer,
  eachItem,
  errorFormProblems,
  errorPathProblems,
  has,
  isAbsoluteHttp,
  isObject,
  type Item,
  itemOf,
  sameMembers,
  sameRefusal,
  show,
  verdict
} from "./judge.js"
import type { CaseContext, CaseDefinition, Outcome, Settings } from "./model.js"
import * as Requests from "./requests.js"
import type { WireRequest } from "./wire.js"

const ROUTING = ["chatSiteName", "domain", "poolId"] as const

const routingProblems = (item: Item, settings: Settings): Array<string> =>
  ROUTING.flatMap((name) => {
    const value = item[name]
    if (typeof value !== "string" || value.trim() === "") return [`${name}: answered ${show(value)}; expected a name`]
    if (name === "domain" && settings.audienceDomain !== undefined && value !== settings.audienceDomain) {
      return [`domain: answered ${show(value)}; expected "${settings.audienceDomain}" (--audience-domain)`]
    }
    return []
  })

/** The echo of Oracle's example, held to Oracle's documented answer. */
const exampleProblems = (item: Item, settings: Settings): Array<string> => {
  const echoed = Object.fromEntries(
    Object.entries(Requests.documentedAnswer).filter(([name]) => !(ROUTING as ReadonlyArray<string>).includes(name))
  )
  const sent = (name: string) =>
    has(Requests.exampleBody, name) ? `sent ${show(Requests.exampleBody[name])}` : "not sent"
  const problems = compareAttributes(item, echoed, sent, "Oracle's documented answer is")
  problems.push(...routingProblems(item, settings))
  if (typeof item.jwt !== "string") problems.push(`jwt: answered ${show(item.jwt)}; expected a token`)
  const allowed = new Set([...Object.keys(Requests.documentedAnswer), "jwt", "links"])
  for (const name of Object.keys(item)) {
    if (!allowed.has(name)) problems.push(`${name}: answered ${show(item[name])}; Oracle's answer has no ${name}`)
  }
  return problems
}

const sendAll = (context: CaseContext, requests: ReadonlyArray<WireRequest>) =>
  Effect.forEach(requests, context.exchange)

const createdRequests = [
  Requests.exampleJson,
  Requests.exampleCurl,
  ...Requests.minimalOnEveryBasePath,
  Requests.onlyData
]

// The item's href without its origin, which is the endpoint's public one (a proxy's, CHATAUTH_PUBLIC_URL…).
const expectedHrefSuffix = (basePath: string, authUserName: string) => itemHref("", basePath, authUserName)

const linkProblems = (item: Item, basePath: string): Array<string> => {
  const links = item.links
  if (links === undefined) return ["links: absent; expected the self and canonical links"]
  if (!Array.isArray(links)) return [`links: answered ${show(links)}; expected an array of links`]
  const suffix = expectedHrefSuffix(basePath, String(item.authUserName))
  const problems: Array<string> = []
  const rels = links.map((link) => (isObject(link) ? link.rel : undefined))
  if (JSON.stringify(rels) !== JSON.stringify(["self", "canonical"])) {
    problems.push(`links: the rels are ${JSON.stringify(rels)}; expected ["self","canonical"]`)
  }
  for (const link of links) {
    if (!isObject(link)) continue
    const rel = String(link.rel)
    if (link.name !== RESOURCE_NAME) {
      problems.push(`links ${rel}: name is ${show(link.name)}; expected "${RESOURCE_NAME}"`)
    }
    if (link.kind !== "item") problems.push(`links ${rel}: kind is ${show(link.kind)}; expected "item"`)
    if (typeof link.href !== "string" || !isAbsoluteHttp(link.href) || !link.href.endsWith(suffix)) {
      problems.push(`links ${rel}: href is ${show(link.href)}; expected an absolute URL ending in ${suffix}`)
    }
  }
  return problems
}

const selfHref = (item: Item): string | undefined => {
  if (!Array.isArray(item.links)) return undefined
  const self = item.links.find((link) => isObject(link) && link.rel === "self")
  return isObject(self) && typeof self.href === "string" ? self.href : undefined
}

/** The token of Oracle's example answer, decoded (not verified), with the item it came in. */
const exampleToken = (context: CaseContext) =>
  Effect.map(
    context.exchange(Requests.exampleJson),
    (exchange) =>
      Either.flatMap(
        itemOf(exchange),
        ({ item }) => Either.map(decodeToken(item.jwt), (token) => ({ item, token, jwt: item.jwt as string }))
      )
  )

const expectedAudience = (item: Item, settings: Settings) =>
  audienceFor(settings.audienceDomain ?? String(item.domain), String(item.chatSiteName))

const CLAIMS = ["exp", "sub", "aud", "iss", "prn", "iat"]
const HEADER = ["alg", "typ", "x5t", "kid"]

const methodCase = (item: boolean): CaseDefinition => ({
  id: item ? "method.get-item" : "method.get-collection",
  title: `GET ${item ? "…/chatAuthenticate/{authUserName}" : "…/chatAuthenticate"} is refused with 405 and Allow: POST`,
  sends: `GET ${
    item ? "of an item" : "of the collection"
  }, with credentials, without REST-Framework-Version and with 4`,
  expects: "405 with `Allow: POST`; a plain-text message without the header, the ADF JSON error with 4",
  rule: "§1 — Oracle documents the GETs as \"Not Supported\"; the 405 is a decision",
  run: (context) =>
    Effect.gen(function*() {
      const forms = [[undefined, "text"], ["4", "json"]] as const
      const problems: Array<string> = []
      for (const [frameworkVersion, form] of forms) {
        const exchange = yield* context.exchange(Requests.getResource(item, frameworkVersion))
        problems.push(...answerProblems(exchange, (response) => [
          ...errorFormProblems(response, form, 405, undefined),
          ...(/\bPOST\b/.test(response.headers["allow"] ?? "")
            ? []
            : [`Allow is ${show(response.headers["allow"])}; expected POST`])
        ], `${exchange.request.label}: `))
      }
      return verdict(problems)
    })
})

const LOCKOUT_ATTEMPTS = 10

/**
 * The catalogue, in the order the cases run. The lockout comes last: on a server that counts failures by address,
 * nothing after it could be answered otherwise.
 */
export const cases: ReadonlyArray<CaseDefinition> = [
  {
    id: "create.status",
    title: "A created chat authentication answers 201 Created",
    sends: "Oracle's example (as JSON and in the cURL form), the least request on each of the four base paths, and " +
      "with `?onlyData=true`",
    expects: "201 Created to each",
    rule: "§3 — Oracle (ADF: a created item is a 201)",
    run: (context) =>
      Effect.map(
        sendAll(context, createdRequests),
        (exchanges) =>
          verdict(exchanges.flatMap((exchange) =>
            answerProblems(
              exchange,
              (response) =>
                response.status === 201 ? [] : [`answered ${describeAnswer(response)}; expected 201 Created`],
              `${exchange.request.label}: `
            )
          ))
      )
  },
  {
    id: "create.content-type",
    title: "The created item is labelled application/vnd.oracle.adf.resourceitem+json",
    sends: "the requests of create.status",
    expects: `\`Content-Type: ${ADF_RESOURCE_ITEM}\` on each created item`,
    rule: "§3 — Oracle (ADF)",
    run: (context) =>
      Effect.map(sendAll(context, createdRequests), (exchanges) =>
        verdict(eachItem(exchanges, (_, response) => {
          const type = essence(response.headers["content-type"])
          return type === ADF_RESOURCE_ITEM
            ? []
            : [`Content-Type is ${show(response.headers["content-type"])}; expected ${ADF_RESOURCE_ITEM}`]
        })))
  },
  {
    id: "create.example",
    title: "Oracle's example is answered as Oracle documents it",
    sends: "Oracle's example request as `application/json`",
    expects: "the item of Oracle's documented answer, attribute for attribute (`categoryId` 456000 comes back as " +
      "\"456000\", `incidentId` null as null), with `chatSiteName`, `domain` and `poolId` present (the endpoint's " +
      "own routing; `domain` equal to `--audience-domain` when given), a `jwt`, and nothing else but `links`",
    rule: "§2 — Oracle (the reference's example)",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.exampleJson),
        (exchange) => verdict(eachItem([exchange], (item) => exampleProblems(item, context.settings)))
      )
  },
  {
    id: "create.curl",
    title: "Oracle's documented cURL command works as written",
    sends: "Oracle's example the way `curl -u user:password -X POST -d @example_request_payload.json URL` sends " +
      "it: `Content-Type: application/x-www-form-urlencoded`, no `REST-Framework-Version`",
    expects: "the same item as create.example",
    rule: "§3 — Oracle's command; accepting its form is a decision",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.exampleCurl),
        (exchange) => verdict(eachItem([exchange], (item) => exampleProblems(item, context.settings)))
      )
  },
  {
    id: "create.base-paths",
    title: "Each documented base path creates an item",
    sends: `the least request, \`{"authUserName": "${Requests.CONFORMANCE_USER}"}\`, to ${BASE_PATHS.join(", ")}`,
    expects: "an item echoing the authUserName from each",
    rule: "§1 — Oracle (crmRestApi 11.13.18.05, serviceApi 11.13.0.0), sample (`latest`)",
    run: (context) =>
      Effect.map(
        sendAll(context, Requests.minimalOnEveryBasePath),
        (exchanges) =>
          verdict(eachItem(exchanges, (item) =>
            item.authUserName === Requests.CONFORMANCE_USER
              ? []
              : [`authUserName: answered ${show(item.authUserName)}; expected "${Requests.CONFORMANCE_USER}"`]))
      )
  },
  {
    id: "echo.strings",
    title: "Every attribute sent as a string is echoed as that string",
    sends: "every attribute Oracle names, each as a valid string",
    expects: "each attribute back, the same string",
    rule: "§2 — Oracle (every attribute is a string)",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.strings),
        (exchange) =>
          verdict(eachItem([exchange], (item) =>
            compareAttributes(
              item,
              Object.fromEntries(
                Object.entries(Requests.stringValues).filter(([name]) => !Requests.GUESSED_ATTRIBUTES.includes(name))
              ),
              (name) => `sent ${show(Requests.stringValues[name])}`
            )))
      )
  },
  {
    id: "echo.integers",
    title: "An id sent as a JSON integer is echoed as a string",
    sends: `the id attributes (${Object.keys(Requests.integerValues).join(", ")}) as JSON integers`,
    expects: "each back as its decimal string (456000 → \"456000\")",
    rule: "§2 — Oracle (the example sends categoryId 456000 and answers \"456000\"), sample (queueId 1)",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.integers),
        (exchange) =>
          verdict(eachItem([exchange], (item) =>
            compareAttributes(
              item,
              Object.fromEntries(Object.entries(Requests.integerValues).map(([name, value]) => [name, String(value)])),
              (name) => `sent ${show(Requests.integerValues[name])}`
            )))
      )
  },
  {
    id: "echo.nulls",
    title: "null stays null; a null clientType is CONSUMER",
    sends: "every optional attribute Oracle names as null, clientType included",
    expects: "each back as null, clientType as \"CONSUMER\"",
    rule: "§2 — Oracle (the example's incidentId null; the chat guide: a null clientType is CONSUMER)",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.nulls),
        (exchange) =>
          verdict(eachItem([exchange], (item) =>
            compareAttributes(
              item,
              Object.fromEntries(
                Requests.nullableAttributes.map((name) => [name, name === "clientType" ? "CONSUMER" : null])
              ),
              () => "sent null"
            )))
      )
  },
  {
    id: "echo.absent",
    title: "What was not sent stays absent",
    sends: `\`{"authUserName": "${Requests.CONFORMANCE_USER}"}\` alone`,
    expects:
      "authUserName, clientType \"CONSUMER\", chatSiteName, domain, poolId, jwt and links, and no other attribute",
    rule: "§2 — Oracle (the example's answer holds only what was sent); clientType's default from the chat guide",
    run: (context) =>
      Effect.map(context.exchange(Requests.minimal), (exchange) =>
        verdict(eachItem([exchange], (item) => {
          const allowed = new Set(["authUserName", "clientType", ...ROUTING, "jwt", "links"])
          return [
            ...Object.keys(item).filter((name) => !allowed.has(name)).map((name) =>
              `${name}: not sent, answered ${show(item[name])}; expected it absent`
            ),
            ...(item.clientType === "CONSUMER"
              ? []
              : [`clientType: not sent, answered ${show(item.clientType)}; expected "CONSUMER"`]),
            ...routingProblems(item, context.settings),
            ...(typeof item.jwt === "string" ? [] : [`jwt: answered ${show(item.jwt)}; expected a token`])
          ]
        })))
  },
  {
    id: "echo.guessed-names",
    title: "The attributes whose names are inferred are accepted and echoed",
    sends: `${Requests.GUESSED_ATTRIBUTES.join(", ")} as strings`,
    expects: "each back, the same string (a 400 naming one means the inferred name is not the pod's)",
    rule: "§2 — guess (Oracle's page describes these rows without their names)",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.guessed),
        (exchange) =>
          verdict(eachItem([exchange], (item) =>
            compareAttributes(
              item,
              Object.fromEntries(Requests.GUESSED_ATTRIBUTES.map((name) => [name, Requests.stringValues[name]])),
              (name) => `sent ${show(Requests.stringValues[name])}`
            )))
      )
  },
  {
    id: "echo.response-only",
    title: "Response-only attributes sent by a caller are ignored and replaced",
    sends: "chatSiteName, domain, poolId, jwt and links with values of the caller's",
    expects: "an item whose chatSiteName, domain, poolId, jwt and links are the endpoint's, none of those sent",
    rule: "§2 — decision",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.responseOnly),
        (exchange) =>
          verdict(eachItem([exchange], (item) =>
            Object.entries(Requests.responseOnlyValues).flatMap(([name, value]) =>
              JSON.stringify(item[name]) === JSON.stringify(value) ||
                (name === "links" && JSON.stringify(item.links ?? []).includes("sent-by-the-caller"))
                ? [`${name}: the value sent came back (${show(item[name])}); expected the endpoint's own`]
                : []
            )))
      )
  },
  {
    id: "echo.unknown-attribute",
    title: "An attribute the resource does not have is refused by name",
    sends: `\`${Requests.UNKNOWN_ATTRIBUTE}\` beside authUserName, with REST-Framework-Version 4`,
    expects: `400 whose message names ${Requests.UNKNOWN_ATTRIBUTE}`,
    rule: "§2 — decision, as ADF refuses unknown attributes",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.unknownAttribute),
        (exchange) =>
          verdict(answerProblems(exchange, (response) => [
            ...(response.status === 400 ? [] : [`answered ${describeAnswer(response)}; expected 400 Bad Request`]),
            ...(response.body.includes(Requests.UNKNOWN_ATTRIBUTE)
              ? []
              : [`the message does not name ${Requests.UNKNOWN_ATTRIBUTE}`])
          ]))
      )
  },
  {
    id: "only-data",
    title: "?onlyData=true leaves the links out",
    sends: "the least request with `?onlyData=true`",
    expects: "an item without `links`, with authUserName, chatSiteName, domain, poolId and jwt",
    rule: "§3 — Oracle (ADF onlyData)",
    run: (context) =>
      Effect.map(context.exchange(Requests.onlyData), (exchange) =>
        verdict(eachItem([exchange], (item) => [
          ...(has(item, "links") ? [`links: answered ${show(item.links)}; expected none with onlyData=true`] : []),
          ...["authUserName", ...ROUTING, "jwt"].filter((name) => typeof item[name] !== "string").map((name) =>
            `${name}: answered ${show(item[name])}; expected it as without onlyData`
          )
        ])))
  },
  {
    id: "links.item",
    title: "The item's links are self and canonical at …/chatAuthenticate/{authUserName}",
    sends: "Oracle's example, and the least request on each base path",
    expects: "`links` = self then canonical, each `{rel, href, name: \"chatAuthenticate\", kind: \"item\"}`, the " +
      "href an absolute URL ending in `<base path>/chatAuthenticate/<authUserName, percent-encoded>` (its origin " +
      "is the endpoint's public one, not checked)",
    rule: "§3 — Oracle (ADF links)",
    run: (context) =>
      Effect.map(
        sendAll(context, [Requests.exampleJson, ...Requests.minimalOnEveryBasePath]),
        (exchanges) =>
          verdict(eachItem(exchanges, (item, _, exchange) => {
            const basePath = BASE_PATHS.find((path) => exchange.request.path.startsWith(`${path}/`)) ??
              DEFAULT_BASE_PATH
            return linkProblems(item, basePath)
          }))
      )
  },
  {
    id: "links.location",
    title: "Location is the item's self link",
    sends: "Oracle's example, and the least request with `?onlyData=true`",
    expects: "a `Location` header equal to the self link's href; with onlyData (no links), a URL of the same shape",
    rule: "§3 — Oracle (ADF: Location of a created item)",
    run: (context) =>
      Effect.map(
        sendAll(context, [Requests.exampleJson, Requests.onlyData]),
        (exchanges) =>
          verdict(eachItem(exchanges, (item, response) => {
            const location = response.headers["location"]
            const self = selfHref(item)
            const suffix = expectedHrefSuffix(DEFAULT_BASE_PATH, String(item.authUserName))
            if (location === undefined) return ["no Location header"]
            if (self !== undefined && location !== self) return [`Location is ${location}; the self link is ${self}`]
            return isAbsoluteHttp(location) && location.endsWith(suffix)
              ? []
              : [`Location is ${location}; expected an absolute URL ending in ${suffix}`]
          }))
      )
  },
  methodCase(false),
  methodCase(true),
  {
    id: "errors.framework-text",
    title: "REST-Framework-Version 1 (and none) answers errors in plain text",
    sends: "`resumeType: \"SOMETIMES\"` without REST-Framework-Version, and with 1",
    expects: "400, `Content-Type: text/plain`, a message naming resumeType",
    rule: "§3 — Oracle (versions 1–3 answer a plain-text message; absent means 1)",
    run: (context) =>
      Effect.map(
        sendAll(context, [Requests.invalidResumeType(undefined), Requests.invalidResumeType("1")]),
        (exchanges) =>
          verdict(exchanges.flatMap((exchange) =>
            answerProblems(
              exchange,
              (response) => errorFormProblems(response, "text", 400, "resumeType"),
              `${exchange.request.label}: `
            )
          ))
      )
  },
  {
    id: "errors.framework-json",
    title: "REST-Framework-Version 4 answers errors in ADF JSON",
    sends: "`resumeType: \"SOMETIMES\"` with REST-Framework-Version 4",
    expects: `400, \`Content-Type: ${ADF_ERROR_JSON}\`, \`{"title": "Bad Request", "status": "400", ` +
      "\"o:errorDetails\": [...]}` (status a string), an entry with `o:errorPath` resumeType",
    rule: "§3 — Oracle (versions 4 and later); `o:errorPath` per attribute is a decision",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.invalidResumeType("4")),
        (exchange) =>
          verdict(answerProblems(exchange, (response) => [
            ...errorFormProblems(response, "json", 400, "resumeType"),
            ...errorPathProblems(response, "resumeType")
          ]))
      )
  },
  {
    id: "errors.framework-invalid",
    title: "A REST-Framework-Version outside 1–9 is refused",
    sends: "the least request with REST-Framework-Version 10",
    expects: "400 whose message names REST-Framework-Version",
    rule: "§3 — decision",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.frameworkVersionTen),
        (exchange) =>
          verdict(answerProblems(exchange, (response) => [
            ...(response.status === 400 ? [] : [`answered ${describeAnswer(response)}; expected 400 Bad Request`]),
            ...(/REST-Framework-Version/i.test(response.body)
              ? []
              : ["the message does not name REST-Framework-Version"])
          ]))
      )
  },
  {
    id: "token.header",
    title: "The token's header is Oracle's: RS256, JWT, x5t, kid",
    sends: "(the answer to Oracle's example)",
    expects: "exactly `alg` RS256, `typ` JWT, `x5t` (a base64url SHA-1 thumbprint, 27 characters), `kid` (non-empty)",
    rule: "§4 — Oracle (the example's token, decoded)",
    run: (context) =>
      Effect.map(exampleToken(context), (token) =>
        Either.match(token, {
          onLeft: (problem) => verdict([problem]),
          onRight: ({ token: { header } }) =>
            verdict([
              ...sameMembers("header", header, HEADER),
              ...(header.alg === "RS256" ? [] : [`alg is ${show(header.alg)}; expected "RS256"`]),
              ...(header.typ === "JWT" ? [] : [`typ is ${show(header.typ)}; expected "JWT"`]),
              ...(typeof header.kid === "string" && header.kid !== ""
                ? []
                : [`kid is ${show(header.kid)}; expected a key id`]),
              ...(typeof header.x5t === "string" && /^[A-Za-z0-9_-]{27}$/.test(header.x5t)
                ? []
                : [`x5t is ${show(header.x5t)}; expected a base64url SHA-1 thumbprint`])
            ])
        }))
  },
  {
    id: "token.claims",
    title: "The token's claims are Oracle's, for this chat",
    sends: "(the answer to Oracle's example)",
    expects: "exactly exp, sub, aud, iss, prn, iat: sub and prn the authUserName, iss `Fusion Apps` (`--issuer`), " +
      "aud `https://<domain>/engagement/api/consumer/<chatSiteName>` of the answer (`--audience-domain` for the " +
      "domain), exp = iat + 120 (`--token-ttl`), iat within the clock tolerance of now",
    rule: "§4 — Oracle (the example's token); the audience rule from the Channel Server's URL",
    run: (context) =>
      Effect.flatMap(exampleToken(context), (token) =>
        Either.match(token, {
          onLeft: (problem) => Effect.succeed(verdict([problem])),
          onRight: ({ item, token: { claims } }) =>
            Effect.map(Clock.currentTimeMillis, (now) => {
              const { clockToleranceSeconds, issuer, tokenTtlSeconds } = context.settings
              const user = String(Requests.exampleBody.authUserName)
              const audience = expectedAudience(item, context.settings)
              const problems = sameMembers("claims", claims, CLAIMS)
              for (const name of ["sub", "prn"]) {
                if (claims[name] !== user) problems.push(`${name} is ${show(claims[name])}; expected "${user}"`)
              }
              if (claims.iss !== issuer) problems.push(`iss is ${show(claims.iss)}; expected "${issuer}"`)
              if (claims.aud !== audience) problems.push(`aud is ${show(claims.aud)}; expected "${audience}"`)
              if (!Number.isInteger(claims.iat) || !Number.isInteger(claims.exp)) {
                problems.push(`iat and exp are ${show(claims.iat)} and ${show(claims.exp)}; expected NumericDates`)
              } else {
                const lifetime = (claims.exp as number) - (claims.iat as number)
                if (lifetime !== tokenTtlSeconds) {
                  problems.push(`exp - iat is ${lifetime} s; expected ${tokenTtlSeconds} s`)
                }
                const skew = Math.abs((claims.iat as number) - now / 1000)
                if (skew > clockToleranceSeconds) {
                  problems.push(
                    `iat is ${Math.round(skew)} s away from now; expected within ${clockToleranceSeconds} s`
                  )
                }
              }
              return verdict(problems)
            })
        }))
  },
  {
    id: "token.signature",
    title: "The token verifies with the endpoint's published keys",
    sends: "(the answer to Oracle's example); GET of the JWKS at `<base URL>/.well-known/jwks.json`, or `--jwks-url`",
    expects: "the token verifies as a Channel Server checks it (core's TokenVerifier: RS256 only, the key by kid, " +
      "iss, aud, exp, iat); the key's x5t, when published, is the header's",
    rule: "§4 — Oracle (the Channel Server verifies the token); the JWKS location is a decision",
    skipped: "when the endpoint publishes no keys and no `--jwks-url` is given (a pod need not publish them): the " +
      "header and claims are still checked by token.header and token.claims",
    run: (context) =>
      Effect.flatMap(context.keys, (keys) => {
        if (keys._tag === "Missing") return Effect.succeed<Outcome>({ _tag: "Skip", reason: keys.reason })
        if (keys._tag === "Unusable") return Effect.succeed(verdict([keys.reason]))
        return Effect.flatMap(exampleToken(context), (token) =>
          Either.match(token, {
            onLeft: (problem) => Effect.succeed(verdict([problem])),
            onRight: ({ item, jwt, token: { header } }) =>
              Effect.gen(function*() {
                const verifier = yield* TokenVerifier.make({
                  jwks: keys.jwks,
                  issuer: context.settings.issuer,
                  algorithms: ["RS256"],
                  clockToleranceSeconds: context.settings.clockToleranceSeconds
                }).pipe(Effect.either)
                if (Either.isLeft(verifier)) {
                  return verdict([`the keys at ${keys.url} cannot be used: ${verifier.left.message}`])
                }
                const verified = yield* verifier.right.verify(jwt, {
                  audience: expectedAudience(item, context.settings)
                }).pipe(
                  Effect.map(() => [] as Array<string>),
                  Effect.catchTag(
                    "TokenRejected",
                    (rejected) => Effect.succeed([`rejected (${rejected.reason}): ${rejected.message}`])
                  ),
                  Effect.catchAllDefect((defect) =>
                    Effect.succeed([
                      `cannot verify with the keys at ${keys.url}: ${
                        defect instanceof Error ? defect.message : String(defect)
                      }`
                    ])
                  )
                )
                const key = keys.jwks.keys.find((jwk) => (jwk as { kid?: unknown }).kid === header.kid) as
                  | { readonly x5t?: unknown }
                  | undefined
                const thumbprint = key !== undefined && key.x5t !== undefined && key.x5t !== header.x5t
                  ? [`x5t is ${show(header.x5t)}; the published key ${String(header.kid)} has ${show(key.x5t)}`]
                  : []
                return verdict([...verified, ...thumbprint])
              })
          }))
      })
  },
  {
    id: "auth.no-credentials",
    title: "A request without credentials is a 401 with a Basic challenge",
    sends: "the least request without `Authorization`, REST-Framework-Version 4",
    expects: "401 with `WWW-Authenticate: Basic …`",
    rule: "§1 — Oracle (HTTP Basic)",
    run: (context) =>
      Effect.map(
        context.exchange(Requests.minimalAs("without credentials", { _tag: "None" })),
        (exchange) => verdict(answerProblems(exchange, authChallenge))
      )
  },
  {
    id: "auth.unknown-caller",
    title: "An unknown caller gets the same 401 as no credentials",
    sends: "the least request as a caller name that does not exist",
    expects: "401 with a Basic challenge, the same status, body and challenge as auth.no-credentials",
    rule: "§1 — Oracle (HTTP Basic); the same answer whatever was wrong is a decision",
    run: (context) =>
      Effect.gen(function*() {
        const none = yield* context.exchange(Requests.minimalAs("without credentials", { _tag: "None" }))
        const unknown = yield* context.exchange(Requests.minimalAs("as an unknown caller", context.unknownCaller))
        return verdict([
          ...answerProblems(unknown, authChallenge),
          ...sameRefusal(none, unknown, "auth.no-credentials")
        ])
      })
  },
  {
    id: "auth.wrong-password",
    title: "A wrong password gets the same 401 as an unknown caller",
    sends: "the least request as the given user with a wrong password",
    expects: "401 with a Basic challenge, the same status, body and challenge as auth.unknown-caller",
    rule: "§1 — decision (nothing tells a guesser which part failed)",
    skipped: "against a pod: a wrong password counts toward the integration user's lockout there",
    skipReason: (kind) =>
      kind === "pod" ? "not asked of a pod: a wrong password counts toward its integration user's lockout" : undefined,
    run: (context) =>
      Effect.gen(function*() {
        const unknown = yield* context.exchange(Requests.minimalAs("as an unknown caller", context.unknownCaller))
        const wrong = yield* context.exchange(Requests.minimalAs("with a wrong password", context.wrongPassword))
        return verdict([...answerProblems(wrong, authChallenge), ...sameRefusal(unknown, wrong, "auth.unknown-caller")])
      })
  },
  {
    id: "auth.lockout",
    title: "Repeated failed logins are locked out with 429 and Retry-After",
    sends:
      `the least request as a throwaway caller name with wrong passwords, until a 429 (at most ${LOCKOUT_ATTEMPTS})`,
    expects: "401s, then 429 with `Retry-After` (seconds) and the ADF JSON error \"Too Many Requests\"",
    rule: "decision (chatauth's lockout; Oracle locks accounts in its identity service)",
    skipped: "always against a pod (it could lock the pod's users or this address out); against chatauth unless " +
      "`--lockout` is given, since the failures also count toward the lock of this address",
    skipReason: (kind, settings) =>
      kind === "pod"
        ? "never asked of a pod: repeated failed logins could lock its users or this address out"
        : settings.lockout
        ? undefined
        : `sends up to ${LOCKOUT_ATTEMPTS} failed logins, which count toward this address's lockout: pass --lockout to run it`,
    run: (context) =>
      Effect.gen(function*() {
        for (let attempt = 1; attempt <= LOCKOUT_ATTEMPTS; attempt++) {
          const exchange = yield* context.exchange(
            Requests.minimalAs(`as a throwaway caller, failed login ${attempt}`, context.lockoutCaller)
          )
          const answer = answerOf(exchange)
          if (Either.isLeft(answer)) return verdict([`failed login ${attempt}: ${answer.left}`])
          const response = answer.right
          if (response.status === 401) continue
          if (response.status !== 429) {
            return verdict([`failed login ${attempt}: answered ${describeAnswer(response)}; expected 401, then 429`])
          }
          const retryAfter = response.headers["retry-after"]
          return verdict([
            ...(attempt > 1 ? [] : ["the first failed login was already a 429"]),
            ...(/^\d+$/.test(retryAfter ?? "") && Number(retryAfter) > 0
              ? []
              : [`Retry-After is ${show(retryAfter)}; expected a number of seconds`]),
            ...errorFormProblems(response, "json", 429, undefined)
          ])
        }
        return verdict([`no 429 after ${LOCKOUT_ATTEMPTS} failed logins of one caller name from one address`])
      })
  }
]
