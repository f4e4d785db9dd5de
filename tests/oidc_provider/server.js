// A real OpenID provider for Relais's sign-in tests (node `oidc-provider`), on 127.0.0.1.
//
// Environment: OIDC_PORT (required), RELAIS_REDIRECT_URIS and RELAIS_LOGOUT_URIS (comma
// separated), OIDC_CLIENT_ID / OIDC_CLIENT_SECRET (defaults below).
//
// The sign-in page is oidc-provider's development page: any password is accepted for the
// logins of USERS below (it is a test provider, never a real one). PKCE with S256 is required.
//
// To test that Relais refuses what a broken or hostile provider sends, the next token
// response can be made to misbehave once: POST /__test/next-token?mode=MODE with MODE one of
//   wrong_iss, wrong_aud, expired, nonce, alg_none   the ID token re-signed with the provider's
//                                                     own key (or unsigned for alg_none) after
//                                                     that one change
//   hang                                              the token endpoint does not answer for a
//                                                     minute (a provider that is down)
import { Provider } from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.env.OIDC_PORT);
if (!port) {
  console.error('OIDC_PORT is required');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.OIDC_CLIENT_ID || 'relais';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'relais-test-secret';
const list = (value) => (value || '').split(',').map((s) => s.trim()).filter(Boolean);

// The people the provider knows. Relais's tests create the matching accounts (or not).
const USERS = {
  'agent-number': {
    email: 'camille.number@region.example', email_verified: true,
    given_name: 'Camille', family_name: 'Number', employee_number: 'E1001', direction: 'DSI',
  },
  'agent-email': {
    email: 'dominique.email@region.example', email_verified: true,
    given_name: 'Dominique', family_name: 'Email',
  },
  'agent-unverified': {
    email: 'eve.unverified@region.example', email_verified: false,
    given_name: 'Eve', family_name: 'Unverified',
  },
  stranger: {
    email: 'sam.stranger@region.example', email_verified: true,
    given_name: 'Sam', family_name: 'Stranger', employee_number: 'E9999', direction: 'DRH',
  },
};

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: list(process.env.RELAIS_REDIRECT_URIS),
    post_logout_redirect_uris: list(process.env.RELAIS_LOGOUT_URIS),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['relais-test-cookie-key'] },
  pkce: { methods: ['S256'], required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'employee_number', 'direction'],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, sub) {
    const user = USERS[sub];
    if (!user) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...user }) };
  },
  // No consent screen: the organisation's own application is pre-approved.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
});

// Relais's browser journeys serve on a free port of 127.0.0.1: any loopback address with
// Relais's callback path is accepted too (as RFC 8252 lets native apps do), for this test
// provider only.
const loopback = (path) => (value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && url.hostname === '127.0.0.1' && url.pathname === path;
  } catch {
    return false;
  }
};
const { redirectUriAllowed, postLogoutRedirectUriAllowed } = provider.Client.prototype;
provider.Client.prototype.redirectUriAllowed = function allowed(value) {
  return redirectUriAllowed.call(this, value) || loopback('/login/sso/callback')(value);
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function allowed(value) {
  return postLogoutRedirectUriAllowed.call(this, value) || loopback('/')(value);
};

let nextTokenMode = null;

async function misbehave(idToken, mode) {
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  if (mode === 'wrong_iss') payload.iss = 'http://127.0.0.1:1/another-issuer';
  else if (mode === 'wrong_aud') { payload.aud = 'another-client'; payload.azp = clientId; }
  else if (mode === 'expired') { payload.iat = now - 7200; payload.exp = now - 3600; }
  else if (mode === 'nonce') payload.nonce = 'a-nonce-relais-never-sent';
  if (mode === 'alg_none') {
    return `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${jose.base64url.encode(JSON.stringify(payload))}.`;
  }
  return new jose.SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid, typ: 'JWT' })
    .sign(privateKey);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/next-token' && ctx.method === 'POST') {
    nextTokenMode = ctx.query.mode || null;
    ctx.body = { mode: nextTokenMode };
    return;
  }
  if (ctx.path === '/token' && nextTokenMode === 'hang') {
    nextTokenMode = null;
    await new Promise((resolve) => { setTimeout(resolve, 60000); });
  }
  await next();
  if (ctx.path === '/token' && nextTokenMode && ctx.body && ctx.body.id_token) {
    const mode = nextTokenMode;
    nextTokenMode = null;
    ctx.body = { ...ctx.body, id_token: await misbehave(ctx.body.id_token, mode) };
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
