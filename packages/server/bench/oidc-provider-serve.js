// node-oidc-provider, configured as a team would to issue the Channel Server's tokens with a real token server
// instead of writing one: OAuth 2.0 client credentials, the caller authenticating with HTTP Basic
// (client_secret_basic), a resource indicator naming the Channel Server's audience, and JWT access tokens signed
// RS256, valid 120 s. The key is an RSA-2048 key generated at start. Nothing else (no interactions, no logging).
// Its in-memory adapter stores nothing here: a JWT access token is not stored. oidc-provider 9 warns that it wants
// Node 22; it runs on 20.
// Usage: node bench/oidc-provider-serve.js <port> <user:password>
import { generateKeyPairSync } from "node:crypto"
import * as Http from "node:http"
import Provider, { errors } from "oidc-provider"

const [port, caller] = process.argv.slice(2)
const separator = caller.indexOf(":")
const [clientId, clientSecret] = [caller.slice(0, separator), caller.slice(separator + 1)]
// The audience the fastify reference's tokens carry.
const audience = "https://bzndv-chatinteg-vip.dv.lan/engagement/api/consumer/sdi_07_13_17_1643_46-Svcdit-Fusion"

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
const jwk = { ...privateKey.export({ format: "jwk" }), kid: "bench-1", alg: "RS256", use: "sig" }

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ["client_credentials"],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: "client_secret_basic"
  }],
  jwks: { keys: [jwk] },
  ttl: { ClientCredentials: 120 },
  cookies: { keys: [generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }).d] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resourceIndicator) => {
        if (resourceIndicator !== audience) throw new errors.InvalidTarget()
        return {
          scope: "chat",
          audience,
          accessTokenTTL: 120,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } }
        }
      }
    }
  }
})
const callback = provider.callback()

const server = Http.createServer((request, response) => {
  if (request.url === "/health/ready") {
    response.writeHead(200, { "content-type": "application/json" }).end("{\"status\":\"ok\"}")
    return
  }
  callback(request, response)
})
server.listen(Number(port), "127.0.0.1")
process.on("SIGTERM", () => server.close(() => process.exit(0)))
