/**
 * What the dashboard and the alert rules under `deploy/` ask of `/metrics`, checked against what `/metrics` says.
 *
 * The expressions are read with Prometheus' own PromQL grammar (`@prometheus-io/lezer-promql`, the one its web UI
 * uses), so a function or keyword is never mistaken for a metric, label names in `by`, `on` and matchers are told
 * apart from metric names, and an expression Prometheus would not parse is a problem in itself. The exposition is
 * read strictly (text format 0.0.4): the families from their `# TYPE` lines, the label names and values from the
 * samples.
 */
import { parser } from "@prometheus-io/lezer-promql"
import { parse as parseYaml } from "yaml"

type SyntaxNode = ReturnType<typeof parser.parse>["topNode"]

/** One PromQL expression and where it was found, for the problem's text. */
export interface Expression {
  readonly source: string
  readonly expr: string
}

/** The label names and the values seen of each, per sample name (a histogram's `_bucket`, `_sum`, `_count` apart). */
export interface Exposition {
  readonly types: ReadonlyMap<string, string>
  readonly series: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/

/** Reads the text format 0.0.4; anything else in it is an error (the server's own format test is stricter still). */
export const parseExposition = (text: string): Exposition => {
  const types = new Map<string, string>()
  const series = new Map<string, Map<string, Set<string>>>()
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ")) continue
    if (line.startsWith("# TYPE ")) {
      const [name, type, ...rest] = line.slice(7).split(" ")
      if (rest.length > 0 || !METRIC_NAME.test(name)) throw new Error(`bad TYPE line: ${line}`)
      types.set(name, type)
      continue
    }
    if (line.startsWith("#")) throw new Error(`unexpected comment: ${line}`)
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) throw new Error(`bad sample line: ${line}`)
    const [, name, labelText] = match
    const family = types.has(name) ? name : name.replace(HISTOGRAM_SUFFIX, "")
    if (!types.has(family)) throw new Error(`sample ${name} has no # TYPE before it`)
    const labels = series.get(name) ?? new Map<string, Set<string>>()
    series.set(name, labels)
    let rest = labelText ?? ""
    while (rest !== "") {
      const pair = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/.exec(rest)
      if (pair === null) throw new Error(`bad labels in: ${line}`)
      const value = pair[2].replace(/\\([\\"n])/g, (_, c: string) => c === "n" ? "\n" : c)
      const values = labels.get(pair[1]) ?? new Set<string>()
      values.add(value)
      labels.set(pair[1], values)
      rest = rest.slice(pair[0].length)
    }
  }
  return { types, series }
}

/**
 * Labels Prometheus itself attaches to every scraped series (the target's), and the one series it makes of each
 * scrape: neither is in `/metrics`, and both are what a dashboard of several replicas selects by.
 */
const TARGET_LABELS: ReadonlySet<string> = new Set(["job", "instance"])
const SCRAPE_SERIES: ReadonlyMap<string, ReadonlySet<string>> = new Map([["up", new Set<string>()]])

/** Label values that are HTTP statuses: open-ended, so a value is checked for its form, not for having been seen. */
const STATUS_LABELS: ReadonlySet<string> = new Set(["status"])

// Grafana's built-in interval variables stand where PromQL wants a duration; any other variable may only appear in a
// label value (a string), where the grammar does not look.
const GRAFANA_DURATIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\$__rate_interval\b|\$\{__rate_interval\}/g, "5m"],
  [/\$__interval\b|\$\{__interval\}/g, "1m"],
  [/\$__range\b|\$\{__range\}/g, "1h"]
]

const withGrafanaDurations = (expr: string): string =>
  GRAFANA_DURATIONS.reduce((text, [pattern, duration]) => text.replace(pattern, duration), expr)

const children = (node: SyntaxNode): Array<SyntaxNode> => {
  const out: Array<SyntaxNode> = []
  for (let child = node.firstChild; child !== null; child = child.nextSibling) out.push(child)
  return out
}

const descendants = (node: SyntaxNode, name: string): Array<SyntaxNode> => {
  const out: Array<SyntaxNode> = []
  const walk = (n: SyntaxNode) => {
    if (n.name === name) out.push(n)
    for (const child of children(n)) walk(child)
  }
  walk(node)
  return out
}

const stringValue = (literal: string): string => {
  if (literal.startsWith("`")) return literal.slice(1, -1)
  if (literal.startsWith("'")) return JSON.parse(`"${literal.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, "\\\"")}"`)
  return JSON.parse(literal)
}

/** The labels a selector of this name may be filtered or grouped by, or why the name is not there. */
const labelsOf = (
  exposition: Exposition,
  name: string
): { readonly labels: ReadonlyMap<string, ReadonlySet<string>> } | { readonly missing: string } => {
  const scrape = SCRAPE_SERIES.get(name)
  if (scrape !== undefined) return { labels: new Map([...scrape].map((label) => [label, new Set<string>()])) }
  const type = exposition.types.get(name)
  if (type === "histogram") {
    return { missing: `${name} is a histogram: query ${name}_bucket, ${name}_sum or ${name}_count` }
  }
  if (type !== undefined) return { labels: exposition.series.get(name) ?? new Map() }
  const family = name.replace(HISTOGRAM_SUFFIX, "")
  if (family !== name && exposition.types.get(family) === "histogram") {
    return { labels: exposition.series.get(name) ?? new Map() }
  }
  return { missing: `metric ${name} is not in /metrics` }
}

/** Every problem of one expression: PromQL that does not parse, metrics, labels and label values that do not exist. */
export const checkExpression = (exposition: Exposition, { expr, source }: Expression): Array<string> => {
  const text = withGrafanaDurations(expr)
  const tree = parser.parse(text)
  const problems: Array<string> = []
  const at = (node: SyntaxNode) => text.slice(node.from, node.to)
  // The grammar recovers from an error and may report several for one mistake: the first says where it is.
  let error: number | undefined
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError && error === undefined) error = ref.from
    }
  })
  if (error !== undefined) {
    return [`${source}: not PromQL at ${error}: ${JSON.stringify(text.slice(error, error + 30))}`]
  }

  const metricOf = (selector: SyntaxNode): string | undefined => {
    const identifier = children(selector).find((child) => child.name === "Identifier")
    return identifier === undefined ? undefined : at(identifier)
  }
  const hasLabel = (metric: string, label: string): boolean => {
    if (TARGET_LABELS.has(label)) return true
    const known = labelsOf(exposition, metric)
    return "labels" in known && known.labels.has(label)
  }
  const labelProblem = (metric: string, label: string, where: string) => {
    const known = labelsOf(exposition, metric)
    const has = "labels" in known ? [...known.labels.keys()].sort().join(", ") : ""
    return `${source}: label "${label}" (${where}) is not on ${metric} (it has ${has === "" ? "none" : has})`
  }

  for (const selector of descendants(tree.topNode, "VectorSelector")) {
    const metric = metricOf(selector)
    if (metric === undefined) {
      problems.push(`${source}: a selector without a metric name: ${at(selector)}`)
      continue
    }
    const known = labelsOf(exposition, metric)
    if ("missing" in known) {
      problems.push(`${source}: ${known.missing}`)
      continue
    }
    for (const matcher of descendants(selector, "QuotedLabelMatcher")) {
      problems.push(`${source}: a quoted label name is not supported here: ${at(matcher)}`)
    }
    for (const matcher of descendants(selector, "UnquotedLabelMatcher")) {
      const parts = children(matcher)
      const label = at(parts.find((p) => p.name === "LabelName")!)
      const op = at(parts.find((p) => p.name === "MatchOp")!)
      const value = stringValue(at(parts.find((p) => p.name === "StringLiteral")!))
      if (!hasLabel(metric, label)) {
        problems.push(labelProblem(metric, label, `matcher ${label}${op}"${value}"`))
        continue
      }
      // A Grafana variable, a negative matcher or a real regular expression: only the label's presence is checked.
      if (TARGET_LABELS.has(label) || value.includes("$") || op === "!=" || op === "!~") continue
      if (op === "=~" && !/^[A-Za-z0-9_-]+(\|[A-Za-z0-9_-]+)*$/.test(value)) continue
      for (const wanted of op === "=" ? [value] : value.split("|")) {
        const seen = known.labels.get(label)!
        if (STATUS_LABELS.has(label) ? !/^[1-5]\d\d$/.test(wanted) : !seen.has(wanted)) {
          problems.push(
            `${source}: ${metric} has no ${label}="${wanted}" (seen: ${[...seen].sort().join(", ")})`
          )
        }
      }
    }
  }

  // `by`/`without` name labels of the aggregated expression; `on`/`ignoring`/`group_*` labels of both operands.
  const groupings: Array<readonly [SyntaxNode, SyntaxNode]> = [
    ...descendants(tree.topNode, "AggregateModifier").map((modifier) => [modifier, modifier.parent!] as const),
    ...descendants(tree.topNode, "MatchingModifierClause").map((clause) => [clause, clause.parent!] as const)
  ]
  for (const [modifier, scope] of groupings) {
    const metrics = descendants(scope, "VectorSelector").map(metricOf).filter((m): m is string =>
      m !== undefined && !("missing" in labelsOf(exposition, m))
    )
    for (const labelNode of descendants(modifier, "LabelName")) {
      const label = at(labelNode)
      for (const metric of metrics) {
        if (!hasLabel(metric, label)) problems.push(labelProblem(metric, label, at(modifier)))
      }
    }
  }
  return problems
}

/** The metric names an expression selects (for coverage), as the grammar reads them. */
export const metricNames = (expr: string): Array<string> => {
  const text = withGrafanaDurations(expr)
  return descendants(parser.parse(text).topNode, "VectorSelector").flatMap((selector) => {
    const identifier = children(selector).find((child) => child.name === "Identifier")
    return identifier === undefined ? [] : [text.slice(identifier.from, identifier.to)]
  })
}

interface Panel {
  readonly id?: number
  readonly title?: string
  readonly type?: string
  readonly datasource?: { readonly type?: string; readonly uid?: string }
  readonly targets?: ReadonlyArray<{ readonly refId?: string; readonly expr?: unknown; readonly datasource?: unknown }>
  readonly panels?: ReadonlyArray<Panel>
}

/**
 * Every PromQL expression of a Grafana dashboard (JSON text): each target of each panel, those of panels nested in
 * rows included, and the queries of its template variables (`label_values(selector, label)`, whose label is checked
 * as a `by` would be). What the dashboard cannot be read for is a problem too.
 */
export const dashboardExpressions = (json: string): {
  readonly expressions: ReadonlyArray<Expression>
  readonly problems: ReadonlyArray<string>
} => {
  const dashboard = JSON.parse(json) as {
    readonly panels?: ReadonlyArray<Panel>
    readonly templating?: {
      readonly list?: ReadonlyArray<{ readonly name: string; readonly type: string; readonly query?: unknown }>
    }
  }
  const expressions: Array<Expression> = []
  const problems: Array<string> = []
  const ids = new Set<number>()
  const visit = (panel: Panel, path: string) => {
    const where = `${path}panel "${panel.title}"`
    if (typeof panel.id !== "number" || ids.has(panel.id)) problems.push(`${where}: missing or repeated id`)
    else ids.add(panel.id)
    if (panel.type !== "row" && panel.datasource?.uid !== "${datasource}") {
      problems.push(`${where}: its datasource is not the \${datasource} variable`)
    }
    for (const target of panel.targets ?? []) {
      if (typeof target.expr !== "string" || target.expr.trim() === "") {
        problems.push(`${where} target ${target.refId}: no expr`)
        continue
      }
      expressions.push({ source: `${where} target ${target.refId}`, expr: target.expr })
    }
    for (const nested of panel.panels ?? []) visit(nested, `${where} > `)
  }
  for (const panel of dashboard.panels ?? []) visit(panel, "")
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== "query") continue
    const query = typeof variable.query === "string"
      ? variable.query
      : (variable.query as { readonly query?: unknown } | undefined)?.query
    const match = typeof query === "string" ? /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(query) : null
    if (match === null) {
      problems.push(`variable ${variable.name}: a query other than label_values(selector, label): ${String(query)}`)
      continue
    }
    // `label_values` is Grafana's: the label it lists is checked the way a grouping is.
    expressions.push({ source: `variable ${variable.name}`, expr: `group by (${match[2]}) (${match[1]})` })
  }
  return { expressions, problems }
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/
const SEVERITIES: ReadonlySet<unknown> = new Set(["critical", "warning", "info"])

/**
 * Every expression of a Prometheus rules file (YAML text), with what Prometheus would refuse in its structure:
 * groups with names and rules, each rule an alert with an expression, a valid `for`, a severity, a summary and a
 * description, no alert name twice.
 */
export const ruleExpressions = (yamlText: string): {
  readonly expressions: ReadonlyArray<Expression>
  readonly problems: ReadonlyArray<string>
} => {
  const file = parseYaml(yamlText, { strict: true, uniqueKeys: true }) as {
    readonly groups?: ReadonlyArray<{ readonly name?: unknown; readonly rules?: ReadonlyArray<Record<string, any>> }>
  }
  const expressions: Array<Expression> = []
  const problems: Array<string> = []
  const names = new Set<string>()
  if (!Array.isArray(file?.groups) || file.groups.length === 0) return { expressions, problems: ["no groups"] }
  for (const group of file.groups) {
    if (typeof group.name !== "string" || !Array.isArray(group.rules) || group.rules.length === 0) {
      problems.push(`group ${String(group.name)}: needs a name and rules`)
      continue
    }
    for (const rule of group.rules) {
      const where = `alert ${rule.alert} (group ${group.name})`
      if (typeof rule.alert !== "string" || typeof rule.expr !== "string") {
        problems.push(`${where}: needs alert and expr`)
        continue
      }
      if (names.has(rule.alert)) problems.push(`${where}: the name is taken`)
      names.add(rule.alert)
      for (const key of Object.keys(rule)) {
        if (!["alert", "expr", "for", "keep_firing_for", "labels", "annotations"].includes(key)) {
          problems.push(`${where}: unknown key ${key}`)
        }
      }
      if (rule.for !== undefined && !DURATION.test(String(rule.for))) problems.push(`${where}: for is not a duration`)
      if (!SEVERITIES.has(rule.labels?.severity)) {
        problems.push(`${where}: labels.severity must be critical/warning/info`)
      }
      if (typeof rule.annotations?.summary !== "string" || typeof rule.annotations?.description !== "string") {
        problems.push(`${where}: needs annotations.summary and annotations.description`)
      }
      expressions.push({ source: where, expr: rule.expr })
    }
  }
  return { expressions, problems }
}
