import { Kysely, PostgresDialect, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { survivingLostConnections, type Database } from './database.js';
import type { DB } from './database.types.js';
import { storeUnavailable } from './store-unavailable.js';

/**
 * The handle for reads that may lag the primary a moment (search, statistics, dashboards, quality
 * scorecards): a PostgreSQL streaming replica's, falling back to the primary while the replica
 * cannot be reached. Never for the access log's sequencing, nor for a read that must see the
 * caller's own write just made (docs/cluster.md).
 */
export interface ReadReplica {
  /** Read-only: every statement runs on the replica, or on the primary when the replica is down. */
  readonly db: Kysely<DB>;
  /** Reads answered so far by the replica and by the primary in its place. */
  readonly served: { readonly replica: number; readonly primary: number };
  close(): Promise<void>;
}

/** The application name the replica's connections carry (pg_stat_activity on the replica shows them). */
export const replicaApplicationName = 'sachsong-reads';

/** After the replica refused a connection, the primary takes the reads this long before the replica is tried again. */
const replicaRetryMs = 2_000;

/**
 * A pool for Kysely that runs each statement on a replica connection, and on a primary connection
 * when the replica cannot be reached or its connection was lost mid-statement (a read repeated
 * on the primary is safe: the handle runs no transactions). A connection is taken for one
 * statement at a time, so no session state is kept between them.
 */
class ReplicaFirstPool implements PostgresPool {
  private replicaDownUntil = 0;
  readonly served = { replica: 0, primary: 0 };

  constructor(private readonly replica: pg.Pool, private readonly primary: pg.Pool, private readonly now: () => number) {}

  connect(): Promise<PostgresPoolClient> {
    const run = async <R>(text: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> => {
      if (this.now() >= this.replicaDownUntil) {
        try {
          const result = await this.replica.query(text, [...parameters]);
          this.served.replica += 1;
          return result as unknown as PostgresQueryResult<R>;
        } catch (error) {
          // Refused, lost, or starting up (57P03): the primary answers; any other error is the read's own.
          if (!storeUnavailable(error)) throw error;
          this.replicaDownUntil = this.now() + replicaRetryMs;
        }
      }
      const result = await this.primary.query(text, [...parameters]);
      this.served.primary += 1;
      return result as unknown as PostgresQueryResult<R>;
    };
    function query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    function query<R>(sqlOrCursor: string | PostgresCursor<R>, parameters?: readonly unknown[]): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
      if (typeof sqlOrCursor !== 'string') throw new Error('the read replica handle does not stream');
      return run<R>(sqlOrCursor, parameters ?? []);
    }
    return Promise.resolve({ query, release: () => undefined });
  }

  async end(): Promise<void> {
    await this.replica.end();
  }
}

/**
 * Opens the read handle over `url` (a replica of the primary behind `primary`). The primary's
 * pool is shared, not owned: closing the handle ends the replica's connections only.
 *
 * @example
 * const reads = openReadReplica(database, 'postgres://postgres@127.0.0.1:5434/sachsong');
 * await reads.db.selectFrom('persons').select('id_number').limit(1).execute();
 */
export function openReadReplica(primary: Database, url: string, options: { readonly poolSize?: number; readonly now?: () => number } = {}): ReadReplica {
  if (primary.pool === undefined) throw new Error('a read replica needs a PostgreSQL primary');
  // A connection the replica ends (it stopped, or was promoted and restarted) is dropped and replaced.
  const replica = survivingLostConnections(new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, application_name: replicaApplicationName, connectionTimeoutMillis: 2_000 }));
  const pool = new ReplicaFirstPool(replica, primary.pool, options.now ?? Date.now);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return { db, served: pool.served, close: () => db.destroy() };
}
