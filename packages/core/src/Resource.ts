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

/**
 * The request body of Oracle's reference example ("Create a chat authentication", Examples), as Oracle documents it:
 * `categoryId`, `contactId` and `organizationId` as JSON numbers, the rest as strings or `null`. A valid request: the
 * default body of the docs page's "Try it out".
 *
 * @since 0.2.0
 * @category constants
 */
export const EXAMPLE_REQUEST = {
  clientType: "CONSUMER",
  authUserName: "john.doe.4@us2.oraclecloud.com",
  categoryId: 456000,
  contactId: 123000,
  emailAddress: "john.doe.4@us2.oraclecloud.com",
  firstName: "John",
  lastName: "Doe",
  incidentId: null,
  organizationId: 112233,
  productId: null,
  question: "This is a question",
  queueId: "2",
  interfaceId: "1",
  resumeType: "RESUME",
  incidentName: "Incident 200000",
  incidentType: "SVC_SERVICE_REQUESTS",
  inventoryItemId: "200000",
  inventoryOrgId: "300000",
  prodGroupId: "400000"
} as const
