import { createHmac, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Account, ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import type { AccessLog } from '../audit/access-log.types.js';
import type { OidcAudience } from '../identity/oidc.provider.js';
import type { Clock } from '../shared/clock.js';
import { isDomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { claimDefinitions, claimsForScope, citizenScopeClaims, isCitizenClaim, readClaims } from './citizen.claims.js';
import type { CitizenAccountService } from './citizen-account.service.js';
import { acrLevel1, acrLevel2 } from './citizen.types.js';
import type { RelyingPartyService } from './relying-party.service.js';

export interface CitizenAudienceDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly accounts: CitizenAccountService;
  readonly relyingParties: RelyingPartyService;
  readonly accessLog: AccessLog;
  /** Secret of the pairwise subject identifiers (a stored key: changing it changes every subject). */
  readonly pairwiseSalt: () => Promise<string>;
}

/** Purpose and legal basis of a sign-in's release, as the citizen reads them in the tracker. */
const releasePurpose = 'Đăng nhập bằng tài khoản định danh điện tử và chia sẻ thông tin đã đồng ý';
const releaseBasis = 'Sự đồng ý của chủ thể dữ liệu (Nghị định 13/2023/NĐ-CP, Điều 11)';

export function wantsLevel2(acrValues: unknown): boolean {
  return typeof acrValues === 'string' && acrValues.split(' ').includes(acrLevel2);
}

/**
 * The citizen audience of the provider: relying parties from the store (private_key_jwt with
 * their exchange keys, pairwise subjects, code + PKCE), citizen accounts, the claims they may
 * receive and step-up to level 2. Claims leave only at the userinfo endpoint, and only after an
 * access record naming the relying party and the claims is durable in the Merkle log; the ID
 * token carries the subject and the level (acr) alone.
 */
export function citizenAudience(deps: CitizenAudienceDeps): OidcAudience {
  return {
    async findClient(clientId: string): Promise<ClientMetadata | undefined> {
      const found = await deps.relyingParties.activeClient(clientId);
      if (found === undefined) return undefined;
      const rp = found.relyingParty;
      return {
        client_id: rp.clientId,
        client_name: rp.displayName,
        redirect_uris: [...rp.redirectUris],
        post_logout_redirect_uris: [...rp.postLogoutRedirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'private_key_jwt',
        // Without "alg": an Ed25519 key registered as EdDSA also verifies assertions signed "Ed25519" (RFC 9864's name).
        jwks: { keys: found.jwks.keys.map((k) => Object.fromEntries(Object.entries(k).filter(([name]) => name !== 'alg'))) },
        subject_type: 'pairwise',
        // A scope whose claims the relying party may not receive is refused (invalid_scope), not silently dropped.
        scope: ['openid', ...new Set(rp.allowedClaims.filter(isCitizenClaim).map((c) => claimDefinitions[c].scope))].join(' '),
        id_token_signed_response_alg: 'RS256',
        ...(rp.backchannelLogoutUri === null ? {} : { backchannel_logout_uri: rp.backchannelLogoutUri, backchannel_logout_session_required: false }),
      };
    },
    owns: (accountId: string): boolean => accountId.startsWith('cit_'),
    async findAccount(ctx: KoaContextWithOIDC, accountId: string): Promise<Account | undefined> {
      let account;
      try {
        account = await deps.accounts.account(accountId);
      } catch (error) {
        if (isDomainError(error)) return undefined;
        throw error;
      }
      if (account.status !== 'active') return undefined;
      return {
        accountId,
        claims: async (use: string, scope: string): Promise<{ sub: string; [key: string]: unknown }> => {
          if (use !== 'userinfo') return { sub: accountId };
          const clientId = ctx.oidc.client?.clientId;
          const found = clientId === undefined ? undefined : await deps.relyingParties.activeClient(clientId);
          if (found === undefined) return { sub: accountId };
          const names = claimsForScope(scope, found.relyingParty.allowedClaims);
          if (names.length === 0) return { sub: accountId };
          const views = await readClaims(deps.db, account.personId, names);
          const released = views.filter((v) => v.value !== null);
          if (released.length === 0) return { sub: accountId };
          // The record is durable before the claims leave; a failed append releases nothing.
          await deps.accessLog.append({
            personId: account.personId,
            at: deps.clock.now().toISOString(),
            clientId: found.relyingParty.clientId,
            receivingAgency: found.relyingParty.displayName,
            officerId: `citizen:${accountId}`,
            service: 'oidc.userinfo',
            purpose: releasePurpose,
            legalBasis: releaseBasis,
            consentId: ctx.oidc.entities.AccessToken?.grantId,
            fields: released.map((v) => v.claim),
            visibility: 'public',
            requestId: randomUUID(),
          });
          const out: { sub: string; [key: string]: unknown } = { sub: accountId };
          for (const v of released) out[v.claim] = v.claim.endsWith('_residence') && v.value !== null ? JSON.parse(v.value) as unknown : v.value;
          return out;
        },
      };
    },
    scopes: Object.keys(citizenScopeClaims),
    claims: citizenScopeClaims,
    acrValues: [acrLevel1, acrLevel2],
    pairwiseIdentifier: async (accountId: string, sector: string): Promise<string> =>
      createHmac('sha256', await deps.pairwiseSalt()).update(`${sector}\n${accountId}`).digest('base64url'),
    stepUpRequired: (ctx: KoaContextWithOIDC): boolean =>
      ctx.oidc.session?.accountId !== undefined && wantsLevel2(ctx.oidc.params?.acr_values) && ctx.oidc.acr !== acrLevel2,
  };
}
