import { generateKeyPairSync } from 'node:crypto';
import { openAccessLog } from '../src/audit/access-log.service.js';
import type { AccessLog } from '../src/audit/access-log.types.js';
import { citizenAccountRepository } from '../src/citizen/citizen-account.repository.js';
import type { WebhookPost } from '../src/events/webhook.deliverer.js';
import { personTiesResolver } from '../src/identity/person-ties.js';
import { RegistryService } from '../src/registry/registry.service.js';
import type { PersonRecord } from '../src/registry/person.types.js';
import type { Clock } from '../src/shared/clock.js';
import { createProcedures, type Procedures } from '../src/services/procedures.module.js';
import type { UnitOf } from '../src/services/procedure.service.js';
import type { Database } from '../src/store/database.js';

const ties = personTiesResolver();

/** The 2025 commune of a code (either era), as the app resolves jurisdiction. */
export const unitOf: UnitOf = (code) => ties.ties({ idNumber: '', permanentCommune: code, temporaryCommune: null, currentCommune: null, householdCommune: null }).communes[0];

/** Procedures over a store as `serve` assembles them, with the citizen module's account lock on death and short retries. */
export function procedureStack(database: Database, clock: Clock, options: { readonly post?: WebhookPost; readonly maxAttempts?: number; readonly backoffMs?: (n: number) => number; readonly onError?: (error: unknown) => void } = {}): Procedures & { readonly registry: RegistryService; readonly accessLog: AccessLog; close(): Promise<void> } {
  const accessLog = openAccessLog(database);
  // The citizen module's hook, reduced to the lock (citizen-account.service.ts onRegistryEvent).
  const registry = new RegistryService({
    db: database.db, clock,
    onEventRecorded: async (event, trx) => {
      if (event.type !== 'death') return;
      const row = await citizenAccountRepository.findByPerson(trx, event.personId);
      if (row !== undefined) await citizenAccountRepository.update(trx, row.account_id, { status: 'deceased', updated_at: event.recordedAt });
    },
  });
  const { privateKey } = generateKeyPairSync('ed25519');
  const procedures = createProcedures({
    db: database.db, clock, registry, accessLog, unitOf,
    accountStatusOf: async (personId) => (await citizenAccountRepository.findByPerson(database.db, personId))?.status,
    keyId: 'test-key', privateKey,
    delivery: { maxAttempts: options.maxAttempts ?? 1_000, backoffMs: options.backoffMs ?? (() => 20), timeoutMs: 2_000, leaseMs: 1_000, ...(options.post === undefined ? {} : { post: options.post }) },
    pollMs: 10,
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
  return { ...procedures, registry, accessLog, close: async () => { await procedures.runner.stop(); await accessLog.close(); } };
}

/** Living adults with a permanent commune the app resolves, in ID order: applicants for the tests. */
export async function applicants(database: Database, count: number, bornBefore = '1998-01-01', bornAfter = '1900'): Promise<readonly PersonRecord[]> {
  const rows = await database.db.selectFrom('persons').select('id_number').where('status', '=', 'alive').where('birth_date', '<', bornBefore).where('birth_date', '>', bornAfter)
    .where('permanent_commune', 'is not', null).orderBy('id_number').limit(count * 4).execute();
  const registry = new RegistryService({ db: database.db, clock: { now: () => new Date() } });
  const out: PersonRecord[] = [];
  for (const r of rows) {
    const p = await registry.getPerson(r.id_number);
    if (p.permanentCommune !== null && unitOf(p.permanentCommune) !== undefined) out.push(p);
    if (out.length >= count) break;
  }
  return out;
}
