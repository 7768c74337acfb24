const LABEL_SPECIAL = /[\\"\n]/g
const HELP_SPECIAL = /[\\\n]/g

const escapeChar = (c: string): string => c === "\\" ? "\\\\" : c === "\"" ? "\\\"" : "\\n"

/**
 * Escapes a label value for the text format 0.0.4: backslash, double quote and line feed.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const escapeLabelValue = (value: string): string => value.replace(LABEL_SPECIAL, escapeChar)

/**
 * Escapes `# HELP` text: backslash and line feed.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const escapeHelp = (text: string): string => text.replace(HELP_SPECIAL, escapeChar)

/**
 * Formats a sample value as the text format expects (`+Inf`, `-Inf`, `NaN`, Go-parsable floats).
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const formatValue = (value: number): string =>
  value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : Number.isNaN(value) ? "NaN" : String(value)

/**
 * The `# HELP` and `# TYPE` lines of a metric family.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const familyHeader = (name: string, type: "counter" | "gauge" | "histogram", help: string): string =>
  `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`

/**
 * One sample line. `labels` are name/value pairs; values are escaped here.
 *
 * @since 0.1.0
 * @category internal
 * @internal
 */
export const sample = (name: string, labels: ReadonlyArray<readonly [string, string]>, value: number): string => {
  if (labels.length === 0) return `${name} ${formatValue(value)}\n`
  let out = `${name}{`
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ","
    out += `${labels[i][0]}="${escapeLabelValue(labels[i][1])}"`
  }
  return `${out}} ${formatValue(value)}\n`
}
