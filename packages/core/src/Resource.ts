/**
 * Plain facts about Oracle's chatAuthenticate resource: where it lives, the privilege it requires, the titles of its
 * HTTP statuses. No dependencies, so that tools which only need these (a CLI's `--help`) load nothing else.
 *
 * @example
 * import { Resource } from "@chatauth/core"
 *
 * Resource.isBasePath("/serviceApi/resources/latest") // true
 * Resource.isBasePath("/crmRestApi/resources/11.13.0.0") // false: Oracle does not publish it
 * Resource.STATUS_TITLES[429] // "Too Many Requests"
 *
 * @since 0.1.0
 */

/**
 * The base paths the resource lives under (spec §1).
 *
 * @since 0.1.0
 * @category constants
 */
export const BASE_PATHS = [
  "/crmRestApi/resources/11.13.18.05",
  "/crmRestApi/resources/latest",
  "/serviceApi/resources/11.13.0.0",
  "/serviceApi/resources/latest"
] as const

/**
 * @since 0.1.0
 * @category models
 */
export type BasePath = typeof BASE_PATHS[number]

/**
 * The base path Oracle's reference documents.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_PATH: BasePath = "/crmRestApi/resources/11.13.18.05"

/**
 * Whether a path is one of the documented base paths (an application and version pair alone would also match
 * `crmRestApi/…/11.13.0.0`, which Oracle does not publish).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isBasePath = (path: string): path is BasePath => (BASE_PATHS as ReadonlyArray<string>).includes(path)

/**
 * The privilege Oracle requires to create a chat authentication.
 *
 * @since 0.1.0
 * @category constants
 */
export const CHAT_PRIVILEGE = "SVC_REQUEST_FOR_CHAT_PRIV"

/**
 * The titles the REST framework gives the statuses the endpoint (or a gateway in front of it) answers with.
 *
 * @since 0.1.0
 * @category constants
 */
export const STATUS_TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout"
}
