/**
 * `chatauth chat`: the whole consumer journey from a shell. It calls chatAuthenticate (the same options and
 * attribute flags as `authenticate`), presents the token to the Channel Server's `requestEngagement`, prints the
 * agent's messages as they arrive (polling `getMessages`), posts each line read from standard input, and concludes
 * the engagement on `/quit` or at the end of standard input. It runs against `chatauth serve --channel-server`
 * (over http: the default for a loopback domain, else `--scheme http`) or a real Channel Server (https).
 *
 * Scriptable: without a terminal it reads lines from standard input; `--json` prints one JSON object per event
 * (`authenticated`, `engaged`, `message`, `sent`, `concluded`). When standard input ends, it waits up to
 * `--linger-seconds` for the agent to answer the last line, concludes, and exits 0. An agent that concludes the
 * engagement ends the run too (exit 0). A refusal exits 1 with the reason.
 *
 * @example
 * // $ printf 'Where is my order?\n' | CHATAUTH_PASSWORD=… chatauth chat --base-url http://127.0.0.1:8080 \
 * //     --username portal --auth-user-name jane@example.com --json
 * import { chatCommand } from "@chatauth/cli/Chat"
 *
 * @since 0.1.0
 */
import type { ChannelServerError, ChatAuthResult } from "@chatauth/client"
import type { ChannelServer } from "@chatauth/core"
import { Command, Options } from "@effect/cli"
import { Clock, Console, Duration, Effect, Fiber, Option, Stream } from "effect"
import { attributeOptions, authenticateWith, settings } from "./Authenticate.js"
import { CliError } from "./CliError.js"
import { Stdio } from "./internal/stdio.js"

// Every option of `authenticate` but `--jwt-only`: a chat prints events, not a token.
const { jwtOnly: _jwtOnly, ...connectionSettings } = settings

const chatOptions = {
  ...connectionSettings,
  json: Options.boolean("json").pipe(Options.withDescription("Print one JSON object per event on standard output")),
  scheme: Options.choice("scheme", ["https", "http"] as const).pipe(
    Options.withDescription(
      "Scheme of the Channel Server URL built from the answer's domain (default: http for a loopback domain — " +
        "localhost, 127.0.0.0/8, ::1: the local emulator — else https, Oracle's)"
    ),
    Options.optional
  ),
  channelServerUrl: Options.text("channel-server-url").pipe(
    Options.withDescription("Send the Channel Server calls here instead of {scheme}://{domain}, e.g. a tunnel"),
    Options.optional
  ),
  pollMs: Options.integer("poll-ms").pipe(
    Options.withDescription("How often to poll getMessages, in milliseconds (default 1000; Oracle's sample: 3000)"),
    Options.withDefault(1000)
  ),
  lingerSeconds: Options.integer("linger-seconds").pipe(
    Options.withDescription(
      "When standard input ends, wait up to this long for the agent's answer before concluding (default 10)"
    ),
    Options.withDefault(10)
  ),
  attributes: attributeOptions
}

/** Agents' messages may carry HTML formatting: a terminal shows the text. */
const plain = (html: string) =>
  html.replace(/<br\s*\/?>/gi, "\n").replace(/<[^>]*>/g, "").replace(/&nbsp;/g, " ").replace(/&lt;/g, "<").replace(
    /&gt;/g,
    ">"
  ).replace(/&quot;/g, "\"").replace(/&#39;/g, "'").replace(/&amp;/g, "&")

const render = (message: ChannelServer.SystemMessage, agentName: () => string): string | undefined => {
  switch (message.messageName) {
    case "RNEngagementParticipantAddedMessage":
      return `* ${message.name ?? "An agent"} joined${
        message.greeting === undefined ? "" : `: ${plain(message.greeting)}`
      }`
    case "RNEngagementMessagePostedMessage":
      return `${message.name ?? agentName()}: ${plain(message.body ?? "")}`
    case "RNEngagementWaitInformationChangedMessage":
      return `* Waiting for an agent: position ${message.position ?? message.positionString ?? "?"}${
        message.expectedWaitTimeSeconds === undefined ? "" : `, about ${message.expectedWaitTimeSeconds} s`
      }`
    case "RNEngagementActivityChangedMessage":
      return undefined
    case "RNEngagementParticipantLeftMessage":
      return `* ${message.name ?? "The agent"} left`
    case "RNEngagementConcludedMessage":
      return `* The engagement was concluded${message.reason === undefined ? "" : ` (${message.reason})`}`
    default:
      return `* ${message.messageName}`
  }
}

/**
 * The line a failed Channel Server call ends the run with. An http server spoken to in TLS gets what to change
 * instead of OpenSSL's words: the scheme, or the URL when `--channel-server-url` chose it.
 */
const failureAt = (baseUrl: string, urlGiven: boolean) => (error: ChannelServerError): CliError => {
  if (error._tag === "NotEngaged") return CliError.usage(error.message)
  if (error._tag === "NetworkError" && error.plainHttp === true) {
    return CliError.refused(
      `the Channel Server at ${new URL(baseUrl).origin} answered in plain HTTP, not TLS: ${
        urlGiven ? "give --channel-server-url an http:// URL" : "run again with --scheme http"
      }`
    )
  }
  return CliError.refused(error.message)
}

/**
 * `chatauth chat --base-url URL --auth-user-name NAME [attribute flags] [--scheme https|http] [--json]`.
 *
 * @since 0.1.0
 * @category commands
 */
export const chatCommand = Command.make("chat", chatOptions, (options) =>
  Effect.gen(function*() {
    const stdio = yield* Stdio
    const emit = (event: string, fields: Record<string, unknown>, human: string | undefined) =>
      options.json
        ? Console.log(JSON.stringify({ event, ...fields }))
        : human === undefined
        ? Effect.void
        : Console.log(human)
    if (options.pollMs < 50) return yield* Effect.fail(CliError.usage("--poll-ms must be at least 50"))
    if (options.lingerSeconds < 0) return yield* Effect.fail(CliError.usage("--linger-seconds must not be negative"))

    const result: ChatAuthResult = yield* authenticateWith(options)
    const { item } = result
    yield* emit("authenticated", {
      authUserName: item.authUserName,
      chatSiteName: item.chatSiteName,
      domain: item.domain,
      poolId: item.poolId,
      tokenExpiresAt: result.tokenExpiresAt.toISOString()
    }, `Authenticated ${item.authUserName}: site ${item.chatSiteName}, pool ${item.poolId}`)

    const { ChannelServerClient } = yield* Effect.promise(() => import("@chatauth/client/ChannelServerClient"))
    const FetchHttpClient = yield* Effect.promise(() => import("@effect/platform/FetchHttpClient"))
    const chat = yield* ChannelServerClient.fromChatAuthResult(result, {
      scheme: Option.getOrUndefined(options.scheme),
      channelServerUrl: Option.getOrUndefined(options.channelServerUrl),
      timeout: Option.getOrUndefined(Option.map(options.timeoutMs, Duration.millis))
    }).pipe(
      Effect.provide(FetchHttpClient.layer),
      Effect.catchAllDefect((defect) => {
        const text = defect instanceof Error ? defect.message : String(defect)
        return text.startsWith("ChannelServerClient:")
          ? Effect.fail(CliError.usage(text.replace(/^ChannelServerClient: /, "--channel-server-url: ")))
          : Effect.die(defect)
      })
    )
    const failure = failureAt(chat.baseUrl, Option.isSome(options.channelServerUrl))
    const engagement = yield* chat.requestEngagement().pipe(Effect.mapError(failure))
    yield* emit("engaged", {
      engagementId: engagement.engagementId,
      sessionId: engagement.sessionId,
      clientId: engagement.clientId
    }, `Engagement ${engagement.engagementId} opened at ${chat.baseUrl}`)
    if (stdio.interactive && !options.json) yield* Console.log("Type a message and press Enter; /quit ends the chat.")

    // Shared between the poller and the reader: how many lines the agent has yet to answer, whether the chat is over.
    const state = { unanswered: 0, concluded: false, agentName: "Agent" }
    const show = (messages: ReadonlyArray<ChannelServer.SystemMessage>) =>
      Effect.forEach(messages, (message) => {
        if (message.messageName === "RNEngagementParticipantAddedMessage" && message.name !== undefined) {
          state.agentName = message.name
        }
        if (message.messageName === "RNEngagementMessagePostedMessage" && message.clientId !== engagement.clientId) {
          state.unanswered = Math.max(0, state.unanswered - 1)
        }
        if (message.messageName === "RNEngagementConcludedMessage") state.concluded = true
        return emit("message", { ...message }, render(message, () => state.agentName))
      }, { discard: true })
    const poll = Effect.flatMap(chat.getMessages(), show).pipe(Effect.mapError(failure))
    const polling = Effect.gen(function*() {
      while (!state.concluded) {
        yield* poll
        if (!state.concluded) yield* Effect.sleep(Duration.millis(options.pollMs))
      }
    })
    const reading = stdio.lines.pipe(
      Stream.map((line) => line.trim()),
      Stream.takeWhile((line) => line !== "/quit"),
      Stream.filter((line) => line !== ""),
      Stream.runForEach((line) =>
        Effect.flatMap(chat.postMessage(line).pipe(Effect.mapError(failure)), (posted) => {
          state.unanswered += 1
          return emit("sent", { body: line, messageId: posted.messageId }, undefined)
        })
      ),
      Effect.zipRight(Effect.gen(function*() {
        // let the agent answer the lines before concluding
        const deadline = (yield* Clock.currentTimeMillis) + options.lingerSeconds * 1000
        while (state.unanswered > 0 && !state.concluded && (yield* Clock.currentTimeMillis) < deadline) {
          yield* Effect.sleep(Duration.millis(Math.min(options.pollMs, 100)))
        }
      }))
    )

    const poller = yield* Effect.fork(polling)
    const ended = yield* Effect.raceFirst(
      Effect.as(Fiber.join(poller), "agent" as const),
      Effect.as(reading, "input" as const)
    )
    yield* Fiber.interrupt(poller)
    if (ended === "agent") {
      // the agent concluded; tell the server the consumer is gone too, whatever it answers
      yield* Effect.ignore(chat.concludeEngagement())
      return
    }
    yield* poll
    if (state.concluded) return
    yield* chat.concludeEngagement().pipe(Effect.mapError(failure))
    yield* emit("concluded", { by: "consumer", engagementId: engagement.engagementId }, "Chat concluded.")
  })).pipe(
    Command.withDescription(
      "Authenticate, open an engagement on the Channel Server and chat: agent messages printed as they come, " +
        "lines from standard input sent, /quit or end of input concludes (--json: one object per event)"
    )
  )
