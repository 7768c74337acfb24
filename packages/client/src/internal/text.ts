/** The most an error keeps of a body. */
export const BODY_EXCERPT_LIMIT = 4096

/** A body cut to `BODY_EXCERPT_LIMIT` characters, so that an error stays loggable whatever a proxy sent. */
export const excerpt = (body: string): string =>
  body.length <= BODY_EXCERPT_LIMIT ? body : body.slice(0, BODY_EXCERPT_LIMIT) + "…"

/** The first line of a text, for a one-line message. */
export const firstLine = (text: string): string => {
  const line = text.trim().split(/\r?\n/, 1)[0] ?? ""
  return line.length > 200 ? line.slice(0, 200) + "…" : line
}
