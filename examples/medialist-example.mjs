// medialist-example.mjs
import { MediaList } from "@chatauth/core"
import { Either } from "effect"

const parsed = MediaList.decode("CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE") // Either
console.log(JSON.stringify(Either.getOrThrow(parsed)))
// {"channels":[{"channel":"CHAT","errors":[{"code":"NO_KEYBOARD","recognized":false}]},
//              {"channel":"VIDEO","errors":[{"code":"NO_CAMERA","recognized":true},{"code":"NO_MICROPHONE","recognized":true}]}]}
const strict = MediaList.decode("CHAT:NO_KEYBOARD", { strict: true }) // Left: NO_KEYBOARD is not an error of CHAT
console.log(Either.isLeft(strict) ? `strict: ${strict.left.message}` : "strict: accepted")
