/**
 * The attributes of Oracle's `chatAuthenticate` resource, in Oracle's order, with what each one is for.
 *
 * This table is the single source the request and response schemas, the `describe` metadata and the
 * documentation are generated from (spec §2).
 *
 * @example
 * import { Attributes } from "@chatauth/core"
 *
 * Attributes.attributes.filter((a) => a.usage === "mandatory").map((a) => a.name) // ["authUserName", "clientType"]
 * Attributes.responseOnlyAttributeNames // ["chatSiteName", "domain", "jwt", "poolId", "links"]
 *
 * @since 0.1.0
 */

/**
 * How an attribute takes part in a request.
 *
 * - `mandatory`: the caller must send it.
 * - `optional`: the caller may send it; it is validated and echoed.
 * - `notSupported`: accepted and echoed, but it changes nothing (Oracle documents it as not supported).
 * - `responseOnly`: filled in by the service; a value sent by a caller is ignored and overwritten.
 *
 * @since 0.1.0
 * @category models
 */
export type AttributeUsage = "mandatory" | "optional" | "notSupported" | "responseOnly"

/**
 * @since 0.1.0
 * @category models
 */
export interface AttributeInfo {
  readonly name: string
  readonly usage: AttributeUsage
  readonly maxLength: number
  readonly description: string
}

/**
 * The longest value any string attribute may hold (a decision of ours: Oracle does not say).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_ATTRIBUTE_LENGTH = 4000

/**
 * The longest `authUserName` (an e-mail address is at most 320 characters).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_AUTH_USER_NAME_LENGTH = 320

const attribute = (
  name: string,
  usage: AttributeUsage,
  description: string,
  maxLength: number = MAX_ATTRIBUTE_LENGTH
): AttributeInfo => ({ name, usage, maxLength, description })

/**
 * Every attribute of the resource, in the order of Oracle's reference page.
 *
 * @since 0.1.0
 * @category constants
 */
export const attributes: ReadonlyArray<AttributeInfo> = [
  attribute("allowAgentAttachments", "optional", "Whether the agent may send attachments."),
  attribute(
    "applicationClassification",
    "optional",
    "The application classification of the interaction, such as Sales or Service."
  ),
  attribute("assigneeId", "optional", "The resource proposed as the assignee of this interaction."),
  attribute(
    "authUserName",
    "mandatory",
    "The unique identifier of the logged-in user; the item key, and the token's sub and prn.",
    MAX_AUTH_USER_NAME_LENGTH
  ),
  attribute("businessUnitOrgId", "optional", "The business unit the interaction request is associated with."),
  attribute("categoryId", "optional", "The category of the interaction request."),
  attribute(
    "chatPriority",
    "optional",
    "The priority of this chat against others: a higher value is routed first. An integer."
  ),
  attribute("chatSiteName", "responseOnly", "The name of the Channel Server site, returned by the service."),
  attribute(
    "clientType",
    "mandatory",
    "The type of the user who authenticates: only CONSUMER. Absent or null means CONSUMER."
  ),
  attribute("contactId", "optional", "The party id of the person who authenticates."),
  attribute(
    "customFields",
    "optional",
    "A string holding a JSON object of custom field key/value pairs used to assign the interaction."
  ),
  attribute("domain", "responseOnly", "The domain of the Channel Server, returned by the service."),
  attribute("emailAddress", "optional", "The e-mail address of the user (its format is not checked, as in Oracle)."),
  attribute("escalationLevel", "notSupported", "The escalation level of the chat (default 0). Not supported."),
  attribute("firstName", "optional", "The first name of the user."),
  attribute("incidentAssigneeId", "notSupported", "The resource assigned to the related entity. Not supported."),
  attribute("incidentId", "optional", "The entity related to the interaction, such as a service request."),
  attribute("incidentName", "optional", "The name of the entity related to the interaction."),
  attribute("incidentSeverity", "optional", "The severity lookup code of the entity related to the interaction."),
  attribute(
    "incidentType",
    "optional",
    "The type of the entity related to the interaction, such as SVC_SERVICE_REQUESTS."
  ),
  attribute("interfaceId", "optional", "The Channel Server interface: sets the language of system messages."),
  attribute(
    "inventoryItemId",
    "optional",
    "The inventory item; with inventoryOrgId and prodGroupId it identifies the product."
  ),
  attribute(
    "inventoryOrgId",
    "optional",
    "The inventory organization; with inventoryItemId and prodGroupId it identifies the product."
  ),
  attribute("jwt", "responseOnly", "The JSON Web Token for the Channel Server, returned by the service."),
  attribute("lastName", "optional", "The last name of the user."),
  attribute(
    "mediaList",
    "optional",
    "Channel types (CHAT, VIDEO, COBROWSE) with the errors of the user's machine for each: CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE."
  ),
  attribute("organizationId", "optional", "The party id of the organization of the user."),
  attribute("poolId", "responseOnly", "The Channel Server pool, returned by the service, such as 452:2."),
  attribute("preferredResources", "notSupported", "Comma-separated resources to prefer as assignee. Not supported."),
  attribute(
    "prodGroupId",
    "optional",
    "The product group; with inventoryItemId and inventoryOrgId it identifies the product."
  ),
  attribute("productId", "optional", "The product. Accepted and unused, as in Oracle."),
  attribute("question", "optional", "The subject of the interaction: the first question."),
  attribute("queueId", "optional", "The internal queue to use for this interaction."),
  attribute("resumeType", "optional", "Whether to resume the last session: RESUME or DO_NOT_RESUME."),
  attribute("skipResources", "notSupported", "Comma-separated resources to exclude as assignee. Not supported."),
  attribute("stripeCode", "optional", "The application the interaction belongs to, such as CRM, HRHD or ISR."),
  attribute("visitorBrowserHistory", "notSupported", "The user's browser history. Not supported.")
]

/**
 * The names of the attributes a caller may send (everything but the response-only ones).
 *
 * @since 0.1.0
 * @category constants
 */
export const requestAttributeNames: ReadonlyArray<string> = attributes
  .filter((a) => a.usage !== "responseOnly")
  .map((a) => a.name)

/**
 * The names of the attributes only the service fills in, plus `links`.
 *
 * @since 0.1.0
 * @category constants
 */
export const responseOnlyAttributeNames: ReadonlyArray<string> = [
  ...attributes.filter((a) => a.usage === "responseOnly").map((a) => a.name),
  "links"
]
