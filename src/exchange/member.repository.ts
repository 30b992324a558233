import type { Selectable } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import type { ExchangeClientsTable, ExchangeMembersTable, ExchangeOfficersTable } from './exchange.tables.js';
import type { ActiveStatus, Client, Jwks, Member, MemberKind, Officer } from './exchange.types.js';

const toMember = (r: Selectable<ExchangeMembersTable>): Member => ({
  memberId: r.member_id,
  name: r.name,
  kind: r.kind as MemberKind,
  status: r.status,
  createdAt: r.created_at,
});

const toClient = (r: Selectable<ExchangeClientsTable>): Client => ({
  clientId: r.client_id,
  memberId: r.member_id,
  name: r.name,
  jwks: JSON.parse(r.jwks) as Jwks,
  status: r.status,
  createdAt: r.created_at,
});

const toOfficer = (r: Selectable<ExchangeOfficersTable>): Officer => ({
  memberId: r.member_id,
  officerId: r.officer_id,
  name: r.name,
  status: r.status,
});

/** Members, their clients (subsystems) and officers. */
export const memberRepository = {
  async insertMember(db: Executor, m: Member): Promise<void> {
    await db.insertInto('exchange_members').values({ member_id: m.memberId, name: m.name, kind: m.kind, status: m.status, created_at: m.createdAt, updated_at: m.createdAt }).execute();
  },

  async findMember(db: Executor, memberId: string): Promise<Member | undefined> {
    const row = await db.selectFrom('exchange_members').selectAll().where('member_id', '=', memberId).executeTakeFirst();
    return row === undefined ? undefined : toMember(row);
  },

  async listMembers(db: Executor): Promise<readonly Member[]> {
    return (await db.selectFrom('exchange_members').selectAll().orderBy('member_id').execute()).map(toMember);
  },

  async setMemberStatus(db: Executor, memberId: string, status: ActiveStatus, at: string): Promise<boolean> {
    const r = await db.updateTable('exchange_members').set({ status, updated_at: at }).where('member_id', '=', memberId).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  async insertClient(db: Executor, c: Client): Promise<void> {
    await db
      .insertInto('exchange_clients')
      .values({ client_id: c.clientId, member_id: c.memberId, name: c.name, jwks: JSON.stringify(c.jwks), status: c.status, created_at: c.createdAt, updated_at: c.createdAt })
      .execute();
  },

  async findClient(db: Executor, clientId: string): Promise<Client | undefined> {
    const row = await db.selectFrom('exchange_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row === undefined ? undefined : toClient(row);
  },

  async listClients(db: Executor, memberId?: string): Promise<readonly Client[]> {
    let q = db.selectFrom('exchange_clients').selectAll();
    if (memberId !== undefined) q = q.where('member_id', '=', memberId);
    return (await q.orderBy('client_id').execute()).map(toClient);
  },

  async setClientKeys(db: Executor, clientId: string, jwks: Jwks, at: string): Promise<boolean> {
    const r = await db.updateTable('exchange_clients').set({ jwks: JSON.stringify(jwks), updated_at: at }).where('client_id', '=', clientId).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  async setClientStatus(db: Executor, clientId: string, status: ActiveStatus, at: string): Promise<boolean> {
    const r = await db.updateTable('exchange_clients').set({ status, updated_at: at }).where('client_id', '=', clientId).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  async upsertOfficer(db: Executor, o: Officer, at: string): Promise<void> {
    await db
      .insertInto('exchange_officers')
      .values({ member_id: o.memberId, officer_id: o.officerId, name: o.name, status: o.status, created_at: at })
      .onConflict((oc) => oc.columns(['member_id', 'officer_id']).doUpdateSet({ name: o.name, status: o.status }))
      .execute();
  },

  async setOfficerStatus(db: Executor, memberId: string, officerId: string, status: ActiveStatus): Promise<boolean> {
    const r = await db.updateTable('exchange_officers').set({ status }).where('member_id', '=', memberId).where('officer_id', '=', officerId).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  /** Names of agency officers among `officerIds`, each with its member (one id may exist at several members). */
  async officerNames(db: Executor, officerIds: readonly string[]): Promise<readonly { readonly memberId: string; readonly officerId: string; readonly name: string }[]> {
    if (officerIds.length === 0) return [];
    const rows = await db.selectFrom('exchange_officers').select(['member_id', 'officer_id', 'name']).where('officer_id', 'in', [...officerIds]).execute();
    return rows.map((r) => ({ memberId: r.member_id, officerId: r.officer_id, name: r.name }));
  },

  async officersOf(db: Executor, memberId: string): Promise<readonly Officer[]> {
    return (await db.selectFrom('exchange_officers').selectAll().where('member_id', '=', memberId).orderBy('officer_id').execute()).map(toOfficer);
  },
};
