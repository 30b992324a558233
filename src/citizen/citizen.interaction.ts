import type { AudienceInteraction, InteractionContext } from '../identity/oidc.interaction.js';
import { oidcMountPath } from '../identity/oidc.provider.js';
import { strictPolicyWithFormTargets } from '../shared/content-security-policy.js';
import { isDomainError } from '../shared/domain-error.js';
import type { Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';
import { AttemptLimiter, type AddressLimiter } from './attempt.limiter.js';
import { claimsForScope, claimDefinitions, readClaims } from './citizen.claims.js';
import type { CitizenAccountService } from './citizen-account.service.js';
import { wantsLevel2 } from './citizen-oidc.audience.js';
import { renderCitizenProblem, renderCitizenSignIn, renderConsent, type CitizenSignInProblem } from './citizen.pages.js';
import { acrOf } from './citizen.types.js';
import type { RelyingPartyService } from './relying-party.service.js';

export interface CitizenInteractionDeps {
  readonly db: Kysely<DB>;
  readonly accounts: CitizenAccountService;
  readonly relyingParties: RelyingPartyService;
  /** Failed sign-ins per network address (credential stuffing); default 20 in 15 minutes. */
  readonly addressLimiter?: AddressLimiter;
}

/**
 * Sends a page of the interaction. Its forms end in a redirect to the relying party's redirect
 * URI (checked by the provider against the registered ones): the CSP's form-action names that
 * origin too, or the browser stops the redirect.
 */
function send({ reply, details }: InteractionContext, status: number, html: string): Promise<void> {
  const target = typeof details.params.redirect_uri === 'string' ? URL.parse(details.params.redirect_uri)?.origin : undefined;
  void reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store')
    .header('content-security-policy', strictPolicyWithFormTargets(target === undefined || target === 'null' ? [] : [target])).send(html);
  return Promise.resolve();
}

function scopeOf(details: InteractionContext['details']): string {
  return typeof details.params.scope === 'string' ? details.params.scope : '';
}

/**
 * The citizen's side of the provider's interaction for relying parties: sign-in (password, and
 * the authenticator code when the relying party asks for level 2: step-up), then the consent
 * screen listing each claim with its source and last-updated day. Approving gives the grant the
 * scopes whose claims the relying party may receive; refusing ends the flow with access_denied.
 */
export function citizenInteraction(deps: CitizenInteractionDeps): AudienceInteraction {
  const limiter = deps.addressLimiter ?? new AttemptLimiter(20, 15 * 60_000);
  const action = (uid: string, step: string): string => `${oidcMountPath}/interaction/${uid}/audience/${step}`;

  const clientName = async (clientId: string): Promise<string | undefined> => (await deps.relyingParties.activeClient(clientId))?.relyingParty.displayName;

  const showSignIn = async (context: InteractionContext, status: number, problem?: CitizenSignInProblem, idNumber?: string): Promise<void> => {
    const name = await clientName(String(context.details.params.client_id));
    if (name === undefined) return send(context, 400, renderCitizenProblem('Dịch vụ không còn được phép.', 'The service is no longer allowed.'));
    return send(context, status, renderCitizenSignIn({
      action: action(context.details.uid, 'login'), csrfToken: context.csrfToken, clientName: name, level: wantsLevel2(context.details.params.acr_values) ? 2 : 1,
      ...(problem === undefined ? {} : { problem }), ...(idNumber === undefined ? {} : { idNumber }),
    }));
  };

  const showConsent = async (context: InteractionContext): Promise<void> => {
    const found = await deps.relyingParties.activeClient(String(context.details.params.client_id));
    const accountId = context.details.session?.accountId;
    if (found === undefined || accountId === undefined) return send(context, 400, renderCitizenProblem('Dịch vụ không còn được phép.', 'The service is no longer allowed.'));
    const account = await deps.accounts.account(accountId);
    const names = claimsForScope(scopeOf(context.details), found.relyingParty.allowedClaims);
    const claims = await readClaims(deps.db, account.personId, names);
    return send(context, 200, renderConsent({ action: action(context.details.uid, 'consent'), csrfToken: context.csrfToken, clientName: found.relyingParty.displayName, claims }));
  };

  const finish = async (context: InteractionContext, result: Record<string, unknown>): Promise<void> => {
    context.reply.hijack();
    await context.provider.interactionFinished(context.request.raw, context.reply.raw, result, { mergeWithLastSubmission: false });
  };

  return {
    async show(context: InteractionContext): Promise<void> {
      if (context.details.prompt.name === 'login') return showSignIn(context, 200);
      if (context.details.prompt.name === 'consent') return showConsent(context);
      return send(context, 400, renderCitizenProblem('Yêu cầu đăng nhập không hợp lệ.', 'The sign-in request is not valid.'));
    },

    async submit(step: string, context: InteractionContext): Promise<void> {
      const { details, form } = context;
      if (step === 'login' && details.prompt.name === 'login') {
        const address = context.request.ip;
        if ((await limiter.blockedUntil(address)) !== undefined) return showSignIn(context, 429, 'throttled');
        const idNumber = (form.get('idNumber') ?? '').slice(0, 12);
        const level = wantsLevel2(details.params.acr_values) ? 2 : 1;
        let signedIn: Awaited<ReturnType<CitizenAccountService['verifySignIn']>>;
        try {
          signedIn = await deps.accounts.verifySignIn({ idNumber, password: (form.get('password') ?? '').slice(0, 1024), code: (form.get('code') ?? '').slice(0, 16), level });
        } catch (error) {
          if (!isDomainError(error)) throw error;
          if (error.code === 'LEVEL2_REQUIRED') {
            return finish(context, { error: 'unmet_authentication_requirements', error_description: 'the service asks for a level 2 account' });
          }
          if (error.code === 'SIGN_IN_FAILED') await limiter.fail(address);
          const problem: CitizenSignInProblem = error.code === 'ACCOUNT_LOCKED' ? 'locked' : error.code === 'CITIZEN_ACCOUNT_CLOSED' ? 'closed' : 'failed';
          return showSignIn(context, problem === 'failed' ? 401 : 403, problem, idNumber);
        }
        return finish(context, { login: { accountId: signedIn.account.accountId, acr: acrOf(signedIn.level), amr: signedIn.level === 2 ? ['pwd', 'otp'] : ['pwd'], remember: false } });
      }
      if (step === 'consent' && details.prompt.name === 'consent') {
        const accountId = details.session?.accountId;
        const found = await deps.relyingParties.activeClient(String(details.params.client_id));
        if (accountId === undefined || found === undefined) return send(context, 400, renderCitizenProblem('Dịch vụ không còn được phép.', 'The service is no longer allowed.'));
        if (form.get('decision') !== 'approve') return finish(context, { error: 'access_denied', error_description: 'the citizen refused to share' });
        const { provider } = context;
        const grant = details.grantId === undefined ? new provider.Grant({ accountId, clientId: found.relyingParty.clientId }) : await provider.Grant.find(details.grantId);
        if (grant === undefined) return send(context, 400, renderCitizenProblem('Phiên đăng nhập đã hết hạn.', 'The sign-in has expired.'));
        const names = claimsForScope(scopeOf(details), found.relyingParty.allowedClaims);
        const scopes = new Set(['openid', ...names.map((n) => claimDefinitions[n].scope)]);
        grant.addOIDCScope([...scopes].join(' '));
        const grantId = await grant.save();
        return finish(context, { consent: { grantId } });
      }
      return send(context, 400, renderCitizenProblem('Yêu cầu đăng nhập không hợp lệ.', 'The sign-in request is not valid.'));
    },
  };
}
