/**
 * The ADF `describe` metadata of the resource (`GET …/chatAuthenticate/describe`), generated from the item schema
 * and the attribute table, so the metadata cannot drift from what the service validates.
 *
 * @example
 * import { Describe } from "@chatauth/core"
 *
 * const metadata = Describe.describe("https://pod.example.com/crmRestApi/resources/11.13.18.05")
 * metadata.Resources.chatAuthenticate.attributes.length // 38
 *
 * @since 0.1.0
 */
import { attributes } from "./Attributes.js"
import { ChatAuthenticateItem } from "./ChatAuthenticate.js"
import { ADF_RESOURCE_ITEM } from "./MediaTypes.js"

/**
 * One attribute in the describe document.
 *
 * @since 0.1.0
 * @category models
 */
export interface DescribedAttribute {
  readonly name: string
  readonly type: "string" | "array"
  readonly updatable: boolean
  readonly mandatory: boolean
  readonly queryable: boolean
  readonly allowChanges: "always" | "never"
  readonly maxLength?: string
  readonly annotations: { readonly description: string; readonly supported?: boolean }
}

/**
 * The describe document.
 *
 * @since 0.1.0
 * @category models
 */
export interface Description {
  readonly Resources: {
    readonly chatAuthenticate: {
      readonly discrColumnType: boolean
      readonly title: string
      readonly titlePlural: string
      readonly attributes: ReadonlyArray<DescribedAttribute>
      readonly collection: {
        readonly rangeSize: number
        readonly finders: ReadonlyArray<never>
        readonly actions: ReadonlyArray<{
          readonly name: string
          readonly method: string
          readonly requestType: ReadonlyArray<string>
          readonly responseType: ReadonlyArray<string>
        }>
      }
      readonly item: { readonly actions: ReadonlyArray<never> }
      readonly links: ReadonlyArray<{ rel: string; href: string; name: string; kind: string }>
    }
  }
}

const describeAttribute = (name: string): DescribedAttribute => {
  if (name === "links") {
    return {
      name,
      type: "array",
      updatable: false,
      mandatory: false,
      queryable: false,
      allowChanges: "never",
      annotations: { description: "The ADF links of the item: self and canonical." }
    }
  }
  const info = attributes.find((a) => a.name === name)
  const usage = info?.usage ?? "optional"
  return {
    name,
    type: "string",
    updatable: usage !== "responseOnly",
    mandatory: usage === "mandatory",
    queryable: false,
    allowChanges: usage === "responseOnly" ? "never" : "always",
    maxLength: String(info?.maxLength),
    annotations: usage === "notSupported"
      ? { description: info?.description ?? name, supported: false }
      : { description: info?.description ?? name }
  }
}

/**
 * The describe document for a base URL (origin and base path).
 *
 * @since 0.1.0
 * @category constructors
 */
export const describe = (baseUrl: string): Description => ({
  Resources: {
    chatAuthenticate: {
      discrColumnType: false,
      title: "Chat Authentication",
      titlePlural: "Chat Authentications",
      attributes: Object.keys(ChatAuthenticateItem.fields).map(describeAttribute),
      collection: {
        rangeSize: 25,
        finders: [],
        actions: [{
          name: "create",
          method: "POST",
          requestType: ["application/json", ADF_RESOURCE_ITEM],
          responseType: ["application/json", ADF_RESOURCE_ITEM]
        }]
      },
      item: { actions: [] },
      links: [{
        rel: "self",
        href: `${baseUrl}/chatAuthenticate/describe`,
        name: "self",
        kind: "describe"
      }]
    }
  }
})
