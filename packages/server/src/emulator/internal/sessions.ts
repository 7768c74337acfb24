import { ChannelServer } from "@chatauth/core"
import { createHash, randomUUID, timingSafeEqual } from "node:crypto"
import type { AgentScript } from "../../config/EmulatorConfig.js"

/**
 * One engagement. The scripted agent has no timer of its own: its joining and its replies are due at given times
 * and are played when the session is next touched (`advance`), so a session costs nothing between calls and the
 * emulator's clock (time travel included) is the only clock.
 */
export interface Session {
  readonly sessionId: string
  readonly engagementId: number
  readonly clientId: number
  readonly agentClientId: number
  readonly chatSiteName: string
  readonly poolId: string
  readonly sub: string
  readonly tokenDigest: Buffer
  readonly joinAt: number
  lastSeen: number
  joined: boolean
  concluded: boolean
  sequence: number
  messageCount: number
  readonly pending: Array<{ readonly dueAt: number; readonly body: string; readonly conclude: boolean }>
  readonly queue: Array<ChannelServer.SystemMessage>
}

export const digest = (token: string): Buffer => createHash("sha256").update(token).digest()

export const sameToken = (session: Session, token: string): boolean =>
  timingSafeEqual(session.tokenDigest, digest(token))

const iso = (millis: number) => new Date(millis).toISOString()

const push = (
  session: Session,
  at: number,
  message: Omit<ChannelServer.SystemMessage, "sequenceNumber" | "createdTime" | "engagementId">
) => {
  session.sequence += 1
  session.queue.push({
    ...message,
    sequenceNumber: session.sequence,
    createdTime: iso(at),
    engagementId: session.engagementId
  })
}

/** Plays what the agent has due by `now`: joining (with its greeting), then its replies in order. */
export const advance = (session: Session, script: AgentScript, now: number): void => {
  if (session.concluded) return
  if (!session.joined) {
    if (now < session.joinAt) return
    session.joined = true
    push(session, session.joinAt, {
      messageName: ChannelServer.MessageName.participantAdded,
      senderType: "AGENT",
      name: script.name,
      greeting: script.greeting,
      clientId: session.agentClientId,
      clientIdString: String(session.agentClientId)
    })
  }
  while (session.pending.length > 0 && session.pending[0].dueAt <= now) {
    const reply = session.pending.shift()!
    push(session, reply.dueAt, {
      messageName: ChannelServer.MessageName.messagePosted,
      senderType: "AGENT",
      name: script.name,
      clientId: session.agentClientId,
      clientIdString: String(session.agentClientId),
      body: reply.body
    })
    push(session, reply.dueAt, {
      messageName: ChannelServer.MessageName.activityChanged,
      senderType: "AGENT",
      clientId: session.agentClientId,
      clientIdString: String(session.agentClientId),
      mode: "LISTENING"
    })
    if (reply.conclude) {
      session.concluded = true
      session.pending.length = 0
      push(session, reply.dueAt, {
        messageName: ChannelServer.MessageName.concluded,
        senderType: "SYSTEM",
        reason: "AGENT_CONCLUDED"
      })
    }
  }
}

const fill = (template: string, message: string) => template.split("{message}").join(message)

/** The consumer posted `body`: the agent starts typing (once it has joined) and its reply is due. */
export const consumerPosted = (session: Session, script: AgentScript, body: string, now: number): void => {
  const rule = script.replies.find((reply) => new RegExp(reply.pattern, "iu").test(body))
  const start = Math.max(now, session.joined ? 0 : session.joinAt, session.pending.at(-1)?.dueAt ?? 0)
  session.pending.push({
    dueAt: start + script.replyAfterSeconds * 1000,
    body: fill(rule?.reply ?? script.defaultReply, body),
    conclude: rule?.conclude ?? false
  })
  if (session.joined) {
    push(session, now, {
      messageName: ChannelServer.MessageName.activityChanged,
      senderType: "AGENT",
      clientId: session.agentClientId,
      clientIdString: String(session.agentClientId),
      mode: "RESPONDING"
    })
  }
}

/**
 * The sessions, in memory and bounded: at most `maxSessions`, each dropped once idle for `idleMillis` (measured on
 * the emulator's clock). Kept in a `Map` ordered by last use, so expiry only ever looks at the front.
 */
export const makeSessionStore = (options: { readonly maxSessions: number; readonly idleMillis: number }) => {
  const sessions = new Map<string, Session>()
  let nextEngagementId = 1000 + Math.floor(Math.random() * 9000)
  let nextClientId = 5000 + Math.floor(Math.random() * 5000)

  const expire = (now: number) => {
    for (const [id, session] of sessions) {
      if (now - session.lastSeen < options.idleMillis) break
      sessions.delete(id)
    }
  }

  return {
    /** `undefined` when the store is full. */
    create: (input: {
      readonly chatSiteName: string
      readonly poolId: string
      readonly sub: string
      readonly token: string
      readonly joinAt: number
      readonly now: number
    }): Session | undefined => {
      expire(input.now)
      if (sessions.size >= options.maxSessions) return undefined
      const session: Session = {
        sessionId: randomUUID(),
        engagementId: nextEngagementId++,
        clientId: nextClientId++,
        agentClientId: nextClientId++,
        chatSiteName: input.chatSiteName,
        poolId: input.poolId,
        sub: input.sub,
        tokenDigest: digest(input.token),
        joinAt: input.joinAt,
        lastSeen: input.now,
        joined: false,
        concluded: false,
        sequence: 0,
        messageCount: 0,
        pending: [],
        queue: []
      }
      sessions.set(session.sessionId, session)
      return session
    },
    /** The session, marked as used now; `undefined` when unknown or expired. */
    touch: (sessionId: string, now: number): Session | undefined => {
      expire(now)
      const session = sessions.get(sessionId)
      if (session === undefined) return undefined
      session.lastSeen = now
      sessions.delete(sessionId)
      sessions.set(sessionId, session)
      return session
    },
    remove: (sessionId: string): void => void sessions.delete(sessionId),
    /** Engagements of a site still waiting for the agent. */
    waiting: (chatSiteName: string, now: number): number => {
      expire(now)
      let count = 0
      for (const session of sessions.values()) {
        if (session.chatSiteName === chatSiteName && !session.concluded && session.joinAt > now) count++
      }
      return count
    },
    size: (): number => sessions.size
  }
}

export type SessionStore = ReturnType<typeof makeSessionStore>
