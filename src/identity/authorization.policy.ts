/**
 * Who may do what, and where: roles, named permissions and jurisdiction. Pure functions over
 * plain data, so that every edge (HTTP routes, the console, the CLI, the exchange's officer reads)
 * asks the same question the same way and the matrix can be tested exhaustively.
 */
import { DomainError } from '../shared/domain-error.js';

export const roles = [
  'registry_clerk',
  'commune_officer',
  'province_officer',
  'national_officer',
  'quality_officer',
  'exchange_admin',
  'auditor',
  'system_admin',
  'leader',
  'direction_officer',
] as const;
export type Role = (typeof roles)[number];

export const permissions = [
  /** Open a person (record, history). */
  'person.read',
  /** Search persons by name and birth date; the result list is limited to the unit. */
  'person.search',
  /** Register a person or record a life event. */
  'person.write',
  /** Open a household and its members. */
  'household.read',
  /** Export persons of a unit to a file. */
  'person.export',
  /** Work the cleaning worklist (resolve, dismiss, merge) of a unit. */
  'quality.worklist',
  /** Read scorecards, trends and reports of a unit. */
  'quality.report',
  /** Start a full quality scan (nation-wide). */
  'quality.scan',
  /** Upload agency files and run bulk reconciliation. */
  'reconcile.run',
  /** Members, clients, keys and grants of the exchange. */
  'exchange.admin',
  /** Misuse alerts (read and acknowledge). */
  'exchange.alerts',
  /** Give, pause and withdraw consents on a citizen's behalf. */
  'consent.manage',
  /** The access log, its proofs and any citizen's tracker (read-only). */
  'audit.read',
  /** Sign a checkpoint of the access log. */
  'audit.checkpoint',
  /** List officers and service accounts. */
  'identity.read',
  /** Create, suspend and change officers and service accounts. */
  'identity.admin',
  /** Administrative units (not personal data). */
  'admin_units.read',
  /** Plans, tasks, indicators and dashboards of the direction centre (no personal data). */
  'direction.read',
  /** Create and change plans and tasks, import them, refresh indicators. */
  'direction.manage',
  /** Comment on a task (a leader's direction). */
  'direction.comment',
  /** Population tables for localities (noisy aggregates under a privacy budget). */
  'statistics.read',
] as const;
export type Permission = (typeof permissions)[number];

/**
 * How a permission is scoped:
 * - `person`: needs a target (a person's ties, or the unit where an event is recorded) inside the actor's unit;
 * - `unit`: acts on a unit (a worklist, a scorecard, an export); no target means the whole nation;
 * - `global`: not tied to a place (administration, the log).
 */
export type PermissionScope = 'person' | 'unit' | 'global';

export const permissionScopes: Readonly<Record<Permission, PermissionScope>> = {
  'person.read': 'person',
  'person.search': 'unit',
  'person.write': 'person',
  'household.read': 'person',
  'person.export': 'unit',
  'quality.worklist': 'unit',
  'quality.report': 'unit',
  'quality.scan': 'unit',
  'reconcile.run': 'global',
  'exchange.admin': 'global',
  'exchange.alerts': 'global',
  'consent.manage': 'global',
  'audit.read': 'global',
  'audit.checkpoint': 'global',
  'identity.read': 'global',
  'identity.admin': 'global',
  'admin_units.read': 'global',
  'direction.read': 'global',
  'direction.manage': 'global',
  'direction.comment': 'global',
  'statistics.read': 'global',
};

const readPersons = ['person.read', 'person.search', 'household.read', 'quality.report', 'admin_units.read'] as const;

/**
 * The role → permission table. Separation of duties: administrators (system, exchange) and
 * auditors read no person's record; officers who read persons administer nothing.
 */
export const rolePermissions: Readonly<Record<Role, readonly Permission[]>> = {
  registry_clerk: ['person.read', 'person.search', 'person.write', 'household.read', 'admin_units.read'],
  commune_officer: [...readPersons],
  province_officer: [...readPersons, 'person.export', 'statistics.read'],
  national_officer: [...readPersons, 'person.export', 'statistics.read'],
  quality_officer: ['person.read', 'household.read', 'quality.worklist', 'quality.report', 'quality.scan', 'admin_units.read'],
  exchange_admin: ['exchange.admin', 'exchange.alerts', 'consent.manage', 'reconcile.run', 'admin_units.read'],
  auditor: ['audit.read', 'exchange.alerts', 'identity.read', 'admin_units.read'],
  system_admin: ['identity.admin', 'identity.read', 'audit.checkpoint', 'admin_units.read'],
  // The direction centre reads no person: leaders follow and direct; its officers keep the plans.
  leader: ['direction.read', 'direction.comment', 'statistics.read', 'admin_units.read'],
  direction_officer: ['direction.read', 'direction.manage', 'direction.comment', 'statistics.read', 'admin_units.read'],
};

/**
 * Break-glass: reading a person outside one's unit with a written reason. Allowed to commune and
 * province officers (an emergency, a case from another place); national officers never need it;
 * clerks, quality officers and administrators never get it (they write, clean or administer,
 * and an out-of-unit read by them has no legitimate emergency). Only reads.
 */
export const breakGlassRoles: readonly Role[] = ['commune_officer', 'province_officer'];
export const breakGlassPermissions: readonly Permission[] = ['person.read', 'household.read'];
export const breakGlassReasonMinLength = 15;

export type UnitLevel = 'commune' | 'province' | 'nation';

/** A 2025 unit. A commune carries its province so that containment needs no lookup. */
export type Unit =
  | { readonly level: 'nation' }
  | { readonly level: 'province'; readonly code: string }
  | { readonly level: 'commune'; readonly code: string; readonly province: string };

/** The unit levels each role may be given. */
export const roleUnitLevels: Readonly<Record<Role, readonly UnitLevel[]>> = {
  registry_clerk: ['commune'],
  commune_officer: ['commune'],
  province_officer: ['province'],
  national_officer: ['nation'],
  quality_officer: ['commune', 'province', 'nation'],
  exchange_admin: ['nation'],
  auditor: ['nation'],
  system_admin: ['nation'],
  leader: ['province', 'nation'],
  direction_officer: ['nation'],
};

/** Who is asking: an officer with a role, or a service account with scopes. */
export type Actor =
  | { readonly kind: 'officer'; readonly id: string; readonly role: Role; readonly unit: Unit; readonly active: boolean }
  | { readonly kind: 'service_account'; readonly id: string; readonly scopes: readonly Permission[]; readonly unit: Unit; readonly active: boolean };

/**
 * A person's ties to places (2025 codes): the communes of permanent, temporary and current
 * residence and of the household, each with its province, and the province where the birth
 * was registered (from the ID number's PPP, mapped to its 2025 province). See person-ties.ts.
 */
export interface PersonTies {
  readonly communes: readonly { readonly commune: string; readonly province: string }[];
  readonly birthProvince?: string | undefined;
}

export type Target = { readonly kind: 'person'; readonly ties: PersonTies } | { readonly kind: 'unit'; readonly unit: Unit };

export type DecisionReason =
  | 'ALLOWED'
  | 'ALLOWED_BREAK_GLASS'
  | 'ACCOUNT_INACTIVE'
  | 'FORBIDDEN_ROLE'
  | 'TARGET_REQUIRED'
  | 'OUTSIDE_JURISDICTION'
  | 'BREAK_GLASS_REASON_REQUIRED';

export interface Decision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** True when allowed only by break-glass: alert the auditors and mark the access record. */
  readonly breakGlass: boolean;
}

export interface DecideOptions {
  /** The written reason for a read outside the actor's unit (break-glass). */
  readonly breakGlassReason?: string | undefined;
}

/** The permissions an actor holds, before any jurisdiction. */
export function permissionsOf(actor: Actor): readonly Permission[] {
  return actor.kind === 'officer' ? rolePermissions[actor.role] : actor.scopes;
}

/** Whether unit `inner` lies inside (or is) unit `outer`. */
export function unitContains(outer: Unit, inner: Unit): boolean {
  switch (outer.level) {
    case 'nation':
      return true;
    case 'province':
      return inner.level === 'province' ? inner.code === outer.code : inner.level === 'commune' && inner.province === outer.code;
    case 'commune':
      return inner.level === 'commune' && inner.code === outer.code;
  }
}

/** Whether a person has a tie inside the unit. The birth province counts for province and nation units only (it names no commune). */
export function personInUnit(unit: Unit, ties: PersonTies): boolean {
  switch (unit.level) {
    case 'nation':
      return true;
    case 'province':
      return ties.birthProvince === unit.code || ties.communes.some((t) => t.province === unit.code);
    case 'commune':
      return ties.communes.some((t) => t.commune === unit.code);
  }
}

const deny = (reason: DecisionReason): Decision => ({ allowed: false, reason, breakGlass: false });
const allow: Decision = { allowed: true, reason: 'ALLOWED', breakGlass: false };

/**
 * Decides whether an actor may use a permission on a target. `person` permissions need a target;
 * `unit` permissions without a target mean the whole nation. Outside the actor's unit, a
 * break-glass role reading a person is allowed with a reason of at least 15 characters, and the
 * decision says `breakGlass: true`.
 *
 * @example
 * const clerk: Actor = { kind: 'officer', id: 'o-1', role: 'commune_officer', active: true, unit: { level: 'commune', code: '00004', province: '01' } };
 * decide(clerk, 'person.read', { kind: 'person', ties: { communes: [{ commune: '00004', province: '01' }] } });
 * // { allowed: true, reason: 'ALLOWED', breakGlass: false }
 * decide(clerk, 'person.read', { kind: 'person', ties: { communes: [{ commune: '26734', province: '79' }] } }, { breakGlassReason: 'Cấp cứu tại bệnh viện tỉnh' });
 * // { allowed: true, reason: 'ALLOWED_BREAK_GLASS', breakGlass: true }
 */
export function decide(actor: Actor, permission: Permission, target?: Target, options: DecideOptions = {}): Decision {
  if (!actor.active) return deny('ACCOUNT_INACTIVE');
  if (!permissionsOf(actor).includes(permission)) return deny('FORBIDDEN_ROLE');
  const scope = permissionScopes[permission];
  if (scope === 'global') return allow;
  if (scope === 'person' && target === undefined) return deny('TARGET_REQUIRED');
  const inside = target === undefined
    ? actor.unit.level === 'nation'
    : target.kind === 'unit'
      ? unitContains(actor.unit, target.unit)
      : personInUnit(actor.unit, target.ties);
  if (inside) return allow;
  const mayBreakGlass = actor.kind === 'officer' && breakGlassRoles.includes(actor.role) && breakGlassPermissions.includes(permission) && target?.kind === 'person';
  if (!mayBreakGlass) return deny('OUTSIDE_JURISDICTION');
  const reason = options.breakGlassReason?.trim() ?? '';
  if (Array.from(reason).length < breakGlassReasonMinLength) return deny('BREAK_GLASS_REASON_REQUIRED');
  return { allowed: true, reason: 'ALLOWED_BREAK_GLASS', breakGlass: true };
}

const denials: Readonly<Record<Exclude<DecisionReason, 'ALLOWED' | 'ALLOWED_BREAK_GLASS'>, readonly [string, string]>> = {
  ACCOUNT_INACTIVE: ['The account is suspended, revoked or expired', 'Ask a system administrator to reactivate the account'],
  FORBIDDEN_ROLE: ['Your role does not allow this action', 'Ask a system administrator for a role that includes it'],
  TARGET_REQUIRED: ['This action needs the person or unit it applies to', 'Name the person or unit'],
  OUTSIDE_JURISDICTION: ['The person or unit is outside your jurisdiction', 'Ask an officer of that unit, or a higher level'],
  BREAK_GLASS_REASON_REQUIRED: [
    `Reading outside your jurisdiction needs a written reason of at least ${breakGlassReasonMinLength} characters`,
    'Give the reason (case, emergency); the read is shown to auditors',
  ],
};

/**
 * Like decide(), but throws a 'forbidden' DomainError whose code is the decision's reason
 * (FORBIDDEN_ROLE, OUTSIDE_JURISDICTION, BREAK_GLASS_REASON_REQUIRED, …) when denied.
 *
 * @example
 * const decision = authorize(officer, 'person.read', target, { breakGlassReason }); // then log decision.breakGlass
 */
export function authorize(actor: Actor, permission: Permission, target?: Target, options: DecideOptions = {}): Decision {
  const decision = decide(actor, permission, target, options);
  if (decision.allowed) return decision;
  const reason = decision.reason as keyof typeof denials;
  const [message, action] = denials[reason];
  throw new DomainError('forbidden', reason, message, action, { permission });
}

/** Whether a role may be given a unit of that level (a clerk a commune, an auditor the nation, …). */
export function roleFitsUnit(role: Role, unit: Unit): boolean {
  return roleUnitLevels[role].includes(unit.level);
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return (permissions as readonly string[]).includes(value);
}
