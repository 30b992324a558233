import type { Kysely } from 'kysely';
import type { Permission } from '../src/identity/authorization.policy.js';
import { createIdentityModule } from '../src/identity/identity.module.js';
import { systemClock } from '../src/shared/clock.js';
import type { DB } from '../src/store/database.types.js';

/**
 * A national service account key for a bench that calls /api (the operator token opens only the
 * bootstrap route): created in the store before the server starts, so that the server knows it.
 */
export async function benchServiceKey(db: Kysely<DB>, scopes: readonly Permission[]): Promise<string> {
  const identity = createIdentityModule({ db, clock: systemClock });
  const setup = { kind: 'officer', id: 'bench-setup', role: 'system_admin', unit: { level: 'nation' }, active: true } as const;
  const { apiKey } = await identity.serviceAccounts.create(setup, { name: 'bench', scopes, unit: { level: 'nation' }, validDays: 1 });
  return apiKey;
}
