import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
import * as ChannelServer from "../src/ChannelServer.js"

const siteName = fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/)

describe("ChannelServer paths", () => {
  it("operationPath and matchOperationPath are inverse for every site and operation", () =>
    fc.assert(fc.property(siteName, fc.constantFrom(...ChannelServer.OPERATIONS), (site, operation) => {
      expect(ChannelServer.matchOperationPath(ChannelServer.operationPath(site, operation))).toEqual({
        chatSiteName: site,
        operation
      })
    })))

  it("operationUrl encodes the pool into the query, and leaves it out when absent", () => {
    expect(ChannelServer.operationUrl("https", "chat.example.com", "site-a", "requestEngagement", "452:2")).toBe(
      "https://chat.example.com/engagement/api/consumer/site-a/v1/requestEngagement?pool=452%3A2"
    )
    expect(ChannelServer.operationUrl("http", "127.0.0.1:8080", "s", "getMessages")).toBe(
      "http://127.0.0.1:8080/engagement/api/consumer/s/v1/getMessages"
    )
    fc.assert(fc.property(fc.string({ minLength: 1 }), (pool) => {
      const url = new URL(ChannelServer.operationUrl("https", "h", "s", "concludeEngagement", pool))
      expect(url.searchParams.get("pool")).toBe(pool)
    }))
  })

  it("does not match other paths", () => {
    for (
      const path of [
        "/engagement/api/consumer/site/v2/getMessages",
        "/engagement/api/consumer//v1/getMessages",
        "/engagement/api/consumer/a/b/v1/getMessages",
        "/crmRestApi/resources/latest/chatAuthenticate"
      ]
    ) {
      expect(ChannelServer.matchOperationPath(path)).toBeUndefined()
    }
  })
})

describe("ChannelServer schemas", () => {
  it("decode answers with members they do not name (Oracle's own may carry more)", () => {
    const answer = Schema.decodeUnknownSync(ChannelServer.RequestEngagementResponse)({
      engagementId: 1,
      sessionId: "s",
      clientId: 2,
      resultType: "SUCCESS",
      somethingElse: true
    })
    expect(answer).toEqual({ engagementId: 1, sessionId: "s", clientId: 2, resultType: "SUCCESS" })
    const messages = Schema.decodeUnknownSync(ChannelServer.GetMessagesResponse)({
      systemMessages: [{ messageName: "RNEngagementParticipantLeftMessage", extra: 1 }, {
        messageName: ChannelServer.MessageName.messagePosted,
        body: "<b>hi</b>"
      }]
    })
    expect(messages.systemMessages.map((m) => m.messageName)).toEqual([
      "RNEngagementParticipantLeftMessage",
      "RNEngagementMessagePostedMessage"
    ])
  })

  it("refuse an answer without its mandatory ids", () => {
    expect(() => Schema.decodeUnknownSync(ChannelServer.RequestEngagementResponse)({ resultType: "SUCCESS" })).toThrow()
  })
})
