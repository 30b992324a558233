import type { Clock } from '../src/shared/clock.js';
import type { RegistryService } from '../src/registry/registry.service.js';

/** Persons the citizen tests activate (the ID numbers agree with their birth year, sex and province). */
export const citizenLan = {
  idNumber: '001190000123',
  facts: { fullName: 'Nguyễn Thị Lan', birthDate: '1990-03-12', sex: 'F', ethnicity: 'Kinh', birthProvince: '001', permanentCommune: '00004', permanentAddress: 'Số 5 ngõ 12 Đội Cấn', householdId: 'HH-CIT-1', relationshipToHead: 'head' },
  phone: '0912 345 678',
};
export const citizenMinh = {
  idNumber: '079085000456',
  facts: { fullName: 'Trần Văn Minh', birthDate: '1985-11-02', sex: 'M', ethnicity: 'Kinh', birthProvince: '079', permanentCommune: '26737', permanentAddress: '12 Nguyễn Huệ', householdId: 'HH-CIT-2', relationshipToHead: 'head' },
  phone: '+84 987 654 321',
};
export const citizenChild = {
  idNumber: '001215000789',
  facts: { fullName: 'Lê Gia Bảo', birthDate: '2015-06-01', sex: 'M', ethnicity: 'Kinh', birthProvince: '001', permanentCommune: '00004', permanentAddress: 'Số 5 ngõ 12 Đội Cấn', householdId: 'HH-CIT-1', relationshipToHead: 'con' },
  phone: '0901 111 222',
};

export async function registerCitizens(registry: RegistryService, people: readonly { readonly idNumber: string; readonly facts: Readonly<Record<string, unknown>> }[]): Promise<void> {
  for (const p of people) await registry.register({ type: 'registration', idNumber: p.idNumber, occurredOn: '2025-08-01', officerId: 'OFF-1', reason: null, facts: p.facts });
}

/** A clock the test moves. */
export function citizenClock(start: string): Clock & { advance(ms: number): void } {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms) => { t += ms; } };
}
