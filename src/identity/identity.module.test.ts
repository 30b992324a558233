import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/test-database.js';
import { fixedClock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import type { Actor } from './authorization.policy.js';
import { createIdentityModule } from './identity.module.js';
import { scryptPasswordHasher } from './password.hasher.js';

describe('the identity module over the registry\'s 2025 units', () => {
  let store: Database;
  beforeAll(async () => {
    store = await createTestDatabase('sqlite');
  });
  afterAll(async () => {
    await store.close();
  });

  it('checks officers\' units against the catalog and seals seeds with the given key', async () => {
    const identity = createIdentityModule({ db: store.db, clock: fixedClock('2026-12-04T08:00:00Z'), hasher: scryptPasswordHasher({ params: { ln: 10, r: 8, p: 1 } }), totpSealingKey: randomBytes(32) });
    const first = await identity.officers.bootstrapFirstAdmin({ username: 'quantri', displayName: 'Quản trị' });
    const admin: Actor = { kind: 'officer', id: first.officer.officerId, role: 'system_admin', unit: { level: 'nation' }, active: true };
    const created = await identity.officers.createOfficer(admin, { username: 'canbo.badinh', displayName: 'Cán bộ Ba Đình', role: 'commune_officer', unit: { level: 'commune', code: '00004' } });
    expect(created.officer.unit).toEqual({ level: 'commune', code: '00004', province: '01' });
    await expect(identity.officers.createOfficer(admin, { username: 'x.y.z', displayName: 'X', role: 'commune_officer', unit: { level: 'commune', code: '00013' } })).rejects.toMatchObject({ code: 'UNIT_INVALID' }); // a pre-2025 code
    await expect(identity.officers.createOfficer(admin, { username: 'x.y.z', displayName: 'X', role: 'province_officer', unit: { level: 'province', code: '02' } })).rejects.toMatchObject({ code: 'UNIT_INVALID' }); // Hà Giang, merged in 2025
    await identity.auth.beginEnrolment(created.enrolmentToken);
    const row = await store.db.selectFrom('identity_officers').select('totp_secret').where('officer_id', '=', created.officer.officerId).executeTakeFirstOrThrow();
    expect(row.totp_secret).toMatch(/^v1\./);
    expect(identity.ties.ties({ idNumber: '001203012345', permanentCommune: '00004', temporaryCommune: null, currentCommune: null, householdCommune: null }).communes).toEqual([{ commune: '00004', province: '01' }]);
  });
});
