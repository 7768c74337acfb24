// Bundles the executable: dist/bin.js (compiled by tsc) and everything it imports, into dist/chatauth.js and the
// chunks it loads when needed (dist/chunks/).
//
// Why: a start of `chatauth` used to load some 1,500 modules (effect, @effect/platform, the server), about a second
// of CPU before any command ran — a second on every `chatauth token decode`, and before `serve` could answer. One
// tree-shaken file loads in about half that. The library entry points (`dist/index.js` and the modules beside it)
// are not bundled: they are what other programs import.
//
// Left outside the bundle: better-sqlite3 (a native addon, loaded from its package), and the optional drivers that
// `pg` asks for only when they are installed.
import { build } from "esbuild"
import { readFileSync, rmSync } from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

// `internal/version.js` of each package (the server's is in `http/internal/`) reads its package.json at run time,
// relative to itself; inside the bundle that path leads nowhere, so each is replaced by the version it would read,
// taken at build time from the package the file belongs to.
const bakeVersions = {
  name: "bake-versions",
  setup(build) {
    build.onLoad({ filter: /[\\/]dist[\\/](?:[^\\/]+[\\/])?internal[\\/]version\.js$/ }, (args) => {
      // Ours only: a dependency's module of that name (effect has one) is its own business.
      if (args.path.includes(`${Path.sep}node_modules${Path.sep}`)) return undefined
      const manifest = Path.join(
        args.path.slice(0, args.path.lastIndexOf(`${Path.sep}dist${Path.sep}`)),
        "package.json"
      )
      const { version } = JSON.parse(readFileSync(manifest, "utf8"))
      return { contents: `export const VERSION = ${JSON.stringify(version)}\n`, loader: "js" }
    })
  }
}

// What is imported only when used (`import()`: Swagger UI's 1.9 MB page for /docs, @peculiar/x509 for a new
// certificate, the server for `serve`, …) goes into chunks of its own, read only when that import runs: a start
// reads, parses and keeps in memory the rest only. The chunks are rewritten at each build.
const chunksDir = Path.join(packageDir, "dist/chunks")
rmSync(chunksDir, { recursive: true, force: true })

await build({
  entryPoints: { chatauth: Path.join(packageDir, "dist/bin.js") },
  outdir: Path.join(packageDir, "dist"),
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Bundled CommonJS (pg) calls require; an ES module has none of its own (each chunk gets the line).
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
