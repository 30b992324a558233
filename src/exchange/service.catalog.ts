import { verifyFields } from '../matching/verify.types.js';

/** The registry's services offered through the exchange. */
export type ServiceName = 'verify' | 'person' | 'residence' | 'household' | 'changes' | 'residence-document' | 'tax-code';

export const serviceNames: readonly ServiceName[] = ['verify', 'person', 'residence', 'household', 'changes', 'residence-document', 'tax-code'];

/** The provider of every registry service, X-Road style. */
export const registryProvider = 'VN/GOV/BCA/REGISTRY';

/** One entry of the catalog: what a grant for it may name. */
export interface ServiceDescription {
  readonly name: ServiceName;
  /** `VN/GOV/BCA/REGISTRY/<name>`. */
  readonly serviceId: string;
  readonly summary: string;
  readonly path: string;
  /** The field names a grant may list: the response carries only granted ones. */
  readonly fields: readonly string[];
  /** Whether a grant for this service may require the citizen's consent (a feed of many people may not). */
  readonly consentApplicable: boolean;
}

/** Fields of a person a grant may release, as the operator API names them. */
export const personFields: readonly string[] = [
  'idNumber', 'fullName', 'birthDate', 'sex', 'ethnicity', 'religion', 'nationality', 'birthProvince', 'hometown',
  'permanentResidence', 'temporaryResidence', 'currentResidence', 'fatherId', 'motherId', 'spouseId', 'householdId',
  'relationshipToHead', 'status', 'deathDate',
];

export const residenceFields: readonly string[] = ['permanentResidence', 'temporaryResidence', 'currentResidence'];

/**
 * The claims of a signed residence document (src/services), each selectively disclosable; a
 * grant for `residence-document` names those the agency's documents may carry.
 */
export const residenceDocumentFields: readonly string[] = [
  'idNumber', 'fullName', 'birthDate', 'sex', 'nationality', 'permanentResidence', 'temporaryResidence', 'currentResidence',
  'residenceProvince', 'residenceCommune',
];

/** Fields of the household itself: its number, and its commune and address. */
export const householdOwnFields: readonly string[] = ['householdId', 'address'];

/** Fields of the household (its number and address) and of each member. */
export const householdFields: readonly string[] = [...householdOwnFields, 'idNumber', 'fullName', 'birthDate', 'sex', 'relationshipToHead', 'status'];

/**
 * The verify field that tells a deceased person apart. Without it in the grant, verifying a
 * deceased person's number answers exactly as an unknown number does (NOT_FOUND, no fields).
 */
export const lifeStatusField = 'lifeStatus';

/** For the change feed the grant's "fields" are the kinds of life event the client receives. */
export const changeKinds: readonly string[] = [
  'birth_registration', 'registration', 'id_issuance', 'residence_change', 'marriage', 'divorce', 'name_change', 'correction', 'death',
];

/**
 * Fields of the old-tax-code look-up: the ID number (the tax code since 1 July 2025) and the day
 * the link was confirmed.
 */
export const taxCodeFields: readonly string[] = ['idNumber', 'linkedOn'];

const describe = (name: ServiceName, summary: string, fields: readonly string[], consentApplicable: boolean): ServiceDescription => ({
  name,
  serviceId: `${registryProvider}/${name}`,
  summary,
  path: `/x/services/${name}`,
  fields,
  consentApplicable,
});

/**
 * The catalog. Each service's request and response schemas are in the OpenAPI description
 * (`/openapi.json`, tag `exchange`).
 */
export const serviceCatalog: Readonly<Record<ServiceName, ServiceDescription>> = {
  verify: describe('verify', 'Verify details an agency holds against the registry: yes or no, per field, no registry values; DECEASED only with lifeStatus granted', [...verifyFields, lifeStatusField], true),
  person: describe('person', 'A person by ID number, with only the granted fields', personFields, true),
  residence: describe('residence', "A person's permanent, temporary and current residence", residenceFields, true),
  household: describe('household', "The household of a person and its members' granted fields; under consent, only members who consented themselves", householdFields, true),
  // Kinds bound the pull feed and push subscriptions; fields bound what a pushed event carries (src/events).
  'residence-document': describe('residence-document', "A confirmation of a person's residence signed by the registry (SD-JWT VC) with the granted claims, each selectively disclosable; revoked when the residence changes", residenceDocumentFields, true),
  // Under law only (Circular 86/2024/TT-BTC): whose consent to ask is known only once the code is looked up.
  'tax-code': describe('tax-code', 'The ID number an old 10-digit tax code belongs to (the ID number is the tax code since 1 July 2025); confirmed links only, an unknown code answers TAX_CODE_NOT_LINKED', taxCodeFields, false),
  changes: describe('changes', 'The feed of life events recorded after a cursor, of the granted kinds; pushed to subscriptions (/x/subscriptions) with the granted fields', [...changeKinds, ...personFields], false),
};

export function isServiceName(value: string): value is ServiceName {
  return (serviceNames as readonly string[]).includes(value);
}
