import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerErrorHandler } from '../http/error-handler.js';
import { fixedClock } from '../shared/clock.js';
import { adminUnitRoutes } from './admin-unit.routes.js';

let app: FastifyInstance;

beforeAll(async () => {
  const typed = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  registerErrorHandler(typed);
  // 2025-08-01 in Vietnam
  await typed.register(adminUnitRoutes, { prefix: '/api', clock: fixedClock('2025-07-31T20:00:00Z') });
  await typed.ready();
  app = typed;
});

afterAll(async () => {
  await app.close();
});

async function get(url: string): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const response = await app.inject({ method: 'GET', url });
  return { status: response.statusCode, type: String(response.headers['content-type']), body: response.json() };
}

async function problem(url: string, status: number, code: string): Promise<Record<string, unknown>> {
  const response = await get(url);
  expect(response.status).toBe(status);
  expect(response.type).toContain('application/problem+json');
  expect(response.body).toMatchObject({ status, code, title: code });
  expect(typeof response.body.detail).toBe('string');
  expect(typeof response.body.action).toBe('string');
  return response.body;
}

describe('GET /api/admin-units/provinces', () => {
  it('lists the 63 provinces before the reform and the 34 after', async () => {
    const before = await get('/api/admin-units/provinces?date=2025-06-30');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ date: '2025-06-30', era: 'pre-2025' });
    expect(before.body.provinces).toHaveLength(63);
    const after = await get('/api/admin-units/provinces?date=2025-07-01');
    expect(after.body.provinces).toHaveLength(34);
    expect((after.body.provinces as unknown[])[0]).toEqual({
      code: '01', idCode: '001', name: 'Thành phố Hà Nội', type: 'thành phố trung ương', era: '2025', validFrom: '2025-07-01', validTo: null,
    });
  });

  it("defaults to today's date in Vietnam", async () => {
    const response = await get('/api/admin-units/provinces');
    expect(response.body).toMatchObject({ date: '2025-08-01', era: '2025' });
    expect(response.body.provinces).toHaveLength(34);
  });

  it('answers DATE_INVALID as problem+json for a date not on the calendar', async () => {
    const body = await problem('/api/admin-units/provinces?date=2025-02-30', 400, 'DATE_INVALID');
    expect(body.detail).toContain('2025-02-30');
    await problem('/api/admin-units/provinces?date=yesterday', 400, 'DATE_INVALID');
  });
});

describe('GET /api/admin-units/provinces/:code/communes', () => {
  it('lists the communes of a province at the date', async () => {
    const response = await get('/api/admin-units/provinces/01/communes?date=2025-07-01');
    expect(response.status).toBe(200);
    const communes = response.body.communes as { code: string; name: string; provinceCode: string; districtCode: string | null }[];
    expect(communes).toHaveLength(126);
    expect(communes.every((c) => c.provinceCode === '01' && c.districtCode === null)).toBe(true);
    expect(communes[0]).toMatchObject({ code: '00004', name: 'Phường Ba Đình' });
    expect(response.body.province).toMatchObject({ code: '01', era: '2025' });

    const old = await get('/api/admin-units/provinces/01/communes?date=2020-01-01');
    expect(old.body.communes).toHaveLength(526);
    expect((old.body.communes as unknown[])[0]).toMatchObject({ code: '00001', name: 'Phường Phúc Xá', districtName: 'Quận Ba Đình' });
  });

  it('answers ADMIN_UNIT_EXPIRED for a province merged away and INPUT_INVALID for a malformed code', async () => {
    await problem('/api/admin-units/provinces/35/communes?date=2025-07-01', 400, 'ADMIN_UNIT_EXPIRED');
    await problem('/api/admin-units/provinces/03/communes', 400, 'ADMIN_UNIT_UNKNOWN');
    await problem('/api/admin-units/provinces/1/communes', 400, 'INPUT_INVALID');
  });
});

describe('GET /api/admin-units/communes/:code', () => {
  it('reads a code at a date', async () => {
    const old = await get('/api/admin-units/communes/00004?date=2024-01-01');
    expect(old.status).toBe(200);
    expect(old.body).toEqual({
      code: '00004', name: 'Phường Trúc Bạch', level: 'phường', era: 'pre-2025', provinceCode: '01', provinceName: 'Thành phố Hà Nội',
      districtCode: '001', districtName: 'Quận Ba Đình', validFrom: null, validTo: '2025-06-30', caveat: null,
    });
    const now = await get('/api/admin-units/communes/00004');
    expect(now.body).toMatchObject({ name: 'Phường Ba Đình', era: '2025', districtCode: null });
  });

  it('answers ADMIN_UNIT_EXPIRED, ADMIN_UNIT_UNKNOWN and INPUT_INVALID', async () => {
    const expired = await problem('/api/admin-units/communes/00013?date=2025-07-01', 400, 'ADMIN_UNIT_EXPIRED');
    expect(expired.detail).toContain('until 2025-06-30');
    expect(expired.action).toMatch(/resolve/i);
    expect(expired.instance).toBe('/api/admin-units/communes/00013');
    await problem('/api/admin-units/communes/99999', 400, 'ADMIN_UNIT_UNKNOWN');
    await problem('/api/admin-units/communes/12ab5', 400, 'INPUT_INVALID');
    await problem('/api/admin-units/communes/00004?date=2025-13-01', 400, 'DATE_INVALID');
  });
});

describe('GET /api/admin-units/resolve', () => {
  it("resolves a split commune to each of today's units", async () => {
    const response = await get('/api/admin-units/resolve?commune=00016&date=2020-01-01');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ recordedOn: '2020-01-01', today: '2025-08-01', changed: true, recorded: { name: 'Phường Ngọc Hà', era: 'pre-2025' } });
    expect((response.body.current as { commune: { name: string }; merge: string }[]).map((s) => [s.commune.name, s.merge])).toEqual([
      ['Phường Ba Đình', 'partial'],
      ['Phường Ngọc Hà', 'partial'],
    ]);
  });

  it('resolves a commune merged whole', async () => {
    const response = await get('/api/admin-units/resolve?commune=00013&date=2020-01-01');
    expect(response.body.current).toEqual([expect.objectContaining({ merge: 'whole', allPopulation: true, commune: expect.objectContaining({ code: '00004' }) as unknown })]);
  });

  it('answers problems for missing or bad input and for units without successor', async () => {
    await problem('/api/admin-units/resolve?commune=00016', 400, 'INPUT_INVALID');
    await problem('/api/admin-units/resolve?date=2020-01-01', 400, 'INPUT_INVALID');
    await problem('/api/admin-units/resolve?commune=00016&date=2020-02-30', 400, 'DATE_INVALID');
    await problem('/api/admin-units/resolve?commune=00016&date=2026-01-01', 400, 'DATE_RANGE_INVALID');
    await problem('/api/admin-units/resolve?commune=26935&date=2020-01-01', 404, 'ADMIN_UNIT_NO_SUCCESSOR');
  });
});

describe('GET /api/admin-units/provinces/:code/conversion', () => {
  it("lists an old province's communes, each with today's unit(s)", async () => {
    const response = await get('/api/admin-units/provinces/01/conversion');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ date: '2025-06-30', today: '2025-08-01', province: { code: '01', era: 'pre-2025' } });
    const items = response.body.items as { recorded: { code: string; name: string }; current: { commune: { code: string; name: string }; merge: string }[]; changed: boolean }[];
    expect(items.length).toBeGreaterThan(500);
    // The same answers as /resolve: Ngọc Hà split in two, 00013 merged whole into Ba Đình (00004).
    const ngocHa = items.find((i) => i.recorded.code === '00016');
    expect(ngocHa?.current.map((s) => [s.commune.name, s.merge])).toEqual([['Phường Ba Đình', 'partial'], ['Phường Ngọc Hà', 'partial']]);
    expect(items.find((i) => i.recorded.code === '00013')?.current.map((s) => [s.commune.code, s.merge])).toEqual([['00004', 'whole']]);
  });

  it('lists a commune without successor with none, rather than failing the province', async () => {
    const response = await get('/api/admin-units/provinces/79/conversion');
    expect(response.status).toBe(200);
    const items = response.body.items as { recorded: { code: string }; current: unknown[] }[];
    expect(items.find((i) => i.recorded.code === '26935')?.current).toEqual([]);
  });

  it('refuses a date from the reform on, and a bad date', async () => {
    await problem('/api/admin-units/provinces/01/conversion?date=2025-07-01', 400, 'DATE_RANGE_INVALID');
    await problem('/api/admin-units/provinces/01/conversion?date=2025-02-30', 400, 'DATE_INVALID');
    await problem('/api/admin-units/provinces/99/conversion', 400, 'ADMIN_UNIT_UNKNOWN');
  });
});
