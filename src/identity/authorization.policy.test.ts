import { describe, expect, it } from 'vitest';
import { isDomainError } from '../shared/domain-error.js';
import {
  authorize, decide, permissions, roleFitsUnit, roles, unitContains,
  type Actor, type DecisionReason, type Permission, type Role, type Target, type Unit,
} from './authorization.policy.js';

// The expected role → permission table, written out by hand (not derived from the policy), one row per role.
const Y = true;
const _ = false;
const columns: readonly Permission[] = [
  'person.read', 'person.search', 'person.write', 'household.read', 'person.export', 'quality.worklist', 'quality.report', 'quality.scan', 'reconcile.run',
  'exchange.admin', 'exchange.alerts', 'consent.manage', 'audit.read', 'audit.checkpoint', 'identity.read', 'identity.admin', 'admin_units.read',
  'direction.read', 'direction.manage', 'direction.comment', 'statistics.read',
];
const table: Readonly<Record<Role, readonly boolean[]>> = {
  //                 p.read p.srch p.wrt  hh     export q.work q.rep  q.scan recon  x.adm  x.alrt consnt a.read a.ckpt id.rd  id.adm units  d.read d.man  d.cmt  stats
  registry_clerk:   [Y,     Y,     Y,     Y,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     _,     _,     _,     _],
  commune_officer:  [Y,     Y,     _,     Y,     _,     _,     Y,     _,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     _,     _,     _,     _],
  province_officer: [Y,     Y,     _,     Y,     Y,     _,     Y,     _,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     _,     _,     _,     Y],
  national_officer: [Y,     Y,     _,     Y,     Y,     _,     Y,     _,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     _,     _,     _,     Y],
  quality_officer:  [Y,     _,     _,     Y,     _,     Y,     Y,     Y,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     _,     _,     _,     _],
  exchange_admin:   [_,     _,     _,     _,     _,     _,     _,     _,     Y,     Y,     Y,     Y,     _,     _,     _,     _,     Y,     _,     _,     _,     _],
  auditor:          [_,     _,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     _,     Y,     _,     Y,     _,     Y,     _,     _,     _,     _],
  system_admin:     [_,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     Y,     Y,     Y,     _,     _,     _,     _],
  leader:           [_,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     Y,     _,     Y,     Y],
  direction_officer:[_,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     _,     Y,     Y,     Y,     Y,     Y],
};
const holds = (role: Role, p: Permission): boolean => table[role][columns.indexOf(p)] === true;

// How each permission is scoped, by hand.
const personScoped: readonly Permission[] = ['person.read', 'person.write', 'household.read'];
const unitScoped: readonly Permission[] = ['person.search', 'person.export', 'quality.worklist', 'quality.report', 'quality.scan'];

// Places: Hà Nội (01) communes 00004 and 00008, Hồ Chí Minh (79) commune 26734.
const communeBaDinh: Unit = { level: 'commune', code: '00004', province: '01' };
const provinceHanoi: Unit = { level: 'province', code: '01' };
const nation: Unit = { level: 'nation' };
const unitsByLevel = { commune: communeBaDinh, province: provinceHanoi, nation } as const;

type Case =
  | 'tie-own-commune' | 'tie-other-commune-same-province' | 'tie-other-province' | 'birth-province-only' | 'no-ties'
  | 'unit-own-commune' | 'unit-other-commune-same-province' | 'unit-own-province' | 'unit-other-province' | 'no-target';

const targets: Readonly<Record<Case, Target | undefined>> = {
  'tie-own-commune': { kind: 'person', ties: { communes: [{ commune: '26734', province: '79' }, { commune: '00004', province: '01' }], birthProvince: '79' } },
  'tie-other-commune-same-province': { kind: 'person', ties: { communes: [{ commune: '00008', province: '01' }] } },
  'tie-other-province': { kind: 'person', ties: { communes: [{ commune: '26734', province: '79' }], birthProvince: '79' } },
  'birth-province-only': { kind: 'person', ties: { communes: [{ commune: '26734', province: '79' }], birthProvince: '01' } },
  'no-ties': { kind: 'person', ties: { communes: [] } },
  'unit-own-commune': { kind: 'unit', unit: communeBaDinh },
  'unit-other-commune-same-province': { kind: 'unit', unit: { level: 'commune', code: '00008', province: '01' } },
  'unit-own-province': { kind: 'unit', unit: provinceHanoi },
  'unit-other-province': { kind: 'unit', unit: { level: 'province', code: '79' } },
  'no-target': undefined,
};
const cases = Object.keys(targets) as Case[];

// Whether each case lies inside an actor's unit, by level, by hand.
const inside: Readonly<Record<Unit['level'], Readonly<Record<Case, boolean>>>> = {
  commune: {
    'tie-own-commune': Y, 'tie-other-commune-same-province': _, 'tie-other-province': _, 'birth-province-only': _, 'no-ties': _,
    'unit-own-commune': Y, 'unit-other-commune-same-province': _, 'unit-own-province': _, 'unit-other-province': _, 'no-target': _,
  },
  province: {
    'tie-own-commune': Y, 'tie-other-commune-same-province': Y, 'tie-other-province': _, 'birth-province-only': Y, 'no-ties': _,
    'unit-own-commune': Y, 'unit-other-commune-same-province': Y, 'unit-own-province': Y, 'unit-other-province': _, 'no-target': _,
  },
  nation: {
    'tie-own-commune': Y, 'tie-other-commune-same-province': Y, 'tie-other-province': Y, 'birth-province-only': Y, 'no-ties': Y,
    'unit-own-commune': Y, 'unit-other-commune-same-province': Y, 'unit-own-province': Y, 'unit-other-province': Y, 'no-target': Y,
  },
};

// Unit levels each role may hold, by hand.
const levels: Readonly<Record<Role, readonly Unit['level'][]>> = {
  registry_clerk: ['commune'], commune_officer: ['commune'], province_officer: ['province'], national_officer: ['nation'],
  quality_officer: ['commune', 'province', 'nation'], exchange_admin: ['nation'], auditor: ['nation'], system_admin: ['nation'],
  leader: ['province', 'nation'], direction_officer: ['nation'],
};

const breakGlassRoles: readonly Role[] = ['commune_officer', 'province_officer'];
const goodReason = 'Cấp cứu: bệnh nhân bất tỉnh tại bệnh viện';
const shortReason = 'khẩn cấp';

function expected(role: Role, level: Unit['level'], p: Permission, c: Case, reason: string | undefined): { reason: DecisionReason; breakGlass: boolean } {
  if (!holds(role, p)) return { reason: 'FORBIDDEN_ROLE', breakGlass: false };
  if (!personScoped.includes(p) && !unitScoped.includes(p)) return { reason: 'ALLOWED', breakGlass: false };
  const target = targets[c];
  if (personScoped.includes(p) && target === undefined) return { reason: 'TARGET_REQUIRED', breakGlass: false };
  if (inside[level][c]) return { reason: 'ALLOWED', breakGlass: false };
  const glass = breakGlassRoles.includes(role) && (p === 'person.read' || p === 'household.read') && target?.kind === 'person';
  if (!glass) return { reason: 'OUTSIDE_JURISDICTION', breakGlass: false };
  return reason === goodReason ? { reason: 'ALLOWED_BREAK_GLASS', breakGlass: true } : { reason: 'BREAK_GLASS_REASON_REQUIRED', breakGlass: false };
}

const officer = (role: Role, unit: Unit, active = true): Actor => ({ kind: 'officer', id: `o-${role}`, role, unit, active });

describe('the authorization matrix: every role × permission × jurisdiction case', () => {
  it('covers the 10 roles and 21 permissions of the hand-written table', () => {
    expect([...roles].sort()).toEqual(Object.keys(table).sort());
    expect([...permissions].sort()).toEqual([...columns].sort());
  });

  for (const role of roles) {
    for (const level of levels[role]) {
      it(`${role} at ${level} level`, () => {
        const actor = officer(role, unitsByLevel[level]);
        let checked = 0;
        for (const p of permissions) {
          for (const c of cases) {
            for (const reason of [undefined, shortReason, goodReason]) {
              const decision = decide(actor, p, targets[c], { breakGlassReason: reason });
              const want = expected(role, level, p, c, reason);
              expect({ role, level, p, c, reason, got: decision }).toEqual({ role, level, p, c, reason, got: { allowed: want.reason.startsWith('ALLOWED'), ...want } });
              checked++;
            }
          }
        }
        expect(checked).toBe(permissions.length * cases.length * 3);
      });
    }
  }
});

describe('jurisdiction, the cases the issue names', () => {
  const tiedElsewhere: Target = { kind: 'person', ties: { communes: [{ commune: '26734', province: '79' }], birthProvince: '79' } };

  it('a commune officer cannot open a person with no tie to their commune, even one born in their province', () => {
    const actor = officer('commune_officer', communeBaDinh);
    // Refused; the reason tells the console to offer the break-glass form (a commune officer may use it).
    expect(decide(actor, 'person.read', tiedElsewhere)).toEqual({ allowed: false, reason: 'BREAK_GLASS_REASON_REQUIRED', breakGlass: false });
    expect(decide(actor, 'person.read', { kind: 'person', ties: { communes: [], birthProvince: '01' } }).allowed).toBe(false);
    expect(decide(officer('registry_clerk', communeBaDinh), 'person.read', tiedElsewhere).reason).toBe('OUTSIDE_JURISDICTION');
  });

  it('a province officer reads a person born in the province who lives elsewhere', () => {
    expect(decide(officer('province_officer', provinceHanoi), 'person.read', { kind: 'person', ties: { communes: [{ commune: '26734', province: '79' }], birthProvince: '01' } }).allowed).toBe(true);
  });

  it('break-glass needs 15 characters after trimming, counted as characters not bytes', () => {
    const actor = officer('commune_officer', communeBaDinh);
    expect(decide(actor, 'person.read', tiedElsewhere, { breakGlassReason: '              x' }).reason).toBe('BREAK_GLASS_REASON_REQUIRED');
    expect(decide(actor, 'person.read', tiedElsewhere, { breakGlassReason: 'Đối chiếu hồ sơ' }).reason).toBe('ALLOWED_BREAK_GLASS'); // 15 characters, more bytes
    expect(decide(actor, 'person.read', tiedElsewhere, { breakGlassReason: 'Đối chiếu hồ s' }).reason).toBe('BREAK_GLASS_REASON_REQUIRED');
  });

  it('a break-glass reason changes nothing inside the unit (no breakGlass flag)', () => {
    const actor = officer('commune_officer', communeBaDinh);
    expect(decide(actor, 'person.read', targets['tie-own-commune'], { breakGlassReason: goodReason })).toEqual({ allowed: true, reason: 'ALLOWED', breakGlass: false });
  });

  it('a clerk records an event only in their commune, and cannot break glass', () => {
    const clerk = officer('registry_clerk', communeBaDinh);
    expect(decide(clerk, 'person.write', { kind: 'unit', unit: communeBaDinh }).allowed).toBe(true);
    expect(decide(clerk, 'person.write', { kind: 'unit', unit: { level: 'commune', code: '00008', province: '01' } }, { breakGlassReason: goodReason }).reason).toBe('OUTSIDE_JURISDICTION');
    expect(decide(clerk, 'person.read', tiedElsewhere, { breakGlassReason: goodReason }).reason).toBe('OUTSIDE_JURISDICTION');
  });

  it('a suspended officer is refused everything, their role notwithstanding', () => {
    for (const role of roles) {
      for (const p of permissions) expect(decide(officer(role, nation, false), p, targets['tie-own-commune']).reason).toBe('ACCOUNT_INACTIVE');
    }
  });

  it('a service account holds exactly its scopes, within its unit, and never breaks glass', () => {
    const script: Actor = { kind: 'service_account', id: 'sa-1', scopes: ['person.read', 'person.export'], unit: communeBaDinh, active: true };
    expect(decide(script, 'person.read', targets['tie-own-commune']).allowed).toBe(true);
    expect(decide(script, 'person.read', tiedElsewhere, { breakGlassReason: goodReason }).reason).toBe('OUTSIDE_JURISDICTION');
    expect(decide(script, 'person.export', { kind: 'unit', unit: provinceHanoi }).reason).toBe('OUTSIDE_JURISDICTION');
    expect(decide(script, 'household.read', targets['tie-own-commune']).reason).toBe('FORBIDDEN_ROLE');
  });

  it('authorize throws a forbidden DomainError whose code is the reason, and returns the break-glass decision', () => {
    const actor = officer('commune_officer', communeBaDinh);
    const attempt = (reason?: string): unknown => {
      try {
        return authorize(actor, 'person.read', tiedElsewhere, { breakGlassReason: reason });
      } catch (error) {
        return error;
      }
    };
    const refused = attempt();
    expect(isDomainError(refused) && refused.kind === 'forbidden' && refused.code === 'BREAK_GLASS_REASON_REQUIRED').toBe(true);
    expect(attempt(goodReason)).toEqual({ allowed: true, reason: 'ALLOWED_BREAK_GLASS', breakGlass: true });
    expect(() => authorize(officer('auditor', nation), 'person.read', tiedElsewhere)).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }) as Error);
  });

  it('units contain themselves and their communes only', () => {
    expect(unitContains(provinceHanoi, communeBaDinh)).toBe(true);
    expect(unitContains(communeBaDinh, provinceHanoi)).toBe(false);
    expect(unitContains({ level: 'province', code: '79' }, communeBaDinh)).toBe(false);
    expect(unitContains(nation, { level: 'province', code: '79' })).toBe(true);
  });

  it('roles fit only their unit levels', () => {
    for (const role of roles) {
      for (const level of ['commune', 'province', 'nation'] as const) expect(roleFitsUnit(role, unitsByLevel[level])).toBe(levels[role].includes(level));
    }
  });
});
