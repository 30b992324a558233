import { importJWK } from 'jose';
import type { Kysely, Transaction } from 'kysely';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { exchangeChangeRepository } from './exchange-change.repository.js';
import type { ExchangeDirectory } from './exchange.directory.js';
import { checkClientId, checkMemberId, checkOfficerId, memberOf } from './exchange-ids.js';
import { memberKinds, type ActiveStatus, type Client, type Jwks, type Member, type MemberKind, type Officer } from './exchange.types.js';
import { memberRepository } from './member.repository.js';

export interface OnboardInput {
  readonly memberId: string;
  readonly name: string;
  readonly kind: MemberKind;
  readonly subsystems: readonly { readonly code: string; readonly name: string; readonly jwks: Jwks }[];
  readonly officers: readonly { readonly officerId: string; readonly name: string }[];
}

export interface OnboardResult {
  readonly member: Member;
  readonly clients: readonly Client[];
  readonly officers: readonly Officer[];
}

/** Private-key members of a JWK: a JWKS registered with the exchange must hold none of them. */
const privateParts = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * Checks a JWKS: 1-10 public signing keys, each with a `kid`, importable, no private parts.
 *
 * @example
 * await checkJwks({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: 'k1' }] });
 */
export async function checkJwks(jwks: unknown): Promise<Jwks> {
  const bad = (message: string): DomainError => new DomainError('invalid', 'JWKS_INVALID', message, 'Send a JSON Web Key Set of public keys: { "keys": [{ "kty": …, "kid": … }] }');
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) throw bad('the key set has no "keys" array');
  const keys = (jwks as { keys: unknown[] }).keys;
  if (keys.length === 0 || keys.length > 10) throw bad('a key set holds 1 to 10 keys');
  const kids = new Set<string>();
  for (const key of keys) {
    if (typeof key !== 'object' || key === null) throw bad('every key is a JSON object');
    const k = key as Record<string, unknown>;
    if (privateParts.some((p) => p in k)) throw bad('the key set holds a private or secret key: register public keys only');
    if (typeof k.kid !== 'string' || k.kid === '') throw bad('every key needs a "kid"');
    if (kids.has(k.kid)) throw bad(`kid "${k.kid.slice(0, 40)}" appears twice`);
    kids.add(k.kid);
    const alg = typeof k.alg === 'string' ? k.alg : k.kty === 'OKP' ? 'EdDSA' : k.kty === 'EC' ? (k.crv === 'P-384' ? 'ES384' : 'ES256') : 'RS256';
    const weakness = keyWeakness(k, alg);
    if (weakness !== undefined) throw bad(`key "${k.kid.slice(0, 40)}" ${weakness}`);
    try {
      await importJWK(k, alg);
    } catch {
      throw bad(`key "${k.kid.slice(0, 40)}" cannot be read as a public ${alg} key`);
    }
  }
  return { keys: keys as Jwks['keys'] };
}

/** The algorithms a client may sign with, by key type (the token endpoint accepts the same). */
const algorithmsByKeyType: Readonly<Record<string, readonly string[]>> = {
  OKP: ['EdDSA', 'Ed25519'],
  EC: ['ES256', 'ES384'],
  RSA: ['RS256', 'PS256'],
};
const curveOfAlgorithm: Readonly<Record<string, string>> = { ES256: 'P-256', ES384: 'P-384', EdDSA: 'Ed25519', Ed25519: 'Ed25519' };

function base64urlBytes(value: unknown): Buffer | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_-]+$/.test(value) ? Buffer.from(value, 'base64url') : undefined;
}

/**
 * Why a public key is not fit to sign client assertions, or undefined. Importing a key checks its
 * form, not its strength: a 16-bit RSA modulus imports, and jose refuses it only when a signature
 * is checked, long after onboarding said yes.
 */
function keyWeakness(k: Readonly<Record<string, unknown>>, alg: string): string | undefined {
  const kty = typeof k.kty === 'string' ? k.kty : '';
  const allowed = algorithmsByKeyType[kty];
  if (allowed === undefined) return `has key type "${kty.slice(0, 10)}": use OKP (Ed25519), EC (P-256, P-384) or RSA`;
  if (!allowed.includes(alg)) return `names algorithm "${alg.slice(0, 10)}", not one for ${kty} keys (${allowed.join(', ')})`;
  if (k.use !== undefined && k.use !== 'sig') return 'is not a signing key ("use" must be "sig")';
  if (kty !== 'RSA') {
    return k.crv === curveOfAlgorithm[alg] ? undefined : `is on curve "${String(k.crv).slice(0, 10)}", not ${curveOfAlgorithm[alg] ?? '?'}`;
  }
  const n = base64urlBytes(k.n);
  const e = base64urlBytes(k.e);
  if (n === undefined || e === undefined || n.length === 0 || e.length === 0) return 'has no modulus or exponent';
  const leading = n.findIndex((b) => b !== 0);
  const bits = leading === -1 ? 0 : (n.length - leading - 1) * 8 + (32 - Math.clz32(n[leading] ?? 0));
  if (bits < 2048 || bits > 16_384) return `has a ${bits}-bit modulus: RSA keys have 2,048 to 16,384 bits`;
  if (((n.at(-1) ?? 0) & 1) === 0) return 'has an even modulus: not an RSA key';
  const exponent = e.length > 6 ? Number.MAX_SAFE_INTEGER : e.reduce((v, b) => v * 256 + b, 0);
  if (exponent < 65_537 || exponent % 2 === 0) return 'has a public exponent that is not odd and at least 65537';
  return undefined;
}

/** Members of the exchange, their clients (subsystems) with keys, and their officers. */
export class MemberService {
  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly directory: ExchangeDirectory }) {}

  /**
   * Onboards an agency in one transaction: the member, its subsystems with their public keys,
   * and its officers. Refuses an id already taken.
   *
   * @example
   * await members.onboard({ memberId: 'VN/GOV/BTC', name: 'Bộ Tài chính', kind: 'ministry', subsystems: [{ code: 'tax', name: 'Thuế', jwks }], officers: [{ officerId: 'o-1', name: 'Nguyễn Văn A' }] });
   */
  async onboard(input: OnboardInput): Promise<OnboardResult> {
    const memberId = checkMemberId(input.memberId);
    if (!memberKinds.includes(input.kind)) throw new DomainError('invalid', 'MEMBER_KIND_INVALID', `kind must be one of ${memberKinds.join(', ')}`, 'Choose the member’s kind');
    if (input.name.trim() === '') throw new DomainError('invalid', 'MEMBER_NAME_MISSING', 'a member needs a name', 'Send the agency’s official name');
    const at = this.deps.clock.now().toISOString();
    const member: Member = { memberId, name: input.name.trim(), kind: input.kind, status: 'active', createdAt: at };
    const clients: Client[] = [];
    for (const s of input.subsystems) {
      clients.push({ clientId: checkClientId(`${memberId}/${s.code}`), memberId, name: s.name.trim() || s.code, jwks: await checkJwks(s.jwks), status: 'active', createdAt: at });
    }
    const officers = input.officers.map((o): Officer => ({ memberId, officerId: checkOfficerId(o.officerId), name: o.name.trim() || o.officerId, status: 'active' }));
    await this.deps.db.transaction().execute(async (trx) => {
      if ((await memberRepository.findMember(trx, memberId)) !== undefined) {
        throw new DomainError('conflict', 'MEMBER_EXISTS', `member ${memberId} is already onboarded`, 'Add subsystems or officers to it instead');
      }
      await memberRepository.insertMember(trx, member);
      for (const c of clients) await memberRepository.insertClient(trx, c);
      for (const o of officers) await memberRepository.upsertOfficer(trx, o, at);
      await exchangeChangeRepository.bump(trx);
    });
    this.deps.directory.invalidate();
    return { member, clients, officers };
  }

  async addClient(clientId: string, name: string, jwks: unknown): Promise<Client> {
    checkClientId(clientId);
    const memberId = memberOf(clientId);
    const at = this.deps.clock.now().toISOString();
    const client: Client = { clientId, memberId, name: name.trim() || clientId, jwks: await checkJwks(jwks), status: 'active', createdAt: at };
    await this.deps.db.transaction().execute(async (trx) => {
      if ((await memberRepository.findMember(trx, memberId)) === undefined) throw memberNotFound(memberId);
      if ((await memberRepository.findClient(trx, clientId)) !== undefined) throw new DomainError('conflict', 'CLIENT_EXISTS', `client ${clientId} exists`, 'Replace its keys instead');
      await memberRepository.insertClient(trx, client);
      await exchangeChangeRepository.bump(trx);
    });
    this.deps.directory.invalidate(clientId);
    return client;
  }

  /** Replaces a client's public keys (rotation: register the new key alongside the old, then drop the old). */
  async setKeys(clientId: string, jwks: unknown): Promise<Client> {
    checkClientId(clientId);
    const checked = await checkJwks(jwks);
    const at = this.deps.clock.now().toISOString();
    if (!(await this.changed((trx) => memberRepository.setClientKeys(trx, clientId, checked, at)))) throw clientNotFound(clientId);
    this.deps.directory.invalidate(clientId);
    return this.client(clientId);
  }

  async setClientStatus(clientId: string, status: ActiveStatus): Promise<Client> {
    checkClientId(clientId);
    const at = this.deps.clock.now().toISOString();
    if (!(await this.changed((trx) => memberRepository.setClientStatus(trx, clientId, status, at)))) throw clientNotFound(clientId);
    this.deps.directory.invalidate(clientId);
    return this.client(clientId);
  }

  async addOfficer(memberId: string, officerId: string, name: string): Promise<Officer> {
    checkMemberId(memberId);
    const officer: Officer = { memberId, officerId: checkOfficerId(officerId), name: name.trim() || officerId, status: 'active' };
    if ((await memberRepository.findMember(this.deps.db, memberId)) === undefined) throw memberNotFound(memberId);
    const at = this.deps.clock.now().toISOString();
    await this.changed(async (trx) => {
      await memberRepository.upsertOfficer(trx, officer, at);
      return true;
    });
    this.deps.directory.invalidate();
    return officer;
  }

  /**
   * Removes an officer from a member's calls (status suspended; kept, since access records name
   * them) or brings them back. Holds on every process's next call.
   */
  async setOfficerStatus(memberId: string, officerId: string, status: ActiveStatus): Promise<Officer> {
    checkMemberId(memberId);
    checkOfficerId(officerId);
    if (!(await this.changed((trx) => memberRepository.setOfficerStatus(trx, memberId, officerId, status)))) {
      throw new DomainError('not_found', 'OFFICER_NOT_FOUND', `no officer ${officerId} of ${memberId}`, 'List the members and their officers (sachsong agency list)');
    }
    this.deps.directory.invalidate();
    const officer = (await memberRepository.officersOf(this.deps.db, memberId)).find((o) => o.officerId === officerId);
    if (officer === undefined) throw new DomainError('not_found', 'OFFICER_NOT_FOUND', `no officer ${officerId} of ${memberId}`, 'List the members and their officers (sachsong agency list)');
    return officer;
  }

  /**
   * Runs a change in a transaction that also bumps the exchange's change counter (when the change
   * took), so that every process's directory sees it on its next call.
   */
  private async changed(change: (trx: Transaction<DB>) => Promise<boolean>): Promise<boolean> {
    return this.deps.db.transaction().execute(async (trx) => {
      const done = await change(trx);
      if (done) await exchangeChangeRepository.bump(trx);
      return done;
    });
  }

  async client(clientId: string): Promise<Client> {
    const c = await memberRepository.findClient(this.deps.db, clientId);
    if (c === undefined) throw clientNotFound(clientId);
    return c;
  }

  async list(): Promise<readonly (Member & { readonly clients: readonly Client[]; readonly officers: readonly Officer[] })[]> {
    const members = await memberRepository.listMembers(this.deps.db);
    const clients = await memberRepository.listClients(this.deps.db);
    const out = [];
    for (const m of members) {
      out.push({ ...m, clients: clients.filter((c) => c.memberId === m.memberId), officers: await memberRepository.officersOf(this.deps.db, m.memberId) });
    }
    return out;
  }
}

function memberNotFound(memberId: string): DomainError {
  return new DomainError('not_found', 'MEMBER_NOT_FOUND', `no member ${memberId}`, 'Onboard the member first');
}

function clientNotFound(clientId: string): DomainError {
  return new DomainError('not_found', 'CLIENT_NOT_FOUND', `no client ${clientId}`, 'Check the client id, VN/<class>/<member>/<subsystem>');
}
