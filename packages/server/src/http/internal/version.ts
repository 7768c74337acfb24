import { createRequire } from "node:module"

/** This package's version, from its package.json (beside `src/` and `dist/` alike). */
export const VERSION: string = (createRequire(import.meta.url)("../../../package.json") as { readonly version: string })
  .version
