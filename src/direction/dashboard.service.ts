import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { DomainError } from '../shared/domain-error.js';
import type { IndicatorInfo, IndicatorService } from './indicator.service.js';

export interface NamedValue {
  readonly code: string;
  readonly name: string;
  readonly value: number | null;
  readonly denominator: number | null;
}

export interface DashboardView {
  readonly indicator: IndicatorInfo;
  /** Every indicator with values by place (the dashboard's picker). */
  readonly indicators: readonly IndicatorInfo[];
  readonly level: 'nation' | 'province' | 'commune';
  /** Nation → province → commune, by name. */
  readonly crumbs: readonly { readonly level: 'nation' | 'province' | 'commune'; readonly code: string; readonly name: string }[];
  /** The latest day with values (Asia/Ho_Chi_Minh), or null before the first refresh. */
  readonly day: string | null;
  readonly current: NamedValue;
  readonly trend: readonly { readonly day: string; readonly value: number }[];
  /** The units one level down (the provinces, or a province's communes), best first; a commune's view ranks the communes of its province. */
  readonly ranking: readonly (NamedValue & { readonly rank: number })[];
  readonly rankingLevel: 'province' | 'commune';
  /** Every province's latest value, for the map. */
  readonly provinces: readonly NamedValue[];
}

/** What a dashboard page shows for an indicator and a place, in few indexed reads. */
export class DashboardService {
  private readonly catalog = adminUnitCatalog();
  private readonly provinceNames: ReadonlyMap<string, string>;
  private readonly communes: ReadonlyMap<string, { readonly name: string; readonly province: string }>;
  private readonly communesByProvince: ReadonlyMap<string, readonly string[]>;

  constructor(private readonly indicators: IndicatorService) {
    this.provinceNames = new Map(this.catalog.provinces('2025-07-01').map((p) => [p.code, p.name]));
    this.communes = new Map(this.catalog.communes2025().map((c) => [c.code, { name: c.name, province: c.provinceCode }]));
    const byProvince = new Map<string, string[]>();
    for (const c of this.catalog.communes2025()) byProvince.set(c.provinceCode, [...(byProvince.get(c.provinceCode) ?? []), c.code]);
    this.communesByProvince = byProvince;
  }

  async view(q: { readonly indicatorId?: string | undefined; readonly province?: string | undefined; readonly commune?: string | undefined; readonly days?: number | undefined }): Promise<DashboardView> {
    const indicators = this.indicators.definitions().filter((d) => d.scopes.includes('province'));
    const indicator = this.indicators.definition(q.indicatorId ?? 'registry.population');
    if (!indicator.scopes.includes('province')) throw new DomainError('invalid', 'INDICATOR_NOT_BY_PLACE', `Indicator ${indicator.id} is not kept by province`, 'Choose an indicator with values by province (GET /api/direction/indicators)');
    const commune = q.commune === undefined ? undefined : this.communes.get(q.commune);
    if (q.commune !== undefined && commune === undefined) throw new DomainError('not_found', 'ADMIN_UNIT_UNKNOWN', `No 2025 commune ${q.commune}`, 'Choose a commune of the province');
    const province = commune?.province ?? q.province;
    if (province !== undefined && !this.provinceNames.has(province)) throw new DomainError('not_found', 'ADMIN_UNIT_UNKNOWN', `No 2025 province ${province}`, 'Choose one of the 34 provinces');
    if (q.province !== undefined && commune !== undefined && commune.province !== q.province) throw new DomainError('invalid', 'COMMUNE_NOT_IN_PROVINCE', 'The commune is not in that province', 'Choose a commune of the province');

    const level = q.commune !== undefined ? 'commune' : province !== undefined ? 'province' : 'nation';
    const code = level === 'commune' ? (q.commune ?? '') : level === 'province' ? (province ?? '') : '';
    const crumbs: DashboardView['crumbs'][number][] = [{ level: 'nation', code: '', name: 'Toàn quốc' }];
    if (province !== undefined) crumbs.push({ level: 'province', code: province, name: this.provinceNames.get(province) ?? province });
    if (commune !== undefined && q.commune !== undefined) crumbs.push({ level: 'commune', code: q.commune, name: commune.name });

    const rankingLevel = level === 'nation' ? 'province' : 'commune';
    const [series, provinces, below] = await Promise.all([
      this.indicators.series(indicator.id, level, code, { days: q.days ?? 365 }),
      this.indicators.latest(indicator.id, 'province'),
      rankingLevel === 'province' ? Promise.resolve(undefined) : this.indicators.latest(indicator.id, 'commune', { codes: this.communesByProvince.get(province ?? '') ?? [] }),
    ]);
    const provinceValues = this.named([...this.provinceNames.keys()], provinces.items, (c) => this.provinceNames.get(c) ?? c);
    const rows = rankingLevel === 'province' ? provinceValues : this.named(this.communesByProvince.get(province ?? '') ?? [], below?.items ?? [], (c) => this.communes.get(c)?.name ?? c);
    const sign = indicator.better === 'down' ? -1 : 1;
    const ranked = [...rows].sort((a, b) => (a.value === null ? 1 : 0) - (b.value === null ? 1 : 0) || sign * ((b.value ?? 0) - (a.value ?? 0)) || a.name.localeCompare(b.name, 'vi'))
      .map((r, i) => ({ ...r, rank: i + 1 }));
    const last = series.at(-1);
    return {
      indicator,
      indicators,
      level,
      crumbs,
      day: last?.day ?? provinces.day,
      current: { code, name: crumbs.at(-1)?.name ?? '', value: last?.value ?? null, denominator: last?.denominator ?? null },
      trend: series.map((p) => ({ day: p.day, value: p.value })),
      ranking: ranked,
      rankingLevel,
      provinces: provinceValues,
    };
  }

  private named(codes: readonly string[], items: readonly { readonly code: string; readonly value: number; readonly denominator: number | null }[], name: (code: string) => string): NamedValue[] {
    const byCode = new Map(items.map((i) => [i.code, i]));
    return codes.map((c) => ({ code: c, name: name(c), value: byCode.get(c)?.value ?? null, denominator: byCode.get(c)?.denominator ?? null }));
  }
}
