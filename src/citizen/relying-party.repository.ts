import type { CitizenExecutor } from './citizen-account.repository.js';
import type { CitizenRelyingPartiesTable } from './citizen.tables.js';

export interface RelyingParty {
  readonly clientId: string;
  readonly displayName: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly allowedClaims: readonly string[];
  readonly backchannelLogoutUri: string | null;
  readonly status: 'active' | 'suspended';
  readonly createdAt: string;
  readonly updatedAt: string;
}

function toRelyingParty(row: CitizenRelyingPartiesTable): RelyingParty {
  return {
    clientId: row.client_id,
    displayName: row.display_name,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris) as string[],
    allowedClaims: JSON.parse(row.allowed_claims) as string[],
    backchannelLogoutUri: row.backchannel_logout_uri,
    status: row.status === 'suspended' ? 'suspended' : 'active',
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export const relyingPartyRepository = {
  async find(db: CitizenExecutor, clientId: string): Promise<RelyingParty | undefined> {
    const row = await db.selectFrom('citizen_relying_parties').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row === undefined ? undefined : toRelyingParty(row);
  },
  async list(db: CitizenExecutor): Promise<readonly RelyingParty[]> {
    return (await db.selectFrom('citizen_relying_parties').selectAll().orderBy('client_id').execute()).map(toRelyingParty);
  },
  async insert(db: CitizenExecutor, rp: RelyingParty): Promise<void> {
    await db.insertInto('citizen_relying_parties').values({
      client_id: rp.clientId, display_name: rp.displayName, redirect_uris: JSON.stringify(rp.redirectUris), post_logout_redirect_uris: JSON.stringify(rp.postLogoutRedirectUris),
      allowed_claims: JSON.stringify(rp.allowedClaims), backchannel_logout_uri: rp.backchannelLogoutUri, status: rp.status, created_at: rp.createdAt, updated_at: rp.updatedAt,
    }).execute();
  },
  async setStatus(db: CitizenExecutor, clientId: string, status: 'active' | 'suspended', at: string): Promise<boolean> {
    const r = await db.updateTable('citizen_relying_parties').set({ status, updated_at: at }).where('client_id', '=', clientId).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};
