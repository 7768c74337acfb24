import { OpenApi } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { readFileSync } from "node:fs"
import { attributes } from "../src/Attributes.js"
import * as ChatAuthenticate from "../src/ChatAuthenticate.js"
import * as ChatAuthenticateApi from "../src/ChatAuthenticateApi.js"
import * as Describe from "../src/Describe.js"
import * as Resource from "../src/Resource.js"

describe("ChatAuthenticateApi", () => {
  const spec = OpenApi.fromApi(ChatAuthenticateApi.Api) as any

  it("publishes the resource under its documented base paths with every status of the contract", () => {
    const create = spec.paths["/chatAuthenticate"].post
    expect(spec.paths["/chatAuthenticate"].servers.map((server: { url: string }) => server.url)).toEqual(
      ChatAuthenticateApi.BASE_PATHS
    )
    expect(JSON.stringify(spec)).not.toContain("{application}")
    expect(Object.keys(create.responses).sort()).toEqual(["201", "400", "401", "403", "404", "413", "415", "429"])
    expect(Object.keys(create.responses["201"].content)).toEqual(["application/vnd.oracle.adf.resourceitem+json"])
    expect(Object.keys(create.responses["401"].content)).toEqual(["application/vnd.oracle.adf.error+json"])
    expect(create.security).toEqual([{ basic: [] }])
  })

  it("declares 405 on the unsupported GETs", () => {
    expect(Object.keys(spec.paths["/chatAuthenticate"].get.responses)).toContain("405")
    expect(Object.keys(spec.paths["/chatAuthenticate/{authUserName}"].get.responses)).toContain("405")
  })

  it("gives the create call Oracle's example as its request body's example: a valid request", () => {
    const fixture = JSON.parse(readFileSync(new URL("fixtures/example-request.json", import.meta.url), "utf8"))
    expect(Resource.EXAMPLE_REQUEST).toEqual(fixture)
    const json = spec.paths["/chatAuthenticate"].post.requestBody.content["application/json"]
    expect(json.example).toEqual(fixture)
    expect(Either.isRight(ChatAuthenticate.decodeRequest(Resource.EXAMPLE_REQUEST))).toBe(true)
  })

  it("knows the documented base paths and no others", () => {
    expect(ChatAuthenticateApi.BASE_PATHS.every(ChatAuthenticateApi.isBasePath)).toBe(true)
    expect(ChatAuthenticateApi.isBasePath("/crmRestApi/resources/11.13.0.0")).toBe(false)
    expect(ChatAuthenticateApi.basePathParams("/serviceApi/resources/latest")).toEqual({
      application: "serviceApi",
      version: "latest"
    })
  })
})

describe("Describe", () => {
  it("describes every attribute and links, with the mandatory ones marked", () => {
    const resource = Describe.describe("https://h/crmRestApi/resources/11.13.18.05").Resources.chatAuthenticate
    expect(resource.attributes.map((a) => a.name).sort()).toEqual([...attributes.map((a) => a.name), "links"].sort())
    expect(resource.attributes.filter((a) => a.mandatory).map((a) => a.name).sort()).toEqual([
      "authUserName",
      "clientType"
    ])
    expect(resource.attributes.find((a) => a.name === "jwt")?.updatable).toBe(false)
    expect(resource.collection.actions[0].method).toBe("POST")
  })
})
