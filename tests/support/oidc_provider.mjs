// A real OpenID provider for the OIDC sign-in tests: the OpenID-certified `oidc-provider` package (npm,
// pinned in package.json), configured with the test's clients, signing keys and accounts, nothing more.
// What is ours: reading that configuration (a JSON file named on the command line) and the login page
// (the package leaves it to the host: its own "devInteractions" accept any password). The protocol
// (discovery, JWKS, authorization code with PKCE, tokens, the device flow) is all the library's.
//
// Usage: node oidc_provider.mjs CONFIG.json; prints "listening" when it answers.
import http from 'node:http';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { issuer, port, accounts, clients, jwks } = config;

function accountClaims(id) {
  const account = accounts[id];
  return {
    sub: id, preferred_username: id, name: account.name, email: account.email, email_verified: true,
    groups: account.groups,
  };
}

const provider = new Provider(issuer, {
  clients,
  jwks,
  cookies: { keys: ['farmstead-tests-cookie-key'] },
  claims: {
    openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'], groups: ['groups'],
  },
  // Groups and the user name in the ID token itself (as Keycloak and Okta can be told to), not only at userinfo.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
  },
  pkce: { required: () => true },
  ttl: { IdToken: config.idTokenSeconds ?? 3600 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!accounts[id] || accounts[id].disabled) return undefined;
    return { accountId: id, async claims() { return accountClaims(id); } };
  },
  // First-party clients only: the scopes they ask for are granted without a consent page.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    await grant.save();
    return grant;
  },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(res, uid, error) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>Test provider sign-in</title>${error ? `<p class="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<input name="login" autocomplete="username"><input name="password" type="password"><button>Sign in</button></form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    loginPage(res, details.uid);
    return;
  }
  const form = await readForm(req);
  const login = form.get('login') || '';
  const account = Object.hasOwn(accounts, login) ? accounts[login] : undefined;
  if (!account || account.disabled || account.password !== form.get('password')) {
    loginPage(res, details.uid, 'Invalid login or password.');
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
}

const providerCallback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${err.message}`);
    });
    return;
  }
  providerCallback(req, res);
});
server.listen(port, '127.0.0.1', () => console.log('listening'));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
