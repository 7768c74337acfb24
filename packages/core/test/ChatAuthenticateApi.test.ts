import { OpenApi } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { attributes } from "../src/Attributes.js"
import * as ChatAuthenticateApi from "../src/ChatAuthenticateApi.js"
import * as Describe from "../src/Describe.js"

describe("ChatAuthenticateApi", () => {
  const spec = OpenApi.fromApi(ChatAuthenticateApi.Api) as any

  it("publishes the resource on its parameterised base path with every status of the contract", () => {
    const create = spec.paths["/{application}/resources/{version}/chatAuthenticate"].post
    expect(Object.keys(create.responses).sort()).toEqual(["201", "400", "401", "403", "404", "413", "415", "429"])
    expect(Object.keys(create.responses["201"].content)).toEqual(["application/vnd.oracle.adf.resourceitem+json"])
    expect(Object.keys(create.responses["401"].content)).toEqual(["application/vnd.oracle.adf.error+json"])
    expect(create.security).toEqual([{ basic: [] }])
  })

  it("declares 405 on the unsupported GETs", () => {
    expect(Object.keys(spec.paths["/{application}/resources/{version}/chatAuthenticate"].get.responses)).toContain(
      "405"
    )
    expect(Object.keys(spec.paths["/{application}/resources/{version}/chatAuthenticate/{authUserName}"].get.responses))
      .toContain("405")
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
