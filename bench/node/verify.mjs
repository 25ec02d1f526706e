#!/usr/bin/env node
/*
 * Digital Bazaar's verifier (@digitalbazaar/vc + data-integrity +
 * eddsa-rdfc-2022-cryptosuite), offline, over Academy's credentials.
 *
 *   node bench/node/verify.mjs [options] [FILE|-]          verify (default)
 *   node bench/node/verify.mjs --sign --key zrv... --vm DID#key-1 --created T [FILE|-]
 *   node bench/node/verify.mjs --bench N [--sample FILE]  sign + verify N times
 *   node bench/node/verify.mjs --canonize [FILE|-]         the suite's RDFC-1.0 N-Quads
 *   node bench/node/verify.mjs --print-contexts            the URL -> file map in use
 *
 * Input: a JSON array of credentials, one JSON object, or NDJSON (file or stdin).
 * Verify prints one JSON line per credential, in input order:
 *   {"index": 0, "id": "urn:uuid:...", "verified": true, "error": null}
 *   {"index": 1, "id": "...", "verified": false, "error": "Invalid signature.", "errors": [...]}
 * and exits 0 whatever the results (1 only on bad usage or unreadable input).
 * What is checked is @digitalbazaar/vc's verifyCredential: the VC data model
 * checks (context, type, issuer, validFrom/validUntil against --now), the
 * DataIntegrityProof with cryptosuite eddsa-rdfc-2022, and that the key is an
 * assertionMethod of the issuer's DID document. credentialStatus is NOT checked
 * (offline: no status list); vc requires a checkStatus function, so one that
 * accepts is passed and the line says "status": "not checked".
 *
 * Nothing is fetched from the network. The document loader serves
 *   - the JSON-LD contexts of schemas/contexts/ under their canonical URLs (the
 *     table of schemas/contexts/README.md, which mirrors credentials/jsonld.py
 *     CONTEXT_FILES; or a JSON {url: path} file given with --contexts);
 *   - DID documents given with --dids FILE (a JSON array of DID documents, or an
 *     object DID -> document), e.g. the partners' did:web documents; a DID URL
 *     with a fragment resolves to that verification method;
 *   - did:key Ed25519 identifiers (derived locally, as in the W3C test vectors);
 * and refuses everything else.
 *
 * Options:
 *   --contexts FILE   JSON {url: path}: replaces the README table
 *   --dids FILE       DID documents (see above); repeatable
 *   --now ISO         the verification time (validFrom/validUntil); default: now
 *   --sign            sign the (unsigned) input with --key (secretKeyMultibase,
 *                     z + base58btc(0x8026 + 32-byte seed), as credentials/multikey.py
 *                     writes it), --vm (verification method id), --created
 *                     (proof created); prints one signed credential per line
 *   --canonize        print {"index", "nquads"} (or {"index", "error"}) per input
 *                     document: exactly the canonicalisation the eddsa-rdfc-2022
 *                     cryptosuite signs (jsonld.js safe mode, rdfDirection
 *                     i18n-datatype, rdf-canonize RDFC-1.0), to diff against ours
 *   --bench N         generate a key, sign N credentials then verify them,
 *                     print a JSON summary (signatures/s, verifications/s)
 *   --sample FILE     for --bench: unsigned credential(s) to cycle through
 *                     (JSON object or array); default: the built-in sample
 *                     shaped like bench/signing.py's
 *   --warmup K        for --bench: untimed iterations first (default min(N, 50))
 */
import {readFileSync} from 'node:fs';
import {dirname, isAbsolute, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const CONTEXTS_DIR = join(ROOT, 'schemas', 'contexts');
const DID_V1 = 'https://www.w3.org/ns/did/v1';
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = {dids: [], positional: []};
  const valued = new Set([
    '--contexts', '--dids', '--now', '--key', '--vm', '--created', '--bench',
    '--sample', '--warmup'
  ]);
  for(let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if(valued.has(arg)) {
      if(i + 1 >= argv.length) {
        usage(`${arg} needs a value`);
      }
      const value = argv[++i];
      if(arg === '--dids') {
        opts.dids.push(value);
      } else {
        opts[arg.slice(2)] = value;
      }
    } else if(arg === '--sign' || arg === '--print-contexts' ||
      arg === '--canonize') {
      opts[arg.slice(2)] = true;
    } else if(arg === '-h' || arg === '--help') {
      const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
      process.stdout.write(source.slice(source.indexOf('/*') + 3,
        source.indexOf('*/')).replace(/^ \* ?/gm, ''));
      process.exit(0);
    } else if(arg.startsWith('--')) {
      usage(`unknown option ${arg}`);
    } else {
      opts.positional.push(arg);
    }
  }
  return opts;
}

function usage(message) {
  process.stderr.write(`verify.mjs: ${message} (see --help)\n`);
  process.exit(1);
}

// ---------------------------------------------------------------- contexts

/** URL -> absolute file path, from the table in schemas/contexts/README.md. */
export function readmeContextMap(dir = CONTEXTS_DIR) {
  const text = readFileSync(join(dir, 'README.md'), 'utf8');
  const map = {};
  for(const line of text.split('\n')) {
    const cells = line.split('|').map(c => c.trim());
    // | URL | file | origin |  ->  ['', URL, file, origin, '']
    if(cells.length >= 4 && /^https?:\/\/\S+$/.test(cells[1]) &&
      /^[\w.-]+\.(jsonld|json)$/.test(cells[2])) {
      map[cells[1]] = join(dir, cells[2]);
    }
  }
  if(Object.keys(map).length === 0) {
    throw new Error(`no context table found in ${join(dir, 'README.md')}`);
  }
  return map;
}

function loadContexts(file) {
  let map;
  if(file) {
    const base = dirname(resolve(file));
    map = {};
    for(const [url, path] of Object.entries(JSON.parse(
      readFileSync(file, 'utf8')))) {
      map[url] = isAbsolute(path) ? path : resolve(base, path);
    }
  } else {
    map = readmeContextMap();
  }
  const contexts = new Map();
  for(const [url, path] of Object.entries(map)) {
    contexts.set(url, JSON.parse(readFileSync(path, 'utf8')));
  }
  return {map, contexts};
}

// ---------------------------------------------------------------- DIDs

function loadDidDocuments(files) {
  const dids = new Map();
  for(const file of files) {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    const documents = Array.isArray(data) ? data :
      (typeof data.id === 'string' ? [data] : Object.values(data));
    for(const document of documents) {
      dids.set(document.id, document);
    }
  }
  return dids;
}

function didKeyDocument(did) {
  const fingerprint = did.slice('did:key:'.length);
  if(!fingerprint.startsWith('z6Mk')) {
    return null;
  }
  const id = `${did}#${fingerprint}`;
  return {
    '@context': [DID_V1, MULTIKEY_V1],
    id: did,
    verificationMethod: [{
      id, type: 'Multikey', controller: did, publicKeyMultibase: fingerprint
    }],
    assertionMethod: [id],
    authentication: [id],
    capabilityInvocation: [id],
    capabilityDelegation: [id],
  };
}

function makeDocumentLoader({contexts, dids}) {
  const resolveDid = did => dids.get(did) ??
    (did.startsWith('did:key:') ? didKeyDocument(did) : null);
  return async function documentLoader(url) {
    const context = contexts.get(url);
    if(context !== undefined) {
      // jsonld.js does not mutate loaded documents; one parse is shared
      return {contextUrl: null, documentUrl: url, document: context};
    }
    if(url.startsWith('did:')) {
      const [did, fragment] = url.split('#', 2);
      const document = resolveDid(did);
      if(document) {
        if(fragment === undefined) {
          return {contextUrl: null, documentUrl: url, document};
        }
        const method = (document.verificationMethod || [])
          .find(m => m.id === url || m.id === `#${fragment}`);
        if(method) {
          return {
            contextUrl: null,
            documentUrl: url,
            document: {
              '@context': document['@context'],
              ...method,
              id: url,
              controller: method.controller ?? did
            }
          };
        }
      }
    }
    throw new Error(`offline document loader: refusing to load "${url}"`);
  };
}

// ---------------------------------------------------------------- input

function readInput(path) {
  const text = readFileSync(path === undefined || path === '-' ? 0 : path,
    'utf8').trim();
  if(text === '') {
    return [];
  }
  if(text[0] === '[') {
    return JSON.parse(text);
  }
  try {
    return [JSON.parse(text)];
  } catch{
    return text.split('\n').filter(l => l.trim()).map(l => JSON.parse(l));
  }
}

// ---------------------------------------------------------------- verify

const checkStatus = async () => ({verified: true});

function messages(error, out = []) {
  if(!error) {
    return out;
  }
  if(Array.isArray(error)) {
    error.forEach(e => messages(e, out));
    return out;
  }
  if(Array.isArray(error.errors) && error.errors.length) {
    error.errors.forEach(e => messages(e, out));
    return out;
  }
  const message = error.message ?? String(error);
  if(!out.includes(message)) {
    out.push(message);
  }
  // jsonld.js wraps the document loader's error: keep the cause too
  const cause = error.details?.cause ?? error.cause;
  if(cause && cause !== error) {
    messages(cause, out);
  }
  return out;
}

async function verifyOne({credential, documentLoader, now}) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus, now
  });
  if(result.verified) {
    return {verified: true, error: null};
  }
  const errors = messages([
    result.error,
    ...(result.results || []).map(r => r.error)
  ]);
  return {verified: false, error: errors[0] ?? 'not verified', errors};
}

async function verifyMain(opts) {
  const {contexts} = loadContexts(opts.contexts);
  const documentLoader = makeDocumentLoader({
    contexts, dids: loadDidDocuments(opts.dids)
  });
  const credentials = readInput(opts.positional[0]);
  for(const [index, credential] of credentials.entries()) {
    let line;
    try {
      line = await verifyOne({credential, documentLoader, now: opts.now});
    } catch(error) {
      line = {verified: false, error: `verifier threw: ${error.message}`,
        errors: messages(error)};
    }
    const id = credential && typeof credential === 'object' ?
      credential.id ?? null : null;
    const status = credential?.credentialStatus ? {status: 'not checked'} : {};
    process.stdout.write(JSON.stringify({index, id, ...line, ...status}) +
      '\n');
  }
}

// ---------------------------------------------------------------- sign

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** The 32-byte seed of an ed25519-priv Multikey (z + base58btc(0x80 0x26 + seed)). */
function seedFromMultikey(value) {
  if(!value.startsWith('z')) {
    throw new Error('--key must be a base58btc multibase (z...) string');
  }
  let number = 0n;
  for(const char of value.slice(1)) {
    const digit = B58.indexOf(char);
    if(digit < 0) {
      throw new Error(`--key: not base58btc: ${char}`);
    }
    number = number * 58n + BigInt(digit);
  }
  const hex = number.toString(16).padStart(68, '0');
  const bytes = Uint8Array.from(hex.match(/../g), h => Number.parseInt(h, 16));
  if(bytes.length !== 34 || bytes[0] !== 0x80 || bytes[1] !== 0x26) {
    throw new Error('--key is not an Ed25519 private Multikey (0x8026 + 32 bytes)');
  }
  return bytes.slice(2);
}

async function signer({secretKeyMultibase, verificationMethod, created}) {
  const controller = verificationMethod.split('#')[0];
  const seed = secretKeyMultibase ? seedFromMultikey(secretKeyMultibase) :
    undefined;
  const keyPair = await Ed25519Multikey.generate({
    id: verificationMethod, controller, seed
  });
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(), cryptosuite: eddsaRdfc2022,
    ...(created ? {date: created} : {})
  });
  return {keyPair, suite};
}

async function signMain(opts) {
  if(!opts.key || !opts.vm) {
    usage('--sign needs --key and --vm');
  }
  const {contexts} = loadContexts(opts.contexts);
  const documentLoader = makeDocumentLoader({contexts, dids: new Map()});
  const {suite} = await signer({
    secretKeyMultibase: opts.key, verificationMethod: opts.vm,
    created: opts.created
  });
  for(const credential of readInput(opts.positional[0])) {
    const signed = await vc.issue({credential, suite, documentLoader});
    process.stdout.write(JSON.stringify(signed) + '\n');
  }
}

// ---------------------------------------------------------------- canonize

async function canonizeMain(opts) {
  const {contexts} = loadContexts(opts.contexts);
  const documentLoader = makeDocumentLoader({contexts, dids: new Map()});
  for(const [index, document] of readInput(opts.positional[0]).entries()) {
    let line;
    try {
      line = {index, nquads: await eddsaRdfc2022.canonize(
        document, {documentLoader})};
    } catch(error) {
      line = {index, error: messages(error).join('; ') || String(error)};
    }
    process.stdout.write(JSON.stringify(line) + '\n');
  }
}

// ---------------------------------------------------------------- bench

const BASE = 'http://127.0.0.1:8000';
const ISSUER = 'did:web:127.0.0.1%3A8000:institutions:ucll';

/** The sample OB3 microcredential of bench/signing.py (75 quads). */
function sampleCredential(n) {
  const course = `${BASE}/courses/ucll/MC-${String(n % 40 + 1).padStart(3, '0')}`;
  const outcomes = [
    `Explains the basics of topic ${n}`, `Applies method ${n} to cases`,
    'Reflects on één ethical issue'];
  const title = `Microcredential ${n} in data stewardship`;
  const learner = `Learner ${n}`;
  return {
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
      'https://academy.kuleuven.be/contexts/microcredential/v1'],
    id: `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: title,
    issuer: {
      id: ISSUER, type: ['Profile'], name: 'UCLL',
      address: {type: ['Address'], addressCountryCode: 'BE'}
    },
    validFrom: '2025-03-14T00:00:00Z',
    credentialSubject: {
      type: ['AchievementSubject'],
      name: learner,
      identifier: [{
        type: 'IdentityObject', identityType: 'emailAddress', hashed: true,
        salt: 'c2FsdA',
        identityHash: 'sha256$' + '0'.repeat(56) + String(n).padStart(8, '0')
      }],
      result: [{
        type: ['Result'], resultDescription: `${course}/results/grade`,
        value: String(10 + n % 11)
      }],
      achievement: {
        id: course, type: ['Achievement'], achievementType: 'MicroCredential',
        name: title, description: `A description of microcredential ${n}.`,
        criteria: {narrative: outcomes.map(o => `- ${o}`).join('\n')},
        creditsAvailable: [3, 4, 6][n % 3], inLanguage: 'nl',
        alignment: [{
          type: ['Alignment'], targetName: 'EQF level 6',
          targetType: 'ext:EQF', targetUrl: 'http://data.europa.eu/snb/eqf/6',
          targetFramework: 'European Qualifications Framework'
        }, ...outcomes.map((o, k) => ({
          type: ['Alignment'], targetName: o, targetType: 'ext:LearningOutcome',
          targetUrl: `${course}/outcomes/${k}`
        }))],
        resultDescription: [{
          id: `${course}/results/grade`, type: ['ResultDescription'],
          name: 'Grade', resultType: 'GradePointAverage', valueMin: '0',
          valueMax: '20', requiredValue: '10'
        }],
        assessmentType: {en: 'portfolio'},
        participationForm: {en: 'blended'},
        qualityAssurance: {
          en: 'UCLL internal quality assurance, NVAO review',
          nl: 'Interne kwaliteitszorg van UCLL, NVAO-review'
        },
        supervisionAndIdentityVerification: {
          en: 'supervised onsite, ID verified'
        }
      }
    },
    credentialStatus: [{
      id: `${BASE}/institutions/ucll/status/1#${n}`,
      type: 'BitstringStatusListEntry', statusPurpose: 'revocation',
      statusListIndex: String(n),
      statusListCredential: `${BASE}/institutions/ucll/status/1`
    }]
  };
}

/** "node v20..., @digitalbazaar/vc 7.3.0, ...": the versions actually installed. */
function stackVersions() {
  const packages = [
    '@digitalbazaar/vc', '@digitalbazaar/data-integrity',
    '@digitalbazaar/eddsa-rdfc-2022-cryptosuite', 'jsonld', 'rdf-canonize'];
  return [`node ${process.version}`, ...packages.map(name => {
    const {version} = JSON.parse(readFileSync(
      join(HERE, 'node_modules', name, 'package.json'), 'utf8'));
    return `${name.replace('@digitalbazaar/', '')} ${version}`;
  })].join(', ');
}

function cpuSeconds(start) {
  const {user, system} = process.cpuUsage(start);
  return (user + system) / 1e6;
}

async function benchMain(opts) {
  const n = Number.parseInt(opts.bench, 10);
  if(!(n > 0)) {
    usage('--bench needs a positive count');
  }
  const warmup = opts.warmup === undefined ? Math.min(n, 50) :
    Number.parseInt(opts.warmup, 10);
  let samples;
  if(opts.sample) {
    const data = JSON.parse(readFileSync(opts.sample, 'utf8'));
    samples = Array.isArray(data) ? data : [data];
  } else {
    samples = Array.from({length: Math.min(n, 1000)}, (_, i) =>
      sampleCredential(i));
  }
  const issuer = samples[0].issuer?.id ?? samples[0].issuer ?? ISSUER;
  const verificationMethod = `${issuer}#key-1`;
  const created = '2025-01-31T10:00:00Z';
  const {keyPair, suite} = await signer({verificationMethod, created});
  const {'@context': _, ...method} = await keyPair.export({publicKey: true});
  const didDocument = {
    '@context': [DID_V1, MULTIKEY_V1],
    id: issuer,
    verificationMethod: [method],
    assertionMethod: [verificationMethod]
  };
  const {contexts} = loadContexts(opts.contexts);
  const documentLoader = makeDocumentLoader({
    contexts, dids: new Map([[issuer, didDocument]])
  });
  const doc = i => structuredClone(samples[i % samples.length]);
  const sign = credential => vc.issue({credential, suite, documentLoader});
  const check = async credential => {
    const result = await verifyOne({credential, documentLoader});
    if(!result.verified) {
      throw new Error(`bench credential did not verify: ${result.error}`);
    }
  };

  for(let i = 0; i < warmup; ++i) {
    await check(await sign(doc(i)));
  }
  const inputs = Array.from({length: n}, (_, i) => doc(i));
  const signed = [];
  let cpu = process.cpuUsage();
  let wall = process.hrtime.bigint();
  for(const credential of inputs) {
    signed.push(await sign(credential));
  }
  const signWall = Number(process.hrtime.bigint() - wall) / 1e9;
  const signCpu = cpuSeconds(cpu);
  cpu = process.cpuUsage();
  wall = process.hrtime.bigint();
  for(const credential of signed) {
    await check(credential);
  }
  const verifyWall = Number(process.hrtime.bigint() - wall) / 1e9;
  const verifyCpu = cpuSeconds(cpu);
  const round = x => Math.round(x * 10) / 10;
  process.stdout.write(JSON.stringify({
    stack: stackVersions(),
    n, warmup,
    signatures_per_s: round(n / signWall),
    verifications_per_s: round(n / verifyWall),
    signatures_per_cpu_s: round(n / signCpu),
    verifications_per_cpu_s: round(n / verifyCpu),
    sign_ms: Math.round(signWall / n * 1e5) / 100,
    verify_ms: Math.round(verifyWall / n * 1e5) / 100
  }) + '\n');
}

// ---------------------------------------------------------------- main

const opts = parseArgs(process.argv.slice(2));
try {
  if(opts['print-contexts']) {
    process.stdout.write(JSON.stringify(loadContexts(opts.contexts).map) +
      '\n');
  } else if(opts.bench !== undefined) {
    await benchMain(opts);
  } else if(opts.canonize) {
    await canonizeMain(opts);
  } else if(opts.sign) {
    await signMain(opts);
  } else {
    await verifyMain(opts);
  }
} catch(error) {
  process.stderr.write(`verify.mjs: ${error.stack ?? error}\n`);
  process.exit(1);
}
