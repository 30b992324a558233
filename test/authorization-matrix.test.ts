// Every route of the built app against every kind of caller: each officer role (in its own unit),
// a service account, the operator token, no credentials, and agencies on /x. Person routes also
// against jurisdiction: a person of the officer's commune, of another commune of the same
// province, of another province, each with and without a break-glass reason.
// A route added without an entry in `matrix` fails this test: add the line it prints.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfficialRead } from '../src/audit/official-read.recorder.js';
import { registerApiAuth } from '../src/http/api-auth.js';
import type { OfficialReadSink } from '../src/http/official-reads.js';
import { routePermissions } from '../src/http/route-permissions.js';
import { personInUnit, rolePermissions, type Permission, type PersonTies, type Role, type Unit } from '../src/identity/authorization.policy.js';
import type { UnitInput } from '../src/identity/unit.directory.js';
import { accessToken, callHeaders, grant, makeAgencyKeys, officerOf, onboard, operatorToken, startExchangeFixture, type ExchangeFixture, type TestAgency } from './exchange.fixture.js';
import { serviceAccountHeaders, type SignedInOfficer } from './officer-session.js';

/**
 * What a route needs, written here independently of src/http/route-permissions.ts (the test
 * checks both agree):
 * - public: anyone; agency:<service>: an agency token with a grant for the service;
 * - a permission: an officer or service account holding it; `authenticated`: any of them;
 *   `bootstrap` and `enrolment` are tested on their own below.
 * `nation` marks unit-scoped routes whose target is the whole nation when called without
 * parameters (a scorecard, the report, a full scan): below the nation they are refused.
 */
type Access = 'public' | `agency:${string}` | Permission | 'authenticated' | 'bootstrap' | 'enrolment';
interface Entry { readonly access: Access; readonly nation?: true; readonly skipLoop?: true }
const e = (access: Access, extra: Omit<Entry, 'access'> = {}): Entry => ({ access, ...extra });

const matrix: Readonly<Record<string, Entry>> = {
  'GET /healthz': e('public'),
  'GET /metrics': e('public'),
  'GET /openapi.json': e('public'),
  'GET /docs': e('public'),
  'GET /docs/': e('public'),
  'GET /docs/*': e('public'),
  'GET /docs/json': e('public'),
  'GET /docs/yaml': e('public'),
  'GET /docs/static/*': e('public'),
  'GET /docs/static/index.html': e('public'),
  'GET /docs/static/swagger-initializer.js': e('public'),
  'GET /': e('public'),
  'GET /index.html': e('public'),
  // officers' sign-in: the OpenID provider and the console's backend-for-frontend, public by protocol (their own tests)
  'GET /oidc/assets/sign-in.css': e('public', { skipLoop: true }),
  'GET /oidc/interaction/:uid': e('public', { skipLoop: true }),
  'POST /oidc/interaction/:uid/login': e('public', { skipLoop: true }),
  'GET /oidc': e('public', { skipLoop: true }),
  'GET /oidc/*': e('public', { skipLoop: true }),
  'POST /oidc/interaction/:uid/audience/:step': e('public', { skipLoop: true }),
  // citizens' own door: activation and recovery (test/citizen-oidc.test.ts)
  'POST /citizen/activation': e('public', { skipLoop: true }),
  'POST /citizen/activation/confirm': e('public', { skipLoop: true }),
  'POST /citizen/recovery': e('public', { skipLoop: true }),
  'POST /citizen/recovery/confirm': e('public', { skipLoop: true }),
  // the citizen's portal: their own e-ID session (test/citizen-portal.test.ts)
  'POST /citizen/portal/sign-in': e('public', { skipLoop: true }),
  'POST /citizen/portal/sign-out': e('public', { skipLoop: true }),
  'GET /citizen/portal/me': e('public', { skipLoop: true }),
  'GET /citizen/portal/access-records': e('public', { skipLoop: true }),
  'GET /citizen/portal/services': e('public', { skipLoop: true }),
  'POST /citizen/portal/services/revoke': e('public', { skipLoop: true }),
  'GET /citizen/portal/sessions': e('public', { skipLoop: true }),
  'POST /citizen/portal/sessions/:sessionRef/revoke': e('public', { skipLoop: true }),
  'POST /citizen/portal/level2/chip': e('public', { skipLoop: true }),
  'POST /citizen/portal/totp': e('public', { skipLoop: true }),
  'POST /citizen/portal/totp/confirm': e('public', { skipLoop: true }),
  // the citizen's portal pages (server-rendered; test/citizen-portal-pages.test.ts, test/citizen-portal.browser.test.ts)
  'GET /citizen/portal/assets/portal.css': e('public', { skipLoop: true }),
  'GET /citizen/portal/assets/tracker-proof.js': e('public', { skipLoop: true }),
  'GET /citizen/portal/my': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/sign-in': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/sign-out': e('public', { skipLoop: true }),
  'GET /citizen/portal/my/record': e('public', { skipLoop: true }),
  'GET /citizen/portal/my/tracker': e('public', { skipLoop: true }),
  'GET /citizen/portal/my/services': e('public', { skipLoop: true }),
  'GET /citizen/portal/my/consents': e('public', { skipLoop: true }),
  'GET /citizen/portal/my/requests': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/services/revoke': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/sessions/revoke': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/consents/give': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/consents/change': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/requests': e('public', { skipLoop: true }),
  'GET /citizen/portal/my/procedures': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/procedures/birth': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/procedures/death': e('public', { skipLoop: true }),
  // level 2 by the chip and the authenticator (test/citizen-oidc.test.ts "level 2 through the portal pages")
  'GET /citizen/portal/my/security': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/security/chip': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/security/totp': e('public', { skipLoop: true }),
  'POST /citizen/portal/my/security/totp/confirm': e('public', { skipLoop: true }),
  'TRACE /oidc': e('public', { skipLoop: true }),
  'TRACE /oidc/*': e('public', { skipLoop: true }),
  'DELETE /oidc': e('public', { skipLoop: true }),
  'DELETE /oidc/*': e('public', { skipLoop: true }),
  'OPTIONS /oidc': e('public', { skipLoop: true }),
  'OPTIONS /oidc/*': e('public', { skipLoop: true }),
  'PATCH /oidc': e('public', { skipLoop: true }),
  'PATCH /oidc/*': e('public', { skipLoop: true }),
  'PUT /oidc': e('public', { skipLoop: true }),
  'PUT /oidc/*': e('public', { skipLoop: true }),
  'POST /oidc': e('public', { skipLoop: true }),
  'POST /oidc/*': e('public', { skipLoop: true }),
  'QUERY /oidc': e('public', { skipLoop: true }),
  'QUERY /oidc/*': e('public', { skipLoop: true }),
  'GET /auth/login': e('public', { skipLoop: true }),
  'GET /auth/callback': e('public', { skipLoop: true }),
  'POST /auth/logout': e('public', { skipLoop: true }),
  // The officer's enrolment pages: the one-time code is the credential (test/oidc-provider.test.ts).
  'GET /auth/enrol': e('public', { skipLoop: true }),
  'POST /auth/enrol/begin': e('public', { skipLoop: true }),
  'POST /auth/enrol/complete': e('public', { skipLoop: true }),
  // identity
  'POST /api/identity/bootstrap': e('bootstrap', { skipLoop: true }),
  'POST /api/identity/enrolment/begin': e('enrolment', { skipLoop: true }),
  'POST /api/identity/enrolment/complete': e('enrolment', { skipLoop: true }),
  'GET /api/identity/me': e('authenticated'),
  'POST /api/identity/sign-out': e('authenticated', { skipLoop: true }),
  'GET /api/identity/sessions': e('authenticated'),
  'POST /api/identity/sessions/:sessionRef/revoke': e('authenticated', { skipLoop: true }),
  'GET /api/identity/officers': e('identity.read'),
  'GET /api/identity/officers/:officerId': e('identity.read'),
  'GET /api/identity/officers/:officerId/history': e('identity.read'),
  'GET /api/identity/officer-names': e('authenticated'),
  'POST /api/identity/officers': e('identity.admin'),
  'POST /api/identity/officers/:officerId/suspend': e('identity.admin'),
  'POST /api/identity/officers/:officerId/reactivate': e('identity.admin'),
  'POST /api/identity/officers/:officerId/role': e('identity.admin'),
  'POST /api/identity/officers/:officerId/reset-second-factor': e('identity.admin'),
  'POST /api/identity/officers/:officerId/unlock': e('identity.admin'),
  'GET /api/identity/officers/:officerId/sessions': e('identity.admin'),
  'GET /api/identity/service-accounts': e('identity.read'),
  'POST /api/identity/service-accounts': e('identity.admin'),
  'POST /api/identity/service-accounts/:accountId/revoke': e('identity.admin'),
  // registry
  'GET /api/persons/:id': e('person.read'),
  'GET /api/persons': e('person.search'),
  'GET /api/persons/:id/events': e('person.read'),
  'GET /api/persons/:id/history': e('person.read'),
  'POST /api/persons/:id/events': e('person.write'),
  'POST /api/persons': e('person.write'),
  'GET /api/households/:id': e('household.read'),
  'GET /api/admin-units/provinces': e('admin_units.read'),
  'GET /api/admin-units/provinces/:code/communes': e('admin_units.read'),
  'GET /api/admin-units/communes/:code': e('admin_units.read'),
  'GET /api/admin-units/resolve': e('admin_units.read'),
  'GET /api/admin-units/provinces/:code/conversion': e('admin_units.read'),
  // matching
  'POST /api/verify': e('person.search'),
  'PUT /api/reconcile-jobs/files/:name': e('reconcile.run'),
  'POST /api/reconcile-jobs': e('reconcile.run'),
  'POST /api/reconcile-jobs/column-mapping': e('reconcile.run'),
  'GET /api/reconcile-jobs': e('reconcile.run'),
  'GET /api/reconcile-jobs/:id': e('reconcile.run'),
  'GET /api/reconcile-jobs/:id/summary': e('reconcile.run'),
  'GET /api/reconcile-jobs/:id/results': e('reconcile.run'),
  'GET /api/reconcile-jobs/:id/report': e('reconcile.run'),
  // audit
  'GET /api/audit/checkpoint': e('audit.read'),
  'GET /api/audit/proofs/inclusion': e('audit.read'),
  'GET /api/audit/proofs/consistency': e('audit.read'),
  'GET /api/audit/break-glass-reads': e('audit.read'),
  'GET /api/citizens/:idNumber/access-records': e('audit.read'),
  // quality
  'GET /api/quality/rules': e('quality.report'),
  'POST /api/quality/scans': e('quality.scan', { nation: true }),
  'GET /api/quality/scans': e('quality.report'),
  'GET /api/quality/scorecard': e('quality.report', { nation: true }),
  'GET /api/quality/trend': e('quality.report'),
  'GET /api/quality/findings': e('quality.worklist'),
  'GET /api/quality/findings/:id': e('quality.worklist'),
  'POST /api/quality/findings/:id/resolve': e('quality.worklist'),
  'POST /api/quality/findings/:id/dismiss': e('quality.worklist'),
  'POST /api/quality/findings/:id/merge': e('quality.worklist'),
  'POST /api/quality/findings/:id/distinct': e('quality.worklist'),
  'GET /api/quality/report': e('quality.report', { nation: true }),
  // exchange administration
  'GET /api/exchange/members': e('exchange.admin'),
  'POST /api/exchange/members': e('exchange.admin'),
  'POST /api/citizen/relying-parties': e('exchange.admin'),
  'GET /api/citizen/relying-parties': e('exchange.admin'),
  'POST /api/citizen/relying-parties/status': e('exchange.admin'),
  'POST /api/citizen/accounts/level2': e('person.write'),
  'GET /api/citizen/activation-drive': e('quality.report', { nation: true }),
  'POST /api/exchange/members/:country/:memberClass/:member/officers': e('exchange.admin'),
  'PUT /api/exchange/members/:country/:memberClass/:member/officers/:officerId/status': e('exchange.admin'),
  'POST /api/exchange/members/:country/:memberClass/:member/clients': e('exchange.admin'),
  'PUT /api/exchange/clients/:country/:memberClass/:member/:subsystem/keys': e('exchange.admin'),
  'PUT /api/exchange/clients/:country/:memberClass/:member/:subsystem/status': e('exchange.admin'),
  'GET /api/exchange/grants': e('exchange.admin'),
  'POST /api/exchange/grants': e('exchange.admin'),
  'POST /api/exchange/grants/:grantId/revoke': e('exchange.admin'),
  'GET /api/exchange/consents': e('consent.manage'),
  'POST /api/exchange/consents': e('consent.manage'),
  'GET /api/exchange/consents/:consentId': e('consent.manage'),
  'GET /api/exchange/consents/:consentId/history': e('consent.manage'),
  'POST /api/exchange/consents/:consentId/:action': e('consent.manage'),
  'GET /api/exchange/alerts': e('exchange.alerts'),
  'POST /api/exchange/alerts/:alertId/acknowledge': e('exchange.alerts'),
  // direction centre
  'GET /api/direction/indicators': e('direction.read'),
  'GET /api/direction/indicators/:indicatorId/series': e('direction.read'),
  'GET /api/direction/indicators/:indicatorId/latest': e('direction.read'),
  'POST /api/direction/indicators/refresh': e('direction.manage'),
  'GET /api/direction/indicator-runs': e('direction.read'),
  'GET /api/direction/dashboard': e('direction.read'),
  'GET /api/direction/plans': e('direction.read'),
  'POST /api/direction/plans': e('direction.manage'),
  'GET /api/direction/plans/:planId/tasks': e('direction.read'),
  'POST /api/direction/plans/:planId/tasks': e('direction.manage'),
  'GET /api/direction/plans/:planId/meeting': e('direction.read'),
  'GET /api/direction/plans/:planId/export': e('direction.read'),
  'POST /api/direction/plans/:planId/import': e('direction.manage'),
  'GET /api/direction/tasks/:taskId': e('direction.read'),
  'PATCH /api/direction/tasks/:taskId': e('direction.manage'),
  'POST /api/direction/tasks/:taskId/milestones': e('direction.manage'),
  'POST /api/direction/milestones/:milestoneId/completion': e('direction.manage'),
  'POST /api/direction/tasks/:taskId/completion': e('direction.manage'),
  'POST /api/direction/tasks/:taskId/comments': e('direction.comment'),
  'GET /api/direction/statistics/:table': e('statistics.read'),
  'GET /api/direction/statistics-releases': e('statistics.read'),
  // linked procedures and the service catalogue (test/procedures-api.test.ts)
  'GET /api/procedures': e('person.search'),
  'GET /api/procedures/:procedureId': e('person.read'),
  'POST /api/procedures/:procedureId/steps/:stepNo/retry': e('person.write'),
  'GET /api/procedure-endpoints': e('exchange.admin'),
  'PUT /api/procedure-endpoints/:agency': e('exchange.admin'),
  'GET /api/service-catalogue': e('authenticated'),
  'POST /citizen/portal/procedures/birth': e('public', { skipLoop: true }),
  'POST /citizen/portal/procedures/death': e('public', { skipLoop: true }),
  'GET /citizen/portal/procedures': e('public', { skipLoop: true }),
  'GET /citizen/portal/procedures/:procedureId': e('public', { skipLoop: true }),
  // the agencies' exchange
  'POST /x/token': e('public'),
  'GET /x/catalog': e('public'),
  'GET /x/consent-keys': e('public'),
  'POST /x/services/verify': e('agency:verify'),
  'POST /x/services/person': e('agency:person'),
  'POST /x/services/residence': e('agency:residence'),
  'POST /x/services/household': e('agency:household'),
  'POST /x/services/changes': e('agency:changes'),
  'POST /x/services/tax-code': e('agency:tax-code'),
  'POST /x/subscriptions': e('agency:changes'),
  'GET /x/subscriptions': e('agency:changes'),
  'GET /x/subscriptions/:subscriptionId': e('agency:changes'),
  'GET /x/subscriptions/:subscriptionId/deliveries': e('agency:changes'),
  'POST /x/subscriptions/:subscriptionId/pause': e('agency:changes'),
  'POST /x/subscriptions/:subscriptionId/replay': e('agency:changes'),
  // signed residence documents (test/residence-documents.test.ts)
  'POST /api/persons/:id/residence-documents': e('person.write'),
  'GET /api/persons/:id/residence-documents': e('person.read'),
  'POST /api/persons/:id/residence-documents/:documentId/revoke': e('person.write'),
  'POST /x/services/residence-document': e('agency:residence-document'),
  'GET /.well-known/jwt-vc-issuer': e('public'),
  'GET /documents/jwks.json': e('public'),
  'GET /documents/status-lists/:listId': e('public'),
  'POST /documents/verify': e('public'),
  'GET /verify/residence': e('public'),
  'GET /verify/residence/verify.js': e('public'),
  'GET /verify/residence/verify.css': e('public'),
  'POST /citizen/portal/documents/residence': e('public', { skipLoop: true }),
  'GET /citizen/portal/documents': e('public', { skipLoop: true }),
};

/** Codes that mean the caller was turned away (not that the handler answered something else). */
const denialCodes = new Set(['CREDENTIALS_MISSING', 'CREDENTIALS_INVALID', 'OPERATOR_TOKEN_REFUSED', 'SESSION_INVALID', 'SESSION_EXPIRED', 'CSRF_INVALID', 'API_KEY_INVALID', 'API_KEY_EXPIRED', 'FORBIDDEN_ROLE', 'OUTSIDE_JURISDICTION', 'BREAK_GLASS_REASON_REQUIRED', 'ACCOUNT_INACTIVE', 'TARGET_REQUIRED']);
const codeOf = (body: string): string | undefined => {
  try {
    const parsed = JSON.parse(body) as { code?: unknown };
    return typeof parsed.code === 'string' ? parsed.code : undefined;
  } catch {
    return undefined;
  }
};
const deniedAs = (status: number, body: string): 401 | 403 | undefined => {
  if (status !== 401 && status !== 403) return undefined;
  const code = codeOf(body);
  return code === undefined || denialCodes.has(code) || code.startsWith('FST_') ? status : undefined;
};

/** Records reads in memory: the test sees what would be in the access log, and can make the log fail. */
class MemoryReads implements OfficialReadSink {
  readonly reads: OfficialRead[] = [];
  failing = false;
  record(read: OfficialRead): Promise<void> {
    if (this.failing) return Promise.reject(Object.assign(new Error('down'), { name: 'LogDown' }));
    this.reads.push(read);
    return Promise.resolve();
  }
}

interface Place { readonly commune: string; readonly province: string }
interface OfficerPrincipal { readonly name: string; readonly role: Role; readonly unit: Unit; readonly signedIn: SignedInOfficer }

describe('authorisation matrix', () => {
  let fx: ExchangeFixture;
  let webRoot: string;
  let a: TestAgency;
  let b: TestAgency;
  const reads = new MemoryReads();
  const agencyTokens = new Map<string, string>();
  const officers: OfficerPrincipal[] = [];
  let A: Place;
  /** Persons with a tie to commune A; to another commune of A's province only; to no place of the province. */
  let own: string;
  let sameProvince: string;
  let otherProvince: string;
  let household: { readonly id: string; readonly ties: PersonTies };
  const tiesOf = new Map<string, PersonTies>();
  const reason = 'Hồ sơ cấp cứu chuyển viện số 12/2026';

  beforeAll(async () => {
    webRoot = mkdtempSync(path.join(tmpdir(), 'sachsong-web-'));
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>console</title>');
    fx = await startExchangeFixture('sqlite', { webRoot, people: 1500, officialReads: reads });
    a = await makeAgencyKeys('VN/GOV/BTC/tax');
    b = await makeAgencyKeys('VN/COM/MOMO/wallet');
    await onboard(fx.app, a);
    await onboard(fx.app, b, 'other');
    await grant(fx.app, a.clientId, { service: 'verify', fields: ['fullName', 'birthDate'] });
    agencyTokens.set('agencyExpired', await accessToken(fx.app, a, fx.clock));
    fx.clock.advance(600_000);
    const tokenA = await accessToken(fx.app, a, fx.clock);
    agencyTokens.set('agencyA', tokenA);
    agencyTokens.set('agencyB', await accessToken(fx.app, b, fx.clock));
    agencyTokens.set('agencyForged', `${tokenA.slice(0, -4)}${tokenA.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`);

    // Places: the ties of every living person, and a commune A of a province with people elsewhere too.
    const rows = await fx.database.db.selectFrom('persons').leftJoin('households', 'households.household_id', 'persons.household_id')
      .select(['persons.id_number', 'persons.permanent_commune', 'persons.temporary_commune', 'persons.current_commune', 'households.commune_code', 'persons.household_id'])
      .where('persons.status', '=', 'alive').orderBy('persons.id_number').execute();
    for (const r of rows) {
      tiesOf.set(r.id_number, fx.identity.ties.ties({ idNumber: r.id_number, permanentCommune: r.permanent_commune, temporaryCommune: r.temporary_commune, currentCommune: r.current_commune, householdCommune: r.commune_code === '' ? null : r.commune_code }));
    }
    const candidates = rows.filter((r) => r.household_id !== null);
    let chosen: { own: string; same: string; other: string; place: Place } | undefined;
    for (const r of candidates) {
      const t = tiesOf.get(r.id_number);
      const place = t?.communes[0];
      if (place === undefined) continue;
      const commune: Unit = { level: 'commune', code: place.commune, province: place.province };
      const province: Unit = { level: 'province', code: place.province };
      const same = candidates.find((x) => { const tx = tiesOf.get(x.id_number); return tx !== undefined && !personInUnit(commune, tx) && personInUnit(province, tx); });
      const other = candidates.find((x) => { const tx = tiesOf.get(x.id_number); return tx !== undefined && !personInUnit(province, tx); });
      if (same !== undefined && other !== undefined) {
        chosen = { own: r.id_number, same: same.id_number, other: other.id_number, place };
        break;
      }
    }
    if (chosen === undefined) throw new Error('no population to test jurisdiction with');
    ({ own, place: A } = chosen);
    sameProvince = chosen.same;
    otherProvince = chosen.other;
    const ownRow = rows.find((r) => r.id_number === own);
    const members = rows.filter((r) => r.household_id === ownRow?.household_id);
    const merged: Place[] = [];
    for (const m of members) for (const c of tiesOf.get(m.id_number)?.communes ?? []) if (!merged.some((x) => x.commune === c.commune)) merged.push(c);
    if (ownRow?.commune_code != null && ownRow.commune_code !== '') for (const c of fx.identity.ties.ties({ idNumber: '', permanentCommune: null, temporaryCommune: null, currentCommune: null, householdCommune: ownRow.commune_code }).communes) if (!merged.some((x) => x.commune === c.commune)) merged.push(c);
    household = { id: ownRow?.household_id ?? '', ties: { communes: merged } };

    const communeA: UnitInput = { level: 'commune', code: A.commune };
    const provinceP: UnitInput = { level: 'province', code: A.province };
    const plan: [string, Role, UnitInput][] = [
      ['clerk@A', 'registry_clerk', communeA],
      ['commune@A', 'commune_officer', communeA],
      ['province@P', 'province_officer', provinceP],
      ['national', 'national_officer', { level: 'nation' }],
      ['quality@A', 'quality_officer', communeA],
      ['quality@nation', 'quality_officer', { level: 'nation' }],
      ['exchange_admin', 'exchange_admin', { level: 'nation' }],
      ['auditor', 'auditor', { level: 'nation' }],
      ['system_admin', 'system_admin', { level: 'nation' }],
      ['leader', 'leader', { level: 'nation' }],
      ['direction_officer', 'direction_officer', { level: 'nation' }],
    ];
    for (const [name, role, unit] of plan) {
      const signedIn = await officerOf(fx.app, role, unit);
      const full: Unit = unit.level === 'nation' ? { level: 'nation' } : unit.level === 'province' ? { level: 'province', code: unit.code } : { level: 'commune', code: unit.code, province: A.province };
      officers.push({ name, role, unit: full, signedIn });
    }
  }, 120_000);
  afterAll(async () => {
    await fx.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  const key = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url}`;
  const allRoutes = (): string[] => [...new Set(fx.routes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).filter((m: string) => m !== 'HEAD').map((m: string) => key(m, r.url))))];

  it('has an entry for every route of the built app, and agrees with src/http/route-permissions.ts', () => {
    const missing = allRoutes().filter((k) => !(k in matrix));
    expect(missing, `add these routes to the matrix in test/authorization-matrix.test.ts:\n${missing.map((m) => `  '${m}': e('…'),`).join('\n')}`).toEqual([]);
    const apiHere = Object.fromEntries(Object.entries(matrix).filter(([k]) => k.split(' ')[1]?.startsWith('/api/')).map(([k, v]) => [k, v.access]));
    expect(routePermissions).toEqual(apiHere);
  });

  it('refuses to start when an /api route has no permission', async () => {
    const app = Fastify();
    const start = async (): Promise<void> => {
      await app.register(async (api) => {
        registerApiAuth(api, { identity: fx.identity, operatorToken });
        api.get('/identity/me', () => ({}));
        api.get('/undeclared', () => ({}));
        await Promise.resolve();
      }, { prefix: '/api' });
      await app.ready();
    };
    await expect(start()).rejects.toThrow(/GET \/api\/undeclared has no permission/);
    await app.close();
  });

  const fill = (url: string, person: string): string =>
    url
      .replace(':country', 'VN').replace(':memberClass', 'GOV').replace(':member', 'BTC').replace(':subsystem', 'tax')
      .replace(':idNumber', person).replace(':id', url.startsWith('/api/households') ? household.id : url.startsWith('/api/quality/findings') || url.startsWith('/api/reconcile-jobs/') ? '00000000-0000-4000-8000-000000000000' : person)
      .replace(':code', '01').replace(':name', 'file.csv')
      .replace(':grantId', '00000000-0000-4000-8000-000000000000').replace(':consentId', '00000000-0000-4000-8000-000000000000')
      .replace(':alertId', '00000000-0000-4000-8000-000000000000').replace(':action', 'pause')
      .replace(':officerId', '00000000-0000-4000-8000-000000000000').replace(':accountId', '00000000-0000-4000-8000-000000000000')
      .replace('/*', '/index.html');

  it('lets each caller in only where its role (or scope) belongs', async () => {
    const service = await serviceAccountHeaders(fx.identity, ['admin_units.read', 'audit.read'], { level: 'nation' });
    type Caller = { readonly name: string; readonly headers: Record<string, string>; readonly holds: (p: Permission) => boolean; readonly nation: boolean; readonly actor: boolean };
    const callers: Caller[] = [
      { name: 'none', headers: {}, holds: () => false, nation: false, actor: false },
      { name: 'operator', headers: { authorization: `Bearer ${operatorToken}` }, holds: () => false, nation: false, actor: false },
      { name: 'forged session', headers: { cookie: 'sachsong_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'x-csrf-token': 'x' }, holds: () => false, nation: false, actor: false },
      { name: 'forged key', headers: { authorization: 'Bearer sk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, holds: () => false, nation: false, actor: false },
      { name: 'service(admin_units,audit)', headers: { authorization: service.authorization }, holds: (p) => p === 'admin_units.read' || p === 'audit.read', nation: true, actor: true },
      ...officers.map((o): Caller => ({ name: o.name, headers: { ...o.signedIn.headers }, holds: (p) => rolePermissions[o.role].includes(p), nation: o.unit.level === 'nation', actor: true })),
    ];
    const failures: string[] = [];
    let checked = 0;
    for (const route of allRoutes()) {
      const entry = matrix[route];
      if (entry === undefined || entry.skipLoop === true) continue;
      const [method = 'GET', url = '/'] = route.split(' ');
      if (url.startsWith('/x/')) continue; // below, with agency tokens
      for (const caller of callers) {
        const res = await fx.app.inject({ method: method as 'GET', url: fill(url, own), headers: caller.headers, ...(method === 'GET' ? {} : { payload: {} }) });
        const denied = deniedAs(res.statusCode, res.body);
        let expected: 'in' | 401 | 403;
        if (entry.access === 'public') expected = 'in';
        else if (!caller.actor) expected = 401;
        else if (entry.access === 'authenticated') expected = 'in';
        else if (!caller.holds(entry.access as Permission)) expected = 403;
        else if (entry.nation === true && !caller.nation) expected = 403;
        else expected = 'in';
        const ok = expected === 'in' ? denied === undefined && res.statusCode < 500 : denied === expected;
        if (!ok) failures.push(`${route} as ${caller.name}: expected ${String(expected)}, got ${String(res.statusCode)} ${res.body.slice(0, 140)}`);
        if (caller.name === 'operator' && url.startsWith('/api/') && codeOf(res.body) !== 'OPERATOR_TOKEN_REFUSED') failures.push(`${route}: the operator token was not refused as such`);
        checked += 1;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(80 * 10);
  }, 120_000);

  it('keeps the agencies\' exchange to agencies with a grant', async () => {
    const failures: string[] = [];
    const who = ['none', 'agencyA', 'agencyB', 'agencyForged', 'agencyExpired'] as const;
    for (const route of allRoutes().filter((r) => r.split(' ')[1]?.startsWith('/x/'))) {
      const [method = 'GET', url = '/'] = route.split(' ');
      const access = matrix[route]?.access ?? 'public';
      for (const w of who) {
        const headers = w === 'none' ? {} : callHeaders(agencyTokens.get(w) ?? '', w === 'agencyB' ? b : a);
        const payload = url.startsWith('/x/services/') ? { idNumber: own, fullName: 'Nguyễn Văn A', since: 0 } : url === '/x/token' ? { grant_type: 'client_credentials' } : {};
        const res = await fx.app.inject({ method: method as 'GET', url, headers, ...(method === 'GET' ? {} : { payload }) });
        const allowed = access === 'public' || (w === 'agencyA' && access === 'agency:verify');
        const expected = allowed ? 'in' : (w === 'agencyA' || w === 'agencyB') ? 403 : 401;
        const ok = expected === 'in' ? res.statusCode !== 401 && res.statusCode !== 403 && res.statusCode < 500 : res.statusCode === expected;
        if (!ok) failures.push(`${route} as ${w}: expected ${String(expected)}, got ${String(res.statusCode)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  describe('person routes by jurisdiction', () => {
    const personRoutes = [
      { route: 'GET /api/persons/:id', permission: 'person.read', action: 'person.read' },
      { route: 'GET /api/persons/:id/events', permission: 'person.read', action: 'person.events' },
      { route: 'GET /api/persons/:id/history?at=2026-02-01', permission: 'person.read', action: 'person.history' },
    ] as const;

    /** What the policy table (docs/identity.md) says, worked out here from the role and the place. */
    const expectRead = (o: OfficerPrincipal, permission: Permission, ties: PersonTies, withReason: boolean): 'in' | 'break-glass' | 403 => {
      if (!rolePermissions[o.role].includes(permission)) return 403;
      if (personInUnit(o.unit, ties)) return 'in';
      const mayBreakGlass = o.role === 'commune_officer' || o.role === 'province_officer';
      return mayBreakGlass && withReason ? 'break-glass' : 403;
    };

    it('reads a person only in the reader\'s unit, or by break-glass for commune and province officers; each read recorded before the answer', async () => {
      const failures: string[] = [];
      let breakGlassSeen = 0;
      for (const { route, permission, action } of personRoutes) {
        const [method = 'GET', url = '/'] = route.split(' ');
        for (const person of [own, sameProvince, otherProvince]) {
          const ties = tiesOf.get(person) ?? { communes: [] };
          for (const o of officers) {
            for (const withReason of [false, true]) {
              const before = reads.reads.length;
              const res = await fx.app.inject({ method: method as 'GET', url: url.replace(':id', person), headers: { ...o.signedIn.headers, ...(withReason ? { 'x-break-glass-reason': reason } : {}) } });
              const expected = expectRead(o, permission, ties, withReason);
              const label = `${route} ${person === own ? 'own commune' : person === sameProvince ? 'same province' : 'other province'} as ${o.name}${withReason ? ' with reason' : ''}`;
              if (expected === 403) {
                if (res.statusCode !== 403) failures.push(`${label}: expected 403, got ${String(res.statusCode)}`);
                else if (reads.reads.length !== before) failures.push(`${label}: a refused read was recorded`);
                continue;
              }
              if (res.statusCode !== 200) {
                failures.push(`${label}: expected 200, got ${String(res.statusCode)} ${res.body.slice(0, 120)}`);
                continue;
              }
              const read = reads.reads.at(-1);
              if (reads.reads.length !== before + 1 || read === undefined) {
                failures.push(`${label}: not recorded`);
                continue;
              }
              if (read.action !== action || read.reader.id !== o.signedIn.officerId || read.reader.role !== o.role || read.personIds.join() !== person || read.requestId === '') failures.push(`${label}: wrong record ${JSON.stringify(read)}`);
              if ((read.breakGlassReason === reason) !== (expected === 'break-glass')) failures.push(`${label}: break-glass mark ${String(read.breakGlassReason)}`);
              if (expected === 'break-glass') breakGlassSeen += 1;
            }
          }
        }
      }
      expect(failures).toEqual([]);
      expect(breakGlassSeen).toBeGreaterThan(0);
    }, 120_000);

    it('a short break-glass reason is refused with BREAK_GLASS_REASON_REQUIRED; national officers need none', async () => {
      const commune = officers.find((o) => o.name === 'commune@A');
      const national = officers.find((o) => o.name === 'national');
      const short = await fx.app.inject({ url: `/api/persons/${otherProvince}`, headers: { ...commune?.signedIn.headers, 'x-break-glass-reason': 'cần xem' } });
      expect(short.statusCode).toBe(403);
      expect(codeOf(short.body)).toBe('BREAK_GLASS_REASON_REQUIRED');
      const none = await fx.app.inject({ url: `/api/persons/${otherProvince}`, headers: { ...commune?.signedIn.headers } });
      expect(codeOf(none.body)).toBe('BREAK_GLASS_REASON_REQUIRED');
      const anywhere = await fx.app.inject({ url: `/api/persons/${otherProvince}`, headers: { ...national?.signedIn.headers } });
      expect(anywhere.statusCode).toBe(200);
      expect(reads.reads.at(-1)?.breakGlassReason).toBeUndefined();
    });

    it('opens a household by its members\' and its own ties, recording every member', async () => {
      const failures: string[] = [];
      for (const o of officers) {
        for (const withReason of [false, true]) {
          const before = reads.reads.length;
          const res = await fx.app.inject({ url: `/api/households/${household.id}`, headers: { ...o.signedIn.headers, ...(withReason ? { 'x-break-glass-reason': reason } : {}) } });
          const expected = expectRead(o, 'household.read', household.ties, withReason);
          if (expected === 403) {
            if (res.statusCode !== 403) failures.push(`${o.name}: expected 403, got ${String(res.statusCode)}`);
            continue;
          }
          if (res.statusCode !== 200) {
            failures.push(`${o.name}: expected 200, got ${String(res.statusCode)}`);
            continue;
          }
          const members = (res.json<{ members: { idNumber: string }[] }>()).members.map((m) => m.idNumber).sort();
          const read = reads.reads.at(-1);
          if (reads.reads.length !== before + 1 || read?.action !== 'household.read' || [...read.personIds].sort().join() !== members.join()) failures.push(`${o.name}: household read not recorded with every member`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('searches only within the reader\'s unit and records each listed person', async () => {
      const name = (await fx.database.db.selectFrom('persons').select('full_name').where('id_number', '=', otherProvince).executeTakeFirstOrThrow()).full_name;
      const commune = officers.find((o) => o.name === 'commune@A');
      const national = officers.find((o) => o.name === 'national');
      const asCommune = await fx.app.inject({ url: `/api/persons?name=${encodeURIComponent(name)}`, headers: { ...commune?.signedIn.headers } });
      expect(asCommune.statusCode).toBe(200);
      const listed = asCommune.json<{ items: { idNumber: string }[] }>().items.map((i) => i.idNumber);
      expect(listed).not.toContain(otherProvince);
      for (const id of listed) expect(personInUnit(commune?.unit ?? { level: 'nation' }, tiesOf.get(id) ?? { communes: [] })).toBe(true);
      const before = reads.reads.length;
      const asNation = await fx.app.inject({ url: `/api/persons?name=${encodeURIComponent(name)}`, headers: { ...national?.signedIn.headers, 'x-purpose': 'Kiem tra ho so', 'x-case-reference': 'HS-2026-001' } });
      const found = asNation.json<{ items: { idNumber: string }[] }>().items.map((i) => i.idNumber);
      expect(found).toContain(otherProvince);
      const read = reads.reads.at(-1);
      expect(reads.reads.length).toBe(before + 1);
      expect(read?.action).toBe('person.search');
      expect(read?.personIds).toEqual(found);
      expect(read?.purpose).toBe('Kiem tra ho so');
      expect(read?.caseReference).toBe('HS-2026-001');
    });

    it('sends no person data when the read cannot be recorded', async () => {
      const national = officers.find((o) => o.name === 'national');
      reads.failing = true;
      try {
        const res = await fx.app.inject({ url: `/api/persons/${own}`, headers: { ...national?.signedIn.headers } });
        expect(res.statusCode).toBe(500);
        expect(res.body).not.toContain(own);
      } finally {
        reads.failing = false;
      }
    });

    it('refuses a purpose header with control characters', async () => {
      const national = officers.find((o) => o.name === 'national');
      const res = await fx.app.inject({ url: `/api/persons/${own}`, headers: { ...national?.signedIn.headers, 'x-purpose': 'a\u0007b' } });
      expect(res.statusCode).toBe(400);
      expect(codeOf(res.body)).toBe('HEADER_INVALID');
    });

    it('lets a clerk record events only where the person is tied to their commune', async () => {
      const clerk = officers.find((o) => o.name === 'clerk@A');
      const event = { type: 'correction', occurredOn: '2026-02-01', officerId: 'someone-else', reason: 'sửa tên đệm', data: {} };
      const outside = await fx.app.inject({ method: 'POST', url: `/api/persons/${otherProvince}/events`, headers: { ...clerk?.signedIn.headers }, payload: event });
      expect(outside.statusCode).toBe(403);
      expect(codeOf(outside.body)).toBe('OUTSIDE_JURISDICTION');
      const inside = await fx.app.inject({ method: 'POST', url: `/api/persons/${own}/events`, headers: { ...clerk?.signedIn.headers }, payload: event });
      expect(deniedAs(inside.statusCode, inside.body)).toBeUndefined();
      if (inside.statusCode === 201) expect(inside.json<{ event: { officerId: string | null } }>().event.officerId).toBe(clerk?.signedIn.officerId);
    });
  });

  describe('service accounts', () => {
    it('act within their scopes and unit, and never break glass', async () => {
      const sa = await serviceAccountHeaders(fx.identity, ['person.read'], { level: 'commune', code: A.commune });
      const mine = await fx.app.inject({ url: `/api/persons/${own}`, headers: { authorization: sa.authorization } });
      expect(mine.statusCode).toBe(200);
      expect(reads.reads.at(-1)?.reader).toMatchObject({ kind: 'service_account', id: sa.accountId });
      const other = await fx.app.inject({ url: `/api/persons/${otherProvince}`, headers: { authorization: sa.authorization, 'x-break-glass-reason': reason } });
      expect(other.statusCode).toBe(403);
      expect(codeOf(other.body)).toBe('OUTSIDE_JURISDICTION');
      const search = await fx.app.inject({ url: '/api/persons?name=Nguyen', headers: { authorization: sa.authorization } });
      expect(codeOf(search.body)).toBe('FORBIDDEN_ROLE');
      // no CSRF token needed: a key is not a cookie
      const post = await fx.app.inject({ method: 'POST', url: '/api/verify', headers: { authorization: sa.authorization }, payload: {} });
      expect(codeOf(post.body)).toBe('FORBIDDEN_ROLE');
      await fx.identity.serviceAccounts.revoke({ kind: 'officer', id: 'test', role: 'system_admin', unit: { level: 'nation' }, active: true }, sa.accountId);
      const revoked = await fx.app.inject({ url: `/api/persons/${own}`, headers: { authorization: sa.authorization } });
      expect(revoked.statusCode).toBe(401);
    });
  });

  describe('sessions', () => {
    it('needs the session\'s CSRF token on unsafe methods', async () => {
      const admin = officers.find((o) => o.name === 'exchange_admin');
      const cookie = admin?.signedIn.headers.cookie ?? '';
      const missing = await fx.app.inject({ method: 'POST', url: '/api/exchange/grants', headers: { cookie }, payload: {} });
      expect(missing.statusCode).toBe(403);
      expect(codeOf(missing.body)).toBe('CSRF_INVALID');
      const wrong = await fx.app.inject({ method: 'POST', url: '/api/exchange/grants', headers: { cookie, 'x-csrf-token': officers[0]?.signedIn.csrfToken ?? 'x' }, payload: {} });
      expect(codeOf(wrong.body)).toBe('CSRF_INVALID');
      const right = await fx.app.inject({ method: 'POST', url: '/api/exchange/grants', headers: { ...admin?.signedIn.headers }, payload: {} });
      expect(right.statusCode).toBe(400);
      // a GET needs none
      const read = await fx.app.inject({ url: '/api/exchange/grants', headers: { cookie } });
      expect(read.statusCode).toBe(200);
    });

    it('tells an officer who they are, with the CSRF token; signs out and revokes sessions', async () => {
      const o = await officerOf(fx.app, 'commune_officer', { level: 'commune', code: A.commune });
      const me = await fx.app.inject({ url: '/api/identity/me', headers: { cookie: o.headers.cookie } });
      expect(me.statusCode).toBe(200);
      expect(me.headers['cache-control']).toBe('no-store');
      expect(me.json()).toMatchObject({ kind: 'officer', id: o.officerId, role: 'commune_officer', unit: { level: 'commune', code: A.commune }, csrfToken: o.csrfToken });
      expect(me.json<{ permissions: string[] }>().permissions).toEqual([...rolePermissions.commune_officer]);
      const sessions = await fx.app.inject({ url: '/api/identity/sessions', headers: { cookie: o.headers.cookie } });
      expect(sessions.json<{ items: { current: boolean }[] }>().items.filter((s) => s.current)).toHaveLength(1);
      const out = await fx.app.inject({ method: 'POST', url: '/api/identity/sign-out', headers: { ...o.headers } });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers['set-cookie'])).toMatch(/^sachsong_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
      const after = await fx.app.inject({ url: '/api/identity/me', headers: { cookie: o.headers.cookie } });
      expect(after.statusCode).toBe(401);
      expect(codeOf(after.body)).toBe('SESSION_INVALID');
    });

    it('creates the first administrator with the operator token once, and nowhere else', async () => {
      const fresh = await startExchangeFixture('sqlite', { people: 20 });
      try {
        await bootstrapOnce(fresh);
      } finally {
        await fresh.close();
      }
    });
  async function bootstrapOnce(fx: ExchangeFixture): Promise<void> {
      const body = { username: 'quantri', displayName: 'Quản trị hệ thống' };
      const someone = await officerOf(fx.app, 'national_officer');
      const noToken = await fx.app.inject({ method: 'POST', url: '/api/identity/bootstrap', payload: body });
      expect(noToken.statusCode).toBe(401);
      const wrong = await fx.app.inject({ method: 'POST', url: '/api/identity/bootstrap', headers: { authorization: 'Bearer not-the-token' }, payload: body });
      expect(wrong.statusCode).toBe(401);
      const asOfficer = await fx.app.inject({ method: 'POST', url: '/api/identity/bootstrap', headers: { ...someone.headers }, payload: body });
      expect(asOfficer.statusCode).toBe(401);
      const first = await fx.app.inject({ method: 'POST', url: '/api/identity/bootstrap', headers: { authorization: `Bearer ${operatorToken}` }, payload: body });
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({ officer: { role: 'system_admin', username: 'quantri', enrolled: false } });
      const again = await fx.app.inject({ method: 'POST', url: '/api/identity/bootstrap', headers: { authorization: `Bearer ${operatorToken}` }, payload: { ...body, username: 'quantri2' } });
      expect(again.statusCode).toBe(409);
      expect(codeOf(again.body)).toBe('BOOTSTRAP_CLOSED');
      // its enrolment token starts enrolment without a session
      const token = first.json<{ enrolmentToken: string }>().enrolmentToken;
      const begin = await fx.app.inject({ method: 'POST', url: '/api/identity/enrolment/begin', payload: { enrolmentToken: token } });
      expect(begin.statusCode).toBe(200);
      expect(begin.json<{ otpauthUri: string }>().otpauthUri).toMatch(/^otpauth:\/\/totp\//);
      const bogus = await fx.app.inject({ method: 'POST', url: '/api/identity/enrolment/begin', payload: { enrolmentToken: 'x'.repeat(43) } });
      expect(codeOf(bogus.body)).toBe('ENROLMENT_INVALID');
  }

    it('ends a session idle for 15 minutes (401 SESSION_EXPIRED)', async () => {
      const o = await officerOf(fx.app, 'national_officer');
      expect((await fx.app.inject({ url: '/api/identity/me', headers: { cookie: o.headers.cookie } })).statusCode).toBe(200);
      fx.clock.advance(16 * 60_000);
      const res = await fx.app.inject({ url: '/api/identity/me', headers: { cookie: o.headers.cookie } });
      expect(res.statusCode).toBe(401);
      expect(codeOf(res.body)).toBe('SESSION_EXPIRED');
    });
  });
});
