import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { ExchangeGrantsTable } from './exchange.tables.js';
import type { Grant, Purpose } from './exchange.types.js';

const toGrant = (r: Selectable<ExchangeGrantsTable>): Grant => ({
  grantId: r.grant_id,
  clientId: r.client_id,
  service: r.service,
  fields: JSON.parse(r.fields) as string[],
  purposes: JSON.parse(r.purposes) as Purpose[],
  provinces: JSON.parse(r.provinces) as string[],
  deferTrackerDays: r.defer_days,
  legalBasis: r.legal_basis,
  requiresConsent: r.requires_consent === 1,
  validFrom: r.valid_from,
  validUntil: r.valid_until,
  ratePerMinute: r.rate_per_minute,
  dailyCap: r.daily_cap,
  status: r.status,
  createdAt: r.created_at,
});

/** Grants: what each client may call. */
export const grantRepository = {
  async insert(db: Executor, g: Grant): Promise<void> {
    await db
      .insertInto('exchange_grants')
      .values({
        grant_id: g.grantId,
        client_id: g.clientId,
        service: g.service,
        fields: JSON.stringify(g.fields),
        purposes: JSON.stringify(g.purposes),
        provinces: JSON.stringify(g.provinces),
        legal_basis: g.legalBasis,
        defer_days: g.deferTrackerDays,
        requires_consent: g.requiresConsent ? 1 : 0,
        valid_from: g.validFrom,
        valid_until: g.validUntil,
        rate_per_minute: g.ratePerMinute,
        daily_cap: g.dailyCap,
        status: g.status,
        created_at: g.createdAt,
        updated_at: g.createdAt,
      })
      .execute();
  },

  async find(db: Executor, grantId: string): Promise<Grant | undefined> {
    const row = await db.selectFrom('exchange_grants').selectAll().where('grant_id', '=', grantId).executeTakeFirst();
    return row === undefined ? undefined : toGrant(row);
  },

  /** The client's active grants, every service. */
  async activeFor(db: Executor, clientId: string): Promise<readonly Grant[]> {
    const rows = await db.selectFrom('exchange_grants').selectAll().where('client_id', '=', clientId).where('status', '=', 'active').orderBy('created_at').execute();
    return rows.map(toGrant);
  },

  async list(db: Executor, clientId?: string): Promise<readonly Grant[]> {
    let q = db.selectFrom('exchange_grants').selectAll();
    if (clientId !== undefined) q = q.where('client_id', '=', clientId);
    return (await q.orderBy('client_id').orderBy('service').orderBy('created_at').execute()).map(toGrant);
  },

  async revoke(db: Executor, grantId: string, at: string): Promise<boolean> {
    const r = await db.updateTable('exchange_grants').set({ status: 'revoked', updated_at: at }).where('grant_id', '=', grantId).where('status', '=', 'active').executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },
};
