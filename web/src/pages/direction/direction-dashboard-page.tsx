import { useMemo, useState, type ReactNode } from 'react';
import { ApiError, apiPost } from '../../api.js';
import { ErrorBox, Loading } from '../../components.js';
import { useApi, useConsole } from '../../context.js';
import { routeHash } from '../../routing.js';
import type { DashboardView } from '../../../../src/direction/dashboard.service.js';
import { EChart, type ChartOption } from './echart.js';
import { csvCell, directionWords, downloadText, formatNumber, type DirectionWord } from './direction.words.js';
import { provinceTiles } from './province-tiles.js';

export type { DashboardView };

const tileSize = 58;

/** A colour from red (worst) to green (best) for a value within [min, max]. */
function tileColour(value: number | null, min: number, max: number, better: 'up' | 'down'): string {
  if (value === null) return '#e5e7eb';
  const x = max === min ? 1 : (value - min) / (max - min);
  const good = better === 'up' ? x : 1 - x;
  return `hsl(${Math.round(good * 120)}, 55%, ${Math.round(82 - good * 22)}%)`;
}

/**
 * The direction dashboard: one indicator for the nation, a province or a commune (by name), its
 * value and trend, the ranking of the units one level down, and the 34 provinces on a tile map;
 * exported as CSV, printed or saved as PDF through the print stylesheet.
 */
export function DirectionDashboardPage({ indicator, province, commune }: { readonly indicator: string | null; readonly province: string | null; readonly commune: string | null }): ReactNode {
  const { lang, csrfToken, onUnauthorized } = useConsole();
  const w = directionWords(lang);
  const [version, setVersion] = useState(0);
  const [refreshing, setRefreshing] = useState(false);
  const [refreshError, setRefreshError] = useState<ApiError | null>(null);
  const query = new URLSearchParams();
  if (indicator !== null) query.set('indicator', indicator);
  if (province !== null) query.set('province', province);
  if (commune !== null) query.set('commune', commune);
  query.set('v', String(version));
  const view = useApi<DashboardView>(`/api/direction/dashboard?${query.toString()}`);
  const href = (over: { indicator?: string | null; province?: string | null; commune?: string | null }): string =>
    routeHash({ page: 'direction', indicator: over.indicator === undefined ? indicator : over.indicator, province: over.province === undefined ? province : over.province, commune: over.commune === undefined ? commune : over.commune });

  async function refresh(): Promise<void> {
    setRefreshing(true);
    try {
      await apiPost('/api/direction/indicators/refresh', csrfToken, {});
      setRefreshError(null);
      setVersion((v) => v + 1);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(0, 'CLIENT_ERROR', String(error), null);
      if (e.status === 401) onUnauthorized();
      setRefreshError(e);
    } finally {
      setRefreshing(false);
    }
  }

  return (
    <div className="page direction" data-testid="direction-dashboard">
      <section className="panel">
        <h1>{w.title}</h1>
        <p className="muted no-print">{w.help}</p>
        <nav className="crumbs" data-testid="direction-crumbs">
          {view.state === 'ok'
            ? view.data.crumbs.map((c, i) => (
              <span key={c.level}>
                {i > 0 && ' › '}
                {i === view.data.crumbs.length - 1
                  ? <strong data-testid={`crumb-${c.level}`}>{c.level === 'nation' ? w.nation : c.name}</strong>
                  : <a href={href(c.level === 'nation' ? { province: null, commune: null } : { province: c.code, commune: null })} data-testid={`crumb-${c.level}`}>{c.level === 'nation' ? w.nation : c.name}</a>}
              </span>
            ))
            : w.nation}
        </nav>
        <div className="toolbar no-print">
          {view.state === 'ok' && (
            <label>
              {w.indicator}{' '}
              <select
                data-testid="direction-indicator"
                value={view.data.indicator.id}
                onChange={(e) => { window.location.hash = href({ indicator: e.target.value }); }}
              >
                {view.data.indicators.map((d) => <option key={d.id} value={d.id}>{lang === 'en' ? d.nameEn : d.name}</option>)}
              </select>
            </label>
          )}
          <button type="button" onClick={() => void refresh()} disabled={refreshing} data-testid="direction-refresh">{refreshing ? w.refreshing : w.refresh}</button>
          {view.state === 'ok' && <button type="button" className="secondary" onClick={() => { exportCsv(view.data, lang, w); }} data-testid="direction-export-csv">{w.exportCsv}</button>}
          <button type="button" className="secondary" onClick={() => { window.print(); }} data-testid="direction-print">{w.print}</button>
        </div>
      </section>
      {refreshError !== null && <ErrorBox error={refreshError} />}
      {view.state === 'loading' && <Loading />}
      {view.state === 'error' && <ErrorBox error={view.error} />}
      {view.state === 'ok' && <DashboardBody view={view.data} href={href} />}
    </div>
  );
}

function unitWord(w: Readonly<Record<DirectionWord, string>>, unit: string): string {
  const key = `unit_${unit}` as DirectionWord;
  return key in w ? w[key] : unit;
}

function DashboardBody({ view, href }: { readonly view: DashboardView; readonly href: (over: { province?: string | null; commune?: string | null }) => string }): ReactNode {
  const { lang } = useConsole();
  const w = directionWords(lang);
  const unit = unitWord(w, view.indicator.unit);
  const name = lang === 'en' ? view.indicator.nameEn : view.indicator.name;
  const trendOption = useMemo<ChartOption>(() => ({
    animation: false,
    grid: { left: 70, right: 20, top: 30, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', name: '', data: view.trend.map((p) => p.day), axisLabel: { formatter: (d: string) => `${d.slice(8, 10)}/${d.slice(5, 7)}` } },
    yAxis: { type: 'value', name: unit, scale: true, axisLabel: { formatter: (v: number) => formatNumber(lang, v) } },
    series: [{ type: 'line', name, data: view.trend.map((p) => p.value), showSymbol: view.trend.length < 40, label: { show: view.trend.length <= 12, formatter: (p: { value: number }) => formatNumber(lang, p.value) } }],
  }), [view, unit, name, lang]);
  const ranked = view.ranking.filter((r) => r.value !== null);
  const shown = ranked.slice(0, 15);
  const rankOption = useMemo<ChartOption>(() => ({
    animation: false,
    grid: { left: 170, right: 70, top: 10, bottom: 30 },
    xAxis: { type: 'value', name: unit, axisLabel: { formatter: (v: number) => formatNumber(lang, v) } },
    yAxis: { type: 'category', inverse: true, data: shown.map((r) => r.name), axisLabel: { width: 160, overflow: 'truncate' } },
    series: [{ type: 'bar', data: shown.map((r) => r.value), itemStyle: { color: '#1f6feb' }, label: { show: true, position: 'right', formatter: (p: { value: number }) => formatNumber(lang, p.value) } }],
  }), [shown, unit, lang]);
  const values = view.provinces.map((p) => p.value).filter((v): v is number => v !== null);
  const [min, max] = [Math.min(...values), Math.max(...values)];
  const byCode = new Map(view.provinces.map((p) => [p.code, p]));

  return (
    <>
      <section className="panel" data-testid="direction-summary">
        <h2>{name}</h2>
        {view.day === null ? <p className="muted" data-testid="direction-no-values">{w.noValues}</p> : (
          <p className="big-figure">
            <strong data-testid="direction-current">{formatNumber(lang, view.current.value)}</strong> {unit}
            <span className="muted"> · {w.latestDay} <span data-testid="direction-day">{view.day.split('-').reverse().join('/')}</span></span>
          </p>
        )}
        <dl className="fields">
          <dt>{w.target}</dt><dd data-testid="direction-target">{view.indicator.target === null ? '–' : `${formatNumber(lang, view.indicator.target)} ${unit}`}</dd>
          <dt>{w.owner}</dt><dd>{view.indicator.owner}</dd>
          <dt>{w.definition}</dt><dd>{view.indicator.definition}</dd>
          <dt>{w.source}</dt><dd><code>{view.indicator.source}</code></dd>
        </dl>
      </section>
      <section className="panel">
        <h2>{w.trend}</h2>
        <EChart option={trendOption} height={260} testId="direction-trend" label={`${w.trend}: ${name}`} />
      </section>
      <div className="direction-grid">
        <section className="panel">
          <h2>{w.ranking} ({ranked.length} {view.rankingLevel === 'province' ? w.provinces : w.communes})</h2>
          <EChart option={rankOption} height={Math.max(120, shown.length * 24 + 40)} testId="direction-ranking-chart" label={`${w.ranking}: ${name}`} />
          <table className="table" data-testid="direction-ranking">
            <thead><tr><th>{w.rank}</th><th>{w.unitName}</th><th className="num">{w.value}</th></tr></thead>
            <tbody>
              {view.ranking.map((r) => (
                <tr key={r.code} data-testid="direction-rank-row" data-code={r.code} className={r.code === view.current.code ? 'selected' : ''}>
                  <td>{r.value === null ? '–' : r.rank}</td>
                  <td><a href={view.rankingLevel === 'province' ? href({ province: r.code, commune: null }) : href({ commune: r.code })} data-testid="direction-drill">{r.name}</a></td>
                  <td className="num" data-testid="direction-rank-value">{formatNumber(lang, r.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h2>{w.map}</h2>
          {/* A group of links, not an image: an image's content is presentational, so links inside one are hidden from assistive technology (axe: nested-interactive). */}
          <svg width={5 * tileSize + 4} height={16 * tileSize + 4} role="group" aria-label={w.map} data-testid="direction-map">
            {provinceTiles.map(([code, col, row]) => {
              const p = byCode.get(code);
              const selected = view.crumbs.some((c) => c.level === 'province' && c.code === code);
              return (
                <a key={code} href={href({ province: code, commune: null })} data-testid="province-tile" data-code={code}>
                  <title>{`${p?.name ?? code}: ${formatNumber(lang, p?.value ?? null)} ${unit}`}</title>
                  <rect x={col * tileSize + 2} y={row * tileSize + 2} width={tileSize - 4} height={tileSize - 4} rx="4" fill={tileColour(p?.value ?? null, min, max, view.indicator.better)} stroke={selected ? '#111827' : '#ffffff'} strokeWidth={selected ? 3 : 1} />
                  <text x={col * tileSize + tileSize / 2} y={row * tileSize + 22} textAnchor="middle" fontSize="10">{shortName(p?.name ?? code)}</text>
                  <text x={col * tileSize + tileSize / 2} y={row * tileSize + 38} textAnchor="middle" fontSize="10" fontWeight="bold">{compact(lang, p?.value ?? null)}</text>
                </a>
              );
            })}
          </svg>
        </section>
      </div>
    </>
  );
}

/** "Thành phố Hồ Chí Minh" → "Hồ Chí Minh", "Tỉnh Đắk Lắk" → "Đắk Lắk", shortened to fit a tile. */
function shortName(name: string): string {
  const bare = name.replace(/^(Thành phố|Tỉnh)\s+/u, '');
  return bare.length > 10 ? `${bare.slice(0, 9)}…` : bare;
}

function compact(lang: 'vi' | 'en', value: number | null): string {
  if (value === null) return '–';
  return new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'vi-VN', { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

function exportCsv(view: DashboardView, lang: 'vi' | 'en', w: Readonly<Record<DirectionWord, string>>): void {
  const name = lang === 'en' ? view.indicator.nameEn : view.indicator.name;
  const lines = [
    [w.indicator, name].map(csvCell).join(','),
    [w.unitName, view.crumbs.map((c) => (c.level === 'nation' ? w.nation : c.name)).join(' › ')].map(csvCell).join(','),
    [w.latestDay, view.day ?? ''].map(csvCell).join(','),
    '',
    [w.rank, 'code', w.unitName, w.value].map(csvCell).join(','),
    ...view.ranking.map((r) => [r.value === null ? '' : r.rank, r.code, r.name, r.value].map(csvCell).join(',')),
    '',
    ['day', w.value].map(csvCell).join(','),
    ...view.trend.map((p) => [p.day, p.value].map(csvCell).join(',')),
  ];
  downloadText(`${view.indicator.id}-${view.current.code === '' ? 'VN' : view.current.code}-${view.day ?? ''}.csv`, `\uFEFF${lines.join('\r\n')}\r\n`, 'text/csv;charset=utf-8');
}
