/**
 * The request a caller hands the client: the chatAuthenticate attributes as Oracle's own clients write them —
 * strings, integers (`"queueId": 1`) or `null` — with `clientType` optional (it can only be `CONSUMER`).
 *
 * The client only puts it into the shape the contract sends (integers as strings, `clientType` filled in); it does
 * not judge the values. The server — ours or a real Oracle pod, whose rules may differ in detail — does, and
 * answers a 400 naming the attribute.
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
import { Either } from "effect"

type Attributes = Omit<ChatAuthenticate.ChatAuthenticateRequest, "authUserName" | "clientType">

/**
 * A chatAuthenticate request as a caller writes it.
 *
 * @since 0.1.0
 * @category models
 */
export type ChatAuthRequest =
  & { readonly authUserName: string | number; readonly clientType?: "CONSUMER" | null | undefined }
  & { readonly [K in keyof Attributes]?: string | number | null | undefined }

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
      problems.push({ path: name, code: "CHATAUTH-ATTRIBUTE-UNKNOWN", message: "is not an attribute of chatAuthenticate" })
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
  return problems.length > 0
    ? Either.left(new ChatAuthenticate.RequestInvalid({ problems }))
    : Either.right(out as unknown as ChatAuthenticate.ChatAuthenticateRequest)
}
