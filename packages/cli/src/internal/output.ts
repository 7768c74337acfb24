import { Console, Effect } from "effect"

/** Human output: standard output. */
export const line = (text: string): Effect.Effect<void> => Console.log(text)

/** Diagnostics and notes about the output (never part of it): standard error. */
export const note = (text: string): Effect.Effect<void> => Console.error(text)

/** Machine output: pretty JSON on standard output. */
export const json = (value: unknown): Effect.Effect<void> => Console.log(JSON.stringify(value, null, 2))

/** `2025-01-02T03:04:05.000Z`, or `-` for a missing time. */
export const time = (millis: number | null | undefined): string =>
  millis === null || millis === undefined ? "-" : new Date(millis).toISOString()

/** A plain-text table: columns padded to their widest cell, two spaces apart. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)))
  const format = (row: ReadonlyArray<string>) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i])).join("  ")
  return [format(header), ...rows.map(format)].join("\n")
}

/** Aligned `label: value` lines. */
export const fields = (entries: ReadonlyArray<readonly [string, string]>): string => {
  const width = Math.max(...entries.map(([label]) => label.length)) + 1
  return entries.map(([label, value]) => `  ${(label + ":").padEnd(width)} ${value}`).join("\n")
}

/** `in 2 min` / `3 s ago`, from a difference in seconds. */
export const relative = (seconds: number): string => {
  const magnitude = Math.abs(seconds)
  const text = magnitude < 120 ? `${magnitude} s` : magnitude < 7200 ?
    `${Math.round(magnitude / 60)} min` :
    `${Math.round(magnitude / 3600)} h`
  return seconds >= 0 ? `in ${text}` : `${text} ago`
}
