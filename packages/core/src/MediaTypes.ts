/**
 * The media types of Oracle's REST framework (ADF).
 *
 * @example
 * import { MediaTypes } from "@chatauth/core"
 *
 * MediaTypes.essence("application/vnd.oracle.adf.resourceitem+json; charset=UTF-8") // "application/vnd.oracle.adf.resourceitem+json"
 * MediaTypes.isJson(MediaTypes.ADF_ERROR_JSON) // true
 *
 * @since 0.1.0
 */

/**
 * A created or fetched item.
 *
 * @since 0.1.0
 * @category constants
 */
export const ADF_RESOURCE_ITEM = "application/vnd.oracle.adf.resourceitem+json"

/**
 * An error body of REST framework versions 4 and later.
 *
 * @since 0.1.0
 * @category constants
 */
export const ADF_ERROR_JSON = "application/vnd.oracle.adf.error+json"

/**
 * The `describe` metadata of a resource.
 *
 * @since 0.1.0
 * @category constants
 */
export const ADF_DESCRIPTION = "application/vnd.oracle.adf.description+json"

/**
 * The request media types a body is read as JSON under (spec §3).
 *
 * @since 0.1.0
 * @category constants
 */
export const JSON_REQUEST_TYPES: ReadonlyArray<string> = ["application/json", ADF_RESOURCE_ITEM]

/**
 * The essence of a `Content-Type` header: `type/subtype`, lower case, without parameters.
 *
 * @since 0.1.0
 * @category parsing
 */
export const essence = (contentType: string | undefined): string => {
  if (contentType === undefined) return ""
  const semicolon = contentType.indexOf(";")
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

/**
 * Whether a media type carries JSON: `application/json`, or any `+json` type such as Oracle's vendor types.
 *
 * @since 0.1.0
 * @category parsing
 */
export const isJson = (contentType: string | undefined): boolean => {
  const type = essence(contentType)
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"))
}
