/**
 * How `serve` assembles the server's options: flags over the environment, development mode unless a bootstrap
 * caller or production is configured.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import { resolveServerOptions } from "../src/Serve.js"

const noFlags = {
  host: Option.none<string>(),
  port: Option.none<number>(),
  dataDir: Option.none<string>(),
  databaseUrl: Option.none<Redacted.Redacted<string>>(),
  config: Option.none<string>(),
  production: false
}

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("serve options", () => {
  it.effect("nothing given: development mode with the server's defaults", () =>
    Effect.gen(function*() {
      const options = yield* resolveServerOptions(noFlags).pipe(withEnv({}))
      expect(options).toMatchObject({ development: true, host: undefined, port: undefined, dataDir: undefined })
    }))

  it.effect("every option from the environment; a flag wins over its variable", () =>
    Effect.gen(function*() {
      const env = {
        CHATAUTH_HOST: "0.0.0.0",
        CHATAUTH_PORT: "9000",
        CHATAUTH_DATA_DIR: "/var/lib/chatauth",
        CHATAUTH_CONFIG: "/etc/chatauth/routing.json",
        CHATAUTH_TOKEN_TTL_SECONDS: "60",
        CHATAUTH_SIGNING_ALG: "ES256"
      }
      const fromEnv = yield* resolveServerOptions(noFlags).pipe(withEnv(env))
      expect(fromEnv).toMatchObject({
        host: "0.0.0.0",
        port: 9000,
        dataDir: "/var/lib/chatauth",
        routingConfigPath: "/etc/chatauth/routing.json",
        tokenTtlSeconds: 60,
        keys: { alg: "ES256" }
      })
      const flagged = yield* resolveServerOptions({
        ...noFlags,
        port: Option.some(0),
        dataDir: Option.some("./d"),
        config: Option.some("r.json")
      }).pipe(withEnv(env))
      expect(flagged).toMatchObject({ host: "0.0.0.0", port: 0, dataDir: "./d", routingConfigPath: "r.json" })
    }))

  it.effect("a bootstrap caller, --production or CHATAUTH_ENV=production turn development mode off", () =>
    Effect.gen(function*() {
      const bootstrap = yield* resolveServerOptions(noFlags).pipe(withEnv({ CHATAUTH_BOOTSTRAP_CALLER: "svc:pa:ss" }))
      expect(bootstrap.development).toBe(false)
      expect(bootstrap.bootstrapCaller?.username).toBe("svc")
      expect(Redacted.value(bootstrap.bootstrapCaller!.password)).toBe("pa:ss")
      expect((yield* resolveServerOptions({ ...noFlags, production: true }).pipe(withEnv({}))).development).toBe(false)
      expect((yield* resolveServerOptions(noFlags).pipe(withEnv({ CHATAUTH_ENV: "production" }))).development).toBe(
        false
      )
      expect((yield* resolveServerOptions(noFlags).pipe(withEnv({ CHATAUTH_ENV: "development" }))).development).toBe(
        true
      )
    }))

  it.effect("an invalid variable or port is a usage error (exit 2)", () =>
    Effect.gen(function*() {
      const badEnv = yield* Effect.flip(resolveServerOptions(noFlags).pipe(withEnv({ CHATAUTH_PORT: "eighty" })))
      expect(badEnv.exitCode).toBe(2)
      expect(badEnv.message).toContain("CHATAUTH_PORT")
      const badCaller = yield* Effect.flip(
        resolveServerOptions(noFlags).pipe(withEnv({ CHATAUTH_BOOTSTRAP_CALLER: "no-colon" }))
      )
      expect(badCaller.exitCode).toBe(2)
      const badPort = yield* Effect.flip(
        resolveServerOptions({ ...noFlags, port: Option.some(70000) }).pipe(withEnv({}))
      )
      expect(badPort.exitCode).toBe(2)
    }))
})
