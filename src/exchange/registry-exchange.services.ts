import type { Kysely } from 'kysely';
import { parseOldTaxCode } from '../matching/tax-code.js';
import { taxCodeLinkRepository } from '../matching/tax-code-link.repository.js';
import { withoutLifeStatus } from '../matching/verify.service.js';
import type { VerifyRequest, VerifyResult } from '../matching/verify.types.js';
import { verifyFields } from '../matching/verify.types.js';
import { lifeEventRepository } from '../registry/life-event.repository.js';
import type { RegistryService } from '../registry/registry.service.js';
import { toPersonView } from '../registry/person.view.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import type { Grant } from './exchange.types.js';
import { changeKinds, householdFields, householdOwnFields, lifeStatusField, personFields, residenceFields, taxCodeFields, type ServiceName } from './service.catalog.js';

/** The verification the exchange offers; matching's VerifyService fits it. */
export interface Verifier {
  verify(request: VerifyRequest): Promise<VerifyResult>;
}

/** One person whose data a call released, and which fields (names only). */
export interface Release {
  readonly personId: string;
  readonly fields: readonly string[];
  /** The person's own consent the release rests on, when it is not the call's subject's (see {@link ConsentLookup}). */
  readonly consentId?: string | undefined;
}

/**
 * Under a consent-bound grant, finds a person's own usable consent for this client and purpose
 * covering every field (counting the use): its id, or undefined when they have none. Given to
 * services that release people besides the call's subject, whose consent the pipeline checks.
 */
export type ConsentLookup = (personId: string, fields: readonly string[]) => Promise<string | undefined>;

export interface ServiceOutcome {
  readonly result: unknown;
  readonly releases: readonly Release[];
}

/** A call checked against its grant, ready to run once consent is checked. */
export interface PreparedCall {
  /** The citizen whose consent the call needs, when the grant asks for consent. */
  readonly subject: string | undefined;
  /** The fields the call asks for: all granted. */
  readonly fields: readonly string[];
  /** Runs the call; `consentOf` is given when the grant needs consent. */
  run(consentOf?: ConsentLookup): Promise<ServiceOutcome>;
}

export interface PersonBody {
  readonly idNumber: string;
  readonly fields?: readonly string[] | undefined;
}
export interface HouseholdBody {
  readonly idNumber: string;
}
export interface ChangesBody {
  readonly since: number;
  readonly limit?: number | undefined;
}

export interface TaxCodeBody {
  readonly taxCode: string;
  readonly fields?: readonly string[] | undefined;
}

export interface ServiceBodies {
  readonly verify: VerifyRequest;
  readonly person: PersonBody;
  readonly residence: PersonBody;
  readonly household: HouseholdBody;
  readonly changes: ChangesBody;
  readonly 'residence-document': PersonBody;
  readonly 'tax-code': TaxCodeBody;
}

export interface RegistryExchangeDeps {
  readonly db: Kysely<DB>;
  readonly registry: RegistryService;
  readonly verifier: Verifier;
  readonly today: () => string;
  /** The signed residence document (src/services), given by the app; without it the service is unavailable. */
  readonly residenceDocument?: ((body: PersonBody, grant: Grant) => PreparedCall) | undefined;
}

/** Checks that every asked field is granted; the refusal names the fields that are not. */
function granted(asked: readonly string[], grant: Grant): readonly string[] {
  const missing = asked.filter((f) => !grant.fields.includes(f));
  if (missing.length > 0) {
    throw new DomainError('forbidden', 'FIELD_NOT_GRANTED', `fields not granted to this client: ${missing.join(', ')}`, 'Ask only for the granted fields, or ask the exchange operators to extend the grant', { fields: missing });
  }
  return asked;
}

function askedFields(asked: readonly string[] | undefined, known: readonly string[], grant: Grant): readonly string[] {
  const fields = asked === undefined || asked.length === 0 ? grant.fields.filter((f) => known.includes(f)) : [...new Set(asked)];
  const unknown = fields.filter((f) => !known.includes(f));
  if (unknown.length > 0) throw new DomainError('invalid', 'FIELD_UNKNOWN', `unknown fields: ${unknown.join(', ').slice(0, 200)}`, `Choose from: ${known.join(', ')}`);
  return granted(fields, grant);
}

function pick(view: Readonly<Record<string, unknown>>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = view[f];
  return out;
}

/**
 * The registry's services behind the exchange. Each prepares a call against its grant (fields
 * asked must be granted) and runs it, answering only the granted fields and naming every
 * person whose data it released.
 */
export function registryExchangeServices(deps: RegistryExchangeDeps): { readonly [S in ServiceName]: (body: ServiceBodies[S], grant: Grant) => PreparedCall } {
  const personLike = (known: readonly string[]) => (body: PersonBody, grant: Grant): PreparedCall => {
    const fields = askedFields(body.fields, known, grant);
    return {
      subject: body.idNumber,
      fields,
      run: async () => {
        const view = toPersonView(await deps.registry.getPerson(body.idNumber), deps.today()) as unknown as Record<string, unknown>;
        return { result: pick(view, fields), releases: [{ personId: body.idNumber, fields }] };
      },
    };
  };

  return {
    verify: (body, grant) => {
      const asked = granted(verifyFields.filter((f) => body[f] !== undefined), grant);
      // Whether the answer may tell a deceased person from an unknown number.
      const lifeStatus = grant.fields.includes(lifeStatusField);
      return {
        subject: body.idNumber,
        fields: lifeStatus ? [...asked, lifeStatusField] : asked,
        run: async () => {
          const answer = await deps.verifier.verify(body);
          // Nobody with this number: nothing about a person was used.
          if (answer.status === 'NOT_FOUND') return { result: answer, releases: [] };
          // Answered exactly as an unknown number: nothing about the person is revealed, so no record (a record lists at least one field).
          if (answer.status === 'DECEASED' && !lifeStatus) return { result: withoutLifeStatus(answer), releases: [] };
          // Recorded: exactly the fields compared (a blank one is not) and, when granted, the life status the status reveals.
          const compared = Object.keys(answer.fields);
          return { result: answer, releases: [{ personId: body.idNumber, fields: lifeStatus ? [...compared, lifeStatusField] : compared }] };
        },
      };
    },
    person: personLike(personFields),
    residence: personLike(residenceFields),
    household: (body, grant) => {
      const fields = askedFields(undefined, householdFields, grant);
      const memberFields = fields.filter((f) => !householdOwnFields.includes(f));
      return {
        // The subject's consent (checked by the pipeline) covers the household's own fields and theirs.
        subject: body.idNumber,
        fields,
        run: async (consentOf) => {
          const person = await deps.registry.getPerson(body.idNumber);
          if (person.householdId === null) throw new DomainError('not_found', 'HOUSEHOLD_NOT_FOUND', 'this person belongs to no household', 'Ask for the person instead');
          const { household, members } = await deps.registry.household(person.householdId);
          const released: (typeof members)[number][] = [];
          const releases: Release[] = [];
          let withheld = 0;
          for (const m of members) {
            if (m.idNumber === body.idNumber) {
              released.push(m);
              releases.push({ personId: m.idNumber, fields });
              continue;
            }
            // A grant of the household's own fields alone releases nothing of the others.
            if (memberFields.length === 0) continue;
            // Under consent, each other member is released only on their own consent.
            const consentId = consentOf === undefined ? undefined : await consentOf(m.idNumber, memberFields);
            if (consentOf !== undefined && consentId === undefined) {
              withheld += 1;
              continue;
            }
            released.push(m);
            releases.push({ personId: m.idNumber, fields: memberFields, consentId });
          }
          const result = {
            ...(fields.includes('householdId') ? { householdId: household.householdId } : {}),
            ...(fields.includes('address') ? { communeCode: household.communeCode, address: household.address } : {}),
            members: released.map((m) => pick(m as unknown as Record<string, unknown>, memberFields)),
            // How many were left out for want of their own consent (never who).
            ...(consentOf === undefined ? {} : { withheldMembers: withheld }),
          };
          return { result, releases };
        },
      };
    },
    'residence-document': (body, grant) => {
      if (deps.residenceDocument === undefined) throw new DomainError('unavailable', 'SERVICE_UNAVAILABLE', 'signed documents are not offered by this node', 'Ask the exchange operators');
      return deps.residenceDocument(body, grant);
    },
    'tax-code': (body, grant) => {
      const fields = askedFields(body.fields, taxCodeFields, grant);
      // A malformed code is refused before anything is read (TAX_CODE_MALFORMED, TAX_CODE_CHECK_DIGIT).
      const code = parseOldTaxCode(body.taxCode).code;
      return {
        subject: undefined,
        fields,
        run: async () => {
          const link = await taxCodeLinkRepository.find(deps.db, code);
          // A probable link is not an answer: told exactly as an unknown code, nothing revealed, no record.
          if (link?.status !== 'confirmed') {
            throw new DomainError('not_found', 'TAX_CODE_NOT_LINKED', 'no ID number is linked to this tax code', 'Ask the taxpayer for their 12-digit ID number (their tax code since 1 July 2025), and check it with the verify service');
          }
          const view: Record<string, unknown> = { idNumber: link.personId, linkedOn: link.updatedAt.slice(0, 10) };
          return { result: { taxCode: code, ...pick(view, fields) }, releases: [{ personId: link.personId, fields }] };
        },
      };
    },
    changes: (body, grant) => {
      const kinds = granted(changeKinds.filter((k) => grant.fields.includes(k)), grant);
      const limit = Math.min(Math.max(body.limit ?? 100, 1), 500);
      return {
        subject: undefined,
        fields: kinds,
        run: async () => {
          // A grant of some provinces releases only the events of people there (grant-scope.ts: before or after a move).
          const items = await lifeEventRepository.changesSince(deps.db, body.since, kinds, limit, grant.provinces);
          const last = items.at(-1);
          return {
            result: { items, next: last === undefined ? body.since : last.seq },
            releases: items.map((i) => ({ personId: i.personId, fields: ['type', 'occurredOn'] })),
          };
        },
      };
    },
  };
}
