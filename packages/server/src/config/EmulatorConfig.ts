/**
 * The routing config's optional `channelServerEmulator` section: how the Channel Server emulator's scripted agent
 * behaves and how many sessions it keeps. Every member is optional; a config without the section gets the defaults.
 *
 * ```json
 * "channelServerEmulator": {
 *   "agent": {
 *     "name": "Alex",
 *     "joinAfterSeconds": 2,
 *     "greeting": "Hello, I'm Alex. How can I help you today?",
 *     "replyAfterSeconds": 1,
 *     "replies": [{ "pattern": "refund", "reply": "Refunds take 5 days." }],
 *     "defaultReply": "You said: {message}"
 *   },
 *   "maxSessions": 1000,
 *   "sessionIdleSeconds": 1800
 * }
 * ```
 *
 * A reply's `pattern` is a regular expression matched case-insensitively against the consumer's message; the first
 * match wins, else `defaultReply`. `{message}` in a reply is the consumer's message. A reply with `"conclude": true`
 * ends the engagement after it is posted.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const boundedInteger = (name: string, min: number, max: number) =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isSafeInteger(n) && n >= min && n <= max, {
      message: (issue) => `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(issue.actual)}`
    })
  )

const text = (name: string, max: number) =>
  Schema.String.pipe(
    Schema.filter((s) => s.length >= 1 && s.length <= max, {
      message: () => `${name} must be 1 to ${max} characters`
    })
  )

const compiles = (pattern: string): boolean => {
  try {
    new RegExp(pattern, "iu")
    return true
  } catch {
    return false
  }
}

/**
 * A scripted reply.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentReply = Schema.Struct({
  pattern: text("pattern", 500).pipe(
    Schema.filter((p) => compiles(p), { message: (issue) => `not a regular expression: ${String(issue.actual)}` })
  ),
  reply: text("reply", 4000),
  conclude: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => false })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface AgentReply extends Schema.Schema.Type<typeof AgentReply> {}

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_AGENT = {
  name: "Alex",
  joinAfterSeconds: 2,
  greeting: "Hello, I'm Alex. How can I help you today?",
  replyAfterSeconds: 1,
  replies: [{
    pattern: "\\b(bye|goodbye)\\b",
    reply: "Thank you for chatting with us. Goodbye!",
    conclude: true
  }] as ReadonlyArray<AgentReply>,
  defaultReply: "You said: \"{message}\". I'm a scripted agent: this is my answer to every message."
}

/**
 * The scripted agent.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentScript = Schema.Struct({
  name: Schema.optionalWith(text("name", 200), { exact: true, default: () => DEFAULT_AGENT.name }),
  joinAfterSeconds: Schema.optionalWith(boundedInteger("joinAfterSeconds", 0, 3600), {
    exact: true,
    default: () => DEFAULT_AGENT.joinAfterSeconds
  }),
  greeting: Schema.optionalWith(text("greeting", 4000), { exact: true, default: () => DEFAULT_AGENT.greeting }),
  replyAfterSeconds: Schema.optionalWith(boundedInteger("replyAfterSeconds", 0, 600), {
    exact: true,
    default: () => DEFAULT_AGENT.replyAfterSeconds
  }),
  replies: Schema.optionalWith(Schema.Array(AgentReply), { exact: true, default: () => DEFAULT_AGENT.replies }),
  defaultReply: Schema.optionalWith(text("defaultReply", 4000), {
    exact: true,
    default: () => DEFAULT_AGENT.defaultReply
  })
})

/**
 * @since 0.1.0
 * @category models
 */
export interface AgentScript extends Schema.Schema.Type<typeof AgentScript> {}

/**
 * The section.
 *
 * @since 0.1.0
 * @category schemas
 */
export const EmulatorConfig = Schema.Struct({
  agent: Schema.optionalWith(AgentScript, { exact: true, default: () => ({ ...DEFAULT_AGENT }) }),
  maxSessions: Schema.optionalWith(boundedInteger("maxSessions", 1, 1_000_000), { exact: true, default: () => 1000 }),
  sessionIdleSeconds: Schema.optionalWith(boundedInteger("sessionIdleSeconds", 1, 7 * 24 * 3600), {
    exact: true,
    default: () => 1800
  })
}).annotations({ identifier: "ChannelServerEmulator" })

/**
 * @since 0.1.0
 * @category models
 */
export interface EmulatorConfig extends Schema.Schema.Type<typeof EmulatorConfig> {}

/**
 * The section's defaults (a config without it).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultEmulatorConfig: EmulatorConfig = Schema.decodeUnknownSync(EmulatorConfig)({})
