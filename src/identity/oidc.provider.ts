import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Account, AccountClaims, AdapterPayload, ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { loadOidcModule } from './oidc-provider.loader.js';
import type { DB } from '../store/database.types.js';
import type { Officer } from './identity.types.js';
import { oidcStoreAdapter, type OidcStoreAdapter } from './oidc.adapter.js';
import type { OidcKeys } from './oidc.keys.js';
import { officerRepository } from './officer.repository.js';
import { renderProviderError, renderLogoutConfirm, renderLoggedOut } from './sign-in.page.js';
import { strictPolicyWithFormTargets } from '../shared/content-security-policy.js';

/** Where the provider is mounted on the server: its issuer is `<origin>/oidc`. */
export const oidcMountPath = '/oidc';
/** The console's client id: a confidential client run by this server (the console's backend-for-frontend). */
export const consoleClientId = 'sachsong-console';
/** Scopes the provider knows; `officer` releases role and unit. */
export const officerScopes = 'openid profile officer';

/**
 * Clients whose users are the platform's own staff: no consent screen (the grant is given at
 * sign-in). Relying parties of the citizen audience (issue 15: portals, banks, shops) are not
 * first-party: they get the consent screen and only the claims their grant allows.
 */
const firstPartyClients: ReadonlySet<string> = new Set([consoleClientId]);

export function isFirstPartyClient(clientId: string): boolean {
  return firstPartyClients.has(clientId);
}

export interface OidcProviderDeps {
  readonly db: Kysely<DB>;
  /** `<origin>/oidc`, as relying parties see it (config's public URL, or the listening address). */
  readonly issuer: string;
  readonly keys: OidcKeys;
  /**
   * Further relying parties. One provider, two audiences: officers sign in to the console (the
   * first-party client below); the citizen e-ID issue adds its relying parties here (onboarded as
   * exchange members, their allowed claims a grant) and a citizen account source in findAccount.
   */
  readonly relyingParties?: readonly ClientMetadata[];
  /** Provider clock in epoch ms for the adapter's expiry (tests); oidc-provider itself uses Date.now. */
  readonly now?: () => number;
  /** The second audience: citizens and the relying parties onboarded for them (src/citizen). */
  readonly audience?: OidcAudience;
  /**
   * The provider's outgoing requests (back-channel logout tokens), given its SSRF guard as
   * `dispatcher` in the options. Default the global fetch. Tests pass one that lets loopback
   * receivers through, which the guard refuses.
   */
  readonly fetch?: typeof fetch;
}

/**
 * Citizens and their relying parties (issue 15), given to the one provider by the app: relying
 * parties are loaded from the store as they are asked for, citizen accounts by their own ids,
 * with their scopes, claims, levels (acr) and pairwise subjects.
 */
export interface OidcAudience {
  /** Metadata of a client that is not a static one; undefined for an unknown or suspended client. */
  findClient(clientId: string): Promise<ClientMetadata | undefined>;
  /** True for this audience's account ids. */
  owns(accountId: string): boolean;
  findAccount(ctx: KoaContextWithOIDC, accountId: string): Promise<Account | undefined>;
  readonly scopes: readonly string[];
  readonly claims: Readonly<Record<string, readonly string[]>>;
  readonly acrValues: readonly string[];
  /** The subject a relying party sees: differs per sector (redirect host), stable per account. */
  pairwiseIdentifier(accountId: string, sector: string): Promise<string>;
  /** True when the request asks for a higher level than the session's sign-in reached (step-up: prompt login again). */
  stepUpRequired(ctx: KoaContextWithOIDC): boolean;
}

export interface OidcProvider {
  readonly provider: Provider;
  readonly adapter: OidcStoreAdapter;
  readonly issuer: string;
  /** The origin the console is served from (redirect and post-logout URIs of the console client). */
  readonly origin: string;
}

/** The claims an officer's ID token carries: sub is the officer id. */
export function officerClaims(officer: Officer): AccountClaims {
  return { sub: officer.officerId, name: officer.displayName, role: officer.role, unit: officer.unit };
}

/**
 * The platform's OpenID provider (oidc-provider 9): authorization code flow only, PKCE (S256)
 * required of every client, state kept in the store (oidc.adapter.ts) and keys shared through it
 * (oidc.keys.ts), so that any node can serve any step. Officers are the first audience: the
 * interaction (sign-in.page.ts, oidc.routes.ts) checks user name, password and TOTP with
 * OfficerAuthService.verifySignIn; accounts are loaded from the identity tables.
 *
 * @example
 * const oidc = await createOidcProvider({ db, issuer: 'https://registry.example.vn/oidc', keys: await loadOidcKeys(db, now) });
 */
export async function createOidcProvider(deps: OidcProviderDeps): Promise<OidcProvider> {
  const oidcModule = await loadOidcModule();
  const ProviderClass = oidcModule.default;
  const issuerUrl = new URL(deps.issuer);
  const origin = issuerUrl.origin;
  const adapter = oidcStoreAdapter(deps.db, deps.now);
  const audience = deps.audience;
  const { Check, base } = oidcModule.interactionPolicy;
  const policy = base();
  if (audience !== undefined) {
    policy.get('login')?.checks.add(new Check('acr_step_up', 'a higher level of assurance is requested', (ctx) => (audience.stepUpRequired(ctx) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT)));
  }
  // Relying parties are read from the store (the adapter's Client kind); static clients come first.
  const adapterFactory = audience === undefined ? adapter.factory : (kind: string) => {
    const inner = adapter.factory(kind);
    return kind === 'Client' ? { ...inner, find: async (id: string) => (await audience.findClient(id)) as AdapterPayload | undefined } : inner;
  };
  const console: ClientMetadata = {
    client_id: consoleClientId,
    client_secret: deps.keys.consoleClientSecret,
    client_name: 'Sachsong',
    redirect_uris: [`${origin}/auth/callback`],
    post_logout_redirect_uris: [`${origin}/`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  };
  const configuration: Configuration = {
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    adapter: adapterFactory,
    clients: [console, ...(deps.relyingParties ?? [])],
    jwks: { keys: [...deps.keys.signingKeys] },
    cookies: {
      keys: [...deps.keys.cookieKeys],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    pkce: { required: () => true },
    responseTypes: ['code'],
    scopes: ['openid', 'profile', 'officer', ...(audience?.scopes ?? [])],
    claims: {
      acr: null,
      amr: null,
      ...Object.fromEntries(Object.entries(audience?.claims ?? {}).map(([scope, names]) => [scope, [...names]])),
      // With citizens the ID token says how the person signed in (level 1 or 2, password or password and code).
      openid: audience === undefined ? ['sub'] : ['sub', 'acr', 'amr'],
      profile: [...new Set(['name', ...(audience?.claims.profile ?? [])])],
      officer: ['role', 'unit'],
    },
    ...(audience === undefined ? {} : {
      acrValues: [...audience.acrValues],
      subjectTypes: ['public', 'pairwise'],
      pairwiseIdentifier: (_ctx: KoaContextWithOIDC, accountId: string, client: { readonly sectorIdentifier?: string | undefined; readonly clientId: string }) => audience.pairwiseIdentifier(accountId, client.sectorIdentifier ?? client.clientId),
      interactions: { policy, url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `${oidcMountPath}/interaction/${interaction.uid}` },
    }),
    // The console reads name, role and unit from the ID token of a code flow.
    conformIdTokenClaims: false,
    findAccount: async (ctx: KoaContextWithOIDC, id: string): Promise<Account | undefined> => {
      if (audience?.owns(id) === true) return audience.findAccount(ctx, id);
      const officer = await officerRepository.findById(deps.db, id);
      if (officer === undefined || officer.status !== 'active' || !officer.enrolled) return undefined;
      return { accountId: officer.officerId, claims: () => officerClaims(officer) };
    },
    ...(audience === undefined ? { interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `${oidcMountPath}/interaction/${interaction.uid}` } } : {}),
    features: {
      backchannelLogout: { enabled: audience !== undefined },
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          // The confirmation ends in a redirect to the relying party's post-logout address (registered, checked by the provider): allow it as a form target.
          const back = typeof ctx.oidc.params?.post_logout_redirect_uri === 'string' ? URL.parse(ctx.oidc.params.post_logout_redirect_uri)?.origin : undefined;
          if (back !== undefined && back !== 'null' && back !== origin) ctx.set('content-security-policy', strictPolicyWithFormTargets([back]));
          ctx.type = 'html';
          ctx.body = renderLogoutConfirm(form);
        },
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => { ctx.type = 'html'; ctx.body = renderLoggedOut(); },
      },
      revocation: { enabled: true },
    },
    renderError: (ctx: KoaContextWithOIDC, out) => { ctx.type = 'html'; ctx.body = renderProviderError(out.error, out.error_description); },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      IdToken: 600,
      RefreshToken: 3_600,
      Interaction: 600,
      // The provider's own sign-in lasts as long as the console's idle limit; the console asks prompt=login anyway.
      Session: 900,
      Grant: 43_200,
    },
  };
  const provider = new ProviderClass(deps.issuer, configuration);
  provider.proxy = false;
  return { provider, adapter, issuer: deps.issuer, origin };
}
