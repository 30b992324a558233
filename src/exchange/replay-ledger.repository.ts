import { createHmac } from 'node:crypto';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { startWalCheckpointer, type WalCheckpointer } from '../store/wal-checkpointer.js';
import { DomainError } from '../shared/domain-error.js';
import { driverOf, survivingLostConnections } from '../store/database.js';
import type { DB } from '../store/database.types.js';
import { FingerprintSet, fingerprintOf } from './fingerprint.set.js';

/** What is claimed: a service call's request id, or a client assertion's jti. */
export type ClaimKind = 'request' | 'assertion';

/**
 * The exchange's durable replay memory, shared by every process on one store and kept across
 * restarts. `claim` resolves true for the first claim of (kind, client, id) among all of them
 * while it is remembered, false for every later one. Claims made in one event-loop turn are
 * written together: one transaction (SQLite) or one statement (PostgreSQL) a turn.
 */
export interface ReplayLedger {
  /** Claims the id until `expiresAtMs` (at most `horizonMs` ahead); false when it is claimed already. */
  claim(kind: ClaimKind, clientId: string, id: string, expiresAtMs: number): Promise<boolean>;
  /** How far ahead a claim may expire (the SQLite ledger keeps that long in memory). */
  readonly horizonMs: number;
  close(): Promise<void>;
}

export interface ReplayLedgerOptions {
  /** The exchange's shared secret (the token MAC secret): every node derives the same fingerprints. */
  readonly secret: Buffer;
  /** The clock, in ms. */
  readonly now: () => number;
  /** Longest a claim is kept; default 11 minutes (an assertion lives 10 minutes, plus skew). */
  readonly horizonMs?: number;
  /** SQLite only: the ledger's own file; default replay-ledger.db beside the registry's file. */
  readonly file?: string;
}

/** One claim waiting for its turn's write: its kind and fingerprint halves, and when it may be forgotten. */
export interface Pending {
  readonly kind: ClaimKind;
  readonly hi: number;
  readonly lo: number;
  readonly expiresAt: number;
  readonly resolve: (fresh: boolean) => void;
  readonly reject: (reason: unknown) => void;
}

const defaultHorizonMs = 660_000;
const pruneSlice = 5_000;

/** The fingerprint as PostgreSQL's and SQLite's signed 64-bit integer. */
function toInt64(hi: number, lo: number): bigint {
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

/**
 * Claims of one event-loop turn, handed to `write` together at the turn's end (setImmediate),
 * as src/store/turn-batch.ts does for reads.
 */
export abstract class TurnLedger implements ReplayLedger {
  readonly horizonMs: number;
  private pending: Pending[] = [];
  private scheduled = false;
  private readonly seed: number;
  protected closed = false;

  constructor(protected readonly options: ReplayLedgerOptions) {
    this.horizonMs = options.horizonMs ?? defaultHorizonMs;
    // A seed of the shared secret: the same fingerprints on every node, unknown outside the exchange.
    this.seed = createHmac('sha256', options.secret).update('sachsong replay ledger').digest().readUInt32BE(0);
  }

  claim(kind: ClaimKind, clientId: string, id: string, expiresAtMs: number): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('the replay ledger is closed'));
    const [hi, lo] = fingerprintOf(`${kind}\u0000${clientId}\u0000${id}`, this.seed);
    const expiresAt = Math.min(Math.ceil(expiresAtMs), this.options.now() + this.horizonMs);
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ kind, hi, lo, expiresAt, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  abstract close(): Promise<void>;

  /** Writes the turn's claims; resolves with whether each was fresh, in order. */
  protected abstract write(claims: readonly Pending[], now: number): Promise<readonly boolean[]> | readonly boolean[];

  private readonly flush = (): void => {
    const claims = this.pending;
    this.pending = [];
    this.scheduled = false;
    Promise.resolve()
      .then(() => this.write(claims, this.options.now()))
      .then(
        (fresh) => { claims.forEach((c, i) => { c.resolve(fresh[i] === true); }); },
        () => {
          // The driver's error may name the store: the caller gets a stable code instead.
          const refusal = new DomainError('unavailable', 'REPLAY_LEDGER_UNAVAILABLE', 'the replay memory could not record this call', 'Send the call again with a fresh X-Request-Id (or assertion with a fresh jti)');
          for (const c of claims) c.reject(refusal);
        },
      );
  };
}

/**
 * On SQLite: an append-only log of claims in a file of its own (WAL), so claims never take the
 * registry's write lock. Each turn, one write transaction reads the claims other processes
 * appended since this one last looked, refuses any claim already known, and appends the fresh
 * ones at the end of the log: the file's write lock orders all processes, and each commit
 * writes one or two pages, not one random B-tree page a claim. Every unexpired claim is also
 * held in memory (fingerprints in typed arrays, two generations of `horizonMs`): loaded from the
 * log at start, so a restart forgets nothing. Expired rows are deleted from the log's head, at most
 * 2,000 a transaction every 100 ms.
 */
export class SqliteReplayLedger extends TurnLedger {
  private readonly sqlite: SQLite.Database;
  private current = new FingerprintSet();
  private previous = new FingerprintSet();
  private generationStart: number;
  private lastSeq = 0;
  private lastPrune = 0;
  private readonly readNew: SQLite.Statement;
  private readonly append: SQLite.Statement;
  private readonly prune: SQLite.Statement;
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(file: string, options: ReplayLedgerOptions) {
    super(options);
    this.sqlite = new SQLite(file);
    this.sqlite.pragma('page_size = 4096');
    this.sqlite.pragma('journal_mode = WAL');
    // NORMAL under WAL: a commit survives a process crash; only a power loss may drop the last ones.
    this.sqlite.pragma('synchronous = NORMAL');
    // Another process's transaction here is a few rows long: a longer wait means it is stuck.
    this.sqlite.pragma('busy_timeout = 2000');
    this.sqlite.exec('CREATE TABLE IF NOT EXISTS replay_claims (seq INTEGER PRIMARY KEY, fp INTEGER NOT NULL, expires_at INTEGER NOT NULL)');
    // The fingerprint's halves as plain numbers: no BigInt a row when a restart loads millions.
    this.readNew = this.sqlite.prepare('SELECT seq, (fp >> 32) & 4294967295, fp & 4294967295, expires_at FROM replay_claims WHERE seq > ? ORDER BY seq').raw();
    this.append = this.sqlite.prepare('INSERT INTO replay_claims (fp, expires_at) VALUES (?, ?)');
    // The newest row is never pruned, so a seq is never given twice (SQLite takes max(seq) + 1) and
    // no process misses a row; that is AUTOINCREMENT's promise without its page written a commit.
    this.prune = this.sqlite.prepare('DELETE FROM replay_claims WHERE seq IN (SELECT seq FROM replay_claims ORDER BY seq LIMIT ?) AND expires_at <= ? AND seq < (SELECT max(seq) FROM replay_claims)');
    this.generationStart = options.now();
    // A restart (or a new process) starts from everything unexpired, in a set sized for it.
    const live = this.sqlite.prepare('SELECT count(*) FROM replay_claims WHERE expires_at > ?').pluck().get(this.generationStart) as number;
    this.current = new FingerprintSet(live * 2);
    this.catchUp(this.generationStart);
    // The WAL folded back on a thread of its own, as for the access log: a commit crossing SQLite's
    // threshold would otherwise copy and sync it on the event loop. Losing it costs only that.
    if (file !== ':memory:') {
      this.checkpointer = startWalCheckpointer(file, 200);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // Claims of the current turn are written first: let that flush run.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Held open until it has closed its connection (unreferenced, it would not keep the process up to finish).
    await this.checkpointer?.stop();
    if (this.sqlite.open) this.sqlite.close();
  }

  protected write(claims: readonly Pending[], now: number): readonly boolean[] {
    this.rotate(now);
    const fresh: boolean[] = [];
    const added: Pending[] = [];
    const batch = new FingerprintSet(claims.length * 2);
    let seq: number;
    this.sqlite.exec('BEGIN IMMEDIATE');
    try {
      this.catchUp(now);
      seq = this.lastSeq;
      for (const c of claims) {
        const isNew = !this.current.has(c.hi, c.lo) && !this.previous.has(c.hi, c.lo) && batch.add(c.hi, c.lo);
        fresh.push(isNew);
        if (!isNew) continue;
        seq = Number(this.append.run(toInt64(c.hi, c.lo), c.expiresAt).lastInsertRowid);
        added.push(c);
      }
      // Expired rows off the log's head: 2,000 at most every 100 ms (20,000 a second), a short step each.
      if (now - this.lastPrune >= 100) {
        this.prune.run(2_000, now);
        this.lastPrune = now;
      }
      this.sqlite.exec('COMMIT');
    } catch (error) {
      if (this.sqlite.inTransaction) this.sqlite.exec('ROLLBACK');
      throw error;
    }
    // Remembered only once committed: a failed write leaves the ids free to be sent again.
    this.lastSeq = seq;
    for (const c of added) this.current.add(c.hi, c.lo);
    return fresh;
  }

  /** Reads the claims appended since the last look (by any process) into memory. */
  private catchUp(now: number): void {
    for (const row of this.readNew.iterate(this.lastSeq) as IterableIterator<[number, number, number, number]>) {
      const [seq, hi, lo, expiresAt] = row;
      this.lastSeq = seq;
      if (expiresAt > now) this.current.add(hi, lo);
    }
  }

  /** Two generations of `horizonMs`: a claim stays in memory for the horizon at least. */
  private rotate(now: number): void {
    if (now - this.generationStart < this.horizonMs) return;
    this.previous = now - this.generationStart >= 2 * this.horizonMs ? new FingerprintSet() : this.current;
    this.current = new FingerprintSet();
    this.generationStart = now;
  }
}

/**
 * On PostgreSQL: one `INSERT … ON CONFLICT` a turn into exchange_replay_claims (migration 0009),
 * keyed by the fingerprint: the unique key decides, across every node, which claim came first;
 * an expired row is taken over by the new claim. Expired rows are deleted by expiry in slices of
 * 5,000, at most one pass a second a process.
 */
export class PostgresReplayLedger extends TurnLedger {
  private lastPrune = 0;
  private pruning: Promise<void> | undefined;

  /** Connections of the ledger's own that commit without waiting for the WAL flush (request ids). */
  private readonly asyncPool: pg.Pool;

  constructor(private readonly pool: pg.Pool, options: ReplayLedgerOptions) {
    super(options);
    // Same server and credentials as the store's pool; two connections: one statement a turn.
    this.asyncPool = survivingLostConnections(new pg.Pool({ ...pool.options, max: 2, options: '-c synchronous_commit=off' }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.pruning;
    await this.asyncPool.end();
  }

  protected async write(claims: readonly Pending[], now: number): Promise<readonly boolean[]> {
    // One row a fingerprint in the statement (ON CONFLICT cannot touch a row twice): a repeat in the turn is a replay.
    const first = new Map<string, number>();
    const fps: string[] = [];
    const expiries: number[] = [];
    const keys = claims.map((c, i) => {
      const key = toInt64(c.hi, c.lo).toString();
      if (!first.has(key)) {
        first.set(key, i);
        fps.push(key);
        expiries.push(c.expiresAt);
      }
      return key;
    });
    const upsert = `insert into exchange_replay_claims as c (fp, expires_at)
             select * from unnest($1::bigint[], $2::bigint[])
             on conflict (fp) do update set expires_at = excluded.expires_at where c.expires_at <= $3
             returning fp::text as fp`;
    // Request ids commit without waiting for the WAL flush: the call's access record, committed
    // after this claim and waited for, flushes the WAL past it, so every answered call's claim is
    // durable; one that got no answer may lose its claim in a server crash, harmlessly. An
    // assertion's claim is all a token rests on: it waits for the flush.
    const pool = claims.some((c) => c.kind === 'assertion') ? this.pool : this.asyncPool;
    const rows = (await pool.query<{ fp: string }>({ name: 'sachsong_replay_claim', text: upsert, values: [fps, expiries, now] })).rows;
    const won = new Set(rows.map((r) => r.fp));
    if (now - this.lastPrune >= 1_000 && this.pruning === undefined) {
      this.lastPrune = now;
      this.pruning = this.pruneExpired(now).finally(() => { this.pruning = undefined; });
    }
    return keys.map((key, i) => first.get(key) === i && won.has(key));
  }

  private async pruneExpired(now: number): Promise<void> {
    try {
      // Slices of 5,000, until fewer are left: each a short transaction.
      for (let deleted = pruneSlice; deleted === pruneSlice && !this.closed; ) {
        deleted = (await this.pool.query({
          name: 'sachsong_replay_prune',
          text: 'delete from exchange_replay_claims where fp in (select fp from exchange_replay_claims where expires_at <= $1 order by expires_at limit 5000)',
          values: [now],
        })).rowCount ?? 0;
      }
    } catch {
      // Pruning is housekeeping: expired rows never refuse a claim, and the next prune takes them.
    }
  }
}

/**
 * The ledger for the store behind `db`: PostgreSQL's table, or a SQLite file of its own beside
 * the registry's (an in-memory one for an in-memory store). Opened on first claim.
 *
 * @example
 * const ledger = openReplayLedger(db, { secret: keys.tokenMacSecret, now: () => Date.now() });
 * if (!(await ledger.claim('request', clientId, requestId, Date.now() + 300_000))) throw replayed();
 */
export function openReplayLedger(db: Kysely<DB>, options: ReplayLedgerOptions): ReplayLedger {
  const driver = driverOf(db);
  if (driver?.pool !== undefined) return new PostgresReplayLedger(driver.pool, options);
  const registryFile = driver?.sqlite?.name ?? ':memory:';
  const file = options.file ?? (registryFile === ':memory:' || registryFile === '' ? ':memory:' : path.join(path.dirname(registryFile), 'replay-ledger.db'));
  return lazyLedger(() => new SqliteReplayLedger(file, options), options.horizonMs ?? defaultHorizonMs);
}

/** Opens the ledger on first use: commands that never serve calls (grant add, onboard) never touch its file. */
function lazyLedger(open: () => ReplayLedger, horizonMs: number): ReplayLedger {
  let ledger: ReplayLedger | undefined;
  return {
    horizonMs,
    claim: (kind, clientId, id, expiresAtMs) => {
      try {
        ledger ??= open();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return ledger.claim(kind, clientId, id, expiresAtMs);
    },
    close: () => ledger?.close() ?? Promise.resolve(),
  };
}
