import { CliConfig, Command, HelpDoc, type Usage } from "@effect/cli"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import { HashMap, HashSet, Option } from "effect"

/** An option of a command: its names (`--jwks`) and whether a value follows it. */
export interface OptionInfo {
  readonly names: ReadonlyArray<string>
  readonly takesValue: boolean
  /** What `@effect/cli` calls its value: `text`, `integer`, `RS256 | ES256 | EdDSA`…; undefined for a flag. */
  readonly value: string | undefined
}

/** A command of the tree, with what the command line checks and the help need. */
export interface Node {
  /** `["token", "verify"]`; empty for the root. */
  readonly path: ReadonlyArray<string>
  readonly options: ReadonlyArray<OptionInfo>
  /** `<TOKEN>`, `<NAME>`… */
  readonly positionals: ReadonlyArray<string>
  readonly help: HelpDoc.HelpDoc
  readonly children: ReadonlyMap<string, Node>
}

/**
 * The options `@effect/cli` adds to every command, and whether a value follows each: they are not the command's own,
 * but they are not unknown either.
 */
export const builtInOptions: ReadonlyMap<string, boolean> = new Map([
  ["--help", false],
  ["-h", false],
  ["--version", false],
  ["--wizard", false],
  ["--completions", true],
  ["--log-level", true]
])

const collect = (usage: Usage.Usage, options: Array<OptionInfo>, positionals: Array<string>): void => {
  switch (usage._tag) {
    case "Named": {
      if (usage.names.some((name) => name.startsWith("-"))) {
        const value = Option.getOrUndefined(usage.acceptedValues)
        options.push({ names: usage.names, takesValue: value !== undefined, value })
      } else if (usage.names.some((name) => name.startsWith("<"))) {
        positionals.push(...usage.names)
      }
      return
    }
    case "Optional":
    case "Repeated":
      return collect(usage.usage, options, positionals)
    case "Alternation":
    case "Concat":
      collect(usage.left, options, positionals)
      return collect(usage.right, options, positionals)
    case "Empty":
    case "Mixed":
      return
  }
}

const leaf = (path: ReadonlyArray<string>, usage: Usage.Usage, help: HelpDoc.HelpDoc): Node => {
  const options: Array<OptionInfo> = []
  const positionals: Array<string> = []
  collect(usage, options, positionals)
  return { path, options, positionals, help, children: new Map() }
}

const fromDescriptor = (path: ReadonlyArray<string>, descriptor: Descriptor.Command<unknown>): Node =>
  leaf(path, Descriptor.getUsage(descriptor), Descriptor.getHelp(descriptor, CliConfig.defaultConfig))

// A command with subcommands lists them; a leaf lists itself under its own name.
const fromCommand = (path: ReadonlyArray<string>, command: Command.Command<any, any, any, any>): Node => {
  const name = path[path.length - 1]
  const subcommands = [...HashMap.entries(Command.getSubcommands(command))]
  const help = Command.getHelp(command, CliConfig.defaultConfig)
  if (subcommands.length === 1 && subcommands[0][0] === name) {
    return leaf(path, Command.getUsage(command), help)
  }
  // In the order they were declared, as the help's COMMANDS section lists them (the map has none).
  const listing = HelpDoc.toAnsiText(help).split("COMMANDS")[1] ?? ""
  const position = (child: string) => listing.search(new RegExp(`- ${child}\\b`))
  const children = new Map(
    subcommands
      .sort(([a], [b]) => position(a) - position(b))
      .map(([child, descriptor]) => [child, fromDescriptor([...path, child], descriptor)])
  )
  return { path, options: [], positionals: [], help, children }
}

/** The tree of `chatauth`: the root (no options of its own) and its commands, two levels deep at most. */
export const build = (
  root: Command.Command<any, any, any, any>,
  commands: ReadonlyArray<Command.Command<any, any, any, any>>
): Node => {
  const children = new Map(commands.map((command) => {
    const [name] = HashSet.values(Command.getNames(command))
    return [name, fromCommand([name], command)] as const
  }))
  return {
    path: [],
    options: [],
    positionals: [],
    help: Command.getHelp(root, CliConfig.defaultConfig),
    children
  }
}

/** The command a command line names, and the arguments after its name. */
export const resolve = (
  root: Node,
  args: ReadonlyArray<string>
): { readonly node: Node; readonly rest: ReadonlyArray<string> } => {
  let node = root
  let index = 0
  while (index < args.length && node.children.has(args[index])) {
    node = node.children.get(args[index])!
    index++
  }
  return { node, rest: args.slice(index) }
}

/** The option of a command a word names (`--jwks` or `--jwks=URL`), if any. */
export const findOption = (node: Node, word: string): OptionInfo | undefined => {
  const name = word.split("=")[0]
  return node.options.find((option) => option.names.includes(name))
}

const distance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]
}

/** The command's option nearest to a mistyped one, when it is near enough to be a typo. */
export const suggest = (node: Node, word: string): string | undefined => {
  const name = word.split("=")[0]
  let best: { readonly name: string; readonly distance: number } | undefined
  for (const option of node.options) {
    for (const candidate of option.names) {
      const d = distance(name, candidate)
      if (d <= 2 && (best === undefined || d < best.distance)) best = { name: candidate, distance: d }
    }
  }
  return best?.name
}

/** What is wrong with the words after a command's name, or the words in the order `@effect/cli` parses. */
export type Checked =
  | { readonly _tag: "Ok"; readonly args: ReadonlyArray<string> }
  | { readonly _tag: "UnknownOption"; readonly option: string }
  | { readonly _tag: "MissingValue"; readonly option: string }

/**
 * Checks the words after a command's name against its options, and puts its options before its positional
 * arguments. `@effect/cli` takes any word starting with `-` for an option, so a `-` (standard input) followed by an
 * option would otherwise be refused; `--` ends the options, and what follows it is positional.
 */
export const check = (node: Node, rest: ReadonlyArray<string>): Checked => {
  const options: Array<string> = []
  const positionals: Array<string> = []
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]
    if (word === "--") {
      positionals.push(...rest.slice(i + 1))
      break
    }
    if (word === "-" || !word.startsWith("-")) {
      positionals.push(word)
      continue
    }
    const name = word.split("=")[0]
    const known = findOption(node, word)
    const builtIn = builtInOptions.get(name)
    if (known === undefined && builtIn === undefined) return { _tag: "UnknownOption", option: name }
    options.push(word)
    const takesValue = known?.takesValue ?? builtIn === true
    if (takesValue && !word.includes("=")) {
      if (i + 1 >= rest.length) return { _tag: "MissingValue", option: name }
      options.push(rest[++i])
    }
  }
  // A positional that looks like an option (after `--`) would be taken for one: keep `--` before such words.
  const needsSeparator = positionals.some((word) => word !== "-" && word.startsWith("-"))
  return {
    _tag: "Ok",
    args: needsSeparator ? [...options, "--", ...positionals] : [...options, ...positionals]
  }
}
