// chat-example.mjs
import {
  ChannelServerError,
  channelServerOptionsOf,
  createChannelServerClient,
  createChatAuthClient
} from "@chatauth/client"

const auth = createChatAuthClient({
  baseUrl: process.env.CHATAUTH_BASE_URL ?? "http://127.0.0.1:8080",
  username: "portal",
  password: process.env.CHATAUTH_PASSWORD
})
const result = await auth.authenticate({ authUserName: "jane@example.com" })
// the emulator is served over http; a real Channel Server is https (the default)
const chat = createChannelServerClient({ ...channelServerOptionsOf(result), scheme: "http" })
console.log(chat.baseUrl)

try {
  const engagement = await chat.requestEngagement()
  console.log("engagement", engagement.engagementId, engagement.resultType)
  await chat.postMessage("Where is my order?")
  for (let replied = false; !replied;) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    for (const message of await chat.getMessages()) {
      console.log(message.sequenceNumber, message.messageName, message.body ?? message.greeting ?? "")
      if (message.messageName === "RNEngagementMessagePostedMessage") replied = true
    }
  }
  await chat.concludeEngagement()
} catch (error) {
  if (error instanceof ChannelServerError) console.error(error._tag, error.message)
  else throw error
}
