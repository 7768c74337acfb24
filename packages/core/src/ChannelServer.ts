/**
 * The wire of Oracle's Channel Server consumer API, the half of the journey that follows chatAuthenticate: where its
 * operations live, what their bodies hold, and the system messages `getMessages` returns. One vocabulary for the
 * server's emulator (which answers it) and the client (which speaks it, to the emulator or to Oracle).
 *
 * What Oracle documents: every operation is a `POST` to
 * `https://{domain}/engagement/api/consumer/{chatSiteName}/v1/{operation}` with `Authorization: Bearer <jwt>`;
 * `requestEngagement` takes `?pool={poolId}` and an optional `clientRequestTime` / `clientTransactionId`, and
 * answers `engagementId`, `sessionId`, `clientId` (and their `…String` forms) and `resultType`; follow-ups carry
 * the `SessionId` header. Where Oracle is silent (the envelope of a system message, its ordering field, the error
 * body), the schemas below are this project's choice, kept lenient on decoding so that Oracle's own answers decode.
 *
 * @example
 * import { ChannelServer } from "@chatauth/core"
 *
 * ChannelServer.operationUrl("https", "chat.example.com", "site-a", "requestEngagement", "452:2")
 * // "https://chat.example.com/engagement/api/consumer/site-a/v1/requestEngagement?pool=452%3A2"
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The consumer operations.
 *
 * @since 0.1.0
 * @category models
 */
export const Operation = Schema.Literal(
  "requestEngagement",
  "postMessage",
  "getMessages",
  "activity",
  "concludeEngagement",
  "getQueueStats"
)

/**
 * @since 0.1.0
 * @category models
 */
export type Operation = typeof Operation.Type

/**
 * @since 0.1.0
 * @category constants
 */
export const OPERATIONS: ReadonlyArray<Operation> = Operation.literals

/**
 * The header follow-up calls carry the session in (names are case-insensitive on the wire).
 *
 * @since 0.1.0
 * @category constants
 */
export const SESSION_HEADER = "SessionId"

/**
 * `/engagement/api/consumer/{chatSiteName}/v1/{operation}`.
 *
 * @since 0.1.0
 * @category paths
 */
export const operationPath = (chatSiteName: string, operation: string): string =>
  `/engagement/api/consumer/${chatSiteName}/v1/${operation}`

const CONSUMER_PATH = /^\/engagement\/api\/consumer\/([^/]+)\/v1\/([^/]+)\/?$/

/**
 * Splits a consumer path into its site and operation (the operation unchecked); `undefined` when it is not one.
 *
 * @since 0.1.0
 * @category paths
 */
export const matchOperationPath = (
  path: string
): { readonly chatSiteName: string; readonly operation: string } | undefined => {
  const match = CONSUMER_PATH.exec(path)
  return match === null ? undefined : { chatSiteName: match[1], operation: match[2] }
}

/**
 * The full URL of an operation; the pool, when given, URL-encoded into `?pool=`.
 *
 * @since 0.1.0
 * @category paths
 */
export const operationUrl = (
  scheme: "http" | "https",
  domain: string,
  chatSiteName: string,
  operation: Operation,
  poolId?: string | undefined
): string =>
  `${scheme}://${domain}${operationPath(chatSiteName, operation)}${
    poolId === undefined ? "" : `?pool=${encodeURIComponent(poolId)}`
  }`

const Id = Schema.Number

/**
 * The body of `requestEngagement`: `{}` is valid.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RequestEngagementRequest = Schema.Struct({
  /** `yyyy-MM-dd'T'HH:mm:ssXXX` */
  clientRequestTime: Schema.optional(Schema.String),
  /** an int64, echoed back */
  clientTransactionId: Schema.optional(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export type RequestEngagementRequest = typeof RequestEngagementRequest.Type

/**
 * The answer of `requestEngagement`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RequestEngagementResponse = Schema.Struct({
  engagementId: Id,
  engagementIdString: Schema.optional(Schema.String),
  sessionId: Schema.String,
  clientId: Id,
  clientIdString: Schema.optional(Schema.String),
  clientRequestTime: Schema.optional(Schema.NullOr(Schema.String)),
  clientTransactionId: Schema.optional(Schema.NullOr(Schema.Number)),
  resultType: Schema.String,
  cancelledSurveyAuth: Schema.optional(Schema.NullOr(Schema.String)),
  cancelledSurveyId: Schema.optional(Schema.NullOr(Id)),
  cancelledSurveyIdString: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export type RequestEngagementResponse = typeof RequestEngagementResponse.Type

/**
 * The body of `postMessage`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PostMessageRequest = Schema.Struct({ body: Schema.String })

/**
 * The answer of `postMessage` (Oracle does not document it: ours names the posted message).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PostMessageResponse = Schema.Struct({
  messageId: Schema.optional(Id),
  messageIdString: Schema.optional(Schema.String),
  createdTime: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type PostMessageResponse = typeof PostMessageResponse.Type

/**
 * Typing (`RESPONDING`) or not (`LISTENING`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ActivityMode = Schema.Literal("RESPONDING", "LISTENING")

/**
 * @since 0.1.0
 * @category models
 */
export type ActivityMode = typeof ActivityMode.Type

/**
 * The body of `activity`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ActivityRequest = Schema.Struct({ mode: ActivityMode })

/**
 * The body of `getQueueStats`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const QueueStatsRequest = Schema.Struct({
  queueId: Schema.optional(Schema.Union(Schema.Number, Schema.String)),
  chatProactiveAvailableType: Schema.optional(Schema.String)
})

/**
 * The answer of `getQueueStats`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const QueueStatsResponse = Schema.Struct({
  totalAvailableAgents: Schema.optional(Schema.Number),
  engagementsInQueue: Schema.optional(Schema.Number),
  expectedWaitTimeSeconds: Schema.optional(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export type QueueStatsResponse = typeof QueueStatsResponse.Type

/**
 * The names of the system messages `getMessages` returns.
 *
 * @since 0.1.0
 * @category constants
 */
export const MessageName = {
  participantAdded: "RNEngagementParticipantAddedMessage",
  participantLeft: "RNEngagementParticipantLeftMessage",
  waitInformationChanged: "RNEngagementWaitInformationChangedMessage",
  messagePosted: "RNEngagementMessagePostedMessage",
  activityChanged: "RNEngagementActivityChangedMessage",
  concluded: "RNEngagementConcludedMessage"
} as const

/**
 * One system message. Oracle's clients switch on `messageName` and read the fields of that kind (`greeting`,
 * `name`, `clientId`; `body`; `position`, `expectedWaitTimeSeconds`; `mode`; `reason`); `sequenceNumber`
 * (ours) orders them. Unknown kinds and fields decode too.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SystemMessage = Schema.Struct({
  messageName: Schema.String,
  sequenceNumber: Schema.optional(Schema.Number),
  createdTime: Schema.optional(Schema.String),
  engagementId: Schema.optional(Id),
  senderType: Schema.optional(Schema.String),
  /** participant added */
  clientId: Schema.optional(Id),
  clientIdString: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  greeting: Schema.optional(Schema.String),
  /** message posted (an agent's may hold HTML formatting) */
  body: Schema.optional(Schema.String),
  /** wait information */
  position: Schema.optional(Schema.Number),
  positionString: Schema.optional(Schema.String),
  expectedWaitTimeSeconds: Schema.optional(Schema.Number),
  averageWaitTimeSecondsString: Schema.optional(Schema.String),
  /** activity */
  mode: Schema.optional(Schema.String),
  /** concluded */
  reason: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type SystemMessage = typeof SystemMessage.Type

/**
 * The answer of `getMessages`: the messages queued since the last poll, oldest first (each is delivered once).
 *
 * @since 0.1.0
 * @category schemas
 */
export const GetMessagesResponse = Schema.Struct({
  systemMessages: Schema.Array(SystemMessage)
})

/**
 * @since 0.1.0
 * @category models
 */
export type GetMessagesResponse = typeof GetMessagesResponse.Type

/**
 * The body of a refusal (ours: Oracle documents the statuses only). `reason` is set on a 401/403 from the token
 * check: one of `TokenVerifier`'s rejection reasons, or `missing` when no Bearer token came.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorBody = Schema.Struct({
  status: Schema.Number,
  title: Schema.String,
  detail: Schema.String,
  reason: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ErrorBody = typeof ErrorBody.Type
