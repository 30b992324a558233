import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { isDomainError } from '../shared/domain-error.js';
import type { Database } from '../store/database.js';
import { ActivationDriveService } from './activation-drive.service.js';
import { citizenAccountRepository } from './citizen-account.repository.js';

/** Accounts opened on given days (2026-11-30 and 2026-12-01 are one ISO week; 2026-12-07 the next). */
const opened: readonly (readonly [string, number, string | null, string, string])[] = [
  ['cit_a', 1, '01', '2026-11-30T08:00:00.000Z', 'active'],
  ['cit_b', 2, '01', '2026-12-01T09:00:00.000Z', 'active'],
  ['cit_c', 1, '79', '2026-12-01T10:00:00.000Z', 'active'],
  ['cit_d', 1, '79', '2026-12-07T10:00:00.000Z', 'active'],
  ['cit_e', 2, null, '2026-12-08T10:00:00.000Z', 'active'],
  ['cit_f', 1, '01', '2026-12-08T11:00:00.000Z', 'deceased'],
];

for (const dialect of dialects) {
  describe(`activation drive on ${dialect}`, () => {
    let store: Database;
    beforeAll(async () => {
      store = await createTestDatabase(dialect);
      let i = 0;
      for (const [id, level, province, at, status] of opened) {
        await citizenAccountRepository.insert(store.db, {
          account_id: id, person_id: `00119000${String(1000 + i++)}`, level, status, phone: '+84912345678', password_hash: 'x', totp_secret: null, totp_last_step: null,
          card_number: null, province, failed_attempts: 0, locked_until: null, last_sign_in_at: null, level2_at: null, created_at: at, updated_at: at,
        });
      }
    });
    afterAll(async () => { await store.close(); });

    it('counts living accounts by level, province and ISO week against the target', async () => {
      const drive = await new ActivationDriveService({ db: store.db }).summary();
      expect(drive).toMatchObject({ target: 40_000_000, province: null, accounts: 5, level1: 3, level2: 2, shareOfTarget: 5 / 40_000_000 });
      expect(drive.byProvince).toEqual([{ province: '01', level1: 1, level2: 1 }, { province: '79', level1: 2, level2: 0 }, { province: 'unknown', level1: 0, level2: 1 }]);
      expect(drive.byWeek).toEqual([{ weekStart: '2026-11-30', activated: 3, cumulative: 3 }, { weekStart: '2026-12-07', activated: 2, cumulative: 5 }]);
    });

    it('narrows to one province and refuses a malformed one', async () => {
      const drive = await new ActivationDriveService({ db: store.db }).summary({ province: '79' });
      expect(drive).toMatchObject({ province: '79', accounts: 2, level1: 2, level2: 0 });
      expect(drive.byWeek).toEqual([{ weekStart: '2026-11-30', activated: 1, cumulative: 1 }, { weekStart: '2026-12-07', activated: 1, cumulative: 2 }]);
      const refused = await new ActivationDriveService({ db: store.db }).summary({ province: '7' }).catch((e: unknown) => e);
      expect(isDomainError(refused) ? refused.code : refused).toBe('PROVINCE_INVALID');
    });
  });
}
