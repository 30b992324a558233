import { SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import type { DocumentKeys } from './residence-document.keys.js';
import { residenceDocumentRepository } from './residence-document.repository.js';
import { encodeStatusBits, statusListSize } from './status-list.js';

export interface StatusListDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly keys: DocumentKeys;
  /** `<publicUrl>/documents/status-lists`: a list's URI is this and its number. */
  readonly baseUri: string;
  /** How long a signed list is served before it is built again, and its `ttl` (seconds); default 60. */
  readonly ttlSeconds?: number;
}

/**
 * The signed status lists (typ statuslist+jwt, ES256 with the document-signing key): built from
 * the store's revoked seqs, kept for `ttl` seconds, built again at once after a revocation here.
 */
export class StatusListService {
  private readonly cache = new Map<number, { readonly jwt: string; readonly until: number }>();
  private readonly ttl: number;

  constructor(private readonly deps: StatusListDeps) {
    this.ttl = deps.ttlSeconds ?? 60;
  }

  uri(listId: number): string {
    return `${this.deps.baseUri}/${String(listId)}`;
  }

  /** Forgets the signed lists (a revocation in this process: the next request sees it). */
  invalidate(): void {
    this.cache.clear();
  }

  /** The signed list `listId`; unknown lists (past the last document) are refused. */
  async jwt(listId: number): Promise<string> {
    const now = this.deps.clock.now().getTime();
    const cached = this.cache.get(listId);
    if (cached !== undefined && cached.until > now) return cached.jwt;
    const last = await residenceDocumentRepository.maxSeq(this.deps.db);
    if (!Number.isInteger(listId) || listId < 0 || listId > Math.floor(last / statusListSize)) {
      throw new DomainError('not_found', 'STATUS_LIST_NOT_FOUND', 'no status list has this number', 'Use the status list URI written in the document');
    }
    const from = listId * statusListSize;
    const revoked = await residenceDocumentRepository.revokedIn(this.deps.db, from, from + statusListSize);
    const iat = Math.floor(now / 1000);
    const jwt = await new SignJWT({ status_list: { bits: 1, lst: encodeStatusBits(revoked.map((s) => s - from)) }, ttl: this.ttl })
      .setProtectedHeader({ alg: this.deps.keys.alg, kid: this.deps.keys.keyId, typ: 'statuslist+jwt' })
      .setSubject(this.uri(listId))
      .setIssuedAt(iat)
      .setExpirationTime(iat + 24 * 3600)
      .sign(this.deps.keys.privateKey);
    if (this.cache.size > 64) this.cache.clear();
    this.cache.set(listId, { jwt, until: now + this.ttl * 1000 });
    return jwt;
  }
}
