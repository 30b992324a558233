import type { Kysely } from 'kysely';
import { taxCodeLinkRepository, type TaxCodeLink } from '../matching/tax-code-link.repository.js';
import { lifeEventRepository } from '../registry/life-event.repository.js';
import { personRepository } from '../registry/person.repository.js';
import type { PersonFacts, PersonRecord } from '../registry/person.types.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';

/** The claims a relying party may receive about a citizen, all from the population registry. */
export const citizenClaimNames = ['name', 'birthdate', 'gender', 'nationality', 'vn_permanent_residence', 'vn_current_residence', 'vn_tax_code', 'vn_old_tax_code'] as const;
export type CitizenClaimName = (typeof citizenClaimNames)[number];

interface ClaimDefinition {
  /** The scope that asks for it. */
  readonly scope: string;
  /** Vietnamese label on the consent screen and in the portal. */
  readonly label: string;
  /** The registry facts it is made of (their latest change is its last-updated date). */
  readonly facts: readonly (keyof PersonFacts)[];
  readonly value: (person: PersonRecord, links: readonly TaxCodeLink[]) => string | null;
}

const registrySource = 'Cơ sở dữ liệu quốc gia về dân cư';
/** The Law on Tax Administration's rule from 1 July 2025: the personal ID number is the tax code. */
const taxCodeSource = 'Cơ sở dữ liệu quốc gia về dân cư (số định danh cá nhân dùng làm mã số thuế từ 01/07/2025)';

/** Where an old tax code's link to the person comes from. */
const oldTaxCodeSource = 'Liên kết mã số thuế cũ với số định danh cá nhân (đối chiếu sổ thuế với Cơ sở dữ liệu quốc gia về dân cư)';

const residence = (commune: string | null, address: string | null): string | null =>
  commune === null && address === null ? null : JSON.stringify({ commune, address });

export const claimDefinitions: Readonly<Record<CitizenClaimName, ClaimDefinition>> = {
  name: { scope: 'profile', label: 'Họ, chữ đệm và tên', facts: ['fullName'], value: (p) => p.fullName },
  birthdate: { scope: 'profile', label: 'Ngày, tháng, năm sinh', facts: ['birthDate'], value: (p) => p.birthDate },
  gender: { scope: 'profile', label: 'Giới tính', facts: ['sex'], value: (p) => (p.sex === 'F' ? 'female' : 'male') },
  nationality: { scope: 'nationality', label: 'Quốc tịch', facts: ['nationality'], value: (p) => p.nationality },
  vn_permanent_residence: { scope: 'residence', label: 'Nơi thường trú', facts: ['permanentCommune', 'permanentAddress'], value: (p) => residence(p.permanentCommune, p.permanentAddress) },
  vn_current_residence: { scope: 'residence', label: 'Nơi ở hiện tại', facts: ['currentCommune', 'currentAddress'], value: (p) => residence(p.currentCommune, p.currentAddress) },
  vn_tax_code: { scope: 'vn_tax_code', label: 'Mã số thuế', facts: [], value: (p) => p.idNumber },
  // The old 10-digit code(s) confirmed as the person's (comma-separated in the rare case of several); none: not released.
  vn_old_tax_code: { scope: 'vn_tax_code', label: 'Mã số thuế cũ (trước 01/07/2025)', facts: [], value: (_p, links) => (links.length === 0 ? null : links.map((l) => l.oldTaxCode).join(',')) },
};

/** Scopes of the citizen audience and the claims each releases (oidc-provider's `claims`). */
export const citizenScopeClaims: Readonly<Record<string, readonly CitizenClaimName[]>> = {
  profile: ['name', 'birthdate', 'gender'],
  nationality: ['nationality'],
  residence: ['vn_permanent_residence', 'vn_current_residence'],
  vn_tax_code: ['vn_tax_code', 'vn_old_tax_code'],
};

export function isCitizenClaim(name: string): name is CitizenClaimName {
  return (citizenClaimNames as readonly string[]).includes(name);
}

/** The claims a scope string asks for, limited to those the relying party may receive, in catalogue order. */
export function claimsForScope(scope: string, allowed: readonly string[]): readonly CitizenClaimName[] {
  const scopes = new Set(scope.split(' '));
  return citizenClaimNames.filter((c) => scopes.has(claimDefinitions[c].scope) && allowed.includes(c));
}

/** One claim as the consent screen shows it: where it comes from and when it last changed. */
export interface ClaimView {
  readonly claim: CitizenClaimName;
  readonly label: string;
  readonly source: string;
  /** The day (YYYY-MM-DD) the registry last changed the facts behind it. */
  readonly updatedOn: string;
  readonly value: string | null;
}

/**
 * Reads a citizen's claims from the registry: values, source and last-updated day (the latest
 * life event that set one of the claim's facts; the tax code changes with the ID number's issue; an
 * old tax code with its confirmed link).
 */
export async function readClaims(db: Kysely<DB>, personId: string, names: readonly CitizenClaimName[]): Promise<readonly ClaimView[]> {
  const person = await personRepository.findById(db, personId);
  if (person === undefined) throw new DomainError('not_found', 'PERSON_NOT_FOUND', 'the registry has no such person', 'Contact the commune police');
  const events = await lifeEventRepository.forPerson(db, personId);
  // Only confirmed links are the person's old tax codes; a probable one awaits an officer.
  const links = names.includes('vn_old_tax_code') ? (await taxCodeLinkRepository.forPerson(db, personId)).filter((l) => l.status === 'confirmed') : [];
  const first = events[0]?.recordedAt ?? person.createdAt;
  return names.map((claim) => {
    const definition = claimDefinitions[claim];
    let updated = first;
    for (const e of events) {
      if (definition.facts.some((f) => f in e.data)) updated = e.recordedAt;
    }
    if (claim === 'vn_tax_code') updated = updated < '2025-07-01' ? '2025-07-01' : updated;
    if (claim === 'vn_old_tax_code') updated = links.reduce((latest, l) => (l.updatedAt > latest ? l.updatedAt : latest), links.length === 0 ? updated : '');
    const source = claim === 'vn_tax_code' ? taxCodeSource : claim === 'vn_old_tax_code' ? oldTaxCodeSource : registrySource;
    return { claim, label: definition.label, source, updatedOn: updated.slice(0, 10), value: definition.value(person, links) };
  });
}
