/**
 * What the conformance cases send, written once: each request has one label, and a case that needs the answer of a
 * request another case sent gets the same exchange (the runner sends each label once per endpoint). The shadow diff
 * compares endpoints request by request, by these labels.
 */
import { BASE_PATHS, DEFAULT_BASE_PATH, EXAMPLE_REQUEST } from "@chatauth/core/Resource"
import type { Credentials, WireRequest } from "./wire.js"

/** The resource under the base path Oracle's reference documents. */
export const RESOURCE = `${DEFAULT_BASE_PATH}/chatAuthenticate`

/** The `authUserName` of the requests that need no particular one. */
export const CONFORMANCE_USER = "conformance.user@example.com"

/** Oracle's documented request ("Create a chat authentication", Examples). */
export const exampleBody: Readonly<Record<string, unknown>> = EXAMPLE_REQUEST

/**
 * Oracle's documented answer to it, as the reference prints it, without its `jwt` (a token of Oracle's, checked
 * by shape in the token cases). `chatSiteName`, `domain` and `poolId` are where Oracle's pod routed that chat: an
 * endpoint routes to its own sites, so these three are checked as present, not equal.
 */
export const documentedAnswer: Readonly<Record<string, unknown>> = {
  authUserName: "john.doe.4@us2.oraclecloud.com",
  categoryId: "456000",
  chatSiteName: "sdi_07_13_17_1643_46-Svcdit-Fusion",
  clientType: "CONSUMER",
  contactId: "123000",
  domain: "bzndv-chatinteg-vip.dv.lan",
  emailAddress: "john.doe.4@us2.oraclecloud.com",
  firstName: "John",
  incidentId: null,
  interfaceId: "1",
  lastName: "Doe",
  organizationId: "112233",
  poolId: "452:2",
  productId: null,
  question: "This is a question",
  queueId: "2",
  resumeType: "RESUME",
  incidentName: "Incident 200000",
  incidentType: "SVC_SERVICE_REQUESTS",
  inventoryItemId: "200000",
  inventoryOrgId: "300000",
  prodGroupId: "400000"
}

/** The attributes Oracle's page describes without naming them; the names are inferred (docs/contract.md §2). */
export const GUESSED_ATTRIBUTES: ReadonlyArray<string> = [
  "incidentAssigneeId",
  "incidentSeverity",
  "preferredResources",
  "skipResources",
  "stripeCode",
  "visitorBrowserHistory"
]

/** A valid string for every request attribute (the guessed names included), each distinct from the others. */
export const stringValues: Readonly<Record<string, string>> = {
  allowAgentAttachments: "true",
  applicationClassification: "Service",
  assigneeId: "300100000000011",
  authUserName: "conformance.strings@example.com",
  businessUnitOrgId: "300100000000012",
  categoryId: "456001",
  chatPriority: "5",
  clientType: "CONSUMER",
  contactId: "123001",
  customFields: "{\"conformance\":\"yes\"}",
  emailAddress: "conformance.strings@example.com",
  escalationLevel: "0",
  firstName: "Jane",
  incidentAssigneeId: "300100000000013",
  incidentId: "200001",
  incidentName: "Incident 200001",
  incidentSeverity: "ORA_SVC_SEV2",
  incidentType: "SVC_SERVICE_REQUESTS",
  interfaceId: "1",
  inventoryItemId: "200002",
  inventoryOrgId: "300002",
  lastName: "Doe",
  mediaList: "CHAT;VIDEO:NO_CAMERA",
  organizationId: "112234",
  preferredResources: "300100000000014",
  prodGroupId: "400002",
  productId: "500002",
  question: "Is every attribute echoed as it was sent?",
  queueId: "3",
  resumeType: "DO_NOT_RESUME",
  skipResources: "300100000000015",
  stripeCode: "CRM",
  visitorBrowserHistory: "https://www.example.com/help"
}

/**
 * The attributes that hold ids or numbers, as JSON integers: Oracle's example sends `categoryId`, `contactId` and
 * `organizationId` so, its sample clients `queueId`; `chatPriority` is a whole number.
 */
export const integerValues: Readonly<Record<string, number>> = {
  assigneeId: 300100000000021,
  businessUnitOrgId: 300100000000022,
  categoryId: 456002,
  chatPriority: 7,
  contactId: 123002,
  escalationLevel: 1,
  incidentId: 200003,
  interfaceId: 2,
  inventoryItemId: 200004,
  inventoryOrgId: 300004,
  organizationId: 112235,
  prodGroupId: 400004,
  productId: 500004,
  queueId: 4
}

/** The attributes Oracle names that a caller may leave null (`authUserName` is mandatory). */
export const nullableAttributes: ReadonlyArray<string> = Object.keys(stringValues).filter((name) =>
  name !== "authUserName" && !GUESSED_ATTRIBUTES.includes(name)
)

/** What a caller may send of the attributes only the service fills in; an endpoint must ignore it. */
export const responseOnlyValues: Readonly<Record<string, unknown>> = {
  chatSiteName: "conformance-site",
  domain: "conformance.invalid",
  poolId: "0:0",
  jwt: "not.a.token",
  links: [{ rel: "self", href: "https://conformance.invalid/sent-by-the-caller", name: "x", kind: "item" }]
}

/** An attribute no version of the resource has. */
export const UNKNOWN_ATTRIBUTE = "conformanceColour"

const caller: Credentials = { _tag: "Caller" }

const json = (body: unknown) => ({ text: JSON.stringify(body), contentType: "application/json" })

const post = (
  label: string,
  body: unknown,
  options: { readonly path?: string; readonly headers?: Record<string, string>; readonly credentials?: Credentials } =
    {}
): WireRequest => ({
  label,
  method: "POST",
  path: options.path ?? RESOURCE,
  headers: options.headers ?? {},
  body: json(body),
  credentials: options.credentials ?? caller
})

const version = (value: string | undefined): Record<string, string> =>
  value === undefined ? {} : { "rest-framework-version": value }

const versionLabel = (value: string | undefined) =>
  value === undefined ? "no REST-Framework-Version" : `REST-Framework-Version ${value}`

/** Oracle's example as JSON, as an integration sends it. */
export const exampleJson: WireRequest = post("POST Oracle's example (application/json)", exampleBody)

/**
 * Oracle's documented command, `curl -u user:password -X POST -d @example_request_payload.json URL`: curl sends the
 * file without a JSON type, as `application/x-www-form-urlencoded`, and without `REST-Framework-Version`.
 */
export const exampleCurl: WireRequest = {
  label: "POST Oracle's example (cURL -d: application/x-www-form-urlencoded)",
  method: "POST",
  path: RESOURCE,
  headers: { accept: "*/*" },
  body: { text: JSON.stringify(exampleBody), contentType: "application/x-www-form-urlencoded" },
  credentials: caller
}

/** The least request there is, on one of the documented base paths. */
export const minimalAt = (basePath: string): WireRequest =>
  post(`POST {authUserName} at ${basePath}`, { authUserName: CONFORMANCE_USER }, {
    path: `${basePath}/chatAuthenticate`
  })

/** The least request on the default base path. */
export const minimal: WireRequest = minimalAt(DEFAULT_BASE_PATH)

/** One per documented base path, the default first. */
export const minimalOnEveryBasePath: ReadonlyArray<WireRequest> = BASE_PATHS.map(minimalAt)

export const onlyData: WireRequest = post("POST {authUserName} ?onlyData=true", { authUserName: CONFORMANCE_USER }, {
  path: `${RESOURCE}?onlyData=true`
})

/** Every attribute Oracle names, as a string. */
export const strings: WireRequest = post(
  "POST every named attribute as a string",
  Object.fromEntries(Object.entries(stringValues).filter(([name]) => !GUESSED_ATTRIBUTES.includes(name)))
)

export const integers: WireRequest = post("POST the id attributes as JSON integers", {
  authUserName: "conformance.integers@example.com",
  ...integerValues
})

export const nulls: WireRequest = post("POST every optional attribute as null", {
  authUserName: "conformance.nulls@example.com",
  ...Object.fromEntries(nullableAttributes.map((name) => [name, null]))
})

export const guessed: WireRequest = post("POST the guessed attribute names", {
  authUserName: "conformance.guessed@example.com",
  ...Object.fromEntries(GUESSED_ATTRIBUTES.map((name) => [name, stringValues[name]]))
})

export const responseOnly: WireRequest = post("POST the response-only attributes", {
  authUserName: "conformance.response-only@example.com",
  ...responseOnlyValues
})

export const unknownAttribute: WireRequest = post("POST an unknown attribute (REST-Framework-Version 4)", {
  authUserName: CONFORMANCE_USER,
  [UNKNOWN_ATTRIBUTE]: "blue"
}, { headers: version("4") })

/** A request refused for its `resumeType`, in a framework version's error form. */
export const invalidResumeType = (frameworkVersion: string | undefined): WireRequest =>
  post(`POST resumeType "SOMETIMES" (${versionLabel(frameworkVersion)})`, {
    authUserName: CONFORMANCE_USER,
    resumeType: "SOMETIMES"
  }, { headers: version(frameworkVersion) })

export const frameworkVersionTen: WireRequest = post(
  "POST {authUserName} (REST-Framework-Version 10)",
  { authUserName: CONFORMANCE_USER },
  { headers: version("10") }
)

/** A GET of the collection or of an item, which Oracle documents as "Not Supported". */
export const getResource = (item: boolean, frameworkVersion: string | undefined): WireRequest => ({
  label: `GET ${item ? "an item" : "the collection"} (${versionLabel(frameworkVersion)})`,
  method: "GET",
  path: item ? `${RESOURCE}/${encodeURIComponent(CONFORMANCE_USER)}` : RESOURCE,
  headers: version(frameworkVersion),
  credentials: caller
})

/** The least request with other credentials (or none), in the JSON error form. */
export const minimalAs = (label: string, credentials: Credentials): WireRequest =>
  post(`POST {authUserName} ${label} (REST-Framework-Version 4)`, { authUserName: CONFORMANCE_USER }, {
    headers: version("4"),
    credentials
  })
