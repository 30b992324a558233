import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { acceptTotp, newTotpSecret, totpCodeAt, totpUri } from './totp.verifier.js';

const t0 = new Date('2026-12-04T08:00:10Z'); // 10 s into a step
const step0 = Math.floor(t0.getTime() / 30_000);
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * 1000);

describe('TOTP', () => {
  const secret = newTotpSecret();

  it('makes 160-bit seeds and an otpauth URI with SHA-1, 6 digits, 30 s', () => {
    expect(Secret.fromBase32(secret).bytes).toHaveLength(20);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = totpUri(secret, 'nguyenvana');
    expect(uri).toMatch(/^otpauth:\/\/totp\/sachsong:nguyenvana\?/);
    expect(uri).toContain('algorithm=SHA1');
    expect(uri).toContain('digits=6');
    expect(uri).toContain('period=30');
  });

  it('agrees with an independent RFC 6238 generator', () => {
    const other = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    expect(acceptTotp(secret, other.generate({ timestamp: t0.getTime() }), t0, null)).toBe(step0);
  });

  it('accepts one step of drift either way, not two', () => {
    expect(acceptTotp(secret, totpCodeAt(secret, at(-30)), t0, null)).toBe(step0 - 1);
    expect(acceptTotp(secret, totpCodeAt(secret, at(30)), t0, null)).toBe(step0 + 1);
    const twoBack = totpCodeAt(secret, at(-60));
    const twoAhead = totpCodeAt(secret, at(60));
    // A far code could equal a near one by chance (1 in 10^6); only check when it does not.
    if (![totpCodeAt(secret, at(-30)), totpCodeAt(secret, t0), totpCodeAt(secret, at(30))].includes(twoBack)) expect(acceptTotp(secret, twoBack, t0, null)).toBeUndefined();
    if (![totpCodeAt(secret, at(-30)), totpCodeAt(secret, t0), totpCodeAt(secret, at(30))].includes(twoAhead)) expect(acceptTotp(secret, twoAhead, t0, null)).toBeUndefined();
  });

  it('refuses a code of the step already used, or an earlier one (replay)', () => {
    const code = totpCodeAt(secret, t0);
    const step = acceptTotp(secret, code, t0, null);
    expect(step).toBe(step0);
    expect(acceptTotp(secret, code, at(5), step ?? null)).toBeUndefined();
    expect(acceptTotp(secret, totpCodeAt(secret, at(-30)), at(5), step ?? null)).toBeUndefined();
    expect(acceptTotp(secret, totpCodeAt(secret, at(30)), at(30), step ?? null)).toBe(step0 + 1);
  });

  it('refuses anything but six digits', () => {
    const code = totpCodeAt(secret, t0);
    for (const bad of ['', `${code}0`, code.slice(1), ` ${code}`, 'abcdef']) expect(acceptTotp(secret, bad, t0, null)).toBeUndefined();
  });
});
