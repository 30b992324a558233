/**
 * The Fellegi–Sunter model the verify service scores 'partial' requests with: per field, the
 * probability of each outcome (exact / close / different) among true matches (m) and among
 * unrelated people (u).
 *
 * u is estimated from the registry itself ({@link estimateVerifyU}: random pairs of persons, which
 * are non-matches). m is the error profile of agency data (how often an agency's copy of a true
 * detail is exact, slightly wrong, or wrong); with one candidate per request it cannot be estimated
 * from the requests, so the defaults are set a priori (about 9% of names and 7% of dates with a
 * typo, 1% wrong). Noisier sources exist: EM on FEBRL 4 finds only ~70% of names exact. An agency
 * whose error profile is known can pass its own model (VerifyServiceDeps.model). The prior is 0.5:
 * the ID number already singles out the candidate, so the score says only what the details add.
 */
import type { FellegiSunterModel, FieldModel } from './fellegi-sunter.js';
import { compareNames, nameForms } from './name.normaliser.js';
import { compareDates } from './date.normaliser.js';
import { compareAddresses, addressForms } from './address.normaliser.js';
import type { FieldOutcome, VerifyField } from './verify.types.js';
import { verifyFields } from './verify.types.js';

/** The outcome levels a verify field is scored on, best first ('missing' scores 0). */
export const verifyLevels: readonly FieldOutcome[] = ['exact', 'close', 'different'];

const defaults: Readonly<Record<VerifyField, { m: readonly number[]; u: readonly number[] }>> = {
  fullName: { m: [0.9, 0.09, 0.01], u: [0.0005, 0.003, 0.9965] },
  birthDate: { m: [0.92, 0.07, 0.01], u: [0.0002, 0.004, 0.9958] },
  sex: { m: [0.99, 0.000001, 0.01], u: [0.5, 0.000001, 0.5] },
  communeCode: { m: [0.8, 0.1, 0.1], u: [0.0005, 0.0005, 0.999] },
  address: { m: [0.6, 0.3, 0.1], u: [0.0005, 0.003, 0.9965] },
  // the registry holds neither: always 'missing', weight 0
  oldIdNumber: { m: [0.9, 0.05, 0.05], u: [0.9, 0.05, 0.05] },
  phone: { m: [0.9, 0.05, 0.05], u: [0.9, 0.05, 0.05] },
};

/** The default model; the service replaces its u by {@link estimateVerifyU} on a registry sample. */
export const defaultVerifyModel: FellegiSunterModel = {
  prior: 0.5,
  fields: verifyFields.map((name): FieldModel => ({ name, levels: verifyLevels, m: defaults[name].m, u: defaults[name].u })),
};

/** The registry facts the u estimate compares. */
export interface VerifySample {
  readonly fullName: string;
  readonly birthDate: string;
  readonly sex: 'M' | 'F';
  readonly communeCode: string | null;
  readonly address: string | null;
}

/** Pairs needed before an estimated u replaces the default. */
export const minimumPairs = 200;

/**
 * Replaces the model's u probabilities by those observed on pairs of different registry persons
 * (person i against person i + n/2 of the sample), with add-half smoothing. Fields the registry
 * does not hold, or with fewer than {@link minimumPairs} pairs, keep their defaults.
 *
 * @example
 * const model = estimateVerifyU(defaultVerifyModel, samplePersons);
 */
export function estimateVerifyU(model: FellegiSunterModel, sample: readonly VerifySample[]): FellegiSunterModel {
  const half = Math.floor(sample.length / 2);
  const counts = new Map<VerifyField, number[]>();
  const add = (field: VerifyField, outcome: FieldOutcome): void => {
    const level = verifyLevels.indexOf(outcome);
    if (level < 0) return;
    const c = counts.get(field) ?? [0.5, 0.5, 0.5];
    c[level] = (c[level] ?? 0) + 1;
    counts.set(field, c);
  };
  for (let i = 0; i < half; i++) {
    const a = sample[i];
    const b = sample[i + half];
    if (a === undefined || b === undefined) continue;
    add('fullName', compareNames(nameForms(a.fullName), nameForms(b.fullName)));
    add('birthDate', compareDates(a.birthDate, b.birthDate));
    add('sex', a.sex === b.sex ? 'exact' : 'different');
    if (a.communeCode !== null && b.communeCode !== null) add('communeCode', a.communeCode === b.communeCode ? 'exact' : 'different');
    if (a.address !== null && b.address !== null) add('address', compareAddresses(addressForms(a.address), addressForms(b.address)));
  }
  return {
    ...model,
    fields: model.fields.map((f) => {
      const c = counts.get(f.name as VerifyField);
      const total = c === undefined ? 0 : c.reduce((s, x) => s + x, 0);
      // too few pairs (a near-empty registry) say nothing: keep the default
      if (c === undefined || total < minimumPairs) return f;
      return { ...f, u: c.map((x) => x / total) };
    }),
  };
}
