/**
 * What the tracing needs to know, read from OpenTelemetry's standard variables: apart from the SDK (`Tracing.ts`),
 * which the server loads only when traces are exported.
 *
 * @since 0.3.0
 */

/**
 * Where traces go.
 *
 * @since 0.3.0
 * @category options
 */
export interface TracingOptions {
  /** The OTLP/HTTP traces URL (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`). */
  readonly tracesUrl: string
  /** `service.name` of the resource (`OTEL_SERVICE_NAME`; default `chatauth`). */
  readonly serviceName?: string | undefined
  /** How long the processor gathers spans before it sends them (default 1000 ms). */
  readonly exportDelayMs?: number | undefined
}

/**
 * The traces URL from OpenTelemetry's standard variables: the traces endpoint as given, or the base endpoint with
 * `/v1/traces` appended.
 *
 * @since 0.3.0
 * @category options
 */
export const tracesUrlOf = (variables: {
  readonly endpoint?: string | undefined
  readonly tracesEndpoint?: string | undefined
}): string | undefined =>
  variables.tracesEndpoint !== undefined && variables.tracesEndpoint !== ""
    ? variables.tracesEndpoint
    : variables.endpoint !== undefined && variables.endpoint !== ""
    ? `${variables.endpoint.replace(/\/+$/, "")}/v1/traces`
    : undefined
