/**
 * Reading and judging answers, for the cases: an answer or why there is none, an item out of an answer, values in
 * words, and the checks several cases share. Every check returns the problems it finds, one sentence each; none
 * means the answer holds to the rule.
 */
import { ADF_ERROR_JSON, essence } from "@chatauth/core/MediaTypes"
import { STATUS_TITLES } from "@chatauth/core/Resource"
import { Either, Encoding, Option } from "effect"
import type { Outcome } from "./model.js"
import type { Exchange, WireResponse } from "./wire.js"

const pass: Outcome = { _tag: "Pass" }

export const verdict = (problems: ReadonlyArray<string>): Outcome =>
  problems.length === 0 ? pass : { _tag: "Fail", messages: problems }

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  ...STATUS_TITLES
}

export const statusText = (status: number): string =>
  `${status}${STATUS_TEXT[status] === undefined ? "" : ` ${STATUS_TEXT[status]}`}`

export const cut = (text: string, limit = 120): string => text.length <= limit ? text : `${text.slice(0, limit)}…`

/** A value in words: "the string \"456000\"", "the number 456000", "null", "nothing". */
export const show = (value: unknown): string => {
  if (value === undefined) return "nothing"
  if (value === null) return "null"
  if (typeof value === "string") return `the string ${cut(JSON.stringify(value), 160)}`
  if (typeof value === "number") return `the number ${value}`
  if (Array.isArray(value)) return `an array ${cut(JSON.stringify(value), 80)}`
  return cut(JSON.stringify(value), 80)
}

// A refusal's message says why; a success's body is the item, which the cases judge on their own.
export const describeAnswer = (response: WireResponse): string => {
  const line = response.body.trim().split(/\r?\n/, 1)[0] ?? ""
  return line === "" || (response.status >= 200 && response.status <= 299)
    ? statusText(response.status)
    : `${statusText(response.status)}: ${cut(line)}`
}

/** The answer of an exchange, or a sentence saying why there is none. */
export const answerOf = (exchange: Exchange): Either.Either<WireResponse, string> =>
  Option.match(exchange.response, {
    onNone: () => Either.left(`no answer: ${exchange.error ?? "unknown failure"}`),
    onSome: Either.right
  })

export type Item = Readonly<Record<string, unknown>>

export const isObject = (value: unknown): value is Item =>
  value !== null && typeof value === "object" && !Array.isArray(value)

/** The item of an answer that created one: any 2xx whose body is a JSON object. */
export const itemOf = (
  exchange: Exchange
): Either.Either<{ readonly response: WireResponse; readonly item: Item }, string> =>
  Either.flatMap(answerOf(exchange), (response) => {
    if (response.status < 200 || response.status > 299) {
      return Either.left(`no item: answered ${describeAnswer(response)}`)
    }
    const json = Option.getOrUndefined(response.json)
    return isObject(json)
      ? Either.right({ response, item: json })
      : Either.left(`no item: the ${statusText(response.status)} body is not a JSON object (${cut(response.body)})`)
  })

export const has = (item: Item, name: string) => Object.prototype.hasOwnProperty.call(item, name)

/** An item's attributes against what they must be, one problem per attribute that is not. */
export const compareAttributes = (
  item: Item,
  expected: Readonly<Record<string, unknown>>,
  sent: (name: string) => string,
  expectation = "expected"
): Array<string> =>
  Object.entries(expected).flatMap(([name, value]) =>
    Object.is(item[name], value)
      ? []
      : [`${name}: ${sent(name)}, answered ${show(item[name])}; ${expectation} ${show(value)}`]
  )

/** For each exchange, the problems of its item; a case over several exchanges prefixes each with the request. */
export const eachItem = (
  exchanges: ReadonlyArray<Exchange>,
  judge: (item: Item, response: WireResponse, exchange: Exchange) => ReadonlyArray<string>
): Array<string> =>
  exchanges.flatMap((exchange) => {
    const prefix = exchanges.length === 1 ? "" : `${exchange.request.label}: `
    return Either.match(itemOf(exchange), {
      onLeft: (problem) => [prefix + problem],
      onRight: ({ item, response }) => judge(item, response, exchange).map((problem) => prefix + problem)
    })
  })

export const isAbsoluteHttp = (href: string) => {
  try {
    const url = new URL(href)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

export interface DecodedToken {
  readonly header: Item
  readonly claims: Item
}

export const decodeToken = (jwt: unknown): Either.Either<DecodedToken, string> => {
  if (typeof jwt !== "string") return Either.left(`jwt: answered ${show(jwt)}; expected a compact JWT`)
  const segments = jwt.split(".")
  if (segments.length !== 3) return Either.left("jwt: not a compact JWT (three dot-separated parts)")
  const part = (segment: string, name: string): Either.Either<Item, string> =>
    Either.flatMap(
      Either.mapLeft(Encoding.decodeBase64UrlString(segment), () => `jwt: its ${name} is not base64url`),
      (text) => {
        try {
          const value: unknown = JSON.parse(text)
          return isObject(value) ? Either.right(value) : Either.left(`jwt: its ${name} is not a JSON object`)
        } catch {
          return Either.left(`jwt: its ${name} is not JSON`)
        }
      }
    )
  return Either.all({ header: part(segments[0], "header"), claims: part(segments[1], "payload") })
}

export const sameMembers = (what: string, actual: Item, expected: ReadonlyArray<string>): Array<string> => {
  const names = Object.keys(actual)
  const missing = expected.filter((name) => !names.includes(name))
  const extra = names.filter((name) => !expected.includes(name))
  return [
    ...(missing.length === 0 ? [] : [`${what}: ${missing.join(", ")} missing`]),
    ...(extra.length === 0 ? [] : [`${what}: ${extra.join(", ")} not expected (Oracle's has ${expected.join(", ")})`])
  ]
}

/** An error answer held to a framework version's form. */
export const errorFormProblems = (
  response: WireResponse,
  form: "text" | "json",
  status: number,
  mentions: string | undefined
): Array<string> => {
  const problems: Array<string> = []
  if (response.status !== status) problems.push(`answered ${describeAnswer(response)}; expected ${statusText(status)}`)
  const type = essence(response.headers["content-type"])
  if (form === "text") {
    if (type !== "text/plain") {
      problems.push(`Content-Type is ${show(response.headers["content-type"])}; expected text/plain`)
    }
    if (response.body.trim() === "") problems.push("the body is empty; expected the message")
    if (Option.isSome(response.json) && isObject(response.json.value)) {
      problems.push("the body is JSON; expected plain text")
    }
  } else {
    if (type !== ADF_ERROR_JSON) {
      problems.push(`Content-Type is ${show(response.headers["content-type"])}; expected ${ADF_ERROR_JSON}`)
    }
    const body = Option.getOrUndefined(response.json)
    if (!isObject(body)) {
      problems.push(`the body is not a JSON object (${cut(response.body)})`)
    } else {
      const title = STATUS_TITLES[status]
      if (body.title !== title) problems.push(`title is ${show(body.title)}; expected "${title}"`)
      if (body.status !== String(status)) {
        problems.push(`status is ${show(body.status)}; expected the string "${status}"`)
      }
      const details = body["o:errorDetails"]
      if (
        !Array.isArray(details) || details.length === 0 ||
        !details.every((d) => isObject(d) && typeof d.detail === "string")
      ) {
        problems.push(`o:errorDetails is ${show(details)}; expected a list of {detail, o:errorCode, o:errorPath}`)
      }
    }
  }
  if (mentions !== undefined && !response.body.includes(mentions)) {
    problems.push(`the message does not name ${mentions}`)
  }
  return problems
}

export const errorPathProblems = (response: WireResponse, attribute: string): Array<string> => {
  const body = Option.getOrUndefined(response.json)
  const details = isObject(body) && Array.isArray(body["o:errorDetails"]) ? body["o:errorDetails"] : []
  return details.some((detail) => isObject(detail) && detail["o:errorPath"] === attribute)
    ? []
    : [`no o:errorDetails entry has o:errorPath "${attribute}"`]
}

export const answerProblems = (
  exchange: Exchange,
  judge: (response: WireResponse) => ReadonlyArray<string>,
  prefix = ""
): Array<string> =>
  Either.match(answerOf(exchange), {
    onLeft: (problem) => [prefix + problem],
    onRight: (response) => judge(response).map((problem) => prefix + problem)
  })

export const authChallenge = (response: WireResponse): Array<string> => [
  ...(response.status === 401 ? [] : [`answered ${describeAnswer(response)}; expected 401 Unauthorized`]),
  ...(/^basic\b/i.test(response.headers["www-authenticate"] ?? "")
    ? []
    : [`WWW-Authenticate is ${show(response.headers["www-authenticate"])}; expected a Basic challenge`])
]

/** Whether a refusal is the same, byte for byte, as another one the case compares it with. */
export const sameRefusal = (other: Exchange, exchange: Exchange, otherCase: string): Array<string> => {
  const theirs = Option.getOrUndefined(other.response)
  const ours = Option.getOrUndefined(exchange.response)
  if (theirs === undefined || ours === undefined) return []
  const problems: Array<string> = []
  if (ours.status !== theirs.status) problems.push(`answered ${ours.status}, and ${otherCase} ${theirs.status}`)
  if (ours.body !== theirs.body) {
    // From a little before the first character that differs: the bodies usually share a long prefix.
    let at = 0
    while (at < ours.body.length && ours.body[at] === theirs.body[at]) at++
    const from = Math.max(0, at - 20)
    const excerpt = (body: string) => `${from > 0 ? "…" : ""}${cut(body.slice(from), 60)}`
    problems.push(`the body differs: ${excerpt(ours.body)} here, ${excerpt(theirs.body)} in ${otherCase}`)
  }
  if (ours.headers["www-authenticate"] !== theirs.headers["www-authenticate"]) {
    problems.push(
      `WWW-Authenticate is ${show(ours.headers["www-authenticate"])}, and ${otherCase}'s ${
        show(theirs.headers["www-authenticate"])
      }`
    )
  }
  return problems
}
