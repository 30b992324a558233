import { defectRules, type DefectKind, type DefectLedger } from './defect.injector.js';

/** What accuracy needs of a finding. */
export interface FoundItem {
  readonly ruleId: string;
  readonly recordId: string;
  readonly relatedId: string | null;
}

export interface KindAccuracy {
  readonly kind: DefectKind;
  readonly injected: number;
  /** Injected defects for which every expected rule fired on the spoiled record. */
  readonly detected: number;
  readonly recall: number;
}

export interface RuleAccuracy {
  readonly ruleId: string;
  readonly findings: number;
  /** Findings on a record spoiled for this rule (or left failing it by the generator). */
  readonly truePositives: number;
  /** Of those, records the generator itself left failing the rule (not injected). */
  readonly natural: number;
  readonly precision: number;
}

export interface Accuracy {
  readonly kinds: readonly KindAccuracy[];
  readonly rules: readonly RuleAccuracy[];
  /** Micro-averaged over every rule but duplicates. */
  readonly ruleBased: { readonly precision: number; readonly recall: number };
  readonly duplicates: { readonly precision: number; readonly recall: number; readonly pairsFound: number; readonly pairsInjected: number };
}

const duplicateRule = 'clean.duplicate_person';

function key(ruleId: string, recordId: string, relatedId: string | null): string {
  if (ruleId !== duplicateRule || relatedId === null) return `${ruleId}|${recordId}`;
  return recordId < relatedId ? `${ruleId}|${recordId}|${relatedId}` : `${ruleId}|${relatedId}|${recordId}`;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 1 : a / b;
}

/**
 * Measures detection against the injected ground truth: recall per defect kind (all its rules
 * fired on the spoiled record), precision per rule (findings on records spoiled for that rule,
 * or that the generator left failing it, over all its findings). Duplicates are compared as
 * unordered pairs.
 */
export function measureAccuracy(ledger: DefectLedger, found: readonly FoundItem[]): Accuracy {
  const foundKeys = new Set(found.map((f) => key(f.ruleId, f.recordId, f.relatedId)));
  const truth = new Set<string>();
  const natural = new Set<string>();
  const kinds = new Map<DefectKind, { injected: number; detected: number }>();
  for (const d of ledger.injected) {
    const expected = defectRules[d.kind].map((rule) => key(rule, d.recordId, d.relatedId));
    for (const k of expected) truth.add(k);
    const tally = kinds.get(d.kind) ?? { injected: 0, detected: 0 };
    tally.injected++;
    if (expected.every((k) => foundKeys.has(k))) tally.detected++;
    kinds.set(d.kind, tally);
  }
  for (const [ruleId, ids] of ledger.natural) for (const id of ids) natural.add(key(ruleId, id, null));
  const rules = new Map<string, { findings: number; tp: number; natural: number }>();
  for (const f of found) {
    const k = key(f.ruleId, f.recordId, f.relatedId);
    const tally = rules.get(f.ruleId) ?? { findings: 0, tp: 0, natural: 0 };
    tally.findings++;
    if (truth.has(k)) tally.tp++;
    else if (natural.has(k)) {
      tally.tp++;
      tally.natural++;
    }
    rules.set(f.ruleId, tally);
  }
  const ruleList = [...rules].map(([ruleId, t]): RuleAccuracy => ({ ruleId, findings: t.findings, truePositives: t.tp, natural: t.natural, precision: ratio(t.tp, t.findings) }));
  const kindList = [...kinds].map(([kind, t]): KindAccuracy => ({ kind, injected: t.injected, detected: t.detected, recall: ratio(t.detected, t.injected) }));
  const nonDup = ruleList.filter((r) => r.ruleId !== duplicateRule);
  const nonDupKinds = kindList.filter((k) => k.kind !== 'duplicate');
  const dup = rules.get(duplicateRule) ?? { findings: 0, tp: 0, natural: 0 };
  const dupKind = kinds.get('duplicate') ?? { injected: 0, detected: 0 };
  return {
    kinds: kindList.sort((a, b) => a.kind.localeCompare(b.kind)),
    rules: ruleList.sort((a, b) => a.ruleId.localeCompare(b.ruleId)),
    ruleBased: {
      precision: ratio(nonDup.reduce((s, r) => s + r.truePositives, 0), nonDup.reduce((s, r) => s + r.findings, 0)),
      recall: ratio(nonDupKinds.reduce((s, k) => s + k.detected, 0), nonDupKinds.reduce((s, k) => s + k.injected, 0)),
    },
    duplicates: { precision: ratio(dup.tp, dup.findings), recall: ratio(dupKind.detected, dupKind.injected), pairsFound: dup.findings, pairsInjected: dupKind.injected },
  };
}
