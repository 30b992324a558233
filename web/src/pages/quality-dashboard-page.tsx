import { useState, type ReactNode } from 'react';
import { ApiError, apiPost, type ItemList } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { useApi, useConsole } from '../context.js';
import { routeHash } from '../routing.js';
import type { ScoreRow } from '../../../src/quality/score.repository.js';

/** One scorecard row of GET /api/quality/scorecard and /trend: the quality module's own row type. */
export type QualityScore = ScoreRow;

/** A finding of the worklist (GET /api/quality/findings). */
export interface QualityFinding {
  readonly findingId: string;
  readonly ruleId: string;
  readonly group: string;
  readonly severity: string;
  readonly field: string;
  readonly recordKind: string;
  readonly recordId: string;
  readonly relatedId: string | null;
  readonly communeCode: string;
  readonly provinceCode: string;
  /** Today's names of the finding's units (null for a code no unit has today). */
  readonly communeName?: string | null;
  readonly provinceName?: string | null;
  /** What is wrong as stored (English, ISO dates); `detailText` in each language, dates dd/mm/yyyy in Vietnamese. */
  readonly detail: string;
  readonly detailText?: { readonly vi: string; readonly en: string };
  readonly detectedAt: string;
  readonly status: string;
}

export const scoreGroups = ['correct', 'complete', 'clean', 'live', 'overall'] as const;

/** A rule of GET /api/quality/rules: its id and what it checks, in both languages. */
export interface QualityRule {
  readonly id: string;
  readonly group: string;
  readonly severity: string;
  readonly field: string;
  readonly description: { readonly vi: string; readonly en: string };
}

interface Unit { readonly code: string; readonly name: string }

/** The unit names last loaded for each path: a drill-down's new page shows them while it loads them again (no code flashing in the breadcrumb). */
const loadedUnitNames = new Map<string, ReadonlyMap<string, string>>();

/** Names by code from GET /api/admin-units/provinces or …/provinces/:code/communes (today's units, as the scores are). */
function useUnitNames(path: string | null, key: 'provinces' | 'communes'): ReadonlyMap<string, string> {
  const units = useApi<Partial<Record<'provinces' | 'communes', readonly Unit[]>>>(path);
  if (path === null) return new Map();
  if (units.state !== 'ok') return loadedUnitNames.get(path) ?? new Map();
  const names = new Map((units.data[key] ?? []).map((u) => [u.code, u.name]));
  loadedUnitNames.set(path, names);
  return names;
}

/** The rules by id, for their names in the console's language. */
export function useRuleNames(): (ruleId: string) => string {
  const { lang } = useConsole();
  const rules = useApi<ItemList<QualityRule>>('/api/quality/rules');
  const byId = new Map(rules.state === 'ok' ? rules.data.items.map((r) => [r.id, r.description[lang]]) : []);
  return (ruleId) => byId.get(ruleId) ?? ruleId;
}

interface Scorecard {
  readonly scan: { readonly finishedAt: string; readonly persons: number; readonly findingsOpen: number } | null;
  readonly items: readonly QualityScore[];
}

/** Rows grouped by scope code: one line per province / commune / rule with its five scores. */
function lines(rows: readonly QualityScore[]): { code: string; records: number; scores: Record<string, QualityScore> }[] {
  const byCode = new Map<string, { code: string; records: number; scores: Record<string, QualityScore> }>();
  for (const r of rows) {
    const line = byCode.get(r.code) ?? { code: r.code, records: 0, scores: {} };
    line.records = Math.max(line.records, r.records);
    line.scores[r.group] = r;
    byCode.set(r.code, line);
  }
  return [...byCode.values()];
}

/** A small line chart of scores over scans (0-100 axis clipped to the series' range). */
export function TrendChart({ points, label }: { readonly points: readonly number[]; readonly label: string }): ReactNode {
  if (points.length === 0) return null;
  const min = Math.min(...points, 100);
  const max = Math.max(...points);
  const span = Math.max(max - min, 0.5);
  const x = (i: number): number => (points.length === 1 ? 60 : (i / (points.length - 1)) * 120);
  const y = (v: number): number => 34 - ((v - min) / span) * 30;
  return (
    <svg width="124" height="38" viewBox="-2 0 124 38" role="img" aria-label={label} data-testid="trend-chart">
      <polyline fill="none" stroke="#1f6feb" strokeWidth="2" points={points.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')} />
      {points.map((v, i) => <circle key={i} cx={x(i)} cy={y(v)} r="2" fill="#1f6feb" />)}
    </svg>
  );
}

function byRule(findings: readonly QualityFinding[]): Map<string, QualityFinding[]> {
  const out = new Map<string, QualityFinding[]>();
  for (const f of findings) out.set(f.ruleId, [...(out.get(f.ruleId) ?? []), f]);
  return out;
}

function scoreClass(score: number | undefined): string {
  if (score === undefined) return '';
  return score >= 99 ? 'score-good' : score >= 95 ? 'score-fair' : 'score-poor';
}

/**
 * The quality dashboard: the four scores (đúng, đủ, sạch, sống) and the overall one, nationally
 * with their trend, by province, then by commune of a province, then by rule for a commune,
 * down to the findings (the records behind a number) in the worklist.
 */
export function QualityDashboardPage({ province, commune }: { readonly province: string | null; readonly commune: string | null }): ReactNode {
  const { t, csrfToken, onUnauthorized } = useConsole();
  const [version, setVersion] = useState(0);
  const [scanning, setScanning] = useState(false);
  const [scanError, setScanError] = useState<ApiError | null>(null);
  const trendScope = commune !== null ? `commune&code=${commune}` : province !== null ? `province&code=${province}` : 'national&code=';
  const national = useApi<Scorecard>(`/api/quality/scorecard?scope=national&v=${version}`);
  const trend = useApi<ItemList<QualityScore>>(`/api/quality/trend?scope=${trendScope}&v=${version}`);
  // The provinces' scores make the table at the national level and the headline at a province;
  // a province's communes the table at the province and the headline at one of its communes.
  const provinceCard = useApi<Scorecard>(commune !== null ? null : `/api/quality/scorecard?scope=province&v=${version}`);
  const communeCard = useApi<Scorecard>(province === null ? null : `/api/quality/scorecard?scope=commune&parent=${encodeURIComponent(province)}&v=${version}`);
  const table = province === null ? provinceCard : commune === null ? communeCard : null;
  const findings = useApi<ItemList<QualityFinding>>(commune === null ? null : `/api/quality/findings?commune=${encodeURIComponent(commune)}&status=open&limit=500&v=${version}`);
  const provinceNames = useUnitNames('/api/admin-units/provinces', 'provinces');
  const communeNames = useUnitNames(province === null ? null : `/api/admin-units/provinces/${encodeURIComponent(province)}/communes`, 'communes');
  const ruleName = useRuleNames();
  const provinceName = (code: string): string => provinceNames.get(code) ?? `${t('qualityProvince')} ${code}`;
  const communeName = (code: string): string => communeNames.get(code) ?? `${t('qualityCommune')} ${code}`;
  // The headline is the scope being looked at: the nation, the province, or the commune.
  const headlineCard = commune !== null ? communeCard : province !== null ? provinceCard : national;
  const headlineCode = commune ?? province;
  const headline = headlineCard.state === 'ok' ? headlineCard.data.items.filter((r) => headlineCode === null || r.code === headlineCode) : [];
  const headlineName = commune !== null ? communeName(commune) : province !== null ? provinceName(province) : t('qualityNational');

  async function scan(): Promise<void> {
    setScanning(true);
    try {
      await apiPost(`/api/quality/scans`, csrfToken);
      setScanError(null);
      setVersion((v) => v + 1);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(0, 'CLIENT_ERROR', String(error), null);
      if (apiError.status === 401) onUnauthorized();
      setScanError(apiError);
    } finally {
      setScanning(false);
    }
  }

  const groupLabel = (g: string): string => t(`qualityGroup_${g}` as 'qualityGroup_correct');
  const trendByGroup = (g: string): number[] => (trend.state === 'ok' ? trend.data.items.filter((r) => r.group === g).map((r) => r.score) : []);

  return (
    <div className="page" data-testid="quality-dashboard">
      <section className="panel">
        <h1>{t('qualityTitle')}</h1>
        <p className="muted">{t('qualityHelp')}</p>
        <p>
          <a href={routeHash({ page: 'quality', province: null, commune: null })}>{t('qualityNational')}</a>
          {province !== null && <> › <a href={routeHash({ page: 'quality', province, commune: null })} data-testid="crumb-province">{provinceName(province)}</a></>}
          {commune !== null && <> › <span data-testid="crumb-commune">{communeName(commune)}</span></>}
          {' · '}
          <a href={routeHash({ page: 'worklist', commune, rule: null, status: 'open' })} data-testid="to-worklist">{t('worklistTitle')}</a>
        </p>
        <button type="button" onClick={() => void scan()} disabled={scanning} data-testid="quality-scan">
          {scanning ? t('qualityScanning') : t('qualityScan')}
        </button>
      </section>
      {scanError !== null && <ErrorBox error={scanError} />}
      {national.state === 'loading' && <Loading />}
      {national.state === 'error' && <ErrorBox error={national.error} />}
      {national.state === 'ok' && national.data.scan === null && <p className="muted" data-testid="quality-no-scan">{t('qualityNoScan')}</p>}
      {national.state === 'ok' && national.data.scan !== null && (
        <section className="panel">
          <p className="muted" data-testid="quality-scan-info">
            {t('qualityLastScan')} {national.data.scan.finishedAt.slice(0, 16).replace('T', ' ')} · {national.data.scan.persons} {t('qualityPersons')} · {national.data.scan.findingsOpen} {t('qualityOpenFindings')}
          </p>
          <h2 data-testid="quality-headline-scope">{headlineName}</h2>
          <div className="table-scroll" tabIndex={0} role="region" aria-label={headlineName}>
          <table className="table scores" data-testid="quality-national">
            <thead><tr>{scoreGroups.map((g) => <th key={g}>{groupLabel(g)}</th>)}</tr></thead>
            <tbody>
              <tr data-testid="quality-headline">
                {scoreGroups.map((g) => {
                  const s = headline.find((r) => r.group === g);
                  return <td key={g} className={scoreClass(s?.score)}><strong>{s === undefined ? '–' : s.score.toFixed(2)}</strong></td>;
                })}
              </tr>
              <tr>
                {scoreGroups.map((g) => <td key={g}><TrendChart points={trendByGroup(g)} label={`${groupLabel(g)} ${t('qualityTrend')}`} /></td>)}
              </tr>
            </tbody>
          </table>
          </div>
        </section>
      )}
      {table?.state === 'ok' && table.data.items.length > 0 && (
        <section className="panel">
          <h2>{province === null ? t('qualityByProvince') : t('qualityByCommune')}</h2>
          <div className="table-scroll" tabIndex={0} role="region" aria-label={province === null ? t('qualityByProvince') : t('qualityByCommune')}>
          <table className="table scores" data-testid="quality-table">
            <thead>
              <tr>
                <th>{province === null ? t('qualityProvince') : t('qualityCommune')}</th>
                <th>{t('qualityRecords')}</th>
                {scoreGroups.map((g) => <th key={g}>{groupLabel(g)}</th>)}
              </tr>
            </thead>
            <tbody>
              {lines(table.data.items).sort((a, b) => (a.scores.overall?.score ?? 100) - (b.scores.overall?.score ?? 100)).map((line) => (
                <tr key={line.code} data-testid="quality-row">
                  <td>
                    {line.code === '' ? <span className="muted">{t('qualityNoCommune')}</span> : (
                      <a href={routeHash(province === null ? { page: 'quality', province: line.code, commune: null } : { page: 'quality', province, commune: line.code })} data-testid="quality-drill">
                        {province === null ? provinceName(line.code) : communeName(line.code)}
                      </a>
                    )}
                  </td>
                  <td>{line.records}</td>
                  {scoreGroups.map((g) => <td key={g} className={scoreClass(line.scores[g]?.score)}>{line.scores[g]?.score.toFixed(2) ?? '–'}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        </section>
      )}
      {table?.state === 'error' && <ErrorBox error={table.error} />}
      {commune !== null && findings.state === 'loading' && <Loading />}
      {findings.state === 'error' && <ErrorBox error={findings.error} />}
      {findings.state === 'ok' && (
        <section className="panel">
          <h2>{t('qualityByRule')}</h2>
          {findings.data.items.length === 0 ? <p className="muted">{t('worklistEmpty')}</p> : (
            <table className="table" data-testid="quality-rules">
              <thead><tr><th>{t('worklistRule')}</th><th>{t('qualityGroup')}</th><th>{t('qualityOpenFindings')}</th></tr></thead>
              <tbody>
                {[...byRule(findings.data.items)].map(([ruleId, list]) => (
                  <tr key={ruleId} data-testid="quality-rule-row">
                    <td>{ruleName(ruleId)}<div className="muted small"><code>{ruleId}</code></div></td>
                    <td>{groupLabel(list[0]?.group ?? '')}</td>
                    <td><a href={routeHash({ page: 'worklist', commune, rule: ruleId, status: 'open' })} data-testid="quality-rule-records">{list.length}</a></td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </div>
  );
}
