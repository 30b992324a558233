import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';

/** Kinds whose rows are looked up by grant when a grant is revoked. */
const grantBound = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export interface OidcStoreAdapter {
  readonly factory: AdapterFactory;
  /** Deletes rows past their expiry; returns how many (any node may run it now and then). */
  prune(): Promise<number>;
  /** The live sessions of one account at the provider, with the relying parties signed in through each. */
  sessionsOf(accountId: string): Promise<readonly { readonly id: string; readonly authorizations: Readonly<Record<string, { readonly sid?: string; readonly grantId?: string }>> }[]>;
}

function parse(row: { readonly payload: string; readonly consumed_at: string | null } | undefined): AdapterPayload | undefined {
  if (row === undefined) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  // oidc-provider reads `consumed` as a truthy epoch-seconds stamp (a reused code is refused).
  return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(Date.parse(row.consumed_at) / 1000) };
}

/**
 * oidc-provider's adapter over the store (SQLite or PostgreSQL through Kysely), instead of its
 * memory adapter, so that every node sees the same sessions, interactions, codes and grants.
 * Expiry is checked on read (an expired row is absent) and rows are pruned by `prune()`.
 * Instants follow the provider's own clock (epoch seconds from Date.now), not the app's.
 *
 * @example
 * const adapter = oidcStoreAdapter(db);
 * new Provider(issuer, { adapter: adapter.factory, ... });
 */
export function oidcStoreAdapter(db: Kysely<DB>, now: () => number = Date.now): OidcStoreAdapter {
  const nowIso = (): string => new Date(now()).toISOString();
  const live = (kind: string) => db.selectFrom('oidc_payloads').select(['payload', 'consumed_at']).where('kind', '=', kind)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso())]));

  const factory: AdapterFactory = (kind: string): Adapter => ({
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const row = {
        kind,
        id,
        payload: JSON.stringify(payload),
        expires_at: expiresIn === undefined ? null : new Date(now() + expiresIn * 1000).toISOString(),
        grant_id: grantBound.has(kind) || kind === 'Grant' ? payload.grantId ?? null : null,
        uid: kind === 'Session' ? payload.uid ?? null : null,
        user_code: payload.userCode ?? null,
        consumed_at: null,
      };
      await db.insertInto('oidc_payloads').values(row)
        .onConflict((oc) => oc.columns(['kind', 'id']).doUpdateSet({ payload: row.payload, expires_at: row.expires_at, grant_id: row.grant_id, uid: row.uid, user_code: row.user_code }))
        .execute();
    },
    async find(id: string): Promise<AdapterPayload | undefined> {
      return parse(await live(kind).where('id', '=', id).executeTakeFirst());
    },
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return parse(await live(kind).where('uid', '=', uid).executeTakeFirst());
    },
    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return parse(await live(kind).where('user_code', '=', userCode).executeTakeFirst());
    },
    async consume(id: string): Promise<void> {
      await db.updateTable('oidc_payloads').set({ consumed_at: nowIso() }).where('kind', '=', kind).where('id', '=', id).where('consumed_at', 'is', null).execute();
    },
    async destroy(id: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('kind', '=', kind).where('id', '=', id).execute();
    },
    async revokeByGrantId(grantId: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
    },
  });

  return {
    factory,
    async sessionsOf(accountId: string) {
      // The account id is matched inside the payload (as the portal's list of grants): a scan of the sessions, for an account's rare lock.
      if (!/^[A-Za-z0-9_.-]{1,100}$/.test(accountId)) return [];
      const rows = await db.selectFrom('oidc_payloads').select(['id', 'payload']).where('kind', '=', 'Session')
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso())]))
        .where('payload', 'like', `%"accountId":"${accountId}"%`).execute();
      return rows.flatMap((r) => {
        const payload = JSON.parse(r.payload) as { accountId?: unknown; authorizations?: Record<string, { sid?: string; grantId?: string }> };
        return payload.accountId === accountId ? [{ id: r.id, authorizations: payload.authorizations ?? {} }] : [];
      });
    },
    async prune(): Promise<number> {
      const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<=', nowIso()).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
