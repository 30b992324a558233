import { describe, expect, it } from 'vitest';
import { decide, type Actor } from './authorization.policy.js';
import { personTiesResolver, type PersonPlaces } from './person-ties.js';

const nobody: PersonPlaces = { idNumber: '001203012345', permanentCommune: null, temporaryCommune: null, currentCommune: null, householdCommune: null };

describe('a person\'s ties to 2025 units', () => {
  const resolver = personTiesResolver();

  it('takes residence and household communes once each, with their 2025 province', () => {
    expect(resolver.ties({ ...nobody, permanentCommune: '00004', currentCommune: '00008', householdCommune: '00004' })).toEqual({
      communes: [{ commune: '00004', province: '01' }, { commune: '00008', province: '01' }],
      birthProvince: '01',
    });
  });

  it('converts a commune recorded before the 2025 reorganisation to its successor', () => {
    // 26734 (Hồ Chí Minh, 2021 catalog) became 26737 on 2025-07-01.
    expect(resolver.ties({ ...nobody, temporaryCommune: '26734' }).communes).toEqual([{ commune: '26737', province: '79' }]);
  });

  it('maps the ID number\'s birth-registration province (PPP) to its 2025 province', () => {
    expect(resolver.ties({ ...nobody, idNumber: '079203012345' }).birthProvince).toBe('79');
    expect(resolver.ties({ ...nobody, idNumber: '077203012345' }).birthProvince).toBe('79'); // Bà Rịa–Vũng Tàu merged into Hồ Chí Minh
    expect(resolver.ties({ ...nobody, idNumber: '044203012345' }).birthProvince).toBe('44'); // Quảng Bình merged into Quảng Trị (44)
    expect(resolver.ties({ ...nobody, idNumber: '999203012345' }).birthProvince).toBeUndefined();
  });

  it('ignores codes that are no unit of either era', () => {
    expect(resolver.ties({ ...nobody, permanentCommune: '99999' }).communes).toEqual([]);
  });

  it('feeds the policy: a Hồ Chí Minh officer reads someone born in Bà Rịa–Vũng Tàu; a Hà Nội one does not', () => {
    const ties = resolver.ties({ ...nobody, idNumber: '077203012345', permanentCommune: '00004' });
    const hcm: Actor = { kind: 'officer', id: 'o', role: 'province_officer', unit: { level: 'province', code: '79' }, active: true };
    const baDinh: Actor = { kind: 'officer', id: 'o', role: 'commune_officer', unit: { level: 'commune', code: '00004', province: '01' }, active: true };
    const ngocHa: Actor = { kind: 'officer', id: 'o', role: 'commune_officer', unit: { level: 'commune', code: '00008', province: '01' }, active: true };
    expect(decide(hcm, 'person.read', { kind: 'person', ties }).allowed).toBe(true);
    expect(decide(baDinh, 'person.read', { kind: 'person', ties }).allowed).toBe(true);
    expect(decide(ngocHa, 'person.read', { kind: 'person', ties }).allowed).toBe(false);
  });
});
