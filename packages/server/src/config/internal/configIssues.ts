import type { ParseResult } from "effect"

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/**
 * Formats a schema issue path as a JSONPath, e.g. `$.channelServers[1].weight`.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const jsonPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = "$"
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else if (typeof key === "string" && IDENTIFIER.test(key)) out += `.${key}`
    else out += `[${JSON.stringify(String(key))}]`
  }
  return out
}

/**
 * Turns schema issues into `{ path, message }` pairs with JSON paths, without repeats.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const formatIssues = (
  issues: ReadonlyArray<ParseResult.ArrayFormatterIssue>
): Array<{ readonly path: string; readonly message: string }> => {
  const seen = new Set<string>()
  const out: Array<{ readonly path: string; readonly message: string }> = []
  for (const issue of issues) {
    const path = jsonPath(issue.path)
    // The only transformation that fails at the root is `parseJson` itself: say so instead of echoing a bare
    // `SyntaxError` text.
    const message = issue._tag === "Transformation" && issue.path.length === 0
      ? `not valid JSON: ${issue.message}`
      : issue._tag === "Unexpected"
      ? `unknown key (${issue.message})`
      : issue.message
    const key = `${path}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ path, message })
  }
  return out
}

/**
 * Whether a JSON text nests arrays and objects deeper than `limit`, scanned without recursion: a schema's messages
 * print the values they reject, and printing a value nested thousands deep overflows the stack.
 *
 * @since 0.2.0
 * @category internal
 * @internal
 */
export const nestsDeeperThan = (json: string, limit: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) {
      depth--
    }
  }
  return false
}
