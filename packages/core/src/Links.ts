/**
 * The ADF links of a created item: `self` and `canonical`, both at `…/chatAuthenticate/{authUserName}` (spec §3).
 *
 * @example
 * import { Links } from "@chatauth/core"
 *
 * Links.itemHref("https://pod.example.com", "/crmRestApi/resources/11.13.18.05", "john.doe@example.com")
 * // "https://pod.example.com/crmRestApi/resources/11.13.18.05/chatAuthenticate/john.doe%40example.com"
 *
 * @since 0.1.0
 */
import type { Link } from "./ChatAuthenticate.js"

/**
 * The resource's name in links.
 *
 * @since 0.1.0
 * @category constants
 */
export const RESOURCE_NAME = "chatAuthenticate"

/**
 * The href of an item. The user name is percent-encoded, so no character of it can break out of the path or, through
 * `Location`, out of a header.
 *
 * @since 0.1.0
 * @category constructors
 */
export const itemHref = (origin: string, basePath: string, authUserName: string): string =>
  `${origin}${basePath}/${RESOURCE_NAME}/${encodeURIComponent(authUserName)}`

/**
 * The links of a created item.
 *
 * @since 0.1.0
 * @category constructors
 */
export const itemLinks = (href: string): ReadonlyArray<Link> => [
  { rel: "self", href, name: RESOURCE_NAME, kind: "item" },
  { rel: "canonical", href, name: RESOURCE_NAME, kind: "item" }
]
