import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from './database.types.js';

/**
 * This process as a holder of leases: host, process id and a random part (a restarted process
 * with the same pid is another holder). Nodes of a cluster share the store, so a lease taken in it
 * is seen by every node.
 */
export const processNodeId = `${hostname()}:${String(process.pid)}:${randomUUID().slice(0, 8)}`;

/** How long a lease lasts unless renewed; it is renewed at a third of that while the work runs. */
export const defaultLeaseMs = 60_000;

export const jobLeaseRepository = {
  /**
   * Takes the lease `name` for `holder` until `until`, when nobody holds it, it has expired, or
   * `holder` holds it already (a renewal). True when taken: one statement, so two nodes asking at
   * once cannot both get it.
   */
  async acquire(db: Kysely<DB>, name: string, holder: string, now: string, until: string): Promise<boolean> {
    const result = await db.insertInto('job_leases')
      .values({ name, holder, acquired_at: now, expires_at: until })
      .onConflict((oc) => oc.column('name').doUpdateSet({ holder, acquired_at: now, expires_at: until })
        .where((eb) => eb.or([eb('job_leases.expires_at', '<=', now), eb('job_leases.holder', '=', holder)])))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  },

  /** Gives the lease up, if `holder` still holds it. */
  async release(db: Kysely<DB>, name: string, holder: string): Promise<void> {
    await db.deleteFrom('job_leases').where('name', '=', name).where('holder', '=', holder).execute();
  },

  /** Who holds the lease now and until when, or undefined when nobody does. */
  async current(db: Kysely<DB>, name: string, now: string): Promise<{ readonly holder: string; readonly expiresAt: string } | undefined> {
    const row = await db.selectFrom('job_leases').select(['holder', 'expires_at']).where('name', '=', name).where('expires_at', '>', now).executeTakeFirst();
    return row === undefined ? undefined : { holder: row.holder, expiresAt: row.expires_at };
  },
};

/** What running on one node needs: the store every node shares, the clock, and who this node is. */
export interface OneNodeDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  /** Default: processNodeId. Tests give two services two ids to stand for two nodes. */
  readonly nodeId?: string;
  readonly leaseMs?: number;
}

/**
 * Runs `work` on this node only if no other node is running the job `name`: the lease is taken,
 * renewed while the work runs and given up after. Throws JOB_RUNNING_ELSEWHERE (409) when another
 * node holds it; a node that stopped without giving it up loses it when it expires.
 *
 * @example
 * const summary = await onOneNode({ db, clock }, 'quality-full-scan', () => scanEverything());
 */
export async function onOneNode<T>(deps: OneNodeDeps, name: string, work: () => Promise<T>): Promise<T> {
  const holder = deps.nodeId ?? processNodeId;
  const leaseMs = deps.leaseMs ?? defaultLeaseMs;
  const until = (): string => new Date(deps.clock.now().getTime() + leaseMs).toISOString();
  const now = deps.clock.now().toISOString();
  if (!(await jobLeaseRepository.acquire(deps.db, name, holder, now, until()))) {
    const current = await jobLeaseRepository.current(deps.db, name, now);
    throw new DomainError('conflict', 'JOB_RUNNING_ELSEWHERE', `${name} is running on another node${current === undefined ? '' : ` until ${current.expiresAt} at the latest`}`, 'Wait for it to finish; its progress is visible from every node');
  }
  const renew = setInterval(() => {
    void jobLeaseRepository.acquire(deps.db, name, holder, deps.clock.now().toISOString(), until()).catch(() => undefined);
  }, Math.max(10, Math.floor(leaseMs / 3)));
  renew.unref();
  try {
    return await work();
  } finally {
    clearInterval(renew);
    await jobLeaseRepository.release(deps.db, name, holder).catch(() => undefined);
  }
}
