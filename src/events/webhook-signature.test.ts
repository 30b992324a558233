import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhookBody, verifyWebhookBody } from './webhook-signature.js';

describe('webhook signatures (detached JWS, EdDSA)', () => {
  const exchange = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const keys: ReadonlyMap<string, KeyObject> = new Map([['consent-signing-1', exchange.publicKey]]);
  const body = JSON.stringify({ subscriptionId: 's-1', events: [{ eventId: 'e-1', seq: 7, type: 'death' }] });

  it('verifies the exact body under the published key, and says which subscription and when', () => {
    const jws = signWebhookBody(body, 'consent-signing-1', exchange.privateKey, 's-1', 1_780_000_000_123);
    expect(jws.split('.')[1]).toBe('');
    expect(verifyWebhookBody(body, jws, keys)).toMatchObject({ alg: 'EdDSA', kid: 'consent-signing-1', sub: 's-1', iat: 1_780_000_000 });
  });

  it('refuses an altered body, another key, an unknown key id and malformed signatures', () => {
    const jws = signWebhookBody(body, 'consent-signing-1', exchange.privateKey, 's-1', Date.now());
    expect(verifyWebhookBody(body.replace('death', 'birth'), jws, keys)).toBeUndefined();
    expect(verifyWebhookBody(body, signWebhookBody(body, 'consent-signing-1', other.privateKey, 's-1', Date.now()), keys)).toBeUndefined();
    expect(verifyWebhookBody(body, signWebhookBody(body, 'consent-signing-9', exchange.privateKey, 's-1', Date.now()), keys)).toBeUndefined();
    const [header = '', , signature = ''] = jws.split('.');
    // An attached payload, a missing part, a header that is not JSON, alg none.
    expect(verifyWebhookBody(body, `${header}.${Buffer.from(body).toString('base64url')}.${signature}`, keys)).toBeUndefined();
    expect(verifyWebhookBody(body, `${header}.${signature}`, keys)).toBeUndefined();
    expect(verifyWebhookBody(body, `bm90IGpzb24..${signature}`, keys)).toBeUndefined();
    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: 'consent-signing-1' })).toString('base64url');
    expect(verifyWebhookBody(body, `${none}..${signature}`, keys)).toBeUndefined();
  });
});
