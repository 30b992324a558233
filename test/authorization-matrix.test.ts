// Every route of the built app against every kind of caller: no one gets in where they don't belong.
// A route added without an entry in `matrix` fails this test: add the line it prints.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessToken, callHeaders, grant, makeAgencyKeys, onboard, operatorToken, startExchangeFixture, type ExchangeFixture, type TestAgency } from './exchange.fixture.js';

/**
 * Who may call a route:
 * - public: anyone (no personal data);
 * - operator: only the operator token;
 * - agency:<service>: only an agency token whose client holds a grant for that service.
 */
type Access = 'public' | 'operator' | `agency:${string}`;

const matrix: Readonly<Record<string, Access>> = {
  'GET /healthz': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
  'GET /docs/': 'public',
  'GET /docs/*': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /': 'public',
  'GET /index.html': 'public',
  // registry (operators)
  'GET /api/persons/:id': 'operator',
  'GET /api/persons': 'operator',
  'GET /api/persons/:id/events': 'operator',
  'GET /api/persons/:id/history': 'operator',
  'POST /api/persons/:id/events': 'operator',
  'POST /api/persons': 'operator',
  'GET /api/households/:id': 'operator',
  'GET /api/admin-units/provinces': 'operator',
  'GET /api/admin-units/provinces/:code/communes': 'operator',
  'GET /api/admin-units/communes/:code': 'operator',
  'GET /api/admin-units/resolve': 'operator',
  // matching (operators)
  'POST /api/verify': 'operator',
  'PUT /api/reconcile-jobs/files/:name': 'operator',
  'POST /api/reconcile-jobs': 'operator',
  'GET /api/reconcile-jobs': 'operator',
  'GET /api/reconcile-jobs/:id': 'operator',
  'GET /api/reconcile-jobs/:id/summary': 'operator',
  'GET /api/reconcile-jobs/:id/results': 'operator',
  'GET /api/reconcile-jobs/:id/report': 'operator',
  // audit (operators; citizens' own sign-in comes with the identity issue)
  'GET /api/audit/checkpoint': 'operator',
  'GET /api/audit/proofs/inclusion': 'operator',
  'GET /api/audit/proofs/consistency': 'operator',
  'GET /api/citizens/:idNumber/access-records': 'operator',
  // quality (operators)
  'GET /api/quality/rules': 'operator',
  'POST /api/quality/scans': 'operator',
  'GET /api/quality/scans': 'operator',
  'GET /api/quality/scorecard': 'operator',
  'GET /api/quality/trend': 'operator',
  'GET /api/quality/findings': 'operator',
  'GET /api/quality/findings/:id': 'operator',
  'POST /api/quality/findings/:id/resolve': 'operator',
  'POST /api/quality/findings/:id/dismiss': 'operator',
  'POST /api/quality/findings/:id/merge': 'operator',
  'POST /api/quality/findings/:id/distinct': 'operator',
  'GET /api/quality/report': 'operator',
  // exchange administration (operators)
  'GET /api/exchange/members': 'operator',
  'POST /api/exchange/members': 'operator',
  'POST /api/exchange/members/:country/:memberClass/:member/officers': 'operator',
  'PUT /api/exchange/members/:country/:memberClass/:member/officers/:officerId/status': 'operator',
  'POST /api/exchange/members/:country/:memberClass/:member/clients': 'operator',
  'PUT /api/exchange/clients/:country/:memberClass/:member/:subsystem/keys': 'operator',
  'PUT /api/exchange/clients/:country/:memberClass/:member/:subsystem/status': 'operator',
  'GET /api/exchange/grants': 'operator',
  'POST /api/exchange/grants': 'operator',
  'POST /api/exchange/grants/:grantId/revoke': 'operator',
  'GET /api/exchange/consents': 'operator',
  'POST /api/exchange/consents': 'operator',
  'GET /api/exchange/consents/:consentId': 'operator',
  'POST /api/exchange/consents/:consentId/:action': 'operator',
  'GET /api/exchange/alerts': 'operator',
  'POST /api/exchange/alerts/:alertId/acknowledge': 'operator',
  // the agencies' exchange
  'POST /x/token': 'public',
  'GET /x/catalog': 'public',
  'GET /x/consent-keys': 'public',
  'POST /x/services/verify': 'agency:verify',
  'POST /x/services/person': 'agency:person',
  'POST /x/services/residence': 'agency:residence',
  'POST /x/services/household': 'agency:household',
  'POST /x/services/changes': 'agency:changes',
};

type Principal = 'none' | 'operator' | 'agencyA' | 'agencyB' | 'forged' | 'expired';
const principals: readonly Principal[] = ['none', 'operator', 'agencyA', 'agencyB', 'forged', 'expired'];

describe('authorisation matrix', () => {
  let fx: ExchangeFixture;
  let webRoot: string;
  let a: TestAgency;
  let b: TestAgency;
  const tokens = new Map<Principal, string>();

  beforeAll(async () => {
    webRoot = mkdtempSync(path.join(tmpdir(), 'sachsong-web-'));
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>console</title>');
    fx = await startExchangeFixture('sqlite', { webRoot });
    a = await makeAgencyKeys('VN/GOV/BTC/tax');
    b = await makeAgencyKeys('VN/COM/MOMO/wallet');
    await onboard(fx.app, a);
    await onboard(fx.app, b, 'other');
    await grant(fx.app, a.clientId, { service: 'verify', fields: ['fullName', 'birthDate'] });
    // an expired token: issued, then the clock moves past its lifetime
    tokens.set('expired', await accessToken(fx.app, a, fx.clock));
    fx.clock.advance(600_000);
    const tokenA = await accessToken(fx.app, a, fx.clock);
    tokens.set('agencyA', tokenA);
    tokens.set('agencyB', await accessToken(fx.app, b, fx.clock));
    tokens.set('forged', `${tokenA.slice(0, -4)}${tokenA.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`);
  });
  afterAll(async () => {
    await fx.close();
    rmSync(webRoot, { recursive: true, force: true });
  });

  const key = (method: string, url: string): string => `${method === 'HEAD' ? 'GET' : method} ${url}`;

  it('has an entry for every route of the built app', () => {
    const missing = [...new Set(fx.routes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((m: string) => key(m, r.url))))].filter((k) => !(k in matrix));
    expect(missing, `add these routes to the matrix in test/authorization-matrix.test.ts:\n${missing.map((m) => `  '${m}': '…',`).join('\n')}`).toEqual([]);
  });

  it('lets each caller in only where it belongs', async () => {
    const person = fx.people[0] ?? '';
    const fill = (url: string): string =>
      url
        .replace(':country', 'VN').replace(':memberClass', 'GOV').replace(':member', 'BTC').replace(':subsystem', 'tax')
        .replace(':idNumber', person).replace(':id', person).replace(':code', '01').replace(':name', 'file.csv')
        .replace(':grantId', '00000000-0000-4000-8000-000000000000').replace(':consentId', '00000000-0000-4000-8000-000000000000')
        .replace(':alertId', '00000000-0000-4000-8000-000000000000').replace(':action', 'pause')
        .replace('/*', '/index.html');
    const failures: string[] = [];
    const routes = [...new Set(fx.routes.flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).filter((m: string) => m !== 'HEAD').map((m: string) => `${m} ${r.url}`)))];
    for (const route of routes) {
      const [method = 'GET', url = '/'] = route.split(' ');
      const access = matrix[route];
      if (access === undefined) continue;
      for (const who of principals) {
        const agency = who === 'agencyB' ? b : a;
        const headers: Record<string, string> =
          who === 'none' ? {} :
            who === 'operator' ? { authorization: `Bearer ${operatorToken}` } :
              callHeaders(tokens.get(who) ?? '', agency);
        const payload = url.startsWith('/x/services/') ? { idNumber: person, fullName: 'Nguyễn Văn A', since: 0 } : url === '/x/token' ? { grant_type: 'client_credentials' } : {};
        const res = await fx.app.inject({ method: method as 'GET', url: fill(url), headers, ...(method === 'GET' ? {} : { payload: url.startsWith('/x/services/verify') ? { idNumber: person, fullName: 'Nguyễn Văn A' } : payload }) });
        const allowed =
          access === 'public' ? true :
            access === 'operator' ? who === 'operator' :
              who === 'agencyA' && access === 'agency:verify';
        const expected = allowed ? 'in' : access.startsWith('agency:') && (who === 'agencyA' || who === 'agencyB') ? 403 : 401;
        const got = res.statusCode;
        const ok = expected === 'in' ? got !== 401 && got !== 403 && got < 500 : got === expected;
        if (!ok) failures.push(`${route} as ${who}: expected ${String(expected)}, got ${got} ${res.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    // the matrix is not vacuous: every kind of access was exercised
    const kinds = new Set(Object.values(matrix).map((v) => v.split(':')[0]));
    expect([...kinds].sort()).toEqual(['agency', 'operator', 'public']);
  });
});
