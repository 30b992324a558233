import type { Kysely } from 'kysely';
import type { AccessLog } from '../audit/access-log.types.js';
import type { Clock } from '../shared/clock.js';
import type { CitizenAccount } from './citizen.types.js';
import { lifeEventRepository } from '../registry/life-event.repository.js';
import type { LifeEventType } from '../registry/life-event.types.js';
import { personRepository } from '../registry/person.repository.js';
import type { PersonFacts, PersonRecord } from '../registry/person.types.js';
import { describeCommune } from '../registry/person.view.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';

/** One field of the citizen's record as the portal shows it: value, source, and when and how it last changed. */
export interface RecordField {
  readonly field: string;
  readonly label: readonly [string, string];
  readonly value: string | null;
  readonly source: string;
  /** The instant of the life event that last set it. */
  readonly updatedAt: string;
  readonly updatedBy: readonly [string, string];
}

const registrySource = 'Cơ sở dữ liệu quốc gia về dân cư · National population database';

const eventNames: Readonly<Record<LifeEventType, readonly [string, string]>> = {
  birth_registration: ['Đăng ký khai sinh', 'Birth registration'],
  registration: ['Đăng ký vào cơ sở dữ liệu', 'Registration'],
  id_issuance: ['Cấp thẻ căn cước', 'ID card issue'],
  residence_change: ['Thay đổi nơi cư trú', 'Change of residence'],
  marriage: ['Đăng ký kết hôn', 'Marriage'],
  divorce: ['Ly hôn', 'Divorce'],
  name_change: ['Thay đổi họ tên', 'Change of name'],
  correction: ['Điều chỉnh thông tin', 'Correction'],
  death: ['Khai tử', 'Death registration'],
};

const place = (commune: string | null, address: string | null, on: string): string | null => {
  if (commune === null && address === null) return null;
  const names = commune === null ? undefined : describeCommune(commune, on);
  return [address, names?.name, names?.provinceName].filter((x): x is string => x !== null && x !== undefined && x !== '').join(', ');
};

/** The portal's fields, each with the registry facts it is made of (the latest change of one is its date). */
const fields: readonly { readonly field: string; readonly label: readonly [string, string]; readonly facts: readonly (keyof PersonFacts)[]; readonly value: (p: PersonRecord, on: string) => string | null }[] = [
  { field: 'fullName', label: ['Họ, chữ đệm và tên', 'Full name'], facts: ['fullName'], value: (p) => p.fullName },
  { field: 'birthDate', label: ['Ngày sinh', 'Birth date'], facts: ['birthDate'], value: (p) => (/^\d{4}-\d{2}-\d{2}$/.test(p.birthDate) ? `${p.birthDate.slice(8, 10)}/${p.birthDate.slice(5, 7)}/${p.birthDate.slice(0, 4)}` : p.birthDate) },
  { field: 'sex', label: ['Giới tính', 'Sex'], facts: ['sex'], value: (p) => (p.sex === 'F' ? 'Nữ · Female' : 'Nam · Male') },
  { field: 'nationality', label: ['Quốc tịch', 'Nationality'], facts: ['nationality'], value: (p) => (p.nationality === 'VN' ? 'Việt Nam' : p.nationality) },
  { field: 'ethnicity', label: ['Dân tộc', 'Ethnicity'], facts: ['ethnicity'], value: (p) => p.ethnicity },
  { field: 'religion', label: ['Tôn giáo', 'Religion'], facts: ['religion'], value: (p) => p.religion },
  { field: 'hometown', label: ['Quê quán', 'Home town'], facts: ['hometown'], value: (p) => p.hometown },
  { field: 'permanentAddress', label: ['Nơi thường trú', 'Permanent residence'], facts: ['permanentCommune', 'permanentAddress'], value: (p, on) => place(p.permanentCommune, p.permanentAddress, on) },
  { field: 'currentAddress', label: ['Nơi ở hiện tại', 'Current residence'], facts: ['currentCommune', 'currentAddress'], value: (p, on) => place(p.currentCommune, p.currentAddress, on) },
];

/** The field names the record page releases (what its access record names). */
export const recordFieldNames: readonly string[] = fields.map((f) => f.field);

/**
 * The citizen's own record for the portal: every field with its source (the national population
 * database) and the life event that last set it, and the living members of the household.
 */
export async function readOwnRecord(db: Kysely<DB>, personId: string, today: string): Promise<{
  readonly person: PersonRecord;
  readonly fields: readonly RecordField[];
  readonly household: { readonly householdId: string; readonly members: readonly { readonly fullName: string; readonly relationshipToHead: string | null; readonly self: boolean }[] } | null;
}> {
  const person = await personRepository.findById(db, personId);
  if (person === undefined) throw new DomainError('not_found', 'PERSON_NOT_FOUND', 'the registry has no such person', 'Contact the commune police');
  const events = await lifeEventRepository.forPerson(db, personId);
  const out = fields.map((f): RecordField => {
    let last = events[0];
    for (const e of events) if (f.facts.some((k) => k in e.data)) last = e;
    return {
      field: f.field, label: f.label, value: f.value(person, today), source: registrySource,
      updatedAt: last?.recordedAt ?? person.createdAt, updatedBy: last === undefined ? ['Đăng ký', 'Registration'] : eventNames[last.type],
    };
  });
  const members = person.householdId === null ? [] : await personRepository.householdMembers(db, person.householdId);
  return {
    person,
    fields: out,
    household: person.householdId === null ? null : {
      householdId: person.householdId,
      members: members.filter((m) => m.status === 'alive').map((m) => ({ fullName: m.fullName, relationshipToHead: m.relationshipToHead, self: m.idNumber === personId })),
    },
  };
}

/** The client and words of the access record left when citizens read their own data in the portal. */
export const portalClientId = 'VN/GOV/sachsong/citizen-portal';
const ownReadPurpose = 'Bạn xem dữ liệu của chính mình trên Cổng công dân';
const ownReadBasis = 'Quyền được biết của chủ thể dữ liệu (Nghị định 13/2023/NĐ-CP, Điều 9)';

/** Record the citizen reading their own data, durably, before the page leaves. */
export async function recordOwnRead(accessLog: AccessLog, clock: Clock, account: CitizenAccount, service: string, fields: readonly string[], requestId: string): Promise<void> {
  await accessLog.append({
    personId: account.personId, at: clock.now().toISOString(), clientId: portalClientId, receivingAgency: 'Cổng công dân (chính bạn)',
    officerId: `citizen:${account.accountId}`, service, purpose: ownReadPurpose, legalBasis: ownReadBasis, fields, visibility: 'public', requestId,
  });
}


/** A member of the citizen's household as the procedures page offers them (the death and the other parent). */
export interface HouseholdMember {
  readonly idNumber: string;
  readonly fullName: string;
  readonly sex: 'M' | 'F';
  readonly birthDate: string;
  readonly relationshipToHead: string | null;
}

/** The living members of the citizen's household other than the citizen (none without a household). */
export async function householdOthers(db: Kysely<DB>, personId: string): Promise<readonly HouseholdMember[]> {
  const person = await personRepository.findById(db, personId);
  if (person?.householdId == null) return [];
  const members = await personRepository.householdMembers(db, person.householdId);
  return members.filter((m) => m.status === 'alive' && m.idNumber !== personId)
    .map((m) => ({ idNumber: m.idNumber, fullName: m.fullName, sex: m.sex, birthDate: m.birthDate, relationshipToHead: m.relationshipToHead }));
}

/**
 * Record that the citizen saw members of their household (name and ID number, to apply for a
 * linked procedure): one access record on each member's own log, durable before the page leaves.
 */
export async function recordHouseholdRead(accessLog: AccessLog, clock: Clock, account: CitizenAccount, memberIds: readonly string[], requestId: string): Promise<void> {
  if (memberIds.length === 0) return;
  const at = clock.now().toISOString();
  await accessLog.appendMany(memberIds.map((personId) => ({
    personId, at, clientId: portalClientId, receivingAgency: 'Cổng công dân (thành viên hộ của bạn)',
    officerId: `citizen:${account.accountId}`, service: 'portal.procedures.household',
    purpose: 'Thành viên cùng hộ xem danh sách hộ để nộp hồ sơ thủ tục liên thông',
    legalBasis: 'Nghị định 63/2024/NĐ-CP (liên thông thủ tục hành chính)',
    fields: ['idNumber', 'fullName', 'sex', 'relationshipToHead'], visibility: 'public' as const, requestId,
  })));
}
