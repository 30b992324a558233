/**
 * The Fellegi–Sunter model: each field comparison falls into a level; each level has a probability
 * m (among true matches) and u (among non-matches); a pair's match weight is the sum of
 * log2(m/u) over fields, and its match probability follows from the prior λ.
 *
 * Parameters are estimated from the data: u from random pairs (almost all non-matches), then m
 * and λ by expectation-maximisation over the blocked pairs (Winkler 1988; as Splink does).
 * Comparison vectors are aggregated into distinct patterns first, so EM costs nothing per pair.
 */

/** A field's comparison levels, best agreement first; the last level is "all other" (disagreement). */
export interface FieldModel {
  readonly name: string;
  readonly levels: readonly string[];
  /** P(level | match), one per level. */
  readonly m: readonly number[];
  /** P(level | non-match), one per level. */
  readonly u: readonly number[];
}

export interface FellegiSunterModel {
  /** λ: the prior probability that a compared pair is a match. */
  readonly prior: number;
  readonly fields: readonly FieldModel[];
}

/** The level a field fell into, or {@link nullLevel} when a value was missing (weight 0). */
export const nullLevel = -1;

/** How one field contributed to a pair's score. */
export interface FieldExplanation {
  readonly field: string;
  /** The level's label, or 'null' when a value was missing. */
  readonly level: string;
  /** log2(m/u): positive for evidence of a match, negative against. */
  readonly weight: number;
}

const floor = 1e-6;

function clamp(p: number): number {
  return Math.min(1 - floor, Math.max(floor, p));
}

/** log2(m/u) of each level of each field, precomputed for scoring. */
export function levelWeights(model: FellegiSunterModel): readonly Float64Array[] {
  return model.fields.map((f) => Float64Array.from(f.levels, (_, i) => Math.log2(clamp(f.m[i] ?? floor) / clamp(f.u[i] ?? floor))));
}

/** The prior as a log2 odds: the weight a pair starts from. */
export function priorWeight(model: FellegiSunterModel): number {
  const p = clamp(model.prior);
  return Math.log2(p / (1 - p));
}

/**
 * The total match weight of a comparison vector (log2 posterior odds).
 *
 * @example
 * matchWeight(model, weights, [0, 2, nullLevel]) // prior + w(field0, level0) + w(field1, level2)
 */
export function matchWeight(model: FellegiSunterModel, weights: readonly Float64Array[], levels: ArrayLike<number>): number {
  let total = priorWeight(model);
  for (let f = 0; f < weights.length; f++) {
    const level = levels[f] ?? nullLevel;
    if (level !== nullLevel) total += weights[f]?.[level] ?? 0;
  }
  return total;
}

/** A match weight (log2 odds) turned into a probability. */
export function probabilityOf(weight: number): number {
  return 1 / (1 + 2 ** -weight);
}

/** The per-field explanation of a comparison vector. */
export function explain(model: FellegiSunterModel, weights: readonly Float64Array[], levels: ArrayLike<number>): readonly FieldExplanation[] {
  return model.fields.map((f, i) => {
    const level = levels[i] ?? nullLevel;
    return level === nullLevel
      ? { field: f.name, level: 'null', weight: 0 }
      : { field: f.name, level: f.levels[level] ?? String(level), weight: Math.round((weights[i]?.[level] ?? 0) * 1000) / 1000 };
  });
}

/** Comparison vectors counted by distinct pattern: the input EM works on. */
export class PatternCounts {
  // key: the levels in base 8 (level + 1 per digit), exact in a double for up to 17 fields
  private readonly counts = new Map<number, { levels: Int8Array; count: number }>();
  total = 0;

  add(levels: Int8Array, times = 1): void {
    let key = 0;
    for (let f = 0; f < levels.length; f++) key = key * 8 + ((levels[f] ?? nullLevel) + 1);
    const found = this.counts.get(key);
    if (found === undefined) this.counts.set(key, { levels: Int8Array.from(levels), count: times });
    else found.count += times;
    this.total += times;
  }

  entries(): IterableIterator<{ levels: Int8Array; count: number }> {
    return this.counts.values();
  }

  get distinct(): number {
    return this.counts.size;
  }
}

/** Most fields and levels per field that {@link PatternCounts} can key exactly. */
export const maxFields = 17;
export const maxLevels = 7;

/** u probabilities of each field from comparison vectors of random pairs (nearly all non-matches). */
export function estimateU(fields: readonly { readonly name: string; readonly levels: readonly string[] }[], random: PatternCounts): readonly number[][] {
  return fields.map((f, i) => {
    const counts = new Array<number>(f.levels.length).fill(0.5); // add-half smoothing: no level has u = 0
    for (const { levels, count } of random.entries()) {
      const level = levels[i] ?? nullLevel;
      if (level !== nullLevel) counts[level] = (counts[level] ?? 0) + count;
    }
    const total = counts.reduce((s, c) => s + c, 0);
    return counts.map((c) => c / total);
  });
}

export interface EmOptions {
  readonly iterations?: number;
  /** Stop when no parameter moves more than this. */
  readonly tolerance?: number;
  /** Keep u fixed (estimated from random pairs) and estimate only m and λ. Default true. */
  readonly fixU?: boolean;
  /** Keep m fixed too: only λ is estimated (the last step after training sessions). */
  readonly fixM?: boolean;
  /** Fields to leave out (treated as missing): those a training session's blocking rule forces to agree. */
  readonly ignore?: ReadonlySet<number>;
}

/**
 * Expectation-maximisation of m (and u unless fixed) and λ over the blocked pairs' patterns.
 *
 * @example
 * const model = estimateEm(initial, patterns, { iterations: 30 });
 */
export function estimateEm(initial: FellegiSunterModel, patterns: PatternCounts, options: EmOptions = {}): FellegiSunterModel {
  const iterations = options.iterations ?? 30;
  const tolerance = options.tolerance ?? 1e-5;
  const fixU = options.fixU ?? true;
  const fixM = options.fixM ?? false;
  const ignore = options.ignore ?? new Set<number>();
  let model = initial;
  const entries = [...patterns.entries()].map(({ levels, count }) => {
    if (ignore.size === 0) return { levels, count };
    const masked = Int8Array.from(levels);
    for (const f of ignore) masked[f] = nullLevel;
    return { levels: masked, count };
  });
  for (let iteration = 0; iteration < iterations; iteration++) {
    const weights = levelWeights(model);
    const mSums = model.fields.map((f) => new Array<number>(f.levels.length).fill(0));
    const uSums = model.fields.map((f) => new Array<number>(f.levels.length).fill(0));
    let matchMass = 0;
    let total = 0;
    for (const { levels, count } of entries) {
      const p = probabilityOf(matchWeight(model, weights, levels));
      matchMass += p * count;
      total += count;
      for (let f = 0; f < levels.length; f++) {
        const level = levels[f] ?? nullLevel;
        if (level === nullLevel) continue;
        const ms = mSums[f];
        const us = uSums[f];
        if (ms !== undefined) ms[level] = (ms[level] ?? 0) + p * count;
        if (us !== undefined) us[level] = (us[level] ?? 0) + (1 - p) * count;
      }
    }
    if (total === 0) return model;
    let moved = 0;
    const fields = model.fields.map((f, i) => {
      const normalise = (sums: readonly number[] | undefined, old: readonly number[]): number[] => {
        const s = (sums ?? []).reduce((a, b) => a + b, 0);
        const next = s === 0 ? [...old] : old.map((_, l) => clamp(((sums ?? [])[l] ?? 0) / s));
        for (let l = 0; l < next.length; l++) moved = Math.max(moved, Math.abs((next[l] ?? 0) - (old[l] ?? 0)));
        return next;
      };
      if (ignore.has(i)) return f;
      return { ...f, m: fixM ? f.m : normalise(mSums[i], f.m), u: fixU ? f.u : normalise(uSums[i], f.u) };
    });
    const prior = clamp(matchMass / total);
    moved = Math.max(moved, Math.abs(prior - model.prior));
    model = { prior, fields };
    if (moved < tolerance) break;
  }
  return model;
}

/** Starting m values: most matches agree at the best level, few disagree. */
export function initialM(levelCount: number): number[] {
  if (levelCount <= 1) return [1];
  const m = new Array<number>(levelCount).fill(0);
  m[0] = 0.85;
  const rest = 0.15 / (levelCount - 1);
  for (let i = 1; i < levelCount; i++) m[i] = rest;
  return m;
}

/** A training session: the pairs one blocking rule proposed, and the fields that rule forces to agree. */
export interface TrainingSession {
  readonly patterns: PatternCounts;
  readonly ignore: ReadonlySet<number>;
  /** False when the rule's keys are transformed (first letters, year): agreement on them is looser than level 0. */
  readonly exactKeys: boolean;
}

/**
 * Training as Splink does it: one EM session per blocking rule, on the pairs that rule proposed,
 * leaving out the fields the rule forces to agree (they would look perfectly predictive); each
 * field's m is the mean over the sessions that estimated it.
 *
 * The prior returned is λ for two random records: each session's EM says how many of its pairs
 * match (λ_r × pairs_r); dividing by the chance that a match agrees on the rule's fields (the
 * product of their m at level 0) estimates all matches; the median over sessions, divided by
 * `totalPairs`, is λ. Scores are then calibrated like u, against random pairs.
 */
export function trainBySessions(
  initial: FellegiSunterModel,
  sessions: readonly TrainingSession[],
  totalPairs: number,
  options: { readonly iterations?: number } = {},
): FellegiSunterModel {
  const sums = initial.fields.map((f) => new Array<number>(f.levels.length).fill(0));
  const counts = initial.fields.map(() => 0);
  const trainedSessions: { readonly session: TrainingSession; readonly matches: number }[] = [];
  for (const session of sessions) {
    if (session.patterns.total === 0) continue;
    const trained = estimateEm(initial, session.patterns, { ...options, ignore: session.ignore });
    trainedSessions.push({ session, matches: trained.prior * session.patterns.total });
    trained.fields.forEach((f, i) => {
      if (session.ignore.has(i)) return;
      const target = sums[i];
      if (target === undefined) return;
      f.m.forEach((m, l) => { target[l] = (target[l] ?? 0) + m; });
      counts[i] = (counts[i] ?? 0) + 1;
    });
  }
  const fields = initial.fields.map((f, i) => {
    const n = counts[i] ?? 0;
    return n === 0 ? f : { ...f, m: (sums[i] ?? []).map((m) => m / n) };
  });
  const exact = trainedSessions.filter((t) => t.session.exactKeys);
  const estimates = (exact.length > 0 ? exact : trainedSessions).map(({ session, matches }) => {
    let recall = 1;
    for (const f of session.ignore) recall *= fields[f]?.m[0] ?? 1;
    return matches / Math.max(recall, 1e-3);
  }).sort((a, b) => a - b);
  const median = estimates.length === 0 ? undefined : estimates[Math.floor((estimates.length - 1) / 2)];
  const prior = median === undefined || totalPairs <= 0 ? initial.prior : clamp(median / totalPairs);
  return { prior, fields };
}

/**
 * u with the matches among the random pairs taken out. Random pairs are not all non-matches: a
 * share λ (the prior) of them match, and agree the way matches do (m), which inflates u at the
 * agreeing levels by about λ·m. For a unique identifier that is most of what was observed
 * (λ = 2e-4 against a true u near zero), and it costs such an agreement several bits of weight.
 * u' = (u − λ·m) / (1 − λ), floored at `floor` (what a sample of that size can still tell apart)
 * and renormalised.
 *
 * @example
 * withoutRandomMatches({ prior: 2e-4, fields: [{ name: 'ssn', levels: ['exact', 'else'], m: [0.9, 0.1], u: [0.00019, 0.99981] }] }, 1e-6)
 * // u of 'exact' ≈ 0.00001
 */
export function withoutRandomMatches(model: FellegiSunterModel, floor: number): FellegiSunterModel {
  const lambda = model.prior;
  return {
    ...model,
    fields: model.fields.map((f) => {
      const raw = f.u.map((u, l) => Math.max((u - lambda * (f.m[l] ?? 0)) / (1 - lambda), floor));
      const total = raw.reduce((a, b) => a + b, 0);
      return { ...f, u: raw.map((u) => u / total) };
    }),
  };
}
