import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import { vietnamInstant } from '../shared/vietnam-time.js';
import type { DB } from '../store/database.types.js';
import { exchangeChangeRepository } from './exchange-change.repository.js';
import type { ExchangeDirectory } from './exchange.directory.js';
import { checkClientId } from './exchange-ids.js';
import type { Grant, Purpose } from './exchange.types.js';
import { grantRepository } from './grant.repository.js';
import { memberRepository } from './member.repository.js';
import { isServiceName, serviceCatalog, serviceNames } from './service.catalog.js';

export interface GrantInput {
  readonly clientId: string;
  readonly service: string;
  readonly fields: readonly string[];
  /** `changes` only: 2-digit province codes in force whose people's events it releases; absent or empty: every province. */
  readonly provinces?: readonly string[] | undefined;
  readonly purposes: readonly Purpose[];
  readonly legalBasis: string;
  readonly requiresConsent?: boolean | undefined;
  readonly deferTrackerDays?: number | undefined;
  /** ISO instant, or a date: from 00:00 of that day, Vietnam time (UTC+7); default now. */
  readonly validFrom?: string | undefined;
  /** ISO instant (exclusive), or a date: the grant holds to the end of that day, Vietnam time (UTC+7). */
  readonly validUntil: string;
  readonly ratePerMinute: number;
  readonly dailyCap: number;
}

const purposeCode = /^[A-Z0-9][A-Z0-9_.-]{0,63}$/;

/** An ISO instant from a date (a whole day, Vietnam time: vietnam-time.ts) or an instant. */
function instant(value: string, what: string, endOfDay: boolean): string {
  const at = vietnamInstant(value, { endOfDay });
  if (at === undefined) {
    throw new DomainError('invalid', 'GRANT_DATE_INVALID', `${what} is not an ISO 8601 date or instant`, 'Send e.g. 2027-12-31 (a whole day, Vietnam time) or 2027-12-31T23:59:59+07:00');
  }
  return at;
}

/** A grant's provinces, checked: codes of provinces in force at `at`, and for `changes` only (no other service is scoped by province). */
function grantProvinces(service: string, asked: readonly string[], at: string): readonly string[] {
  const provinces = [...new Set(asked)];
  if (provinces.length === 0) return provinces;
  if (service !== 'changes') {
    throw new DomainError('invalid', 'GRANT_PROVINCES_NOT_APPLICABLE', `a ${service.slice(0, 40)} grant is not limited by province`, 'Leave provinces out, or grant the changes service');
  }
  const known = new Set(adminUnitCatalog().provinces(at.slice(0, 10)).map((p) => p.code));
  const unknown = provinces.filter((p) => !known.has(p));
  if (unknown.length > 0) {
    throw new DomainError('invalid', 'GRANT_PROVINCE_UNKNOWN', `unknown province codes: ${unknown.join(', ').slice(0, 100)}`, 'Give 2-digit province codes in force today (GET /api/admin-units/provinces)', { provinces: unknown.slice(0, 20) });
  }
  return provinces.sort();
}

/** Grants: which client may call which service, for which fields and purposes, under what law and caps. */
export class GrantService {
  constructor(private readonly deps: { readonly db: Kysely<DB>; readonly clock: Clock; readonly directory: ExchangeDirectory }) {}

  /**
   * Adds a grant after checking it against the catalog.
   *
   * @example
   * await grants.add({ clientId: 'VN/GOV/BTC/tax', service: 'verify', fields: ['fullName', 'birthDate'], purposes: [{ code: 'TAX_ID', text: 'Đối chiếu mã số thuế' }], legalBasis: 'Thông tư 86/2024/TT-BTC', validUntil: '2027-12-31', ratePerMinute: 6000, dailyCap: 1000000 });
   */
  async add(input: GrantInput): Promise<Grant> {
    const clientId = checkClientId(input.clientId);
    if (!isServiceName(input.service)) throw new DomainError('invalid', 'SERVICE_UNKNOWN', `no service "${input.service.slice(0, 40)}"`, `Choose one of ${serviceNames.join(', ')}`);
    const entry = serviceCatalog[input.service];
    const fields = [...new Set(input.fields)];
    const unknown = fields.filter((f) => !entry.fields.includes(f));
    if (fields.length === 0 || unknown.length > 0) {
      throw new DomainError('invalid', 'GRANT_FIELDS_INVALID', fields.length === 0 ? 'a grant names at least one field' : `unknown fields for ${input.service}: ${unknown.join(', ').slice(0, 200)}`, `Choose from: ${entry.fields.join(', ')}`);
    }
    if (input.purposes.length === 0 || input.purposes.some((p) => !purposeCode.test(p.code) || p.text.trim() === '')) {
      throw new DomainError('invalid', 'GRANT_PURPOSES_INVALID', 'a grant names at least one purpose: a code (capitals, digits, _ . -) and a text the citizen can read', 'Send purposes as [{ "code": "TAX_ID", "text": "…" }]');
    }
    if (input.legalBasis.trim() === '') throw new DomainError('invalid', 'LEGAL_BASIS_MISSING', 'a grant names its legal basis', 'Cite the law, decree or circular (or "consent")');
    const requiresConsent = input.requiresConsent ?? false;
    if (requiresConsent && !entry.consentApplicable) throw new DomainError('invalid', 'CONSENT_NOT_APPLICABLE', `${input.service} cannot rest on consent (it is a feed of many people)`, 'Grant it under a law instead');
    const at = this.deps.clock.now().toISOString();
    const provinces = grantProvinces(input.service, input.provinces ?? [], at);
    const validFrom = input.validFrom === undefined ? at : instant(input.validFrom, 'validFrom', false);
    const validUntil = instant(input.validUntil, 'validUntil', true);
    // A grant that can never be used would pass silently: refuse it.
    if (validUntil <= at) throw new DomainError('invalid', 'GRANT_ALREADY_ENDED', `validUntil (${validUntil}) is not in the future`, 'Send a validUntil after now; a date alone counts the whole day, Vietnam time');
    if (validUntil <= validFrom) throw new DomainError('invalid', 'GRANT_PERIOD_EMPTY', `validUntil (${validUntil}) is not after validFrom (${validFrom})`, 'Send a validUntil later than validFrom');
    for (const [name, v] of [['ratePerMinute', input.ratePerMinute], ['dailyCap', input.dailyCap]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new DomainError('invalid', 'GRANT_CAP_INVALID', `${name} must be a whole number of at least 1`, 'Set the fair-use caps');
    }
    const defer = input.deferTrackerDays ?? 0;
    if (!Number.isInteger(defer) || defer < 0 || defer > 3650) throw new DomainError('invalid', 'GRANT_DEFER_INVALID', 'deferTrackerDays is 0 to 3650', 'Set 0 unless the law lets the enquiry stay hidden from the citizen');
    if ((await memberRepository.findClient(this.deps.db, clientId)) === undefined) {
      throw new DomainError('not_found', 'CLIENT_NOT_FOUND', `no client ${clientId}`, 'Onboard the agency and its subsystem first');
    }
    const grant: Grant = {
      grantId: randomUUID(),
      clientId,
      service: input.service,
      fields,
      provinces,
      purposes: input.purposes.map((p) => ({ code: p.code, text: p.text.trim() })),
      legalBasis: input.legalBasis.trim(),
      requiresConsent,
      deferTrackerDays: defer,
      validFrom,
      validUntil,
      ratePerMinute: input.ratePerMinute,
      dailyCap: input.dailyCap,
      status: 'active',
      createdAt: at,
    };
    await this.deps.db.transaction().execute(async (trx) => {
      await grantRepository.insert(trx, grant);
      await exchangeChangeRepository.bump(trx);
    });
    this.deps.directory.invalidate(clientId);
    return grant;
  }

  async list(clientId?: string): Promise<readonly Grant[]> {
    if (clientId !== undefined) checkClientId(clientId);
    return grantRepository.list(this.deps.db, clientId);
  }

  async revoke(grantId: string): Promise<Grant> {
    const grant = await grantRepository.find(this.deps.db, grantId);
    if (grant === undefined) throw new DomainError('not_found', 'GRANT_NOT_FOUND', 'no grant has this id', 'List the grants to find its id');
    const at = this.deps.clock.now().toISOString();
    // The counter bump commits with the revocation: every process's next call sees it (exchange.directory.ts).
    const revoked = await this.deps.db.transaction().execute(async (trx) => {
      if (!(await grantRepository.revoke(trx, grantId, at))) return false;
      await exchangeChangeRepository.bump(trx);
      return true;
    });
    if (!revoked) throw new DomainError('conflict', 'GRANT_ALREADY_REVOKED', 'this grant is already revoked', 'Nothing to do');
    this.deps.directory.invalidate(grant.clientId);
    return { ...grant, status: 'revoked' };
  }
}
