import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../http/api-auth.js';
import { authorize } from '../identity/authorization.policy.js';
import type { PersonTiesResolver } from '../identity/person-ties.js';
import { personRepository } from '../registry/person.repository.js';
import { DomainError } from '../shared/domain-error.js';
import type { Kysely } from 'kysely';
import type { DB } from '../store/database.types.js';
import type { AddressLimiter } from './attempt.limiter.js';
import { citizenClaimNames } from './citizen.claims.js';
import type { CitizenModule } from './citizen.module.js';
import type { CitizenAccount } from './citizen.types.js';
import type { RelyingParty } from './relying-party.repository.js';
import type { ActivationDriveService } from './activation-drive.service.js';

const AccountView = Type.Object({
  accountId: Type.String(),
  level: Type.Integer(),
  status: Type.String(),
  totpEnrolled: Type.Boolean(),
  createdAt: Type.String(),
});
const ChallengeView = Type.Object({ challengeId: Type.String(), expiresAt: Type.String() });
const Password = Type.String({ minLength: 1, maxLength: 1024 });

function accountView(a: CitizenAccount): { accountId: string; level: number; status: string; totpEnrolled: boolean; createdAt: string } {
  return { accountId: a.accountId, level: a.level, status: a.status, totpEnrolled: a.totpEnrolled, createdAt: a.createdAt };
}

function throttled(retryAt: number): DomainError {
  return new DomainError('rate_limited', 'TOO_MANY_ATTEMPTS', 'too many attempts from this address', 'Wait and try again', { retryAt: new Date(retryAt).toISOString() });
}

export interface CitizenPublicRoutesOptions {
  readonly citizen: CitizenModule;
  /** Failures per address: activation details that do not match, codes that are wrong. Default 10 in 15 minutes. */
  readonly addressLimiter?: AddressLimiter;
}

/**
 * The citizen's own door, outside /api (no officer session): level 1 activation and recovery.
 * A detail that does not match the registry, or a wrong code, counts against the address (and
 * the code's own attempts and the person's hourly codes in the store).
 */
export const citizenPublicRoutes: FastifyPluginAsyncTypebox<CitizenPublicRoutesOptions> = (app, { citizen, addressLimiter }) => {
  const limiter = addressLimiter ?? citizen.addressLimits.codes;
  const guarded = async <T>(address: string, work: () => Promise<T>, counts: readonly string[]): Promise<T> => {
    const until = await limiter.blockedUntil(address);
    if (until !== undefined) throw throttled(until);
    try {
      return await work();
    } catch (error) {
      if (error instanceof DomainError && counts.includes(error.code)) await limiter.fail(address);
      throw error;
    }
  };
  const tags = ['citizen'];

  app.post('/citizen/activation', {
    schema: { tags, summary: 'Level 1 activation, step 1: check the details against the registry and send a code to the phone', security: [],
      body: Type.Object({ idNumber: Type.String({ maxLength: 12 }), fullName: Type.String({ maxLength: 200 }), birthDate: Type.String({ maxLength: 10 }), phone: Type.String({ maxLength: 20 }) }, { additionalProperties: false }),
      response: { 202: ChallengeView } },
  }, async (request, reply) => reply.code(202).send(await guarded(request.ip, () => citizen.accounts.startActivation(request.body), ['ACTIVATION_DETAILS_MISMATCH'])));

  app.post('/citizen/activation/confirm', {
    schema: { tags, summary: 'Level 1 activation, step 2: the code and a password create the account', security: [],
      body: Type.Object({ challengeId: Type.String({ maxLength: 64 }), code: Type.String({ maxLength: 6 }), password: Password }, { additionalProperties: false }),
      response: { 201: AccountView } },
  }, async (request, reply) => reply.code(201).send(accountView(await guarded(request.ip, () => citizen.accounts.confirmActivation(request.body), ['OTP_INVALID']))));

  app.post('/citizen/recovery', {
    schema: { tags, summary: 'Recovery, step 1: a code to the confirmed phone (the same answer when the phone is not the account\'s)', security: [],
      body: Type.Object({ idNumber: Type.String({ maxLength: 12 }), phone: Type.String({ maxLength: 20 }) }, { additionalProperties: false }),
      response: { 202: ChallengeView } },
  }, async (request, reply) => reply.code(202).send(await guarded(request.ip, () => citizen.accounts.startRecovery(request.body), [])));

  app.post('/citizen/recovery/confirm', {
    schema: { tags, summary: 'Recovery, step 2: a new password; the lock is lifted and sessions end', security: [],
      body: Type.Object({ challengeId: Type.String({ maxLength: 64 }), code: Type.String({ maxLength: 6 }), newPassword: Password }, { additionalProperties: false }),
      response: { 200: AccountView } },
  }, async (request) => accountView(await guarded(request.ip, () => citizen.accounts.completeRecovery(request.body), ['OTP_INVALID'])));
  return Promise.resolve();
};

const RelyingPartyView = Type.Object({
  clientId: Type.String(),
  displayName: Type.String(),
  redirectUris: Type.Array(Type.String()),
  postLogoutRedirectUris: Type.Array(Type.String()),
  allowedClaims: Type.Array(Type.String()),
  backchannelLogoutUri: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

function rpView(rp: RelyingParty): RelyingParty & { redirectUris: string[]; postLogoutRedirectUris: string[]; allowedClaims: string[] } {
  return { ...rp, redirectUris: [...rp.redirectUris], postLogoutRedirectUris: [...rp.postLogoutRedirectUris], allowedClaims: [...rp.allowedClaims] };
}

export interface CitizenAdminRoutesOptions {
  readonly citizen: CitizenModule;
  readonly drive: ActivationDriveService;
  readonly db: Kysely<DB>;
  readonly ties: PersonTiesResolver;
}

/** Officers' side under /api: relying-party onboarding (exchange administrators) and level 2 attestation (clerks, on the person's ties). */
export const citizenAdminRoutes: FastifyPluginAsyncTypebox<CitizenAdminRoutesOptions> = (app, { citizen, drive, db, ties }) => {
  const tags = ['citizen'];
  app.get('/citizen/activation-drive', {
    schema: { tags, summary: 'The e-ID activation drive: accounts by level, province and week against the 40 million target (the nation, or one province)',
      querystring: Type.Object({ province: Type.Optional(Type.String({ pattern: '^[0-9]{2}$' })) }, { additionalProperties: false }),
      response: { 200: Type.Object({
        target: Type.Integer(), province: Type.Union([Type.String(), Type.Null()]), accounts: Type.Integer(), level1: Type.Integer(), level2: Type.Integer(), shareOfTarget: Type.Number(),
        byProvince: Type.Array(Type.Object({ province: Type.String(), level1: Type.Integer(), level2: Type.Integer() })),
        byWeek: Type.Array(Type.Object({ weekStart: Type.String(), activated: Type.Integer(), cumulative: Type.Integer() })),
      }) } },
  }, async (request) => {
    const province = request.query.province;
    authorize(actorOf(request), 'quality.report', { kind: 'unit', unit: province === undefined ? { level: 'nation' } : { level: 'province', code: province } });
    const summary = await drive.summary({ province });
    return { ...summary, byProvince: [...summary.byProvince], byWeek: [...summary.byWeek] };
  });

  app.post('/citizen/relying-parties', {
    schema: { tags, summary: 'Onboard an exchange client as a relying party of the citizen e-ID',
      body: Type.Object({
        clientId: Type.String({ maxLength: 200, description: 'the exchange client VN/<class>/<member>/<subsystem>' }),
        displayName: Type.String({ maxLength: 120 }),
        redirectUris: Type.Array(Type.String({ maxLength: 500 }), { minItems: 1, maxItems: 10 }),
        postLogoutRedirectUris: Type.Optional(Type.Array(Type.String({ maxLength: 500 }), { maxItems: 10 })),
        allowedClaims: Type.Array(Type.Union(citizenClaimNames.map((c) => Type.Literal(c))), { minItems: 1, maxItems: citizenClaimNames.length }),
        backchannelLogoutUri: Type.Optional(Type.String({ maxLength: 500 })),
      }, { additionalProperties: false }),
      response: { 201: RelyingPartyView } },
  }, async (request, reply) => reply.code(201).send(rpView(await citizen.relyingParties.onboard(request.body))));

  app.get('/citizen/relying-parties', { schema: { tags, summary: 'Relying parties of the citizen e-ID', response: { 200: Type.Array(RelyingPartyView) } } },
    async () => (await citizen.relyingParties.list()).map(rpView));

  app.post('/citizen/relying-parties/status', {
    schema: { tags, summary: 'Suspend or reactivate a relying party (holds at its next request)',
      body: Type.Object({ clientId: Type.String({ maxLength: 200 }), status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]) }, { additionalProperties: false }),
      response: { 200: RelyingPartyView } },
  }, async (request) => rpView(await citizen.relyingParties.setStatus(request.body.clientId, request.body.status)));

  app.post('/citizen/accounts/level2', {
    schema: { tags, summary: 'Attest level 2 in person: the officer has checked the face against the card',
      body: Type.Object({ idNumber: Type.String({ pattern: '^[0-9]{12}$' }), cardNumber: Type.String({ maxLength: 20 }) }, { additionalProperties: false }),
      response: { 200: AccountView } },
  }, async (request) => {
    const actor = actorOf(request);
    const person = await personRepository.findById(db, request.body.idNumber);
    if (person === undefined) throw new DomainError('not_found', 'PERSON_NOT_FOUND', 'the registry has no such person', 'Check the ID number');
    authorize(actor, 'person.write', { kind: 'person', ties: ties.ties({ idNumber: person.idNumber, permanentCommune: person.permanentCommune, temporaryCommune: person.temporaryCommune, currentCommune: person.currentCommune, householdCommune: null }) });
    const unit = actor.unit.level === 'nation' ? 'nation' : `${actor.unit.level}:${actor.unit.code}`;
    return accountView(await citizen.accounts.attestLevel2({ officerId: actor.id, unit }, request.body));
  });
  return Promise.resolve();
};
