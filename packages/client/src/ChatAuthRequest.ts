/**
 * The request a caller hands the client: the chatAuthenticate attributes as Oracle's own clients write them —
 * strings, integers (`"queueId": 1`) or `null` — with `clientType` optional (it can only be `CONSUMER`).
 *
 * The client puts it into the shape the contract sends (integers as strings, `clientType` filled in) and checks
 * only what the contract's types say (known attributes, the values of `clientType` and `resumeType`): a request the
 * contract cannot express is never sent. Everything else — lengths, `chatPriority`, `customFields`, `mediaList` — is
 * the server's to judge (ours or a real Oracle pod, whose rules may differ in detail): it answers a 400 naming the
 * attribute.
 *
 * @example
 * import { ChatAuthRequest } from "@chatauth/client"
 *
 * ChatAuthRequest.normalize({ authUserName: "jane@example.com", categoryId: 456000, productId: null })
 * // Right({ authUserName: "jane@example.com", categoryId: "456000", productId: null, clientType: "CONSUMER" })
 *
 * @since 0.1.0
 */
import { ChatAuthenticate } from "@chatauth/core"
import { Either, ParseResult, Schema } from "effect"

type Attributes = Omit<ChatAuthenticate.ChatAuthenticateRequest, "authUserName" | "clientType">

// A free-text attribute also takes an integer (Oracle's clients send ids as numbers); one the contract restricts to
// a few values (resumeType) takes only those.
type Input<T> = string extends Exclude<T, null | undefined> ? string | number | null | undefined
  : T | null | undefined

/**
 * A chatAuthenticate request as a caller writes it.
 *
 * @since 0.1.0
 * @category models
 */
export type ChatAuthRequest =
  & { readonly authUserName: string | number; readonly clientType?: "CONSUMER" | null | undefined }
  & { readonly [K in keyof Attributes]?: Input<Attributes[K]> }

const attributeNames: ReadonlySet<string> = new Set(Object.keys(ChatAuthenticate.ChatAuthenticateRequest.fields))

// Sent by a caller, the server ignores them (spec §2): dropping them here keeps the wire body what the contract says.
const responseOnly: ReadonlySet<string> = new Set(["chatSiteName", "domain", "jwt", "poolId", "links"])

type Problem = { readonly path: string; readonly message: string; readonly code: ChatAuthenticate.ProblemCode }

const toText = (path: string, value: unknown): string | null | Problem => {
  if (value === null || typeof value === "string") return value
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value)
  const message = typeof value === "number"
    ? "must be a string, an integer or null; this number cannot be sent exactly: send it as a string"
    : "must be a string, an integer or null"
  return { path, message, code: "CHATAUTH-ATTRIBUTE-INVALID" }
}

const encodeBody = Schema.encodeUnknownEither(ChatAuthenticate.ChatAuthenticateRequestBody, { errors: "all" })

// What the contract's schema refuses to send, one problem per attribute (a union yields one issue per member).
const contractProblems = (error: ParseResult.ParseError): ReadonlyArray<Problem> => {
  const byPath = new Map<string, Array<string>>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    if (/^Expected (undefined|null),/.test(issue.message)) continue
    const path = issue.path.map(String).join(".")
    const messages = byPath.get(path) ?? []
    if (!messages.includes(issue.message)) messages.push(issue.message)
    byPath.set(path, messages)
  }
  return [...byPath].map(([path, messages]) => ({
    path,
    code: "CHATAUTH-ATTRIBUTE-INVALID",
    message: `is not a value the contract allows (${messages.join("; ")})`
  }))
}

const isProblem = (u: string | null | Problem): u is Problem => u !== null && typeof u === "object"

/**
 * Puts a request into the contract's shape, or says why it cannot be sent (every attribute at fault).
 *
 * @since 0.1.0
 * @category constructors
 */
export const normalize = (
  request: ChatAuthRequest | unknown
): Either.Either<ChatAuthenticate.ChatAuthenticateRequest, ChatAuthenticate.RequestInvalid> => {
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    return Either.left(
      new ChatAuthenticate.RequestInvalid({
        problems: [{ path: "", code: "CHATAUTH-BODY-INVALID", message: "The request must be an object." }]
      })
    )
  }
  const problems: Array<Problem> = []
  const out: Record<string, string | null> = {}
  for (const [name, value] of Object.entries(request)) {
    if (value === undefined || responseOnly.has(name)) continue
    if (!attributeNames.has(name)) {
      problems.push({
        path: name,
        code: "CHATAUTH-ATTRIBUTE-UNKNOWN",
        message: "is not an attribute of chatAuthenticate"
      })
      continue
    }
    const text = toText(name, value)
    if (isProblem(text)) problems.push(text)
    else out[name] = text
  }
  if (out.authUserName === undefined || out.authUserName === null) {
    if (!problems.some((p) => p.path === "authUserName")) {
      problems.push({ path: "authUserName", code: "CHATAUTH-ATTRIBUTE-REQUIRED", message: "is mandatory" })
    }
  }
  if (out.clientType === undefined || out.clientType === null) {
    out.clientType = "CONSUMER"
  } else if (out.clientType !== "CONSUMER") {
    problems.push({
      path: "clientType",
      code: "CHATAUTH-ATTRIBUTE-INVALID",
      message: "must be CONSUMER (or absent or null, which mean CONSUMER)"
    })
  }
  if (problems.length > 0) return Either.left(new ChatAuthenticate.RequestInvalid({ problems }))
  // the same check HttpApiClient makes before sending: done here, its failure is the caller's, with the attributes
  return Either.match(encodeBody(out), {
    onLeft: (error) => Either.left(new ChatAuthenticate.RequestInvalid({ problems: contractProblems(error) })),
    onRight: () => Either.right(out as unknown as ChatAuthenticate.ChatAuthenticateRequest)
  })
}
