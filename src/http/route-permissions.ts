import type { Permission } from '../identity/authorization.policy.js';

/**
 * What a route under /api needs:
 * - a permission: an authenticated actor holding it (the handler narrows person and unit scopes
 *   with `decide`/`authorize` on the person's ties or the unit asked for);
 * - `authenticated`: any signed-in officer or service account (their own identity, sessions);
 * - `enrolment`: no session, the one-time enrolment token in the body is the credential;
 * - `bootstrap`: the operator token, and only while no system administrator exists.
 */
export type RouteAccess = Permission | 'authenticated' | 'enrolment' | 'bootstrap';

/**
 * Every /api route and what it needs, in one place. A route that is added under /api without a
 * line here fails at start (api-auth.ts checks each route as it is registered).
 */
export const routePermissions: Readonly<Record<string, RouteAccess>> = {
  // identity
  'POST /api/identity/bootstrap': 'bootstrap',
  'POST /api/identity/enrolment/begin': 'enrolment',
  'POST /api/identity/enrolment/complete': 'enrolment',
  'GET /api/identity/me': 'authenticated',
  'POST /api/identity/sign-out': 'authenticated',
  'GET /api/identity/sessions': 'authenticated',
  'POST /api/identity/sessions/:sessionRef/revoke': 'authenticated',
  'GET /api/identity/officers': 'identity.read',
  'GET /api/identity/officers/:officerId': 'identity.read',
  'GET /api/identity/officer-names': 'authenticated',
  'POST /api/identity/officers': 'identity.admin',
  'POST /api/identity/officers/:officerId/suspend': 'identity.admin',
  'GET /api/identity/officers/:officerId/history': 'identity.read',
  'POST /api/identity/officers/:officerId/reactivate': 'identity.admin',
  'POST /api/identity/officers/:officerId/role': 'identity.admin',
  'POST /api/identity/officers/:officerId/reset-second-factor': 'identity.admin',
  'POST /api/identity/officers/:officerId/unlock': 'identity.admin',
  'GET /api/identity/officers/:officerId/sessions': 'identity.admin',
  'GET /api/identity/service-accounts': 'identity.read',
  'POST /api/identity/service-accounts': 'identity.admin',
  'POST /api/identity/service-accounts/:accountId/revoke': 'identity.admin',
  // registry: person scope (the handler authorizes on the person's ties)
  'GET /api/persons/:id': 'person.read',
  'GET /api/persons': 'person.search',
  'GET /api/persons/:id/events': 'person.read',
  'GET /api/persons/:id/history': 'person.read',
  'POST /api/persons/:id/events': 'person.write',
  'POST /api/persons': 'person.write',
  'GET /api/households/:id': 'household.read',
  'GET /api/admin-units/provinces': 'admin_units.read',
  'GET /api/admin-units/provinces/:code/communes': 'admin_units.read',
  'GET /api/admin-units/communes/:code': 'admin_units.read',
  'GET /api/admin-units/resolve': 'admin_units.read',
  'GET /api/admin-units/provinces/:code/conversion': 'admin_units.read',
  // matching: verify releases no registry value (yes/no per field), so it needs what a search needs
  'POST /api/verify': 'person.search',
  'PUT /api/reconcile-jobs/files/:name': 'reconcile.run',
  'POST /api/reconcile-jobs': 'reconcile.run',
  'POST /api/reconcile-jobs/column-mapping': 'reconcile.run',
  'GET /api/reconcile-jobs': 'reconcile.run',
  'GET /api/reconcile-jobs/:id': 'reconcile.run',
  'GET /api/reconcile-jobs/:id/summary': 'reconcile.run',
  'GET /api/reconcile-jobs/:id/results': 'reconcile.run',
  'GET /api/reconcile-jobs/:id/report': 'reconcile.run',
  // audit
  'GET /api/audit/checkpoint': 'audit.read',
  'GET /api/audit/proofs/inclusion': 'audit.read',
  'GET /api/audit/proofs/consistency': 'audit.read',
  'GET /api/audit/break-glass-reads': 'audit.read',
  'GET /api/citizens/:idNumber/access-records': 'audit.read',
  // quality: unit scope (the handler narrows to the unit asked for)
  'GET /api/quality/rules': 'quality.report',
  'POST /api/quality/scans': 'quality.scan',
  'GET /api/quality/scans': 'quality.report',
  'GET /api/quality/scorecard': 'quality.report',
  'GET /api/quality/trend': 'quality.report',
  'GET /api/quality/findings': 'quality.worklist',
  'GET /api/quality/findings/:id': 'quality.worklist',
  'POST /api/quality/findings/:id/resolve': 'quality.worklist',
  'POST /api/quality/findings/:id/dismiss': 'quality.worklist',
  'POST /api/quality/findings/:id/merge': 'quality.worklist',
  'POST /api/quality/findings/:id/distinct': 'quality.worklist',
  'GET /api/quality/report': 'quality.report',
  // citizen e-ID: relying parties are exchange members; level 2 is attested by a clerk on the person's ties
  'POST /api/citizen/relying-parties': 'exchange.admin',
  'GET /api/citizen/relying-parties': 'exchange.admin',
  'POST /api/citizen/relying-parties/status': 'exchange.admin',
  'POST /api/citizen/accounts/level2': 'person.write',
  'GET /api/citizen/activation-drive': 'quality.report',
  // exchange administration
  'GET /api/exchange/members': 'exchange.admin',
  'POST /api/exchange/members': 'exchange.admin',
  'POST /api/exchange/members/:country/:memberClass/:member/officers': 'exchange.admin',
  'PUT /api/exchange/members/:country/:memberClass/:member/officers/:officerId/status': 'exchange.admin',
  'POST /api/exchange/members/:country/:memberClass/:member/clients': 'exchange.admin',
  'PUT /api/exchange/clients/:country/:memberClass/:member/:subsystem/keys': 'exchange.admin',
  'PUT /api/exchange/clients/:country/:memberClass/:member/:subsystem/status': 'exchange.admin',
  'GET /api/exchange/grants': 'exchange.admin',
  'POST /api/exchange/grants': 'exchange.admin',
  'POST /api/exchange/grants/:grantId/revoke': 'exchange.admin',
  'GET /api/exchange/consents': 'consent.manage',
  'POST /api/exchange/consents': 'consent.manage',
  'GET /api/exchange/consents/:consentId': 'consent.manage',
  'GET /api/exchange/consents/:consentId/history': 'consent.manage',
  'POST /api/exchange/consents/:consentId/:action': 'consent.manage',
  'GET /api/exchange/alerts': 'exchange.alerts',
  'POST /api/exchange/alerts/:alertId/acknowledge': 'exchange.alerts',
  // direction centre: plans, indicators and dashboards hold no personal data; statistics are noisy aggregates
  'GET /api/direction/indicators': 'direction.read',
  'GET /api/direction/indicators/:indicatorId/series': 'direction.read',
  'GET /api/direction/indicators/:indicatorId/latest': 'direction.read',
  'POST /api/direction/indicators/refresh': 'direction.manage',
  'GET /api/direction/indicator-runs': 'direction.read',
  'GET /api/direction/dashboard': 'direction.read',
  'GET /api/direction/plans': 'direction.read',
  'POST /api/direction/plans': 'direction.manage',
  'GET /api/direction/plans/:planId/tasks': 'direction.read',
  'POST /api/direction/plans/:planId/tasks': 'direction.manage',
  'GET /api/direction/plans/:planId/meeting': 'direction.read',
  'GET /api/direction/plans/:planId/export': 'direction.read',
  'POST /api/direction/plans/:planId/import': 'direction.manage',
  'GET /api/direction/tasks/:taskId': 'direction.read',
  'PATCH /api/direction/tasks/:taskId': 'direction.manage',
  'POST /api/direction/tasks/:taskId/milestones': 'direction.manage',
  'POST /api/direction/milestones/:milestoneId/completion': 'direction.manage',
  'POST /api/direction/tasks/:taskId/completion': 'direction.manage',
  'POST /api/direction/tasks/:taskId/comments': 'direction.comment',
  'GET /api/direction/statistics/:table': 'statistics.read',
  'GET /api/direction/statistics-releases': 'statistics.read',
  // signed residence documents: issued on the person's request by who may record their events; listing is a read
  'POST /api/persons/:id/residence-documents': 'person.write',
  'GET /api/persons/:id/residence-documents': 'person.read',
  'POST /api/persons/:id/residence-documents/:documentId/revoke': 'person.write',
  // linked procedures (src/services): a unit's list like a search, one procedure like a person, a retry like a life event
  'GET /api/procedures': 'person.search',
  'GET /api/procedures/:procedureId': 'person.read',
  'POST /api/procedures/:procedureId/steps/:stepNo/retry': 'person.write',
  'GET /api/procedure-endpoints': 'exchange.admin',
  'PUT /api/procedure-endpoints/:agency': 'exchange.admin',
  'GET /api/service-catalogue': 'authenticated',
};

/** The table's key of a route: its method (HEAD as GET) and its full URL pattern. */
export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}
