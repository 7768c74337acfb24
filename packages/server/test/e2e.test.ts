import { TokenIssuer, TokenVerifier } from "@chatauth/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import {
  decodeJwt,
  exampleRequestText,
  exampleResponse,
  PASSWORD,
  request,
  RESOURCE,
  startServer,
  USER
} from "./serverTestUtils.js"
import { tempDataDir } from "./storeTestUtils.js"

const curl = (args: ReadonlyArray<string>, cwd: string) =>
  Effect.async<{ readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = execFile("/usr/bin/curl", [...args], { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null) resume(Effect.die(new Error(`curl failed: ${error.message}\n${stderr}`)))
      else resume(Effect.succeed({ stdout, stderr }))
    })
    return Effect.sync(() => child.kill())
  })

const DOCUMENTED_AUDIENCE =
  "https://bzndv-chatinteg-vip.dv.lan/engagement/api/consumer/sdi_07_13_17_1643_46-Svcdit-Fusion"

describe("end to end: the documented curl command", () => {
  it.scopedLive("answers what Oracle's reference documents, field by field", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      const workDir = yield* tempDataDir
      NodeFs.writeFileSync(NodePath.join(workDir, "example_request_payload.json"), exampleRequestText)
      const url = `${server.url}${RESOURCE}`
      // As written in the reference: `curl -u username:password -X POST -d @example_request_payload.json URL`
      // (no JSON content type: curl sends application/x-www-form-urlencoded), plus -i to see the status line.
      const { stdout } = yield* curl(
        ["-s", "-i", "-u", `${USER}:${PASSWORD}`, "-X", "POST", "-d", "@example_request_payload.json", url],
        workDir
      )
      const split = stdout.indexOf("\r\n\r\n")
      const head = stdout.slice(0, split)
      const body = JSON.parse(stdout.slice(split + 4)) as Record<string, unknown>
      expect(head).toMatch(/^HTTP\/1\.1 201 Created/)
      expect(head).toMatch(/\r\ncontent-type: application\/vnd\.oracle\.adf\.resourceitem\+json\r\n/i)
      expect(head).toMatch(
        new RegExp(`\\r\\nlocation: ${url}/john\\.doe\\.4%40us2\\.oraclecloud\\.com\\r?(\\n|$)`, "i")
      )

      // Every documented attribute, equal — except the token, which is ours (checked below).
      const { jwt: documentedJwt, ...documented } = exampleResponse
      const { jwt, links, ...ours } = body
      expect(ours).toEqual(documented)
      expect(Object.keys(body).sort()).toEqual([...Object.keys(exampleResponse), "links"].sort())
      expect(body.chatSiteName).toBe("sdi_07_13_17_1643_46-Svcdit-Fusion")
      expect(body.domain).toBe("bzndv-chatinteg-vip.dv.lan")
      expect(body.poolId).toBe("452:2")

      const href = `${url}/john.doe.4%40us2.oraclecloud.com`
      expect(links).toEqual([
        { rel: "self", href, name: "chatAuthenticate", kind: "item" },
        { rel: "canonical", href, name: "chatAuthenticate", kind: "item" }
      ])

      expect(typeof jwt).toBe("string")
      const token = decodeJwt(jwt as string)
      const reference = decodeJwt(documentedJwt as string)
      expect(Object.keys(token.header).sort()).toEqual(Object.keys(reference.header).sort())
      expect(token.header.alg).toBe("RS256")
      expect(token.header.typ).toBe("JWT")
      expect(token.header.kid).toEqual(expect.any(String))
      expect(token.header.x5t).toMatch(/^[A-Za-z0-9_-]{27}$/)
      // Oracle's claims, in Oracle's order.
      expect(Object.keys(token.claims)).toEqual(Object.keys(reference.claims))
      expect(Object.keys(token.claims)).toEqual(["exp", "sub", "aud", "iss", "prn", "iat"])
      expect(token.claims.exp).toBe((token.claims.iat as number) + TokenIssuer.DEFAULT_TTL_SECONDS)
      expect(token.claims.exp).toBe((token.claims.iat as number) + 120)
      expect(token.claims.sub).toBe("john.doe.4@us2.oraclecloud.com")
      expect(token.claims.prn).toBe("john.doe.4@us2.oraclecloud.com")
      expect(token.claims.aud).toBe(DOCUMENTED_AUDIENCE)
      expect(reference.claims.aud).toBe(DOCUMENTED_AUDIENCE)
      expect(token.claims.iss).toBe("Fusion Apps")
      expect(Math.abs((token.claims.iat as number) - Date.now() / 1000)).toBeLessThan(300)

      // And it verifies, as a Channel Server would check it, against the server's published keys.
      const jwks = JSON.parse((yield* request(`${server.url}/.well-known/jwks.json`)).body)
      const verified = yield* Effect.flatMap(
        TokenVerifier.TokenVerifier,
        (verifier) => verifier.verify(jwt as string, { audience: DOCUMENTED_AUDIENCE })
      ).pipe(Effect.provide(TokenVerifier.TokenVerifier.layer({ jwks })))
      expect(verified.claims.prn).toBe("john.doe.4@us2.oraclecloud.com")
    }))
})
