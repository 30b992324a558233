/**
 * TOTP second factor (RFC 6238 through `otpauth`): SHA-1, 6 digits, 30-second steps, one step of
 * drift either way. A code is accepted only for a step later than the last one accepted for the
 * account, so a code seen over a shoulder or in a log cannot be used again (RFC 6238 §5.2).
 */
import { Secret, TOTP } from 'otpauth';

export const totpPeriodSeconds = 30;
const issuer = 'sachsong';

/** A new random 160-bit seed, base32 (what authenticator apps take). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label: string): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: totpPeriodSeconds, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app scans as a QR code during enrolment. */
export function totpUri(secret: string, username: string): string {
  return totp(secret, username).toString();
}

/** The code for an instant; for tests and the bench. */
export function totpCodeAt(secret: string, at: Date): string {
  return totp(secret, 'x').generate({ timestamp: at.getTime() });
}

/**
 * The step a code belongs to when it is valid at `at` (±1 step) and later than `lastStep`;
 * undefined otherwise (wrong, too old, or a replay).
 *
 * @example
 * const step = acceptTotp(secret, '492039', clock.now(), officer.totpLastStep);
 * if (step === undefined) fail(); else store(step);
 */
export function acceptTotp(secret: string, code: string, at: Date, lastStep: number | null): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret, 'x').validate({ token: code, timestamp: at.getTime(), window: 1 });
  if (delta === null) return undefined;
  const step = Math.floor(at.getTime() / 1000 / totpPeriodSeconds) + delta;
  return lastStep !== null && step <= lastStep ? undefined : step;
}
