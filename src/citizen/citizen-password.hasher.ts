import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** Algorithm.Argon2id (a const enum, which isolated modules cannot read). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the const enum's value, declared only in a .d.ts
const argon2id: Algorithm = 2;
import type { PasswordHasher } from '../identity/password.hasher.js';

/** Argon2id cost: memory in KiB, passes, lanes. */
export interface Argon2Cost {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/**
 * OWASP Password Storage Cheat Sheet's first argon2id configuration: 19 MiB, 2 passes, 1 lane.
 * Citizens are tens of millions, so the cost per sign-in matters (BENCHMARKS.md, issue 15).
 */
export const owaspArgon2id: Argon2Cost = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const costPattern = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/;

/**
 * Citizens' passwords with argon2id (@node-rs/argon2, hashing off the main thread), stored as the
 * PHC string `$argon2id$v=19$m=…,t=…,p=…$salt$hash`. A hash with another cost verifies and is
 * flagged for rehash.
 *
 * @example
 * const hasher = argon2idPasswordHasher();
 * const stored = await hasher.hash('Sông Hồng chảy qua Hà Nội');
 */
export function argon2idPasswordHasher(cost: Argon2Cost = owaspArgon2id): PasswordHasher {
  const options = { algorithm: argon2id, memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: cost.parallelism };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password: string): Promise<string> => hash(password.normalize('NFC'), options),
    async verify(password: string, stored: string): Promise<{ readonly ok: boolean; readonly needsRehash: boolean }> {
      const m = costPattern.exec(stored);
      if (m === null) return { ok: false, needsRehash: false };
      let ok: boolean;
      try {
        ok = await verify(stored, password.normalize('NFC'));
      } catch {
        ok = false;
      }
      const needsRehash = Number(m[1]) !== cost.memoryCost || Number(m[2]) !== cost.timeCost || Number(m[3]) !== cost.parallelism;
      return { ok, needsRehash: ok && needsRehash };
    },
    async dummyVerify(password: string): Promise<void> {
      dummy ??= hash('not a citizen password', options);
      try {
        await verify(await dummy, password.normalize('NFC'));
      } catch {
        // the time is what counts
      }
    },
  };
}
