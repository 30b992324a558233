import { randomInt } from 'node:crypto';
import { DomainError } from '../shared/domain-error.js';
import { FingerprintSet, fingerprintOf } from './fingerprint.set.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Sets per generation: growing one rehashes a small table, never one of millions of ids inside a request. */
const shardCount = 256;
const newGeneration = (): FingerprintSet[] => Array.from({ length: shardCount }, () => new FingerprintSet());

/**
 * Refuses a request id a client has already used. Ids are remembered in two generations of
 * `windowMs` each, so an id is refused for at least `windowMs` (and longer when calls are sparse:
 * a generation ends at the first call after its window).
 *
 * Each (client, id) is kept as a 64-bit fingerprint in typed arrays (fingerprint.set.ts): 16 to
 * 32 bytes an id, none of them an object. 10,000 ids a second for 5 minutes is 3 million a
 * generation, about 70 MB, so about 130 MB for the two, which the garbage collector never walks.
 * (As strings in sets, 3 million took ~250 MB of heap, marked at every major collection.) A fresh
 * id is refused only if its fingerprint meets one of the 6 million remembered: odds of about
 * 2^-41 a request. A replay is never let through. The access log keeps every id for good, for
 * audits after the window.
 *
 * This is the fast first refusal, per process: the exchange also claims each id in the store's
 * replay ledger (replay-ledger.repository.ts), which is authoritative across restarts and nodes.
 */
export class RequestReplayGuard {
  private current = newGeneration();
  private previous = newGeneration();
  private generationStart: number;
  /** This process's own seed: no one can prepare ids whose fingerprints meet another client's. */
  private readonly seed = randomInt(2 ** 32);

  constructor(private readonly windowMs: number, now: number) {
    this.generationStart = now;
  }

  /** Checks the id's form and that this client has not used it within the window; records it. */
  claim(clientId: string, requestId: string | undefined, now: number): string {
    if (requestId === undefined || !uuidPattern.test(requestId)) {
      throw new DomainError('invalid', 'REQUEST_ID_INVALID', 'X-Request-Id must be a UUID', 'Send a fresh UUID (v4 or v7) in X-Request-Id with every call');
    }
    if (now - this.generationStart >= this.windowMs) {
      this.previous = now - this.generationStart >= 2 * this.windowMs ? newGeneration() : this.current;
      this.current = newGeneration();
      this.generationStart = now;
    }
    const [hi, lo] = fingerprintOf(`${clientId} ${requestId.toLowerCase()}`, this.seed);
    const shard = hi >>> 24;
    const current = this.current[shard];
    const previous = this.previous[shard];
    if (current === undefined || previous === undefined) throw new Error('request id shard out of range');
    if (previous.has(hi, lo) || !current.add(hi, lo)) throw requestReplayed();
    return requestId;
  }
}

/** The refusal of a request id used before (by this process's guard or, durably, by any process). */
export function requestReplayed(): DomainError {
  return new DomainError('conflict', 'REQUEST_REPLAYED', 'this request id was already used', 'Send a fresh UUID in X-Request-Id for every call; never resend a request as is');
}
