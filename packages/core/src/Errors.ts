/**
 * The errors of the chatAuthenticate endpoint, each with its HTTP status on the class, and their Oracle
 * ADF JSON form (`application/vnd.oracle.adf.error+json`) as a schema transformation so that the server encodes
 * them and a client derived from the contract decodes them the same way.
 *
 * @example
 * import { Errors } from "@chatauth/core"
 *
 * const error = Errors.BadRequest.attribute("resumeType", "must be RESUME or DO_NOT_RESUME")
 * error.status // 400
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Schema } from "effect"
import { formatProblem } from "./ChatAuthenticate.js"
import { ADF_ERROR_JSON } from "./MediaTypes.js"
import { STATUS_TITLES } from "./Resource.js"

/**
 * One entry of `o:errorDetails`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorDetail = Schema.Struct({
  detail: Schema.String,
  code: Schema.String,
  path: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface ErrorDetail extends Schema.Schema.Type<typeof ErrorDetail> {}

/**
 * The ADF error body of REST framework versions 4 and later. `status` is a string, as Oracle sends it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AdfErrorBody = Schema.Struct({
  title: Schema.String,
  status: Schema.String,
  "o:errorDetails": Schema.Array(Schema.Struct({
    detail: Schema.String,
    "o:errorCode": Schema.optional(Schema.String),
    "o:errorPath": Schema.optional(Schema.String)
  }))
}).annotations({ identifier: "AdfError" })

/**
 * @since 0.1.0
 * @category models
 */
export interface AdfErrorBody extends Schema.Schema.Type<typeof AdfErrorBody> {}

const fields = { details: Schema.Array(ErrorDetail) }

const detail = (text: string, code: string, path?: string): ErrorDetail =>
  path === undefined ? { detail: text, code } : { detail: text, code, path }

/**
 * 400: the request is malformed or an attribute is invalid (each detail names its attribute).
 *
 * @since 0.1.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  fields,
  HttpApiSchema.annotations({
    status: 400
  })
) {
  /** @since 0.1.0 */
  readonly status = 400 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[400]
  /** @since 0.1.0 */
  static attribute(path: string, message: string, code = "CHATAUTH-ATTRIBUTE-INVALID"): BadRequest {
    return new BadRequest({ details: [detail(formatProblem({ path, message }), code, path)] })
  }
  /** @since 0.1.0 */
  static problems(
    problems: ReadonlyArray<{ readonly path: string; readonly message: string; readonly code: string }>
  ): BadRequest {
    return new BadRequest({
      details: problems.map((p) => detail(formatProblem(p), p.code, p.path === "" ? undefined : p.path))
    })
  }
  /** @since 0.1.0 */
  static body(message: string, code = "CHATAUTH-BODY-INVALID"): BadRequest {
    return new BadRequest({ details: [detail(message, code)] })
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

/**
 * 401: missing or wrong credentials. Always the same answer, whatever was wrong.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  fields,
  HttpApiSchema.annotations({
    status: 401
  })
) {
  /** @since 0.1.0 */
  readonly status = 401 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[401]
  /** @since 0.1.0 */
  static required(): Unauthorized {
    return new Unauthorized({
      details: [detail("Authentication is required: send valid HTTP Basic credentials.", "CHATAUTH-AUTHENTICATION")]
    })
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

/**
 * 403: the caller authenticated but lacks `SVC_REQUEST_FOR_CHAT_PRIV`.
 *
 * @since 0.1.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  fields,
  HttpApiSchema.annotations({
    status: 403
  })
) {
  /** @since 0.1.0 */
  readonly status = 403 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[403]
  /** @since 0.1.0 */
  static missingPrivilege(privilege: string): Forbidden {
    return new Forbidden({
      details: [detail(`The caller does not have the privilege ${privilege}.`, "CHATAUTH-PRIVILEGE")]
    })
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

/**
 * 404: no such resource (for example a base path this service does not serve).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  fields,
  HttpApiSchema.annotations({
    status: 404
  })
) {
  /** @since 0.1.0 */
  readonly status = 404 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[404]
  /** @since 0.1.0 */
  static path(path: string): NotFound {
    return new NotFound({ details: [detail(`There is no resource at ${path}.`, "CHATAUTH-NOT-FOUND")] })
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

/**
 * 405: the resource only takes POST (the GETs are documented as "Not Supported").
 *
 * @since 0.1.0
 * @category errors
 */
export class MethodNotAllowed extends Schema.TaggedError<MethodNotAllowed>()(
  "MethodNotAllowed",
  fields,
  HttpApiSchema.annotations({ status: 405 })
) {
  /** @since 0.1.0 */
  readonly status = 405 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[405]
  /** @since 0.1.0 */
  static method(method: string, allow = "POST"): MethodNotAllowed {
    return new MethodNotAllowed({
      details: [detail(`The method ${method} is not supported on this resource; use ${allow}.`, "CHATAUTH-METHOD")]
    })
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

/**
 * 413: the body is larger than the service takes (64 KiB).
 *
 * @since 0.1.0
 * @category errors
 */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  fields,
  HttpApiSchema.annotations({ status: 413 })
) {
  /** @since 0.1.0 */
  readonly status = 413 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[413]
  /** @since 0.1.0 */
  static limit(maxBytes: number): PayloadTooLarge {
    return new PayloadTooLarge({
      details: [detail(`The request body must be at most ${maxBytes} bytes.`, "CHATAUTH-PAYLOAD-TOO-LARGE")]
    })
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

/**
 * 415: the body is not JSON.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  fields,
  HttpApiSchema.annotations({ status: 415 })
) {
  /** @since 0.1.0 */
  readonly status = 415 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[415]
  /** @since 0.1.0 */
  static mediaType(contentType: string): UnsupportedMediaType {
    return new UnsupportedMediaType({
      details: [
        detail(
          `The media type ${JSON.stringify(contentType)} is not supported; send application/json.`,
          "CHATAUTH-MEDIA-TYPE"
        )
      ]
    })
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

// The fields and the constructor arguments of an error that tells when to come back (429, 503): whole seconds, at
// least one, in the detail and in `Retry-After`.
const retryAfterFields = { ...fields, retryAfterSeconds: Schema.optional(Schema.Number) }

const retryAfterProps = (seconds: number, text: (whole: number) => string, code: string) => {
  const whole = Math.max(1, Math.ceil(seconds))
  return { details: [detail(text(whole), code)], retryAfterSeconds: whole }
}

/**
 * 429: too many failed authentications for this user name or address; try again after `retryAfterSeconds`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()(
  "TooManyRequests",
  retryAfterFields,
  HttpApiSchema.annotations({ status: 429 })
) {
  /** @since 0.1.0 */
  readonly status = 429 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[429]
  /** @since 0.1.0 */
  static retryAfter(seconds: number): TooManyRequests {
    return new TooManyRequests(
      retryAfterProps(
        seconds,
        (whole) => `Too many failed attempts; try again in ${whole} seconds.`,
        "CHATAUTH-LOCKED-OUT"
      )
    )
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

/**
 * 503: the service cannot answer now (its database is unreachable or failing); try again after
 * `retryAfterSeconds`. Not part of the resource's contract (Oracle documents none), so clients read it as a server
 * error worth retrying.
 *
 * @since 0.1.0
 * @category errors
 */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  retryAfterFields,
  HttpApiSchema.annotations({ status: 503 })
) {
  /** @since 0.1.0 */
  readonly status = 503 as const
  /** @since 0.1.0 */
  static readonly title = STATUS_TITLES[503]
  /** @since 0.1.0 */
  static retryAfter(seconds: number): ServiceUnavailable {
    return new ServiceUnavailable(
      retryAfterProps(
        seconds,
        (whole) => `The service is temporarily unavailable; try again in ${whole} seconds.`,
        "CHATAUTH-UNAVAILABLE"
      )
    )
  }
  override get message(): string {
    return this.details.map((d) => d.detail).join("\n")
  }
}

/**
 * Every error the endpoint answers with.
 *
 * @since 0.1.0
 * @category models
 */
export type ChatAuthError =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | MethodNotAllowed
  | PayloadTooLarge
  | UnsupportedMediaType
  | TooManyRequests

type ErrorClass = {
  readonly title: string
  new(props: { readonly details: ReadonlyArray<ErrorDetail> }): ChatAuthError
}

/**
 * The error classes by HTTP status.
 *
 * @since 0.1.0
 * @category constants
 */
export const errorClassByStatus: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [400, BadRequest],
  [401, Unauthorized],
  [403, Forbidden],
  [404, NotFound],
  [405, MethodNotAllowed],
  [413, PayloadTooLarge],
  [415, UnsupportedMediaType],
  [429, TooManyRequests]
])

/**
 * The title Oracle puts in an ADF error body for a status.
 *
 * @since 0.1.0
 * @category formatting
 */
export const titleOf = (error: ChatAuthError | ServiceUnavailable): string =>
  (error.constructor as unknown as ErrorClass).title

/**
 * The ADF JSON body of an error.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toAdfBody = (error: ChatAuthError | ServiceUnavailable): AdfErrorBody => ({
  title: titleOf(error),
  status: String(error.status),
  "o:errorDetails": error.details.map((d) =>
    d.path === undefined
      ? { detail: d.detail, "o:errorCode": d.code }
      : { detail: d.detail, "o:errorCode": d.code, "o:errorPath": d.path }
  )
})

/**
 * The details of an ADF JSON body, in our shape.
 *
 * @since 0.1.0
 * @category decoding
 */
export const detailsFromAdfBody = (body: AdfErrorBody): ReadonlyArray<ErrorDetail> =>
  body["o:errorDetails"].map((d) => {
    const base = { detail: d.detail, code: d["o:errorCode"] ?? "" }
    return d["o:errorPath"] === undefined || d["o:errorPath"] === "" ? base : { ...base, path: d["o:errorPath"] }
  })

/**
 * An error class in its Oracle ADF JSON form, for the `HttpApi` contract: the server encodes a failure to the ADF
 * body, a derived client decodes the ADF body back to the tagged error.
 *
 * @since 0.1.0
 * @category schemas
 */
export const asAdfJson = <E extends ChatAuthError, I>(
  errorSchema: Schema.Schema<E, I>,
  make: (details: ReadonlyArray<ErrorDetail>) => E
): Schema.Schema<E, AdfErrorBody> =>
  Schema.transform(AdfErrorBody, Schema.typeSchema(errorSchema), {
    strict: true,
    decode: (body) => make(detailsFromAdfBody(body)),
    encode: (error) => toAdfBody(error)
  }).pipe(HttpApiSchema.withEncoding({ kind: "Json", contentType: ADF_ERROR_JSON }))
