import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { isDomainError } from '../shared/domain-error.js';
import { renderEnrolmentDone, renderEnrolmentForm, renderEnrolmentStart, type EnrolmentProblem } from './enrolment.page.js';
import type { OfficerAuthService } from './officer-auth.service.js';

export const enrolmentPath = '/auth/enrol';

const explained: ReadonlySet<string> = new Set(['ENROLMENT_INVALID', 'ENROLMENT_NOT_STARTED', 'PASSWORD_WEAK', 'TOTP_INVALID']);

function problemOf(error: unknown): EnrolmentProblem | undefined {
  if (!isDomainError(error)) return undefined;
  return explained.has(error.code) ? (error.code as EnrolmentProblem) : undefined;
}

function field(body: unknown, name: string, max: number): string {
  if (typeof body !== 'string') return '';
  return (new URLSearchParams(body).get(name) ?? '').slice(0, max);
}

/**
 * The officer's enrolment in the browser, for the one-time code an administrator gave (today's
 * other way is the API's /api/identity/enrolment/*): the code, then the authenticator's QR code
 * and a password with a first code. Server-rendered forms without a session; a form posted from
 * another origin is refused (the code is the secret, but a cross-site post could enrol an
 * account for someone else's authenticator).
 *
 * @example
 * await registerOfficerEnrolment(app, { auth: identity.auth });
 * // an administrator sends the new officer to /auth/enrol with the code from POST /api/identity/officers
 */
export async function registerOfficerEnrolment(app: FastifyInstance, options: { readonly auth: OfficerAuthService }): Promise<void> {
  await app.register((scope: FastifyInstance, _opts, done) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4_096 }, (_request, body, next) => { next(null, body); });

    const html = (reply: FastifyReply, status: number, body: string): FastifyReply =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
    const crossSite = (request: FastifyRequest): boolean => {
      const origin = request.headers.origin;
      return origin !== undefined && origin !== 'null' && new URL(origin).host !== request.headers.host;
    };

    scope.get(enrolmentPath, { schema: { hide: true } }, (_request, reply) => html(reply, 200, renderEnrolmentStart({ action: `${enrolmentPath}/begin` })));

    scope.post(`${enrolmentPath}/begin`, { schema: { hide: true } }, async (request, reply) => {
      if (crossSite(request)) return html(reply, 403, renderEnrolmentStart({ action: `${enrolmentPath}/begin`, problem: 'failed' }));
      const token = field(request.body, 'token', 200).trim();
      let started;
      try {
        started = await options.auth.beginEnrolment(token);
      } catch (error) {
        const problem = problemOf(error);
        if (problem === undefined) throw error;
        return html(reply, 400, renderEnrolmentStart({ action: `${enrolmentPath}/begin`, problem }));
      }
      const qrSvg = await QRCode.toString(started.otpauthUri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
      return html(reply, 200, renderEnrolmentForm({ action: `${enrolmentPath}/complete`, token, username: started.username, secret: { base32: started.totpSecret, otpauthUri: started.otpauthUri, qrSvg } }));
    });

    scope.post(`${enrolmentPath}/complete`, { schema: { hide: true } }, async (request, reply) => {
      const token = field(request.body, 'token', 200);
      const username = field(request.body, 'username', 64);
      if (crossSite(request)) return html(reply, 403, renderEnrolmentStart({ action: `${enrolmentPath}/begin`, problem: 'failed' }));
      let officer;
      try {
        officer = await options.auth.completeEnrolment({ enrolmentToken: token, password: field(request.body, 'password', 1_024), code: field(request.body, 'code', 16) });
      } catch (error) {
        const problem = problemOf(error);
        if (problem === undefined) throw error;
        // A used or unknown code starts again; a weak password or a wrong code keeps the key already in the app.
        if (problem === 'ENROLMENT_INVALID' || problem === 'ENROLMENT_NOT_STARTED') return html(reply, 400, renderEnrolmentStart({ action: `${enrolmentPath}/begin`, problem }));
        return html(reply, 400, renderEnrolmentForm({ action: `${enrolmentPath}/complete`, token, username, problem }));
      }
      return html(reply, 200, renderEnrolmentDone(officer.username));
    });
    done();
  });
}
