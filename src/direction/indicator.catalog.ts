import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../registry/person.repository.js';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { populationReadModel } from '../registry/population.read-model.js';
import type { Dialect } from '../store/dialect.js';
import { vietnamDayBounds } from './direction-time.js';

/**
 * The registry of indicators: each is a definition (owner, meaning, unit, target, the query it
 * reads) and a function computing its values for a day from the platform's own tables. Adding an
 * indicator is adding one entry here; the scheduler, the API, the dashboards and the task binding
 * pick it up by id.
 */

export type IndicatorScope = 'nation' | 'province' | 'commune' | 'agency' | 'service';

export interface IndicatorValue {
  readonly scope: IndicatorScope;
  /** '' for the nation. */
  readonly code: string;
  readonly value: number;
  readonly denominator: number | null;
}

export interface IndicatorContext {
  /** The registry's store. */
  readonly db: Executor;
  readonly dialect: Dialect;
  /** The access log's store (the registry's unless the log has its own file). */
  readonly logDb: Executor;
  readonly logDialect: Dialect;
  /** The Vietnamese calendar day computed. */
  readonly day: string;
  /** One computation shared by the indicators of a run (several read the same scan of the persons). */
  shared<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

export interface IndicatorDefinition {
  readonly id: string;
  readonly name: string;
  readonly nameEn: string;
  /** The agency answerable for the indicator. */
  readonly owner: string;
  readonly definition: string;
  /** 'persons' | 'percent' | 'calls' | 'consents' | 'alerts' | 'accounts' | 'events'. */
  readonly unit: string;
  /** The national target, or null where the indicator is watched rather than aimed at. */
  readonly target: number | null;
  /** Whether higher values are better ('up') or lower ('down'). */
  readonly better: 'up' | 'down';
  readonly scopes: readonly IndicatorScope[];
  /** The query the values come from, as a data officer would check it. */
  readonly source: string;
  compute(ctx: IndicatorContext): Promise<readonly IndicatorValue[]>;
}

const provinceOf = ((): ReadonlyMap<string, string> => new Map(adminUnitCatalog().communes2025().map((c) => [c.code, c.provinceCode])))();

/** Commune counts summed up to provinces and the nation; communes the catalog does not know count for the nation only. */
function rollUp(byCommune: ReadonlyMap<string, { value: number; denominator: number }>, share: boolean): IndicatorValue[] {
  const provinces = new Map<string, { value: number; denominator: number }>();
  const nation = { value: 0, denominator: 0 };
  const out: IndicatorValue[] = [];
  const emit = (scope: IndicatorScope, code: string, v: { value: number; denominator: number }): void => {
    out.push(share
      ? { scope, code, value: v.denominator === 0 ? 0 : round2((100 * v.value) / v.denominator), denominator: v.denominator }
      : { scope, code, value: v.value, denominator: null });
  };
  for (const [commune, v] of byCommune) {
    nation.value += v.value;
    nation.denominator += v.denominator;
    const province = provinceOf.get(commune);
    if (province === undefined) continue;
    emit('commune', commune, v);
    const p = provinces.get(province) ?? { value: 0, denominator: 0 };
    p.value += v.value;
    p.denominator += v.denominator;
    provinces.set(province, p);
  }
  for (const [code, v] of provinces) emit('province', code, v);
  emit('nation', '', nation);
  return out;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Living persons by their commune of residence (current, else permanent, else temporary), through the registry's read model. */
async function residents(db: Executor): Promise<Map<string, { value: number; denominator: number }>> {
  const byCommune = await populationReadModel.residentsByCommune(db);
  return new Map([...byCommune].map(([commune, r]) => [commune, { value: r.residents, denominator: r.permanent }]));
}

/** The JSON member of an access record's leaf, on either dialect. */
const leafMember = (dialect: Dialect, member: string): RawBuilder<string | null> =>
  // Literals, not parameters: PostgreSQL matches a grouped expression to the selected one only when both are written alike.
  dialect === 'postgres' ? sql<string | null>`(leaf::jsonb ->> ${sql.lit(member)})` : sql<string | null>`json_extract(leaf, ${sql.lit(`$.${member}`)})`;

export const indicatorCatalog: readonly IndicatorDefinition[] = [
  {
    id: 'registry.population',
    name: 'Dân số đang sinh sống',
    nameEn: 'Living population',
    owner: 'Bộ Công an (C06)',
    definition: 'Số công dân còn sống theo xã/phường cư trú (hiện tại, nếu không có thì thường trú, tạm trú).',
    unit: 'persons',
    target: null,
    better: 'up',
    scopes: ['nation', 'province', 'commune'],
    source: "select coalesce(current_commune, permanent_commune, temporary_commune) as commune, count(*) from persons where status = 'alive' group by 1",
    compute: async (ctx) => {
      const byCommune = await ctx.shared('residents', () => residents(ctx.db));
      return rollUp(new Map([...byCommune].map(([c, v]) => [c, { value: v.value, denominator: 0 }])), false);
    },
  },
  {
    id: 'registry.permanent_residence_share',
    name: 'Tỷ lệ công dân có nơi thường trú',
    nameEn: 'Share of residents with a permanent residence recorded',
    owner: 'Bộ Công an (C06)',
    definition: 'Phần trăm công dân còn sống có nơi thường trú trong cơ sở dữ liệu, theo xã/phường cư trú.',
    unit: 'percent',
    target: 100,
    better: 'up',
    scopes: ['nation', 'province', 'commune'],
    source: "select commune, sum(permanent_commune is not null) / count(*) from persons where status = 'alive' group by commune",
    compute: async (ctx) => {
      const byCommune = await ctx.shared('residents', () => residents(ctx.db));
      return rollUp(new Map([...byCommune].map(([c, v]) => [c, { value: v.denominator, denominator: v.value }])), true);
    },
  },
  {
    id: 'quality.score',
    name: 'Điểm chất lượng dữ liệu (đúng, đủ, sạch, sống)',
    nameEn: 'Data quality score (correct, complete, clean, live)',
    owner: 'Bộ Công an (C06)',
    definition: 'Điểm tổng hợp 0–100 của lần quét toàn bộ gần nhất: tỷ lệ hồ sơ không có lỗi đang mở.',
    unit: 'percent',
    target: 99,
    better: 'up',
    scopes: ['nation', 'province', 'commune'],
    source: "select scope, scope_code, score from quality_scores where scan_id = (latest full scan) and score_group = 'overall'",
    compute: async (ctx) => {
      const scan = await ctx.db.selectFrom('quality_scans').select('scan_id').where('kind', '=', 'full').orderBy('finished_at', 'desc').limit(1).executeTakeFirst();
      if (scan === undefined) return [];
      const rows = await ctx.db.selectFrom('quality_scores').select(['scope', 'scope_code', 'score', 'records'])
        .where('scan_id', '=', scan.scan_id).where('score_group', '=', 'overall').where('scope', 'in', ['national', 'province', 'commune']).execute();
      return rows.map((r) => ({ scope: r.scope === 'national' ? 'nation' : (r.scope as IndicatorScope), code: r.scope === 'national' ? '' : r.scope_code, value: r.score, denominator: r.records }));
    },
  },
  {
    id: 'reconcile.matched_share',
    name: 'Tỷ lệ khớp đúng khi đối soát dữ liệu của bộ, ngành',
    nameEn: 'Matched share of agency reconciliation',
    owner: 'Bộ Công an (C06) cùng bộ, ngành có dữ liệu',
    definition: 'Phần trăm dòng khớp đúng (MATCHED) trong lần đối soát thành công gần nhất của mỗi loại dữ liệu (thuế, viễn thông, ngân hàng, an sinh).',
    unit: 'percent',
    target: 95,
    better: 'up',
    scopes: ['agency'],
    source: "select preset, summary from reconcile_jobs where state = 'succeeded' order by finished_at desc (latest per preset)",
    compute: async (ctx) => reconcileValues(ctx, 'MATCHED'),
  },
  {
    id: 'reconcile.mismatches_open',
    name: 'Số dòng sai lệch chưa xử lý khi đối soát',
    nameEn: 'Mismatched rows in the latest reconciliation',
    owner: 'Bộ Công an (C06) cùng bộ, ngành có dữ liệu',
    definition: 'Số dòng MISMATCH trong lần đối soát thành công gần nhất của mỗi loại dữ liệu.',
    unit: 'rows',
    target: 0,
    better: 'down',
    scopes: ['agency'],
    source: "select preset, summary->statuses->MISMATCH from reconcile_jobs where state = 'succeeded' (latest per preset)",
    compute: async (ctx) => reconcileValues(ctx, 'MISMATCH'),
  },
  {
    id: 'exchange.calls',
    name: 'Lượt khai thác dữ liệu qua nền tảng trao đổi',
    nameEn: 'Exchange calls releasing data',
    owner: 'Bộ Công an (C06)',
    definition: 'Số bản ghi truy cập (mỗi lượt công bố dữ liệu của một công dân) trong ngày, theo cơ quan khai thác và dịch vụ.',
    unit: 'calls',
    target: null,
    better: 'up',
    scopes: ['nation', 'agency', 'service'],
    source: "select leaf->>'clientId', leaf->>'service', count(*) from access_records where leaf->>'at' within the day (Asia/Ho_Chi_Minh) group by 1, 2",
    compute: async (ctx) => {
      const { start, end } = vietnamDayBounds(ctx.day);
      const client = leafMember(ctx.logDialect, 'clientId');
      const service = leafMember(ctx.logDialect, 'service');
      const at = leafMember(ctx.logDialect, 'at');
      const rows = await ctx.logDb.selectFrom('access_records')
        .select([client.as('client'), service.as('service'), sql<number | string>`count(*)`.as('n')])
        .where(at, '>=', start).where(at, '<', end)
        .groupBy([client, service]).execute();
      const agencies = new Map<string, number>();
      const services = new Map<string, number>();
      let total = 0;
      for (const r of rows) {
        const n = Number(r.n);
        // The member is the agency: VN/<class>/<member>/<subsystem> → VN/<class>/<member>.
        const agency = (r.client ?? '').split('/').slice(0, 3).join('/');
        agencies.set(agency, (agencies.get(agency) ?? 0) + n);
        services.set(r.service ?? '', (services.get(r.service ?? '') ?? 0) + n);
        total += n;
      }
      return [
        { scope: 'nation', code: '', value: total, denominator: null },
        ...[...agencies].map(([code, value]): IndicatorValue => ({ scope: 'agency', code, value, denominator: null })),
        ...[...services].map(([code, value]): IndicatorValue => ({ scope: 'service', code, value, denominator: null })),
      ];
    },
  },
  {
    id: 'exchange.consents_active',
    name: 'Số đồng ý chia sẻ dữ liệu đang hiệu lực',
    nameEn: 'Active consents',
    owner: 'Bộ Công an (C06)',
    definition: 'Số đồng ý (consent) đang ở trạng thái ACTIVE, theo cơ quan sử dụng dữ liệu.',
    unit: 'consents',
    target: null,
    better: 'up',
    scopes: ['nation', 'agency'],
    source: "select data_user, count(*) from exchange_consents where status = 'ACTIVE' group by data_user",
    compute: async (ctx) => {
      const rows = await ctx.db.selectFrom('exchange_consents').select(['data_user', sql<number | string>`count(*)`.as('n')]).where('status', '=', 'ACTIVE').groupBy('data_user').execute();
      const total = rows.reduce((s, r) => s + Number(r.n), 0);
      return [{ scope: 'nation', code: '', value: total, denominator: null }, ...rows.map((r): IndicatorValue => ({ scope: 'agency', code: r.data_user, value: Number(r.n), denominator: null }))];
    },
  },
  {
    id: 'exchange.misuse_alerts_open',
    name: 'Cảnh báo khai thác bất thường chưa xử lý',
    nameEn: 'Open misuse alerts',
    owner: 'Bộ Công an (A05)',
    definition: 'Số cảnh báo khai thác dữ liệu bất thường (của cơ quan hoặc cán bộ) chưa được xác nhận xử lý.',
    unit: 'alerts',
    target: 0,
    better: 'down',
    scopes: ['nation', 'agency'],
    source: "select client_id, count(*) from exchange_alerts where status = 'open' group by client_id",
    compute: async (ctx) => {
      const rows = await ctx.db.selectFrom('exchange_alerts').select(['client_id', sql<number | string>`count(*)`.as('n')]).where('status', '=', 'open').groupBy('client_id').execute();
      const total = rows.reduce((s, r) => s + Number(r.n), 0);
      return [{ scope: 'nation', code: '', value: total, denominator: null }, ...rows.filter((r) => r.client_id !== '').map((r): IndicatorValue => ({ scope: 'agency', code: r.client_id, value: Number(r.n), denominator: null }))];
    },
  },
  {
    id: 'eid.accounts',
    name: 'Tài khoản định danh điện tử đã kích hoạt',
    nameEn: 'e-ID accounts activated',
    owner: 'Bộ Công an (C06)',
    definition: 'Số tài khoản định danh điện tử (mức 1 và mức 2) đang hoạt động, theo tỉnh nơi thường trú khi kích hoạt. Mục tiêu 40 triệu tài khoản.',
    unit: 'accounts',
    target: 40_000_000,
    better: 'up',
    scopes: ['nation', 'province'],
    source: "select province, sum(accounts) from citizen_activation_counts group by province (counts kept by triggers on citizen_accounts, status active)",
    compute: (ctx) => eidAccounts(ctx, undefined),
  },
  {
    id: 'eid.accounts_level2',
    name: 'Tài khoản định danh điện tử mức 2',
    nameEn: 'e-ID accounts at level 2',
    owner: 'Bộ Công an (C06)',
    definition: 'Số tài khoản định danh điện tử mức 2 (xác thực trực tiếp hoặc bằng chip thẻ căn cước) đang hoạt động, theo tỉnh.',
    unit: 'accounts',
    target: null,
    better: 'up',
    scopes: ['nation', 'province'],
    source: "select province, sum(accounts) from citizen_activation_counts where level = 2 group by province (counts kept by triggers on citizen_accounts, status active)",
    compute: (ctx) => eidAccounts(ctx, 2),
  },
  {
    id: 'events.delivered',
    name: 'Sự kiện thay đổi đã gửi tới cơ quan đăng ký nhận',
    nameEn: 'Change events delivered to subscribed agencies',
    owner: 'Bộ Công an (C06)',
    definition: 'Số sự kiện thay đổi (khai sinh, khai tử, chuyển nơi ở…) được giao thành công trong ngày tới các cơ quan đăng ký nhận, theo cơ quan.',
    unit: 'events',
    target: null,
    better: 'up',
    scopes: ['nation', 'agency'],
    source: "select s.client_id, count(*) from event_deliveries d join event_subscriptions s using (subscription_id) where d.status = 'delivered' and d.delivered_at within the day (Asia/Ho_Chi_Minh) group by 1",
    compute: async (ctx) => {
      const { start, end } = vietnamDayBounds(ctx.day);
      const rows = await ctx.db.selectFrom('event_deliveries as d')
        .innerJoin('event_subscriptions as s', 's.subscription_id', 'd.subscription_id')
        .select(['s.client_id', sql<number | string>`count(*)`.as('n')])
        .where('d.status', '=', 'delivered').where('d.delivered_at', '>=', start).where('d.delivered_at', '<', end)
        .groupBy('s.client_id').execute();
      const agencies = new Map<string, number>();
      for (const r of rows) {
        const agency = r.client_id.split('/').slice(0, 3).join('/');
        agencies.set(agency, (agencies.get(agency) ?? 0) + Number(r.n));
      }
      const total = [...agencies.values()].reduce((a, b) => a + b, 0);
      return [{ scope: 'nation', code: '', value: total, denominator: null }, ...[...agencies].map(([code, value]): IndicatorValue => ({ scope: 'agency', code, value, denominator: null }))];
    },
  },
];

/** Active e-ID accounts (of one level, or all) by province of activation, and the nation. */
async function eidAccounts(ctx: IndicatorContext, level: 1 | 2 | undefined): Promise<IndicatorValue[]> {
  // The living accounts' counts kept by triggers (migration 0073), not a scan of the accounts.
  let q = ctx.db.selectFrom('citizen_activation_counts').select(['province', sql<number | string>`sum(accounts)`.as('n')]);
  if (level !== undefined) q = q.where('level', '=', level);
  const rows = await q.groupBy('province').execute();
  const total = rows.reduce((sum, r) => sum + Number(r.n), 0);
  return [
    { scope: 'nation', code: '', value: total, denominator: null },
    ...rows.filter((r) => r.province !== '' && Number(r.n) !== 0).map((r): IndicatorValue => ({ scope: 'province', code: r.province, value: Number(r.n), denominator: null })),
  ];
}

async function reconcileValues(ctx: IndicatorContext, status: 'MATCHED' | 'MISMATCH'): Promise<IndicatorValue[]> {
  const jobs = await ctx.db.selectFrom('reconcile_jobs').select(['preset', 'summary', 'finished_at']).where('state', '=', 'succeeded').orderBy('finished_at', 'desc').execute();
  const latest = new Map<string, { statuses: Record<string, number>; rows: number }>();
  for (const j of jobs) {
    if (latest.has(j.preset) || j.summary === null) continue;
    const summary = JSON.parse(j.summary) as { statuses?: Record<string, number>; rows?: number };
    latest.set(j.preset, { statuses: summary.statuses ?? {}, rows: summary.rows ?? 0 });
  }
  return [...latest].map(([preset, s]): IndicatorValue => {
    const n = s.statuses[status] ?? 0;
    return status === 'MATCHED'
      ? { scope: 'agency', code: preset, value: s.rows === 0 ? 0 : round2((100 * n) / s.rows), denominator: s.rows }
      : { scope: 'agency', code: preset, value: n, denominator: s.rows };
  });
}

const byId = new Map(indicatorCatalog.map((d) => [d.id, d]));

/** The definition of an indicator id, or undefined. */
export function indicatorDefinition(id: string): IndicatorDefinition | undefined {
  return byId.get(id);
}
