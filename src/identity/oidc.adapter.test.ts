import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import type { Database } from '../store/database.js';
import { oidcStoreAdapter, type OidcStoreAdapter } from './oidc.adapter.js';
import { loadOidcKeys, rotateSigningKey, signingKeyIds } from './oidc.keys.js';

for (const dialect of dialects) {
  describe(`the OpenID provider's store adapter on ${dialect}`, () => {
    let store: Database;
    let now = Date.parse('2026-12-04T08:00:00Z');
    let adapter: OidcStoreAdapter;

    beforeAll(async () => {
      store = await createTestDatabase(dialect);
      adapter = oidcStoreAdapter(store.db, () => now);
    });
    afterAll(async () => {
      await store.close();
    });

    it('keeps, finds, updates and forgets payloads per kind; expired ones are absent and pruned', async () => {
      const codes = adapter.factory('AuthorizationCode');
      await codes.upsert('c1', { grantId: 'g1', accountId: 'o1', clientId: 'sachsong-console' }, 60);
      await expect(codes.find('c1')).resolves.toMatchObject({ grantId: 'g1', accountId: 'o1' });
      // Another kind with the same id is another row.
      await expect(adapter.factory('AccessToken').find('c1')).resolves.toBeUndefined();
      await codes.upsert('c1', { grantId: 'g1', accountId: 'o2' }, 60);
      await expect(codes.find('c1')).resolves.toMatchObject({ accountId: 'o2' });

      now += 61_000;
      await expect(codes.find('c1')).resolves.toBeUndefined();
      await expect(adapter.prune()).resolves.toBe(1);
    });

    it('marks a code consumed (a second use is refused by the provider) and revokes everything of a grant', async () => {
      const codes = adapter.factory('AuthorizationCode');
      const tokens = adapter.factory('AccessToken');
      await codes.upsert('c2', { grantId: 'g2' }, 60);
      await tokens.upsert('t2', { grantId: 'g2' }, 600);
      await tokens.upsert('t3', { grantId: 'g3' }, 600);
      await codes.consume('c2');
      const consumed = await codes.find('c2');
      expect(typeof consumed?.consumed).toBe('number');
      await codes.revokeByGrantId('g2');
      await expect(codes.find('c2')).resolves.toBeUndefined();
      await expect(tokens.find('t2')).resolves.toBeUndefined();
      await expect(tokens.find('t3')).resolves.toMatchObject({ grantId: 'g3' });
      await tokens.destroy('t3');
      await expect(tokens.find('t3')).resolves.toBeUndefined();
    });

    it('finds a session by its uid and an interaction by id', async () => {
      const sessions = adapter.factory('Session');
      await sessions.upsert('s1', { uid: 'u1', accountId: 'o1' }, 900);
      await expect(sessions.findByUid('u1')).resolves.toMatchObject({ accountId: 'o1' });
      await expect(sessions.findByUid('u2')).resolves.toBeUndefined();
    });

    it('makes the provider keys once: a second load (another node) gets the same ones', async () => {
      const first = await loadOidcKeys(store.db, '2026-12-04T08:00:00Z');
      const second = await loadOidcKeys(store.db, '2026-12-04T08:00:01Z');
      expect(second.signingKeys.map((k) => k.kid)).toEqual(first.signingKeys.map((k) => k.kid));
      expect(second.cookieKeys).toEqual(first.cookieKeys);
      expect(second.consoleClientSecret).toBe(first.consoleClientSecret);
      expect(first.signingKeys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    });

    it('rotates the signing key: the new one first, the old one loaded until its retirement, then removed', async () => {
      const [old] = (await loadOidcKeys(store.db, '2026-12-04T09:00:00Z')).signingKeys;
      const idsBefore = await signingKeyIds(store.db, '2026-12-04T09:00:00Z');
      const rotation = await rotateSigningKey(store.db, '2026-12-04T09:00:00.000Z', 3_600_000);
      expect(rotation.published).toEqual([{ kid: rotation.kid, retireAt: null }, { kid: old?.kid, retireAt: '2026-12-04T10:00:00.000Z' }]);
      expect(await signingKeyIds(store.db, '2026-12-04T09:00:01Z')).not.toBe(idsBefore);
      expect((await loadOidcKeys(store.db, '2026-12-04T09:59:59Z')).signingKeys.map((k) => k.kid)).toEqual([rotation.kid, old?.kid]);
      expect((await loadOidcKeys(store.db, '2026-12-04T10:00:00Z')).signingKeys.map((k) => k.kid)).toEqual([rotation.kid]);
      // A second rotation before the first key retired keeps its earlier retirement time; after it, the key is removed.
      const second = await rotateSigningKey(store.db, '2026-12-04T09:30:00.000Z', 24 * 3_600_000);
      expect(second.published.map((k) => k.retireAt)).toEqual([null, '2026-12-05T09:30:00.000Z', '2026-12-04T10:00:00.000Z']);
      const third = await rotateSigningKey(store.db, '2026-12-04T11:00:00.000Z');
      expect(third.retired).toEqual([old?.kid]);
      await expect(rotateSigningKey(store.db, '2026-12-04T11:00:00.000Z', -1)).rejects.toThrow(RangeError);
    });
  });
}
