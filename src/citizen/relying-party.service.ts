import type { Kysely } from 'kysely';
import { memberRepository } from '../exchange/member.repository.js';
import type { Jwks } from '../exchange/exchange.types.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { citizenClaimNames, isCitizenClaim } from './citizen.claims.js';
import { relyingPartyRepository, type RelyingParty } from './relying-party.repository.js';

export interface OnboardRelyingPartyInput {
  /** An exchange client (VN/<class>/<member>/<subsystem>) already onboarded with its public keys. */
  readonly clientId: string;
  readonly displayName: string;
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly allowedClaims: readonly string[];
  readonly backchannelLogoutUri?: string | undefined;
}

/** A relying party as the provider loads it: its metadata and the exchange keys it signs with. */
export interface RelyingPartyClient {
  readonly relyingParty: RelyingParty;
  readonly jwks: Jwks;
}

function invalid(code: string, message: string, action: string, field: string): DomainError {
  return new DomainError('invalid', code, message, action, { field });
}

/** https, or http on loopback (development); no fragment, no user info. */
function checkUri(value: unknown, field: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw invalid('REDIRECT_URI_INVALID', `${field} holds a text that is not a URL`, 'Give absolute https URLs', field);
  }
  // *.localhost is loopback too (RFC 6761): development relying parties on one machine.
  const loopback = url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname.endsWith('.localhost') || url.hostname === '[::1]');
  if ((url.protocol !== 'https:' && !loopback) || url.hash !== '' || url.username !== '' || url.password !== '' || String(value).length > 500) {
    throw invalid('REDIRECT_URI_INVALID', `${field} must be https (http only on loopback), without fragment or user info`, 'Give absolute https URLs', field);
  }
  return url;
}

/**
 * Relying parties of the citizen audience (public-service portals, banks, shops): exchange
 * members whose client is given redirect URIs and the claims it may ask for. Every redirect URI
 * is on one host, the sector of its pairwise subject identifiers. They authenticate at the token
 * endpoint with a JWT signed by their exchange key (private_key_jwt): no shared secret.
 */
export class RelyingPartyService {
  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly onChange?: (clientId: string) => void }) {}

  async onboard(input: OnboardRelyingPartyInput): Promise<RelyingParty> {
    const client = typeof input.clientId === 'string' ? await memberRepository.findClient(this.deps.db, input.clientId) : undefined;
    if (client === undefined) throw new DomainError('not_found', 'CLIENT_NOT_FOUND', 'no exchange client with this id', 'Onboard the member and its subsystem with the exchange first (sachsong agency onboard)');
    if (client.status !== 'active') throw new DomainError('conflict', 'CLIENT_SUSPENDED', 'the exchange client is suspended', 'Reactivate it first');
    const displayName = typeof input.displayName === 'string' ? input.displayName.trim() : '';
    if (displayName === '' || displayName.length > 120) throw invalid('DISPLAY_NAME_INVALID', 'the name citizens see is 1 to 120 characters', 'Give the service\'s name', 'displayName');
    if (!Array.isArray(input.redirectUris) || input.redirectUris.length === 0 || input.redirectUris.length > 10) throw invalid('REDIRECT_URI_INVALID', 'give 1 to 10 redirect URIs', 'List the exact callback URLs', 'redirectUris');
    const redirects = input.redirectUris.map((u, i) => checkUri(u, `redirectUris[${i}]`));
    const hosts = new Set(redirects.map((u) => u.host));
    if (hosts.size !== 1) throw invalid('REDIRECT_URI_INVALID', 'all redirect URIs are on one host (the sector of pairwise identifiers)', 'Onboard one relying party per host', 'redirectUris');
    const logouts = (input.postLogoutRedirectUris ?? []).map((u, i) => checkUri(u, `postLogoutRedirectUris[${i}]`).href);
    const backchannel = input.backchannelLogoutUri === undefined ? null : checkUri(input.backchannelLogoutUri, 'backchannelLogoutUri').href;
    if (!Array.isArray(input.allowedClaims) || input.allowedClaims.length === 0 || !input.allowedClaims.every((c) => typeof c === 'string' && isCitizenClaim(c))) {
      throw invalid('CLAIMS_INVALID', `allowed claims are some of ${citizenClaimNames.join(', ')}`, 'List the claims the service may ask for', 'allowedClaims');
    }
    const at = this.deps.clock.now().toISOString();
    const rp: RelyingParty = {
      clientId: client.clientId, displayName, redirectUris: redirects.map((u) => u.href), postLogoutRedirectUris: logouts,
      allowedClaims: citizenClaimNames.filter((c) => input.allowedClaims.includes(c)), backchannelLogoutUri: backchannel, status: 'active', createdAt: at, updatedAt: at,
    };
    await this.deps.db.transaction().execute(async (trx) => {
      if ((await relyingPartyRepository.find(trx, rp.clientId)) !== undefined) throw new DomainError('conflict', 'RELYING_PARTY_EXISTS', 'this client is already a relying party', 'Suspend it and onboard again, or change it');
      await relyingPartyRepository.insert(trx, rp);
    });
    this.deps.onChange?.(rp.clientId);
    return rp;
  }

  async setStatus(clientId: string, status: 'active' | 'suspended'): Promise<RelyingParty> {
    if (!(await relyingPartyRepository.setStatus(this.deps.db, clientId, status, this.deps.clock.now().toISOString()))) throw notFound();
    this.deps.onChange?.(clientId);
    return this.get(clientId);
  }

  async get(clientId: string): Promise<RelyingParty> {
    const rp = await relyingPartyRepository.find(this.deps.db, clientId);
    if (rp === undefined) throw notFound();
    return rp;
  }

  list(): Promise<readonly RelyingParty[]> {
    return relyingPartyRepository.list(this.deps.db);
  }

  /** The relying party and its exchange keys when both are active; undefined otherwise (unknown client to the provider). */
  async activeClient(clientId: string): Promise<RelyingPartyClient | undefined> {
    const rp = await relyingPartyRepository.find(this.deps.db, clientId);
    if (rp?.status !== 'active') return undefined;
    const client = await memberRepository.findClient(this.deps.db, clientId);
    if (client?.status !== 'active') return undefined;
    return { relyingParty: rp, jwks: client.jwks };
  }
}

function notFound(): DomainError {
  return new DomainError('not_found', 'RELYING_PARTY_NOT_FOUND', 'no relying party with this client id', 'List the relying parties');
}
