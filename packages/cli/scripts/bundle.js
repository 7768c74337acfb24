// Bundles the executable: dist/bin.js (compiled by tsc) and everything it imports, into one file, dist/chatauth.js.
//
// Why: a start of `chatauth` used to load some 1,500 modules (effect, @effect/platform, the server), about a second
// of CPU before any command ran — a second on every `chatauth token decode`, and before `serve` could answer. One
// tree-shaken file loads in about half that. The library entry points (`dist/index.js` and the modules beside it)
// are not bundled: they are what other programs import.
//
// Left outside the bundle: better-sqlite3 (a native addon, loaded from its package), and the optional drivers that
// `pg` asks for only when they are installed.
import { build } from "esbuild"
import { readFileSync } from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

// `internal/version.js` of each package reads its package.json at run time, relative to itself; inside the bundle
// that path leads nowhere, so each is replaced by the version it would read, taken at build time.
const bakeVersions = {
  name: "bake-versions",
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/]internal[\\/]version\.js$/ }, (args) => {
      const manifest = Path.resolve(Path.dirname(args.path), "../../package.json")
      const { version } = JSON.parse(readFileSync(manifest, "utf8"))
      return { contents: `export const VERSION = ${JSON.stringify(version)}\n`, loader: "js" }
    })
  }
}

await build({
  entryPoints: [Path.join(packageDir, "dist/bin.js")],
  outfile: Path.join(packageDir, "dist/chatauth.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Bundled CommonJS (pg) calls require; an ES module has none of its own.
  banner: {
    js:
      "import { createRequire as __chatauthRequire } from \"node:module\"\nconst require = __chatauthRequire(import.meta.url)"
  },
  external: ["better-sqlite3", "pg-native", "pg-cloudflare"],
  plugins: [bakeVersions],
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: "none",
  logLevel: "warning"
})
