#!/usr/bin/env node
/**
 * The `chatauth` executable. It holds V8's young generation before anything else is loaded, then loads the CLI: the
 * static import is of node:v8 and node:perf_hooks only, and the dynamic one is evaluated after it
 * (`internal/serverHeap.ts` says why).
 *
 * @since 0.1.0
 */
import { hold } from "./internal/serverHeap.js"

hold()
await import("./internal/main.js")
