import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { Permission } from './authorization.policy.js';
import type { IdentityServiceAccountsTable } from './identity.tables.js';
import type { ServiceAccount, ServiceAccountStatus } from './identity.types.js';
import { unitColumns, unitFromColumns } from './officer.repository.js';

const toAccount = (r: Selectable<IdentityServiceAccountsTable>): ServiceAccount => ({
  accountId: r.account_id,
  name: r.name,
  scopes: JSON.parse(r.scopes) as Permission[],
  unit: unitFromColumns(r.unit_level, r.unit_code, r.unit_province),
  keyId: r.key_id,
  expiresAt: r.expires_at,
  status: r.status as ServiceAccountStatus,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/** Service accounts for scripts; keys stored only as hashes. */
export const serviceAccountRepository = {
  async insert(db: Executor, a: ServiceAccount, keyHash: string): Promise<void> {
    await db
      .insertInto('identity_service_accounts')
      .values({
        account_id: a.accountId, name: a.name, scopes: JSON.stringify(a.scopes), ...unitColumns(a.unit), key_id: a.keyId, key_hash: keyHash,
        expires_at: a.expiresAt, status: a.status, revoked_at: null, last_used_at: null, created_by: a.createdBy, created_at: a.createdAt, updated_at: a.createdAt,
      })
      .execute();
  },

  async findById(db: Executor, accountId: string): Promise<ServiceAccount | undefined> {
    const row = await db.selectFrom('identity_service_accounts').selectAll().where('account_id', '=', accountId).executeTakeFirst();
    return row === undefined ? undefined : toAccount(row);
  },

  async findByKeyId(db: Executor, keyId: string): Promise<{ readonly account: ServiceAccount; readonly keyHash: string } | undefined> {
    const row = await db.selectFrom('identity_service_accounts').selectAll().where('key_id', '=', keyId).executeTakeFirst();
    return row === undefined ? undefined : { account: toAccount(row), keyHash: row.key_hash };
  },

  async list(db: Executor): Promise<readonly ServiceAccount[]> {
    return (await db.selectFrom('identity_service_accounts').selectAll().orderBy('name').execute()).map(toAccount);
  },

  async revoke(db: Executor, accountId: string, at: string): Promise<boolean> {
    const r = await db.updateTable('identity_service_accounts').set({ status: 'revoked', revoked_at: at, updated_at: at }).where('account_id', '=', accountId).where('status', '=', 'active').executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  async touch(db: Executor, accountId: string, at: string): Promise<void> {
    await db.updateTable('identity_service_accounts').set({ last_used_at: at }).where('account_id', '=', accountId).execute();
  },
};
