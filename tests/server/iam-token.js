// A token endpoint that plays IBM Cloud IAM for the tests of IAM authentication:
//
//   node tests/server/iam-token.js --secret SECRET --lifetime SECONDS --key APIKEY=USER [--key ...]
//
// POST /identity/token with grant_type=urn:ibm:params:oauth:grant-type:apikey and apikey=APIKEY
// answers as IAM does ({access_token, token_type, expires_in, expiration}) with an HS256 JWT for
// USER ("sub") that expires after SECONDS, signed with SECRET: the key of [jwt_keys] hmac:_default
// in tests/couchdb-test-node.ini, so Apache CouchDB verifies the token itself. An unknown or
// revoked key gets IAM's 400 answer. POST /revoke with apikey=APIKEY revokes a key; GET /issued
// says how many tokens each user was given. Listens on a free loopback port and writes one JSON
// line to stdout, {"url":"http://127.0.0.1:PORT/"}; runs until stdin closes or a signal comes.
'use strict';
const crypto = require('crypto');
const http = require('http');

const options = { secret: null, lifetime: 60, keys: new Map() };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const value = args[++i];
  if (args[i - 1] === '--secret') options.secret = value;
  else if (args[i - 1] === '--lifetime') options.lifetime = Number(value);
  else if (args[i - 1] === '--key' && value && value.includes('=')) options.keys.set(value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1));
  else {
    process.stderr.write(`iam-token.js: unknown argument '${args[i - 1]}'\n`);
    process.exit(2);
  }
}
if (!options.secret || !(options.lifetime > 0)) {
  process.stderr.write('usage: node tests/server/iam-token.js --secret SECRET --lifetime SECONDS --key APIKEY=USER ...\n');
  process.exit(2);
}

const issued = {};
const base64url = (data) => Buffer.from(data).toString('base64url');

function token(user) {
  const now = Math.floor(Date.now() / 1000);
  // Whole seconds: the token lives at least `lifetime` seconds, never less.
  const expiration = now + options.lifetime + 1;
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ sub: user, iat: now, exp: expiration, '_couchdb.roles': [] }));
  const signature = crypto.createHmac('sha256', options.secret).update(`${header}.${payload}`).digest('base64url');
  return { access_token: `${header}.${payload}.${signature}`, refresh_token: 'not_supported', token_type: 'Bearer',
    expires_in: options.lifetime, expiration };
}

function answer(response, status, body) {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

const server = http.createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => { body += chunk; });
  request.on('end', () => {
    const form = new URLSearchParams(body);
    if (request.method === 'POST' && request.url === '/identity/token') {
      if (form.get('grant_type') !== 'urn:ibm:params:oauth:grant-type:apikey')
        return answer(response, 400, { errorCode: 'BXNIM0109E', errorMessage: 'Property missing or empty. Property: grant_type' });
      const user = options.keys.get(form.get('apikey'));
      if (!user) return answer(response, 400, { errorCode: 'BXNIM0415E', errorMessage: 'Provided API key could not be found.' });
      issued[user] = (issued[user] || 0) + 1;
      return answer(response, 200, token(user));
    }
    if (request.method === 'POST' && request.url === '/revoke') {
      options.keys.delete(form.get('apikey'));
      return answer(response, 200, { ok: true });
    }
    if (request.method === 'GET' && request.url === '/issued') return answer(response, 200, issued);
    answer(response, 404, { errorMessage: 'not found' });
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/` }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => process.exit(0));
