/**
 * Password hashing with scrypt (node:crypto), stored as a self-describing string
 * `$scrypt$ln=17,r=8,p=1$<salt>$<key>` (base64 without padding) so that parameters can rise
 * later: a hash with older parameters still verifies and is flagged for rehash.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { DomainError } from '../shared/domain-error.js';
import { commonPasswords } from './common-passwords.js';

export interface ScryptParameters {
  /** log2 of the CPU/memory cost N. */
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP's scrypt recommendation: N=2^17, r=8, p=1 (128 MiB, about a tenth of a second a hash). */
export const owaspScrypt: ScryptParameters = { ln: 17, r: 8, p: 1 };
const saltBytes = 16;
const keyBytes = 32;
export const passwordMinLength = 12;
/** scrypt's cost does not grow with the password, but a bound keeps request bodies sane. */
export const passwordMaxLength = 256;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** `ok` when the password matches; `needsRehash` when it was hashed with other parameters. */
  verify(password: string, stored: string): Promise<{ readonly ok: boolean; readonly needsRehash: boolean }>;
  /** Spends about the time of a verify, for unknown usernames (no hint from the response time). */
  dummyVerify(password: string): Promise<void>;
}

function scryptAsync(password: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const n = 2 ** params.ln;
  // Node's default maxmem (32 MiB) is below 128·N·r at N=2^17; allow twice what is needed.
  const options: ScryptOptions = { N: n, r: params.r, p: params.p, maxmem: 256 * n * params.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyBytes, options, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

const format = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parse(stored: string): { readonly params: ScryptParameters; readonly salt: Buffer; readonly key: Buffer } | undefined {
  const m = format.exec(stored);
  if (m === null) return undefined;
  const [, ln, r, p, salt, key] = m as unknown as [string, string, string, string, string, string];
  const params = { ln: Number(ln), r: Number(r), p: Number(p) };
  // Refuse absurd parameters from a tampered row rather than allocate gigabytes.
  if (params.ln < 10 || params.ln > 22 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return undefined;
  return { params, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

/** A counting gate: at most `limit` hashes at once, each holding 128 MiB, whatever the sign-in load. */
function gate(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next === undefined) running--;
      else next();
    }
  };
}

/**
 * A scrypt password hasher. `params` defaults to OWASP's; tests pass cheaper ones.
 * `concurrency` bounds simultaneous hashes (memory: 128·N·r bytes each).
 *
 * @example
 * const hasher = scryptPasswordHasher();
 * const stored = await hasher.hash('một mật khẩu đủ dài');
 * (await hasher.verify('một mật khẩu đủ dài', stored)).ok; // true
 */
export function scryptPasswordHasher(options: { readonly params?: ScryptParameters; readonly concurrency?: number } = {}): PasswordHasher {
  const params = options.params ?? owaspScrypt;
  const run = gate(options.concurrency ?? 2);
  let dummy: Promise<string> | undefined;
  const hash = (password: string): Promise<string> =>
    run(async () => {
      const salt = randomBytes(saltBytes);
      const key = await scryptAsync(password, salt, params);
      return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64').replace(/=+$/, '')}$${key.toString('base64').replace(/=+$/, '')}`;
    });
  const verify = (password: string, stored: string): Promise<{ readonly ok: boolean; readonly needsRehash: boolean }> =>
    run(async () => {
      const parsed = parse(stored);
      if (parsed === undefined || parsed.key.length !== keyBytes) return { ok: false, needsRehash: false };
      const key = await scryptAsync(password, parsed.salt, parsed.params);
      const ok = timingSafeEqual(key, parsed.key);
      const p = parsed.params;
      return { ok, needsRehash: ok && (p.ln !== params.ln || p.r !== params.r || p.p !== params.p || parsed.salt.length !== saltBytes) };
    });
  return {
    hash,
    verify,
    async dummyVerify(password: string): Promise<void> {
      dummy ??= hash('dummy password for unknown usernames');
      await verify(password, await dummy);
    },
  };
}

/**
 * Checks a new password: 12 to 256 characters, not a very common password, not the username,
 * not one character repeated. Throws 'invalid' PASSWORD_WEAK with the rule broken (never the password).
 *
 * @example
 * checkPasswordStrength('Sông Hồng chảy qua Hà Nội', 'nguyenvana'); // passes
 * checkPasswordStrength('123456789012', 'nguyenvana');            // throws PASSWORD_WEAK
 */
export function checkPasswordStrength(password: string, username: string): void {
  const weak = (message: string): DomainError => new DomainError('invalid', 'PASSWORD_WEAK', message, `Choose a passphrase of at least ${passwordMinLength} characters that is not a common password`);
  const length = Array.from(password.normalize('NFC')).length;
  if (length < passwordMinLength) throw weak(`The password has fewer than ${passwordMinLength} characters`);
  if (length > passwordMaxLength) throw weak(`The password has more than ${passwordMaxLength} characters`);
  const folded = password.normalize('NFC').toLowerCase();
  if (commonPasswords.has(folded) || commonPasswords.has(folded.replace(/[\d!@#.]+$/, ''))) throw weak('The password is one of the most common passwords');
  if (new Set(folded).size <= 2) throw weak('The password repeats one or two characters');
  if (username.length >= 3 && folded.includes(username.toLowerCase())) throw weak('The password contains the username');
}
