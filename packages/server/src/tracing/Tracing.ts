/**
 * OpenTelemetry traces, exported over OTLP/HTTP when an endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`), and
 * nothing at all when it is not: no tracer is built, and the route creates no span.
 *
 * Built on Effect's own integration (`@effect/opentelemetry`'s `NodeSdk`) with the official SDK (a batching span
 * processor and the OTLP/HTTP JSON exporter): every Effect span of the server — the `HttpApi` routes, `@effect/sql`'s
 * statements — goes to it, and {@link RouteSpans} gives the callback-driven chatAuthenticate route its spans by hand.
 * A W3C `traceparent` on a request makes the route's span its child, so a caller's trace continues through the
 * server. Closing the scope flushes what is pending.
 *
 * Span attributes never hold a password, a token, a key or the end user's name: the method, the path, the status,
 * the caller's user name, the site and pool, the key id and the outcome.
 *
 * @since 0.3.0
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as OtelResource from "@effect/opentelemetry/Resource"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { Scope } from "effect"
import { Context, Effect, Exit, Layer, Option, type Tracer } from "effect"
import type { TracingOptions } from "./TracingOptions.js"

/**
 * The Effect tracer backed by the SDK, for as long as `scope` lasts.
 *
 * @since 0.3.0
 * @category constructors
 */
export const makeTracer = (options: TracingOptions): Effect.Effect<Tracer.Tracer, never, Scope.Scope> =>
  Effect.flatMap(
    Layer.build(
      OtelTracer.layerTracer.pipe(
        Layer.provide(
          NodeSdk.layerTracerProvider(
            new BatchSpanProcessor(new OTLPTraceExporter({ url: options.tracesUrl }), {
              scheduledDelayMillis: options.exportDelayMs ?? 1000
            })
          )
        ),
        Layer.provide(OtelResource.layer({ serviceName: options.serviceName ?? "chatauth" }))
      )
    ),
    (context) => Effect.provide(OtelTracer.make, context)
  )

/**
 * A span of the route, ended once.
 *
 * @since 0.3.0
 * @category models
 */
export interface RouteSpan {
  readonly span: Tracer.Span
  readonly attribute: (key: string, value: string | number) => void
  readonly end: (failed?: boolean) => void
}

/**
 * Spans for the callback-driven route: a server span per request (a child of the request's `traceparent`), child
 * spans for its steps, and how to run an Effect step under the request's span.
 *
 * @since 0.3.0
 * @category models
 */
export interface RouteSpans {
  readonly request: (
    headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>,
    attributes: Readonly<Record<string, string>>
  ) => RouteSpan
  readonly child: (parent: RouteSpan, name: string) => RouteSpan
  readonly under: <A, E, R>(parent: RouteSpan, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

const singleValued = (headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>) => {
  const out: Record<string, string> = {}
  for (const name of ["traceparent", "tracestate", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled"]) {
    const value = headers[name]
    const first = typeof value === "string" ? value : value?.[0]
    if (first !== undefined) out[name] = first
  }
  return out
}

/**
 * The route's spans over `tracer`.
 *
 * @since 0.3.0
 * @category constructors
 */
export const routeSpans = (tracer: Tracer.Tracer, clock: { readonly unsafeCurrentTimeNanos: () => bigint }) => {
  const wrap = (span: Tracer.Span): RouteSpan => {
    let ended = false
    return {
      span,
      attribute: (key, value) => span.attribute(key, value),
      end: (failed = false) => {
        if (ended) return
        ended = true
        span.end(clock.unsafeCurrentTimeNanos(), failed ? Exit.fail("failed") : Exit.void)
      }
    }
  }
  const start = (name: string, parent: Option.Option<Tracer.AnySpan>, kind: Tracer.SpanKind) =>
    wrap(tracer.span(name, parent, Context.empty(), [], clock.unsafeCurrentTimeNanos(), kind))
  return {
    request: (headers, attributes) => {
      const parent = HttpTraceContext.fromHeaders(singleValued(headers) as never)
      const span = start("chatAuthenticate", parent, "server")
      for (const key in attributes) span.attribute(key, attributes[key])
      return span
    },
    child: (parent, name) => start(name, Option.some(parent.span), "internal"),
    under: (parent, effect) => Effect.withParentSpan(effect, parent.span)
  } satisfies RouteSpans
}
