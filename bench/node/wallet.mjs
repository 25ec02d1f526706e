#!/usr/bin/env node
/*
 * A wallet taking one credential through OpenID4VCI 1.0's pre-authorised code flow,
 * with the OpenWallet Foundation's @openid4vc/openid4vci client (the library of
 * Credo / Paradym) and keys from `jose`.
 *
 *   node bench/node/wallet.mjs [--rewrite FROM=TO] [--tx-code CODE] [--alg EdDSA|ES256]
 *        [--did key|jwk] [--aud URL] [--nonce VALUE] [--flows N] OFFER_URI...
 *
 * For each offer URI: resolve the offer and the issuer's metadata, redeem the
 * pre-authorised code with the tx_code (--tx-code; the same for every offer), get a
 * c_nonce, sign an openid4vci-proof+jwt with a fresh key named by its did:key (or
 * did:jwk) and ask for the credential. One JSON line per offer:
 *   {"did": "did:key:...", "nonce": "...", "credential": {...}}
 *   or {"did": ..., "stage": "offer"|"metadata"|"token"|"nonce"|"credential",
 *       "error": "...", "status": 400, "body": {...}}
 *
 * --aud and --nonce replace those claims of the proof before it is signed: a
 * misbehaving or replaying wallet, for the tests of refusals.
 * --flows N: the offers (N of them) run N at a time; the last line is then
 * {"flows": N, "ok": K, "seconds": S} (the benchmark).
 *
 * --rewrite FROM=TO is the one test-only shim: requests to URLs starting with FROM
 * go to TO (the server's public https URL to its loopback http port). It is the
 * `fetch` callback the client library takes; nothing else is changed.
 */
import {createHash, randomBytes} from 'node:crypto';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {Openid4vciClient} from '@openid4vc/openid4vci';
import {CompactSign, exportJWK, generateKeyPair} from 'jose';

console.log = console.info = console.warn = (...args) => console.error(...args);

const options = {rewrites: [], txCode: undefined, alg: 'EdDSA', did: 'key', aud: undefined,
  nonce: undefined, flows: 0};
const offers = [];
const argv = process.argv.slice(2);
for(let i = 0; i < argv.length; ++i) {
  const arg = argv[i];
  if(arg === '--rewrite') {
    const [from, to] = argv[++i].split('=');
    options.rewrites.push([from, to]);
  } else if(arg === '--tx-code') {
    options.txCode = argv[++i];
  } else if(arg === '--alg') {
    options.alg = argv[++i];
  } else if(arg === '--did') {
    options.did = argv[++i];
  } else if(arg === '--aud') {
    options.aud = argv[++i];
  } else if(arg === '--nonce') {
    options.nonce = argv[++i];
  } else if(arg === '--flows') {
    options.flows = Number(argv[++i]);
  } else {
    offers.push(arg);
  }
}

async function rewritingFetch(input, init) {
  let url = input instanceof Request ? input.url : String(input);
  for(const [from, to] of options.rewrites) {
    if(url.startsWith(from)) {
      url = to + url.slice(from.length);
    }
  }
  return input instanceof Request ? fetch(new Request(url, input), init) : fetch(url, init);
}

const b64url = bytes => Buffer.from(bytes).toString('base64url');
const multibase58 = bytes => {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let out = '';
  while(n > 0n) {
    out = alphabet[Number(n % 58n)] + out;
    n /= 58n;
  }
  for(const byte of bytes) {
    if(byte !== 0) {
      break;
    }
    out = '1' + out;
  }
  return 'z' + out;
};

/** A fresh holder key and the DID URL that names it (did:key or did:jwk). */
async function holderKey(alg, method) {
  const {privateKey, publicKey} = alg === 'ES256' ?
    await generateKeyPair('ES256', {extractable: true}) :
    await generateKeyPair('EdDSA', {crv: 'Ed25519', extractable: true});
  const jwk = await exportJWK(publicKey);
  if(method === 'jwk') {
    const did = 'did:jwk:' + b64url(JSON.stringify(jwk));
    return {privateKey, jwk, did, kid: `${did}#0`};
  }
  let raw;
  if(alg === 'ES256') {  // compressed P-256 point, multicodec p256-pub (0x1200)
    const y = Buffer.from(jwk.y, 'base64url');
    raw = Buffer.concat([Buffer.from([0x80, 0x24, 2 + (y[31] & 1)]),
      Buffer.from(jwk.x, 'base64url')]);
  } else {  // multicodec ed25519-pub (0xed)
    raw = Buffer.concat([Buffer.from([0xed, 0x01]), Buffer.from(jwk.x, 'base64url')]);
  }
  const id = multibase58(raw);
  return {privateKey, jwk, did: `did:key:${id}`, kid: `did:key:${id}#${id}`};
}

function clientFor(holder) {
  return new Openid4vciClient({callbacks: {
    fetch: rewritingFetch,
    hash: (data, alg) => createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    generateRandom: bytes => randomBytes(bytes),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, {header, payload}) => {
      const claims = {...payload};
      if(options.aud !== undefined) {
        claims.aud = options.aud;
      }
      if(options.nonce !== undefined) {
        claims.nonce = options.nonce;
      }
      const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader(header).sign(holder.privateKey);
      return {jwt, signerJwk: holder.jwk};
    }
  }});
}

function failure(stage, error, holder) {
  const out = {did: holder.did, stage, error: String(error?.message ?? error)};
  // The library's errors keep the server's answer: a fetch Response, and for the token
  // and credential endpoints the parsed OAuth error body.
  const response = error?.response?.response ?? error?.response;
  if(typeof response?.status === 'number') {
    out.status = response.status;
  }
  const body = error?.response?.credentialErrorResponseResult?.data ?? error?.errorResponse;
  if(body !== undefined) {
    out.body = body;
  }
  return out;
}

/** One offer, offer to credential: the JSON line to print. */
async function receive(offerUri) {
  const holder = await holderKey(options.alg, options.did);
  const client = clientFor(holder);
  let stage = 'offer';
  try {
    const offer = await client.resolveCredentialOffer(offerUri);
    stage = 'metadata';
    const metadata = await client.resolveIssuerMetadata(offer.credential_issuer);
    stage = 'token';
    const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer, issuerMetadata: metadata, txCode: options.txCode});
    stage = 'nonce';
    const {c_nonce: nonce} = await client.requestNonce({issuerMetadata: metadata});
    stage = 'credential';
    const configurationId = offer.credential_configuration_ids[0];
    const {jwt} = await client.createCredentialRequestJwtProof({
      issuerMetadata: metadata, credentialConfigurationId: configurationId, nonce,
      signer: {method: 'did', didUrl: holder.kid, alg: options.alg}});
    const {credentialResponse} = await client.retrieveCredentials({
      issuerMetadata: metadata, accessToken: accessTokenResponse.access_token,
      credentialConfigurationId: configurationId, proofs: {jwt: [jwt]}});
    return {did: holder.did, nonce, credential: credentialResponse.credentials[0].credential};
  } catch(error) {
    return failure(stage, error, holder);
  }
}

if(options.flows > 0) {
  const started = performance.now();
  let ok = 0;
  for(let i = 0; i < offers.length; i += options.flows) {
    const done = await Promise.all(offers.slice(i, i + options.flows).map(receive));
    ok += done.filter(line => line.credential).length;
    for(const line of done.filter(line => !line.credential)) {
      process.stdout.write(JSON.stringify(line) + '\n');
    }
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({flows: offers.length, ok, seconds}) + '\n');
} else {
  for(const offerUri of offers) {
    process.stdout.write(JSON.stringify(await receive(offerUri)) + '\n');
  }
}
