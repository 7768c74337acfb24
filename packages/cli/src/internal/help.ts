import type { HelpDoc } from "@effect/cli"
import type { Span } from "@effect/cli/HelpDoc/Span"
import { builtInOptions, type Node, type OptionInfo } from "./commandTree.js"

/**
 * The help of a command, as plain text: `@effect/cli`'s own help gives every option four lines of which two are
 * boilerplate ("A user-defined piece of text.", "This setting is optional."), and colours it whatever the output.
 * This one gives an option one line, says what its value is, and has no escape codes.
 */

/** A group of options in a command's help; `compact` lists the flags alone, several a line. */
export interface Group {
  readonly title: string
  readonly options: ReadonlyArray<string>
  readonly compact?: boolean
  readonly note?: string
}

const spanText = (span: Span): string => {
  switch (span._tag) {
    case "Text":
      return span.value
    case "URI":
      return span.value
    case "Sequence":
      return spanText(span.left) + spanText(span.right)
    case "Highlight":
    case "Strong":
    case "Weak":
      return spanText(span.value)
  }
}

type Block =
  | { readonly _tag: "Header"; readonly text: string }
  | { readonly _tag: "Paragraph"; readonly text: string }
  | { readonly _tag: "List"; readonly entries: ReadonlyArray<readonly [string, ReadonlyArray<string>]> }

const paragraphs = (doc: HelpDoc.HelpDoc): Array<string> =>
  blocks(doc).flatMap((block) => block._tag === "Paragraph" ? [block.text] : [])

const blocks = (doc: HelpDoc.HelpDoc): Array<Block> => {
  switch (doc._tag) {
    case "Empty":
      return []
    case "Header":
      return [{ _tag: "Header", text: spanText(doc.value) }]
    case "Paragraph":
      return [{ _tag: "Paragraph", text: spanText(doc.value) }]
    case "DescriptionList":
      return [{
        _tag: "List",
        entries: doc.definitions.map(([term, description]) => [spanText(term), paragraphs(description)] as const)
      }]
    case "Enumeration":
      return doc.elements.flatMap(blocks)
    case "Sequence":
      return [...blocks(doc.left), ...blocks(doc.right)]
  }
}

// What @effect/cli says of every option of a kind; the value placeholder and the "(default …)" say it shorter.
const boilerplate = [
  /^A user-defined piece of text/,
  /^A true or false value/,
  /^An integer/,
  /^One of the following/,
  /^This setting is optional\.$/,
  /^This (option|argument) can be set from environment variables/,
  /^This (option|argument) may be repeated zero or more times/
]

const describe = (lines: ReadonlyArray<string>, longChoice: boolean): string => {
  const choices = lines.flatMap((line) => line.match(/^One of the following: (.*)$/)?.slice(1) ?? [])
  const own = [
    ...lines.filter((line) => !boilerplate.some((pattern) => pattern.test(line))),
    ...(longChoice ? choices.map((list) => `(one of: ${list})`) : [])
  ]
  const defaults = own.flatMap((line) => line.match(/^This setting is optional\. Defaults to: (.*)$/)?.slice(1) ?? [])
  const text = own.filter((line) => !line.startsWith("This setting is optional.")).join(" ")
  const repeated = lines.some((line) => /may be repeated/.test(line))
  return [text, ...defaults.map((value) => `(default ${value})`), ...(repeated ? ["(repeatable)"] : [])]
    .filter((part) => part !== "")
    .join(" ")
}

// A list of choices longer than this is named VALUE and spelled out in the description.
const LONG_CHOICE = 30

const placeholder = (option: OptionInfo): string => {
  if (option.value === undefined) return ""
  if (option.value === "text" || option.value === "redacted" || option.value.length > LONG_CHOICE) return " VALUE"
  if (option.value === "integer") return " N"
  return ` ${option.value.replace(/ \| /g, "|")}`
}

const WIDTH = 100

const wrap = (words: ReadonlyArray<string>, indent: string): Array<string> => {
  const lines: Array<string> = []
  let line = indent
  for (const word of words) {
    if (line.length + word.length + 1 > WIDTH && line.trim() !== "") {
      lines.push(line.trimEnd())
      line = indent
    }
    line += `${word} `
  }
  if (line.trim() !== "") lines.push(line.trimEnd())
  return lines
}

const table = (rows: ReadonlyArray<readonly [string, string]>): Array<string> => {
  const width = Math.min(Math.max(...rows.map(([term]) => term.length)) + 2, 34)
  return rows.flatMap(([term, text]) => {
    const head = `  ${term}`
    if (text === "") return [head]
    if (head.length + 2 > width + 2) return [head, ...wrap(text.split(" "), " ".repeat(width + 2))]
    const [first, ...more] = wrap(text.split(" "), " ".repeat(width + 2))
    return [`${head.padEnd(width + 2)}${first.trimStart()}`, ...more]
  })
}

/** The help of a command of `chatauth`, with its options in the given groups (the rest under OPTIONS). */
export const render = (node: Node, groups: ReadonlyArray<Group> = []): string => {
  const all = blocks(node.help)
  const section = (title: string): Array<Block> => {
    const start = all.findIndex((block) => block._tag === "Header" && block.text === title)
    if (start === -1) return []
    const end = all.findIndex((block, i) => i > start && block._tag === "Header")
    return all.slice(start + 1, end === -1 ? undefined : end)
  }
  const descriptions = new Map<string, string>()
  const optional = new Set<string>()
  for (const block of [...section("OPTIONS"), ...section("ARGUMENTS")]) {
    if (block._tag !== "List") continue
    for (const [term, lines] of block.entries) {
      const name = term.split(" ")[0]
      descriptions.set(name, describe(lines, term.length - name.length - 1 > LONG_CHOICE))
      // A repeatable option may be given zero times: it is no more required than an optional one.
      if (lines.some((text) => text.startsWith("This setting is optional") || /may be repeated/.test(text))) {
        optional.add(name)
      }
    }
  }
  const command = ["chatauth", ...node.path].join(" ")
  const out: Array<string> = []
  const description = section("DESCRIPTION").flatMap((block) => block._tag === "Paragraph" ? [block.text] : [])
  out.push(`${command}: ${description.join(" ")}`, "")

  if (node.children.size > 0) {
    out.push("USAGE", `  ${command} <command> [options]      ${command} <command> --help shows its options`, "")
    out.push("COMMANDS")
    out.push(...table([...node.children.entries()].map(([name, child]) => {
      const text = blocks(child.help).find((block) => block._tag === "Paragraph")
      return [name, text?._tag === "Paragraph" ? text.text : ""] as const
    })))
    return out.join("\n")
  }

  const own = node.options.filter((option) => !option.names.some((name) => builtInOptions.has(name)))
  const required = own.filter((option) => option.takesValue && !optional.has(option.names[0]))
  const usage = [
    command,
    ...required.map((option) => `${option.names[0]}${placeholder(option)}`),
    ...(own.length > required.length ? ["[options]"] : []),
    ...node.positionals.map((name) => name.replace(/^<(.*)>$/, "$1"))
  ]
  out.push("USAGE", `  ${usage.join(" ")}`, "")

  if (node.positionals.length > 0) {
    out.push("ARGUMENTS")
    out.push(...table(node.positionals.map((name) => [name.replace(/^<(.*)>$/, "$1"), descriptions.get(name) ?? ""])))
    out.push("")
  }

  const byName = new Map(own.map((option) => [option.names[0].replace(/^--/, ""), option]))
  const placed = new Set<string>()
  const line = (option: OptionInfo) =>
    [`${option.names.join(", ")}${placeholder(option)}`, descriptions.get(option.names[0]) ?? ""] as const
  for (const group of groups) {
    const options = group.options.flatMap((name) => byName.get(name) ?? [])
    options.forEach((option) => placed.add(option.names[0]))
    if (options.length === 0) continue
    out.push(group.title)
    if (group.note !== undefined) out.push(...wrap(group.note.split(" "), "  "))
    out.push(
      ...(group.compact === true ? wrap(options.map((option) => option.names[0]), "  ") : table(options.map(line)))
    )
    out.push("")
  }
  const rest = own.filter((option) => !placed.has(option.names[0]))
  if (rest.length > 0) out.push(groups.length > 0 ? "OTHER OPTIONS" : "OPTIONS", ...table(rest.map(line)), "")
  out.push(
    "GLOBAL OPTIONS",
    "  -h, --help    --version    --log-level LEVEL    --completions sh|bash|fish|zsh"
  )
  return out.join("\n")
}

/** A help document of `@effect/cli` (its validation errors are ones) as plain text. */
export const plainText = (doc: HelpDoc.HelpDoc): string =>
  blocks(doc).map((block) =>
    block._tag === "List"
      ? block.entries.map(([term, lines]) => `${term}: ${lines.join(" ")}`).join("; ")
      : block.text
  ).join(" ").trim()
