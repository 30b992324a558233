import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildApp } from '../src/http/app.js';
import type { IdentityModule } from '../src/identity/identity.module.js';
import { generatePopulation } from '../src/registry/population.generator.js';
import { fixedClock } from '../src/shared/clock.js';
import { loadPopulation } from '../src/store/bulk-writer.js';
import type { Database } from '../src/store/database.js';
import type { DB } from '../src/store/database.types.js';
import { createTestDatabase } from './test-database.js';

export interface TestServer {
  readonly url: string;
  readonly token: string;
  readonly samplePerson: { readonly idNumber: string; readonly fullName: string; readonly birthDate: string };
  readonly app: FastifyInstance;
  /** The server's store, for a test to set up what no API makes (an alert, a finding). */
  readonly database: Database;
  close(): Promise<void>;
}

/**
 * The whole server (API and built console) on a fresh SQLite store holding a small generated
 * population, listening on a free loopback port. For browser and end-to-end tests.
 */
export async function startTestServer(options: {
  readonly people?: number;
  readonly seed?: number;
  /** The identity module over the server's store (browser tests sign officers in: test/browser-sign-in.ts). */
  readonly identity?: (db: Kysely<DB>) => IdentityModule;
} = {}): Promise<TestServer> {
  const database = await createTestDatabase('sqlite');
  await loadPopulation(database, generatePopulation({ people: options.people ?? 2_000, seed: options.seed ?? 42, today: '2026-01-01' }));
  // a living adult with a full date of birth and a household: what an officer would look up
  const sample = await database.db
    .selectFrom('persons')
    .select(['id_number', 'full_name', 'birth_date'])
    .where('status', '=', 'alive')
    .where('household_id', 'is not', null)
    .where('birth_date', 'like', '19__-__-__')
    .orderBy('id_number')
    .executeTakeFirstOrThrow();
  const token = 'browser-test-token-0123456789abcdef';
  const app = await buildApp({ database, clock: fixedClock('2026-01-02T00:00:00Z'), operatorToken: token, logger: false, ...(options.identity === undefined ? {} : { identity: options.identity(database.db) }) });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    token,
    samplePerson: { idNumber: sample.id_number, fullName: sample.full_name, birthDate: sample.birth_date },
    app,
    database,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
