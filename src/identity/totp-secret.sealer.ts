/**
 * Sealing of TOTP seeds at rest. Unlike a password, a seed must be read back to check a code, so
 * it cannot be hashed; with a key (AES-256-GCM) a copy of the database alone does not yield
 * working authenticators. The officer id is the associated data: a sealed seed moved to another
 * account's row does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SecretSealer {
  seal(secret: string, officerId: string): string;
  /** The seed, or undefined when the stored value does not open (tampered, moved, wrong key). */
  open(stored: string, officerId: string): string | undefined;
}

const prefix = 'v1.';

/**
 * Stores seeds as they are. For development and tests; production passes a key to aesGcmSealer.
 * Reads sealed values as unopenable (a key is needed).
 */
export const plainSealer: SecretSealer = {
  seal: (secret) => secret,
  open: (stored) => (stored.startsWith(prefix) ? undefined : stored),
};

/**
 * AES-256-GCM with a 32-byte key: `v1.<iv>.<ciphertext+tag>` (base64url). A seed stored before
 * the key was set (plain base32) still opens, so a key can be introduced without re-enrolment;
 * it is sealed at the officer's next enrolment.
 *
 * @example
 * const sealer = aesGcmSealer(Buffer.from(process.env.SACHSONG_TOTP_KEY ?? '', 'base64'));
 * const stored = sealer.seal(secret, officerId); sealer.open(stored, officerId) === secret;
 */
export function aesGcmSealer(key: Uint8Array): SecretSealer {
  if (key.length !== 32) throw new Error('the TOTP sealing key has 32 bytes');
  return {
    seal(secret: string, officerId: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(officerId, 'utf8'));
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${prefix}${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(stored: string, officerId: string): string | undefined {
      if (!stored.startsWith(prefix)) return /^[A-Z2-7]+=*$/.test(stored) ? stored : undefined;
      const [ivText, bodyText] = stored.slice(prefix.length).split('.');
      if (ivText === undefined || bodyText === undefined) return undefined;
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== 12 || body.length <= 16) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(officerId, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - 16));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
