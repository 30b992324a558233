/**
 * Verification: does what an agency holds about a person agree with the registry? The answer is
 * yes or no with a result per field; it never carries a registry value.
 */
import type { Kysely } from 'kysely';
import { decodeIdNumber } from '../registry/id-number.js';
import { personRowsAfter } from '../registry/person.repository.js';
import { isoDay, type Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { addressForms, compareAddresses, compareCommunes } from './address.normaliser.js';
import { compareDates, parseLooseDate } from './date.normaliser.js';
import type { FellegiSunterModel } from './fellegi-sunter.js';
import { levelWeights, matchWeight, nullLevel, probabilityOf } from './fellegi-sunter.js';
import { normaliseIdNumber, normalisePhone } from './identifier.normaliser.js';
import { compareNames, nameForms } from './name.normaliser.js';
import { verifyFactsReadModel } from '../registry/verify-facts.read-model.js';
import type { VerifyFacts } from '../registry/verify-facts.read-model.js';
import { defaultVerifyModel, estimateVerifyU, verifyLevels } from './verify.model.js';
import type { VerifySample } from './verify.model.js';
import { defaultVerifyThreshold, verifyFields } from './verify.types.js';
import type { FieldOutcome, VerifyDetails, VerifyField, VerifyRequest, VerifyResult, VerifyStrategy } from './verify.types.js';

export interface VerifyServiceDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  /** The scoring model for 'partial'; default {@link defaultVerifyModel} (see {@link VerifyService.calibrate}). */
  readonly model?: FellegiSunterModel;
}

/** A request whose details were checked and normalised, with its strategy and threshold settled. */
interface CheckedRequest extends VerifyDetails {
  readonly idNumber: string;
  readonly strategy: VerifyStrategy;
  readonly threshold: number;
}

const rank: Readonly<Record<FieldOutcome, number>> = { exact: 3, close: 2, different: 1, missing: 0 };

/** The better of two outcomes (against the permanent and the current residence). */
function best(a: FieldOutcome, b: FieldOutcome): FieldOutcome {
  return rank[a] >= rank[b] ? a : b;
}

/** The answer for a number nobody has. */
export function notFoundResult(strategy: VerifyStrategy): VerifyResult {
  return { match: false, status: 'NOT_FOUND', fields: {}, strategy };
}

/**
 * The answer as a caller not allowed to learn whether a person has died sees it: a deceased
 * person's verification becomes exactly the answer for an unknown number (status, and the body's
 * shape: no field outcomes, no score), so neither tells the two apart. Other answers are unchanged.
 */
export function withoutLifeStatus(result: VerifyResult): VerifyResult {
  return result.status === 'DECEASED' ? notFoundResult(result.strategy) : result;
}

function invalid(code: string, message: string, action: string): DomainError {
  return new DomainError('invalid', code, message, action);
}

/**
 * Answers verification requests from one registry store.
 *
 * @example
 * const verify = new VerifyService({ db, clock: systemClock });
 * await verify.verify({ idNumber: '036051891079', fullName: 'Dang Van Van', birthDate: '12/06/1951' });
 * // { match: false, status: 'NO_MATCH', fields: { fullName: 'close', birthDate: 'exact' }, strategy: 'exact' }
 */
export class VerifyService {
  private model: FellegiSunterModel;
  private weights: readonly Float64Array[];
  /** Set once the first 'partial' request has started calibration (unless a model was given). */
  private calibration: Promise<unknown> | undefined;

  constructor(private readonly deps: VerifyServiceDeps) {
    this.model = deps.model ?? defaultVerifyModel;
    this.weights = levelWeights(this.model);
    if (deps.model !== undefined) this.calibration = Promise.resolve();
  }

  /** The model 'partial' requests are scored with. */
  get scoringModel(): FellegiSunterModel {
    return this.model;
  }

  /**
   * Re-estimates the model's u probabilities from random pairs of registry persons: `samples`
   * slices of `perSample` persons taken at evenly spread ID prefixes (so that all provinces count).
   */
  async calibrate(samples = 20, perSample = 200): Promise<FellegiSunterModel> {
    const persons: VerifySample[] = [];
    for (let i = 0; i < samples; i++) {
      const start = String(Math.floor((i * 1_000) / samples)).padStart(3, '0');
      for (const row of await personRowsAfter(this.deps.db, start, perSample)) {
        persons.push({
          fullName: row.full_name,
          birthDate: row.birth_date,
          sex: row.sex,
          communeCode: row.permanent_commune ?? row.current_commune,
          address: row.permanent_address ?? row.current_address,
        });
      }
    }
    // pairs (i, i + n/2) join slices taken at distant ID prefixes: different people, different provinces
    this.model = estimateVerifyU(this.model, persons);
    this.weights = levelWeights(this.model);
    return this.model;
  }

  /**
   * Verifies a request. Throws DomainError 'invalid' for a malformed ID number, date, commune code,
   * phone or old ID number, an unknown strategy, a bad threshold, or a request with no detail to compare.
   */
  async verify(request: VerifyRequest): Promise<VerifyResult> {
    const checked = this.check(request);
    if (checked.strategy === 'partial') {
      // u comes from the registry itself, measured once, on the first request that needs a score
      this.calibration ??= this.calibrate().catch((error: unknown) => {
        this.calibration = undefined; // try again on the next request
        throw error;
      });
      await this.calibration;
    }
    const person = await verifyFactsReadModel.find(this.deps.db, checked.idNumber);
    if (person === undefined) return notFoundResult(checked.strategy);
    const fields = this.compare(checked, person);
    const outcomes = Object.values(fields);
    const compared = outcomes.filter((o) => o !== 'missing');
    let score: number | undefined;
    let agrees: boolean;
    if (checked.strategy === 'exact') {
      agrees = compared.length > 0 && compared.every((o) => o === 'exact');
    } else {
      const levels = Int8Array.from(verifyFields, (f) => {
        const outcome = fields[f];
        return outcome === undefined || outcome === 'missing' ? nullLevel : verifyLevels.indexOf(outcome);
      });
      score = Math.round(probabilityOf(matchWeight(this.model, this.weights, levels)) * 10_000) / 10_000;
      agrees = compared.length > 0 && score >= checked.threshold;
    }
    const status = person.status === 'deceased' ? 'DECEASED' : agrees ? 'MATCH' : 'NO_MATCH';
    return { match: status === 'MATCH', status, fields, ...(score === undefined ? {} : { score }), strategy: checked.strategy };
  }

  private check(request: VerifyRequest): CheckedRequest {
    const today = this.deps.clock.now();
    decodeIdNumber(request.idNumber, today);
    // callers outside TypeScript (the exchange's JSON) can send anything here
    const sentStrategy: string = request.strategy ?? 'exact';
    if (sentStrategy !== 'exact' && sentStrategy !== 'partial') {
      throw invalid('VERIFY_STRATEGY_UNKNOWN', `strategy "${sentStrategy}" is neither "exact" nor "partial"`, 'Send strategy "exact" (the default) or "partial" with a threshold');
    }
    const strategy: VerifyStrategy = sentStrategy;
    if (request.threshold !== undefined) {
      if (strategy !== 'partial') {
        throw invalid('VERIFY_THRESHOLD_WITHOUT_PARTIAL', 'a threshold applies only to the "partial" strategy', 'Send strategy "partial" with the threshold, or leave the threshold out');
      }
      if (!Number.isFinite(request.threshold) || request.threshold <= 0 || request.threshold > 1) {
        throw invalid('VERIFY_THRESHOLD_INVALID', `threshold ${request.threshold} is not a probability in (0, 1]`, 'Send a threshold above 0 and at most 1, e.g. 0.9');
      }
    }
    const sent = verifyFields.filter((f) => (request[f] ?? '').trim() !== '');
    if (sent.length === 0) {
      throw invalid('VERIFY_NO_DETAILS', 'the request has an ID number but no detail to compare', `Send at least one of ${verifyFields.join(', ')}`);
    }
    const out: { -readonly [K in keyof CheckedRequest]: CheckedRequest[K] } = {
      idNumber: request.idNumber,
      strategy,
      threshold: request.threshold ?? defaultVerifyThreshold,
    };
    for (const field of sent) {
      const value = (request[field] ?? '').trim();
      switch (field) {
        case 'fullName':
          if (value.length > 200) throw invalid('VERIFY_NAME_TOO_LONG', 'fullName is longer than 200 characters', 'Send the name only, at most 200 characters');
          out.fullName = value;
          break;
        case 'birthDate':
          out.birthDate = parseLooseDate(value, 'birthDate');
          break;
        case 'sex':
          if (value !== 'M' && value !== 'F') throw invalid('VERIFY_SEX_INVALID', `sex "${value}" is neither "M" nor "F"`, 'Send "M" or "F"');
          out.sex = value;
          break;
        case 'communeCode':
          if (!/^\d{5}$/.test(value)) throw invalid('VERIFY_COMMUNE_INVALID', `communeCode "${value}" is not a 5-digit commune code`, 'Send the 5-digit code of the commune (old or 2025)');
          out.communeCode = value;
          break;
        case 'address':
          if (value.length > 500) throw invalid('VERIFY_ADDRESS_TOO_LONG', 'address is longer than 500 characters', 'Send the address only, at most 500 characters');
          out.address = value;
          break;
        case 'oldIdNumber': {
          const id = normaliseIdNumber(value);
          if (id?.kind !== 'cmnd') throw invalid('OLD_ID_NUMBER_MALFORMED', 'oldIdNumber is not a 9-digit identity card number', 'Send the 9 digits of the old identity card (CMND)');
          out.oldIdNumber = id.digits;
          break;
        }
        case 'phone': {
          const phone = normalisePhone(value);
          if (phone === undefined) throw invalid('PHONE_MALFORMED', 'phone is not a Vietnamese phone number', 'Send 10 digits starting with 0, or +84 and 9 digits');
          out.phone = phone;
          break;
        }
      }
    }
    return out;
  }

  private compare(request: CheckedRequest, person: VerifyFacts): Partial<Record<VerifyField, FieldOutcome>> {
    const fields: Partial<Record<VerifyField, FieldOutcome>> = {};
    if (request.fullName !== undefined) fields.fullName = compareNames(nameForms(request.fullName), nameForms(person.fullName));
    if (request.birthDate !== undefined) fields.birthDate = compareDates(request.birthDate, person.birthDate);
    if (request.sex !== undefined) fields.sex = request.sex === person.sex ? 'exact' : 'different';
    if (request.communeCode !== undefined) {
      const today = isoDay(this.deps.clock.now());
      const code = request.communeCode;
      fields.communeCode = best(compareCommunes(code, person.permanentCommune ?? '', today), compareCommunes(code, person.currentCommune ?? '', today));
    }
    if (request.address !== undefined) {
      const forms = addressForms(request.address);
      fields.address = best(compareAddresses(forms, addressForms(person.permanentAddress ?? '')), compareAddresses(forms, addressForms(person.currentAddress ?? '')));
    }
    // the registry holds no CMND numbers or phone numbers yet
    if (request.oldIdNumber !== undefined) fields.oldIdNumber = 'missing';
    if (request.phone !== undefined) fields.phone = 'missing';
    return fields;
  }
}
