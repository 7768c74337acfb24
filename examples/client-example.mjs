// client-example.mjs
import { ChatAuthClientError, createChatAuthClient } from "@chatauth/client"

const client = createChatAuthClient({
  baseUrl: process.env.CHATAUTH_BASE_URL ?? "http://127.0.0.1:8080",
  username: "portal",
  password: process.env.CHATAUTH_PASSWORD
})

try {
  const result = await client.authenticate({ authUserName: "john.doe@example.com", queueId: 2, resumeType: "RESUME" })
  console.log(result.item.chatSiteName, result.item.poolId, result.item.queueId)
  console.log(result.engagementUrl)
  console.log(result.unverifiedTokenClaims.sub, result.tokenExpiresAt.toISOString())
} catch (error) {
  if (error instanceof ChatAuthClientError) console.error(error._tag, error.message)
  else throw error
}
