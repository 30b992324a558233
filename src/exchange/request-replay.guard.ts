import { DomainError } from '../shared/domain-error.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** Sets per generation: a set of millions of ids would stall the event loop each time it grows (rehash). */
const shardCount = 256;
const newGeneration = (): Set<string>[] => Array.from({ length: shardCount }, () => new Set<string>());

/**
 * Refuses a request id a client has already used. Ids are remembered in two generations of
 * `windowMs` each, so an id is refused for at least `windowMs` and at most twice that, in memory
 * bounded by the request rate (10,000 a second for 5 minutes is ~3 million ids, ~250 MB: size the
 * window to the rate). The access log keeps every id for good, for audits after the window.
 * Each generation is split into 256 sets by the id's last two hex digits, so that growing one
 * costs a short rehash of a small set, never one of millions of entries inside a request.
 */
export class RequestReplayGuard {
  private current = newGeneration();
  private previous = newGeneration();
  private generationStart: number;

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
    const id = requestId.toLowerCase();
    const shard = Number.parseInt(id.slice(34), 16);
    const key = `${clientId} ${id}`;
    const current = this.current[shard];
    const previous = this.previous[shard];
    if (current === undefined || previous === undefined) throw new Error('request id shard out of range');
    if (current.has(key) || previous.has(key)) {
      throw new DomainError('conflict', 'REQUEST_REPLAYED', 'this request id was already used', 'Send a fresh UUID in X-Request-Id for every call; never resend a request as is');
    }
    current.add(key);
    return requestId;
  }
}
