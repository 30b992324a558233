import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesGcmSealer, plainSealer } from './totp-secret.sealer.js';
import { newTotpSecret } from './totp.verifier.js';

describe('TOTP seed sealing', () => {
  const key = randomBytes(32);
  const sealer = aesGcmSealer(key);
  const seed = newTotpSecret();

  it('seals to a fresh ciphertext each time and opens for the same officer only', () => {
    const a = sealer.seal(seed, 'officer-1');
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toContain(seed);
    expect(sealer.seal(seed, 'officer-1')).not.toBe(a);
    expect(sealer.open(a, 'officer-1')).toBe(seed);
    expect(sealer.open(a, 'officer-2')).toBeUndefined();
    expect(aesGcmSealer(randomBytes(32)).open(a, 'officer-1')).toBeUndefined();
  });

  it('refuses tampered values and opens seeds stored before a key was set', () => {
    const a = sealer.seal(seed, 'officer-1');
    const flipped = `${a.slice(0, -2)}${a.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(sealer.open(flipped, 'officer-1')).toBeUndefined();
    expect(sealer.open('v1.garbage', 'officer-1')).toBeUndefined();
    expect(sealer.open(seed, 'officer-1')).toBe(seed);
    expect(sealer.open('not base32!', 'officer-1')).toBeUndefined();
    expect(plainSealer.open(a, 'officer-1')).toBeUndefined();
    expect(() => aesGcmSealer(randomBytes(16))).toThrow();
  });
});
