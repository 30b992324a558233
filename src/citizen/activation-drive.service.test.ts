import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, dialects } from '../../test/test-database.js';
import { isDomainError } from '../shared/domain-error.js';
import type { Database } from '../store/database.js';
import * as activationCounts from '../store/migrations/0073-citizen-activation-counts.migration.js';
import type { CitizenAccountsTable } from './citizen.tables.js';
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

    it('keeps its counts equal to the accounts through every kind of write, by the day in Viet Nam', async () => {
      const account = (id: string, n: number, level: number, province: string | null, at: string, status = 'active'): CitizenAccountsTable => ({
        account_id: id, person_id: `00220000${String(1000 + n)}`, level, status, phone: '+84912345678', password_hash: 'x', totp_secret: null, totp_last_step: null,
        card_number: null, province, failed_attempts: 0, locked_until: null, last_sign_in_at: null, level2_at: null, created_at: at, updated_at: at,
      });
      // 18:30 UTC on Sunday 6 December is 01:30 on Monday 7 December in Viet Nam: the next week.
      await store.db.insertInto('citizen_accounts').values([
        account('cit_g', 1, 1, '48', '2026-12-06T18:30:00.000Z'),
        account('cit_h', 2, 1, '48', '2026-12-06T16:59:59.000Z'),
        account('cit_i', 3, 1, '48', '2026-12-06T17:00:00.000Z', 'suspended'),
      ]).execute();
      const drive = new ActivationDriveService({ db: store.db });
      expect((await drive.summary({ province: '48' })).byWeek).toEqual([{ weekStart: '2026-11-30', activated: 1, cumulative: 1 }, { weekStart: '2026-12-07', activated: 1, cumulative: 2 }]);
      // a level 2 attestation, a death, a suspension lifted, a move of province, a closure
      await store.db.updateTable('citizen_accounts').set({ level: 2 }).where('account_id', '=', 'cit_g').execute();
      await store.db.updateTable('citizen_accounts').set({ status: 'deceased' }).where('account_id', '=', 'cit_a').execute();
      await store.db.updateTable('citizen_accounts').set({ status: 'active' }).where('account_id', '=', 'cit_i').execute();
      await store.db.updateTable('citizen_accounts').set({ province: '01' }).where('account_id', '=', 'cit_h').execute();
      await store.db.updateTable('citizen_accounts').set({ last_sign_in_at: '2026-12-08T00:00:00.000Z' }).execute();
      await store.db.deleteFrom('citizen_accounts').where('account_id', 'in', ['cit_c', 'cit_f']).execute();
      const scanned = await sql<{ province: string | null; level: number; n: number | string }>`select province, level, count(*) as n from citizen_accounts where status = 'active' group by province, level`.execute(store.db);
      const expected = new Map<string, { level1: number; level2: number }>();
      for (const row of scanned.rows) {
        const key = row.province ?? 'unknown';
        const entry = expected.get(key) ?? { level1: 0, level2: 0 };
        if (row.level === 2) entry.level2 += Number(row.n); else entry.level1 += Number(row.n);
        expected.set(key, entry);
      }
      const after = await drive.summary();
      expect(after.byProvince).toEqual([...expected].sort(([a], [b]) => a.localeCompare(b)).map(([p, v]) => ({ province: p, ...v })));
      expect(after.byProvince).toEqual([{ province: '01', level1: 1, level2: 1 }, { province: '48', level1: 1, level2: 1 }, { province: '79', level1: 1, level2: 0 }, { province: 'unknown', level1: 0, level2: 1 }]);
      expect(after.accounts).toBe(6);
      expect(after.byWeek.at(-1)).toEqual({ weekStart: '2026-12-07', activated: 4, cumulative: 6 });
    });

    it('counts the accounts that were there before its migration', async () => {
      const drive = new ActivationDriveService({ db: store.db });
      const before = await drive.summary();
      // the migration alone, as the migrator runs it (on a schema it does not type)
      const schema = store.db as unknown as Kysely<unknown>;
      await activationCounts.down(schema, dialect);
      await activationCounts.up(schema, dialect);
      expect(await drive.summary()).toEqual(before);
      expect(before.accounts).toBeGreaterThan(0);
    });
  });
}
