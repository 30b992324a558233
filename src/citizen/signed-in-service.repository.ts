import type { CitizenExecutor } from './citizen-account.repository.js';

/** A relying party the citizen signed in to: the provider's grant (what they consented to). */
export interface SignedInService {
  readonly clientId: string;
  /** The provider's grants for this service (one per browser session that consented). */
  readonly grantIds: readonly string[];
  readonly scopes: readonly string[];
  /** The latest consent. */
  readonly grantedAt: string | null;
}

/**
 * The provider's grants of one account, read from its store (oidc_payloads, kind Grant). The
 * account id is matched inside the payload: a scan of the grants, fine for a portal page now and
 * then; an account column on the payload table would index it.
 */
export const signedInServiceRepository = {
  async ofAccount(db: CitizenExecutor, accountId: string): Promise<readonly SignedInService[]> {
    if (!/^cit_[0-9a-f]{32}$/.test(accountId)) return [];
    const rows = await db.selectFrom('oidc_payloads').select(['id', 'payload']).where('kind', '=', 'Grant')
      .where('payload', 'like', `%"accountId":"${accountId}"%`).execute();
    const byClient = new Map<string, { grantIds: string[]; scopes: Set<string>; grantedAt: string | null }>();
    for (const row of rows) {
      const payload = JSON.parse(row.payload) as { accountId?: string; clientId?: string; iat?: number; openid?: { scope?: string } };
      if (payload.accountId !== accountId || typeof payload.clientId !== 'string') continue;
      const entry = byClient.get(payload.clientId) ?? { grantIds: [], scopes: new Set<string>(), grantedAt: null };
      entry.grantIds.push(row.id);
      for (const scope of (payload.openid?.scope ?? '').split(' ')) if (scope !== '') entry.scopes.add(scope);
      const at = typeof payload.iat === 'number' ? new Date(payload.iat * 1000).toISOString() : null;
      if (at !== null && (entry.grantedAt === null || at > entry.grantedAt)) entry.grantedAt = at;
      byClient.set(payload.clientId, entry);
    }
    return [...byClient].map(([clientId, e]) => ({ clientId, grantIds: e.grantIds, scopes: [...e.scopes], grantedAt: e.grantedAt })).sort((a, b) => a.clientId.localeCompare(b.clientId));
  },
  /** Ends the account's grants to a service and everything issued under them (codes, tokens): it must ask again. */
  async revoke(db: CitizenExecutor, accountId: string, clientId: string): Promise<boolean> {
    const service = (await signedInServiceRepository.ofAccount(db, accountId)).find((g) => g.clientId === clientId);
    if (service === undefined) return false;
    for (const grantId of service.grantIds) {
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
      await db.deleteFrom('oidc_payloads').where('kind', '=', 'Grant').where('id', '=', grantId).execute();
    }
    return true;
  },
};
