// The peer for nyckel's OpenID provider benchmark: node-oidc-provider 9.13.x
// (OpenID Certified), configured as little as possible for the one thing we
// compare — the client_credentials grant with client_secret_basic, issuing
// ES256-signed JWT access tokens (RFC 9068), like nyckel's /token.
//
//   PORT=18282 CLIENT_ID=bench CLIENT_SECRET=... node provider.mjs
//
// One process, no cluster (node is single-threaded: this is how it is
// usually run behind a load balancer, one process per core). Used by
// scripts/bench-oidc.sh, which installs the package outside the repository.
import * as crypto from 'node:crypto';
import * as oidc from 'oidc-provider';

const port = Number(process.env.PORT ?? 18282);
const issuer = process.env.ISSUER ?? `http://127.0.0.1:${port}`;
const clientId = process.env.CLIENT_ID ?? 'bench-machine';
const clientSecret = process.env.CLIENT_SECRET;
if (!clientSecret) {
  console.error('CLIENT_SECRET must be set');
  process.exit(2);
}
// The resource server the tokens are for; also the tokens' `aud`.
const resource = process.env.RESOURCE ?? issuer;

// One ES256 (P-256) signing key, as nyckel signs access tokens with.
const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'bench-es256' };

const provider = new oidc.Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'bench',
    },
  ],
  scopes: ['openid', 'bench'],
  jwks: { keys: [jwk] },
  // No RS256 key is configured: ID tokens (unused here) default to ES256 too.
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A request without `resource` gets tokens for our one resource server.
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'bench',
        audience: resource,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  ttl: { ClientCredentials: 600 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(port, '127.0.0.1', () => {
  console.error(`oidc-provider ${issuer} listening on 127.0.0.1:${port} (node ${process.version}, pid ${process.pid})`);
});
