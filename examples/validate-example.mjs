// validate-example.mjs
import { ChatAuthenticate, Errors, OracleError } from "@chatauth/core"
import { Either } from "effect"

for (
  const body of [{ authUserName: "john.doe@example.com", categoryId: 456000 }, { authUserName: "", colour: "red" }]
) {
  const result = ChatAuthenticate.decodeRequest(body)
  if (Either.isRight(result)) {
    console.log("valid; categoryId is echoed as", JSON.stringify(result.right.categoryId)) // "456000"
  } else {
    const rendered = OracleError.render(Errors.BadRequest.problems(result.left.problems), 4)
    console.log(rendered.status, rendered.body) // 400 {"title":"Bad Request","status":"400","o:errorDetails":[…]}
  }
}
