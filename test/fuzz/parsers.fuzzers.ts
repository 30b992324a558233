import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { exportJWK, SignJWT, type CryptoKey, type JWK, generateKeyPair } from 'jose';
import { formatCheckpoint, generateSignerKey, openCheckpoint, parseCheckpoint, parseSignerKey, parseVerifierKey, type Checkpoint } from '../../src/audit/checkpoint-note.js';
import { AgencyAuthService, defaultTokenAudience, jwtBearerAssertionType } from '../../src/exchange/agency-auth.service.js';
import type { ClientEntry, ExchangeDirectory } from '../../src/exchange/exchange.directory.js';
import { mstCheckDigit, parseOldTaxCode } from '../../src/matching/tax-code.js';
import { decodeIdNumber, idPrefix } from '../../src/registry/id-number.js';
import { createVietnameseDecoder, decodeVietnamese, detectEncoding } from '../../src/registry/legacy-encoding.js';
import { earliestDay, parsePartialDate } from '../../src/registry/partial-date.js';
import { fixedClock } from '../../src/shared/clock.js';
import { bytesArbitrary, fuzzer, invariant, nastyText, onlyDomainErrors, onlyDomainErrorsSync, type AnyFuzzer } from './fuzz-harness.js';

const today = new Date('2026-12-04T00:00:00Z');

/** ID numbers: decodeIdNumber refuses with its three codes, and what it accepts re-encodes to the same prefix. */
export const idNumberFuzzer = fuzzer<string>({
  name: 'ID number',
  file: 'src/registry/id-number.ts',
  arbitrary: fc.oneof(
    fc.stringMatching(/^\d{12}$/),
    fc.tuple(fc.integer({ min: 0, max: 99 }), fc.stringMatching(/^\d{9}$/)).map(([p, rest]) => `0${String(p).padStart(2, '0')}${rest}`),
    fc.stringMatching(/^[\d ٠-٩０-９.-]{9,14}$/),
    nastyText,
  ),
  check: (value) => {
    const result = onlyDomainErrorsSync(() => decodeIdNumber(value, today), ['invalid'], ['ID_NUMBER_MALFORMED', 'ID_PROVINCE_UNKNOWN', 'ID_BIRTH_YEAR_FUTURE']);
    if ('value' in result) {
      const decoded = result.value;
      invariant(/^[0-9]{12}$/.test(value), 'only 12 ASCII digits are accepted');
      invariant(decoded.birthYear <= 2026, 'no year of birth in the future');
      invariant(idPrefix(decoded.provinceCode, decoded.sex, decoded.birthYear) === value.slice(0, 6), 'province, sex and year give back the first six digits');
    } else {
      invariant(value.length < 12 || !result.error.message.includes(value), 'a refusal does not echo the ID number');
    }
  },
});

/** Old tax codes: parseOldTaxCode refuses with its three codes, accepts only a right check digit, and never repeats the code. */
export const oldTaxCodeFuzzer = fuzzer<string>({
  name: 'old tax code',
  file: 'src/matching/tax-code.ts',
  arbitrary: fc.oneof(
    fc.stringMatching(/^\d{10}$/),
    fc.tuple(fc.stringMatching(/^\d{10}$/), fc.stringMatching(/^\d{3}$/)).map(([base, branch]) => `${base}-${branch}`),
    fc.stringMatching(/^[\d ٠-٩０-９.-]{9,14}$/),
    nastyText,
  ),
  check: (value) => {
    const result = onlyDomainErrorsSync(() => parseOldTaxCode(value), ['invalid'], ['TAX_CODE_MALFORMED', 'TAX_CODE_CHECK_DIGIT', 'TAX_CODE_IS_ID_NUMBER']);
    if ('value' in result) {
      const { base, code } = result.value;
      invariant(/^\d{10}(-\d{3})?$/.test(code) && code === value.trim(), 'only 10 ASCII digits, with a 3-digit branch, are accepted');
      invariant(String(mstCheckDigit(base.slice(0, 9))) === base[9], 'the tenth digit is the check digit');
    } else {
      invariant(value.trim().length < 9 || !result.error.message.includes(value.trim()), 'a refusal does not repeat the code');
    }
  },
});

/** Partial dates: only DATE_INVALID, and every accepted date has a real earliest day. */
export const partialDateFuzzer = fuzzer<string>({
  name: 'partial date',
  file: 'src/registry/partial-date.ts',
  arbitrary: fc.oneof(
    fc.stringMatching(/^\d{4}(-\d{2}(-\d{2})?)?$/),
    fc.tuple(fc.date({ min: new Date('1700-01-01'), max: new Date('2200-12-31'), noInvalidDate: true }), fc.constantFrom(4, 7, 10)).map(([d, n]) => d.toISOString().slice(0, n)),
    nastyText,
  ),
  check: (value) => {
    const result = onlyDomainErrorsSync(() => parsePartialDate(value), ['invalid'], ['DATE_INVALID']);
    if ('error' in result) return;
    invariant(/^\d{4}(-\d{2}(-\d{2})?)?$/.test(value), 'only YYYY, YYYY-MM and YYYY-MM-DD are accepted');
    const day = earliestDay(value);
    invariant(new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day, `the earliest day ${day} is a calendar day`);
    invariant(result.value.day === undefined || day === value, 'a full date is its own earliest day');
  },
});

/** Arbitrary bytes: detection never throws, decoding refuses only with FILE_ENCODING_UNSUPPORTED, the text is NFC without a BOM. */
export const legacyBytesFuzzer = fuzzer<{ readonly bytes: Uint8Array; readonly complete: boolean; readonly cuts: readonly number[] }>({
  name: 'legacy encoding detection (bytes)',
  file: 'src/registry/legacy-encoding.ts',
  arbitrary: fc.record({ bytes: bytesArbitrary, complete: fc.boolean(), cuts: fc.array(fc.nat({ max: 600 }), { maxLength: 6 }) }),
  check: ({ bytes, complete, cuts }) => {
    const encoding = detectEncoding(bytes, { complete });
    // FILE_ENCODING_UNSUPPORTED, or FILE_ENCODING_INCONSISTENT for a file that changes encoding midway.
    const result = onlyDomainErrorsSync(() => decodeVietnamese(bytes), ['invalid'], ['FILE_ENCODING_UNSUPPORTED', 'FILE_ENCODING_INCONSISTENT']);
    if ('error' in result) return;
    const { text } = result.value;
    invariant(!text.startsWith('\uFEFF'), 'no byte order mark is left');
    // The stream decoder gives the same text whatever the chunk boundaries.
    const decoder = createVietnameseDecoder(result.value.encoding, { invalid: 'replace' });
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    let streamed = '';
    let from = 0;
    for (const cut of [...at, bytes.length]) {
      streamed += decoder.write(bytes.subarray(from, cut));
      from = cut;
    }
    streamed += decoder.end();
    // (Whether each piece is NFC is the round-trip fuzzer's property; here: nothing lost or added.)
    invariant(streamed.normalize('NFC') === text.normalize('NFC') || text.includes('\uFFFD') || streamed.includes('\uFFFD'), `chunked decoding (${encoding}) gives the whole-buffer text`);
  },
});

/** Unicode text saved as UTF-8 reads back as itself (NFC), whole or in chunks. */
export const utf8RoundTripFuzzer = fuzzer<{ readonly text: string; readonly cuts: readonly number[] }>({
  name: 'legacy encoding detection (UTF-8 round trip)',
  file: 'src/registry/legacy-encoding.ts',
  arbitrary: fc.record({
    text: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.array(nastyText, { maxLength: 8 }).map((a) => a.join(' ')))
      .filter((t) => !t.includes('\u0000') && !t.startsWith('\uFEFF') && !/[\uD800-\uDFFF]/u.test(t)),
    cuts: fc.array(fc.nat({ max: 400 }), { maxLength: 6 }),
  }),
  check: ({ text, cuts }) => {
    const bytes = new TextEncoder().encode(text);
    const decoded = onlyDomainErrorsSync(() => decodeVietnamese(bytes));
    invariant('value' in decoded, 'valid UTF-8 is never refused');
    invariant(decoded.value.encoding === 'utf-8', `valid UTF-8 is read as UTF-8, not ${decoded.value.encoding}`);
    invariant(decoded.value.text === text.normalize('NFC'), 'UTF-8 text reads back as itself (NFC)');
    const decoder = createVietnameseDecoder('utf-8');
    const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    let streamed = '';
    let from = 0;
    for (const cut of [...at, bytes.length]) {
      streamed += decoder.write(bytes.subarray(from, cut));
      from = cut;
    }
    invariant(streamed + decoder.end() === text.normalize('NFC'), 'chunk boundaries lose nothing');
  },
});

// ---------------------------------------------------------------------------------------------
// Signed notes and checkpoints.

const signer = parseSignerKey(generateSignerKey('fuzz.sachsong/access-log'));
const verifier = parseVerifierKey(signer.verifierKey);
const signedCheckpoint: Checkpoint = { origin: signer.name, treeSize: 123_456, rootHash: createHash('sha256').update('root').digest() };
const signedNote = signer.sign(formatCheckpoint(signedCheckpoint));
const signedBody = formatCheckpoint(signedCheckpoint);

type Mutation = { readonly kind: 'replace' | 'insert' | 'delete' | 'truncate' | 'duplicate-line' | 'swap-lines' | 'respell'; readonly at: number; readonly text: string };
const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'insert', 'delete', 'truncate', 'duplicate-line', 'swap-lines', 'respell'),
  at: fc.nat(),
  text: fc.oneof(nastyText, fc.constantFrom('=', '==', 'A', '/', '+', ' ', '\n', '\n\n', '— ', '0', '1', 'fuzz.sachsong/access-log')),
});

function mutate(original: string, mutations: readonly Mutation[]): string {
  let s = original;
  for (const m of mutations) {
    const at = s.length === 0 ? 0 : m.at % s.length;
    const lines = s.split('\n');
    const line = lines.length === 0 ? 0 : m.at % lines.length;
    switch (m.kind) {
      case 'replace': s = s.slice(0, at) + m.text + s.slice(at + Math.max(1, m.text.length)); break;
      case 'insert': s = s.slice(0, at) + m.text + s.slice(at); break;
      case 'delete': s = s.slice(0, at) + s.slice(at + 1 + (m.text.length % 4)); break;
      case 'truncate': s = s.slice(0, at); break;
      case 'duplicate-line': lines.splice(line, 0, lines[line] ?? ''); s = lines.join('\n'); break;
      case 'respell': {
        // The same bytes in another base64 spelling: the unused low bits of the last character before '='.
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        const last = s.search(/[A-Za-z0-9+/]=+\n?$/);
        const index = last < 0 ? -1 : alphabet.indexOf(s.charAt(last));
        const unused = s.slice(last).includes('==') ? 15 : 3;
        if (index >= 0) s = s.slice(0, last) + alphabet.charAt((index & ~unused) | (m.at & unused)) + s.slice(last + 1);
        break;
      }
      case 'swap-lines': {
        const other = (line + 1) % lines.length;
        [lines[line], lines[other]] = [lines[other] ?? '', lines[line] ?? ''];
        s = lines.join('\n');
        break;
      }
    }
  }
  return s;
}

/** A tampered signed checkpoint never verifies unless what was signed is untouched; only CHECKPOINT_INVALID is thrown. */
export const tamperedNoteFuzzer = fuzzer<readonly Mutation[]>({
  name: 'signed checkpoint (tampered)',
  file: 'src/audit/checkpoint-note.ts',
  arbitrary: fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }),
  check: (mutations) => {
    const note = mutate(signedNote, mutations);
    const result = onlyDomainErrorsSync(() => openCheckpoint(note, verifier), ['invalid'], ['CHECKPOINT_INVALID']);
    if ('error' in result) return;
    invariant(note.startsWith(`${signedBody}\n`), 'a note that verifies carries the signed text unchanged');
    invariant(result.value.treeSize === signedCheckpoint.treeSize && result.value.rootHash.equals(signedCheckpoint.rootHash), 'the checkpoint read is the one signed');
    // The signature that verified is spelled as it was made: no other base64 spelling of it is accepted.
    invariant(note.split('\n').includes(signedNote.split('\n').at(-2) ?? '-'), 'the verifying signature is spelled as it was made');
  },
});

/** Random text as a checkpoint, a signed note, or a key: only the documented domain errors. */
export const noteTextFuzzer = fuzzer<{ readonly text: string; readonly keyBytes: Uint8Array; readonly keyName: string }>({
  name: 'signed checkpoint (random text) and keys',
  file: 'src/audit/checkpoint-note.ts',
  arbitrary: fc.record({
    text: fc.oneof(
      nastyText,
      fc.array(fc.oneof(nastyText, fc.constantFrom('fuzz.sachsong/access-log', '123456', '0', '-1', '99999999999999999', signedNote.split('\n')[2] ?? '', '— fuzz.sachsong/access-log AAAA', '')), { maxLength: 8 }).map((l) => l.join('\n')),
    ),
    keyBytes: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    keyName: fc.oneof(fc.constant('fuzz.sachsong/access-log'), nastyText),
  }),
  check: ({ text, keyBytes, keyName }) => {
    onlyDomainErrorsSync(() => parseCheckpoint(text), ['invalid'], ['CHECKPOINT_INVALID']);
    const opened = onlyDomainErrorsSync(() => openCheckpoint(text, verifier), ['invalid'], ['CHECKPOINT_INVALID']);
    invariant('error' in opened || text.startsWith(signedBody), 'random text never verifies');
    onlyDomainErrorsSync(() => parseVerifierKey(text), ['invalid'], ['AUDIT_KEY_INVALID']);
    onlyDomainErrorsSync(() => parseSignerKey(text), ['invalid'], ['AUDIT_KEY_INVALID']);
    // A well-formed verifier key around 32 random bytes (with its right hash): not every 32 bytes are a point.
    const raw = Buffer.concat([Buffer.from([1]), keyBytes]);
    const hash = createHash('sha256').update(keyName).update('\n').update(raw).digest().subarray(0, 4).toString('hex');
    const key = onlyDomainErrorsSync(() => parseVerifierKey(`${keyName}+${hash}+${raw.toString('base64')}`), ['invalid'], ['AUDIT_KEY_INVALID']);
    if ('value' in key) {
      const foreign = onlyDomainErrorsSync(() => openCheckpoint(signedNote, key.value), ['invalid'], ['CHECKPOINT_INVALID']);
      invariant('error' in foreign, 'a note never verifies under another key');
    }
  },
});

// ---------------------------------------------------------------------------------------------
// Agency authentication: client assertions and access tokens.

const clientId = 'VN/GOV/FUZZ/portal';
const clock = fixedClock('2026-12-04T10:00:00Z');
const now = Math.floor(clock.now().getTime() / 1000);

interface AgencyKeys {
  readonly auth: AgencyAuthService;
  readonly privateKey: CryptoKey;
  readonly kid: string;
  readonly publicJwk: JWK;
  readonly token: string;
}

let keys: Promise<AgencyKeys> | undefined;

/** One registered client with one Ed25519 key, a stub directory, and one real access token. */
function agencyKeys(): Promise<AgencyKeys> {
  keys ??= (async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const kid = 'fuzz-1';
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
    const entry = {
      client: { clientId, memberId: 'VN/GOV/FUZZ', name: 'portal', jwks: { keys: [publicJwk] }, status: 'active', createdAt: '2026-01-01T00:00:00Z' },
      member: { memberId: 'VN/GOV/FUZZ', name: 'Fuzz', kind: 'ministry', status: 'active', createdAt: '2026-01-01T00:00:00Z' },
      officers: new Set<string>(),
      grants: new Map(),
    } as unknown as ClientEntry;
    // The service reads the directory through get() alone.
    const directory = { get: (id: string) => Promise.resolve(id === clientId ? entry : undefined) } as unknown as ExchangeDirectory;
    const auth = new AgencyAuthService({ clock, directory, macSecret: Buffer.alloc(32, 7), maxAssertionsPerClient: 10_000_000 });
    const assertion = await sign(privateKey, kid, {});
    const { accessToken } = await auth.issueToken({ grantType: 'client_credentials', clientAssertionType: jwtBearerAssertionType, clientAssertion: assertion });
    return { auth, privateKey, kid, publicJwk, token: accessToken };
  })();
  return keys;
}

let jtiCounter = 0;
function sign(key: CryptoKey, kid: string, claims: { readonly iss?: string; readonly exp?: number; readonly aud?: string }): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid })
    .setIssuer(claims.iss ?? clientId)
    .setSubject(claims.iss ?? clientId)
    .setAudience(claims.aud ?? defaultTokenAudience)
    .setIssuedAt(now)
    .setExpirationTime(claims.exp ?? now + 120)
    .setJti(`fuzz-${jtiCounter++}-${Math.random().toString(36).slice(2)}`)
    .sign(key);
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const nastyHeaders = [
  { alg: 'none' }, { alg: 'HS256', kid: 'fuzz-1' }, { alg: 'EdDSA', kid: 'fuzz-1', crit: ['b64'], b64: false }, { alg: 'EdDSA', jku: 'http://127.0.0.1/jwks' },
  { alg: 'EdDSA', kid: '../../etc/passwd' }, { alg: 'EdDSA', kid: 'fuzz-1', jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' } }, { alg: 'RS256', kid: 'fuzz-1' }, { alg: 'EdDSA' }, {},
  { alg: 'EdDSA', kid: 'fuzz-1', zip: 'DEF' },
];

type AssertionInput =
  | { readonly kind: 'random'; readonly text: string }
  | { readonly kind: 'forged'; readonly header: unknown; readonly payload: unknown; readonly signature: string }
  | { readonly kind: 'tampered'; readonly mutations: readonly Mutation[]; readonly exp: number; readonly aud: string; readonly iss: string };

/** Random and tampered client assertions: only 4xx domain errors, and no token unless the signed claims are untouched. */
export const clientAssertionFuzzer = fuzzer<AssertionInput>({
  name: 'client assertion JWT (AgencyAuthService.issueToken)',
  file: 'src/exchange/agency-auth.service.ts',
  weight: 0.5,
  arbitrary: fc.oneof(
    fc.record({ kind: fc.constant('random' as const), text: fc.oneof(nastyText, fc.array(fc.base64String({ maxLength: 60 }), { maxLength: 5 }).map((p) => p.join('.'))) }),
    fc.record({
      kind: fc.constant('forged' as const),
      header: fc.oneof(fc.constantFrom(...nastyHeaders), fc.jsonValue({ maxDepth: 3 })),
      payload: fc.oneof(
        fc.record({ iss: fc.oneof(fc.constant(clientId), nastyText), sub: fc.oneof(fc.constant(clientId), nastyText), aud: fc.oneof(fc.constant(defaultTokenAudience), nastyText), exp: fc.oneof(fc.integer(), fc.double(), fc.constant(now + 60)), jti: fc.oneof(fc.uuid(), nastyText, fc.constant('x'.repeat(200))) }, { requiredKeys: [] }),
        fc.jsonValue({ maxDepth: 4 }),
        nastyText,
      ),
      signature: fc.oneof(fc.base64String({ maxLength: 90 }), nastyText),
    }),
    fc.record({
      kind: fc.constant('tampered' as const),
      mutations: fc.array(mutationArbitrary, { minLength: 0, maxLength: 2 }),
      exp: fc.constantFrom(now + 120, now - 3_600, now + 100_000),
      aud: fc.constantFrom(defaultTokenAudience, 'urn:other'),
      iss: fc.constantFrom(clientId, 'VN/GOV/OTHER/portal'),
    }),
  ),
  check: async (input) => {
    const { auth, privateKey, kid } = await agencyKeys();
    let assertion: string;
    let signedPart: string | undefined;
    if (input.kind === 'random') assertion = input.text;
    else if (input.kind === 'forged') assertion = `${b64(input.header)}.${b64(input.payload)}.${input.signature}`;
    else {
      const genuine = await sign(privateKey, kid, { exp: input.exp, aud: input.aud, iss: input.iss });
      signedPart = input.exp === now + 120 && input.aud === defaultTokenAudience && input.iss === clientId ? genuine.slice(0, genuine.lastIndexOf('.')) : undefined;
      assertion = mutate(genuine, input.mutations);
    }
    const result = await onlyDomainErrors(
      () => auth.issueToken({ grantType: 'client_credentials', clientAssertionType: jwtBearerAssertionType, clientAssertion: assertion, address: '192.0.2.1' }),
      ['invalid', 'unauthorized', 'forbidden'],
    );
    if ('value' in result) {
      invariant(signedPart !== undefined && assertion.startsWith(`${signedPart}.`), 'a token is issued only for a genuine, unchanged, valid assertion');
    }
  },
});

/** Random and tampered bearer tokens: only TOKEN_* / CREDENTIALS_MISSING refusals, and only the real token passes. */
export const accessTokenFuzzer = fuzzer<{ readonly text: string; readonly mutations: readonly Mutation[]; readonly scheme: string; readonly useReal: boolean }>({
  name: 'access token (AgencyAuthService.authenticate)',
  file: 'src/exchange/agency-auth.service.ts',
  arbitrary: fc.record({
    text: fc.oneof(nastyText, fc.array(fc.base64String({ maxLength: 80 }), { maxLength: 4 }).map((p) => `eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.${p.join('.')}`)),
    mutations: fc.array(mutationArbitrary, { maxLength: 2 }),
    scheme: fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'Basic ', '', 'Bearer  '),
    useReal: fc.boolean(),
  }),
  check: async ({ text, mutations, scheme, useReal }) => {
    const { auth, token } = await agencyKeys();
    const presented = useReal ? mutate(token, mutations) : text;
    const result = await onlyDomainErrors(() => auth.authenticate(`${scheme}${presented}`), ['unauthorized']);
    if ('value' in result) invariant(presented === token && (scheme === 'Bearer ' || scheme === 'bearer '), 'only the issued token, unchanged, authenticates');
  },
});

/** Every parser fuzzer that needs no store, file or server. */
export const parserFuzzers: readonly AnyFuzzer[] = [
  idNumberFuzzer, oldTaxCodeFuzzer, partialDateFuzzer, legacyBytesFuzzer, utf8RoundTripFuzzer, tamperedNoteFuzzer, noteTextFuzzer, clientAssertionFuzzer, accessTokenFuzzer,
];
