/**
 * The admin-units API: provinces and communes at a date, and the resolution of a commune code
 * recorded before the 2025 reorganisation to today's unit(s). Read-only public reference data.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { systemClock, type Clock } from '../shared/clock.js';
import { DomainError, isDomainError } from '../shared/domain-error.js';
import { adminUnitCatalog, checkIsoDate, eraOn, LAST_DAY_BEFORE_REFORM, REFORM_DATE, todayInVietnam, type AdminUnitCatalog } from './admin-unit.catalog.js';
import {
  CommuneParamsSchema,
  CommuneSchema,
  ConversionQuerySchema,
  ConversionResponseSchema,
  DateQuerySchema,
  ProblemSchema,
  ProvinceCommunesResponseSchema,
  ProvinceParamsSchema,
  ProvincesResponseSchema,
  ResolveQuerySchema,
  ResolveResponseSchema,
} from './admin-unit.schemas.js';

export interface AdminUnitRoutesOptions {
  /** Decides "today" (default date, resolve target); the system clock by default. */
  readonly clock?: Clock;
  readonly catalog?: AdminUnitCatalog;
}

const tags = ['admin-units'];
const errors = { 400: ProblemSchema, 404: ProblemSchema } as const;

/**
 * Registers GET /admin-units/provinces, /admin-units/provinces/:code/communes,
 * /admin-units/communes/:code and /admin-units/resolve.
 *
 * @example
 * await app.register(adminUnitRoutes, { prefix: '/api' });
 * // GET /api/admin-units/resolve?commune=00013&date=2020-05-01
 */
export const adminUnitRoutes: FastifyPluginAsyncTypebox<AdminUnitRoutesOptions> = (app, options) => {
  const clock = options.clock ?? systemClock;
  const units = (): AdminUnitCatalog => options.catalog ?? adminUnitCatalog();
  const dateOrToday = (date: string | undefined): string => checkIsoDate(date ?? todayInVietnam(clock));

  app.get('/admin-units/provinces', {
    schema: {
      tags,
      summary: 'Provinces in force at a date',
      description: '63 provinces before 2025-07-01, 34 from that date. The date defaults to today in Vietnam.',
      querystring: DateQuerySchema,
      response: { 200: ProvincesResponseSchema, ...errors },
    },
  }, (request) => {
    const date = dateOrToday(request.query.date);
    return Promise.resolve({ date, era: eraOn(date), provinces: [...units().provinces(date)] });
  });

  app.get('/admin-units/provinces/:code/communes', {
    schema: {
      tags,
      summary: 'Communes of a province at a date',
      description: 'The commune-level units of a province in force at the date (default today), by code. ' +
        'A province code means a different province in each era (44: Quảng Bình before 2025-07-01, Quảng Trị from it).',
      params: ProvinceParamsSchema,
      querystring: DateQuerySchema,
      response: { 200: ProvinceCommunesResponseSchema, ...errors },
    },
  }, (request) => {
    const date = dateOrToday(request.query.date);
    const catalog = units();
    return Promise.resolve({ date, province: catalog.province(request.params.code, date), communes: [...catalog.communesOf(request.params.code, date)] });
  });

  app.get('/admin-units/communes/:code', {
    schema: {
      tags,
      summary: 'The commune a code means at a date',
      description: 'Codes are reused across the 2025 reorganisation (00004 is Phường Trúc Bạch before 2025-07-01, Phường Ba Đình from it), ' +
        'so a code is looked up at a date (default today). A code not in force at that date is ADMIN_UNIT_EXPIRED (or ADMIN_UNIT_NOT_YET_IN_FORCE).',
      params: CommuneParamsSchema,
      querystring: DateQuerySchema,
      response: { 200: CommuneSchema, ...errors },
    },
  }, (request) => Promise.resolve(units().commune(request.params.code, dateOrToday(request.query.date))));

  app.get('/admin-units/resolve', {
    schema: {
      tags,
      summary: "Resolve a commune code recorded at a date to today's unit(s)",
      description: 'Follows the official old-to-new conversion: a commune merged whole maps to one unit, a commune split between several ' +
        "maps to each of them with merge 'partial'. changed is false when the recorded unit still stands under the same code, name and province.",
      querystring: ResolveQuerySchema,
      response: { 200: ResolveResponseSchema, ...errors },
    },
  }, (request) => {
    const resolution = units().resolve(request.query.commune, checkIsoDate(request.query.date, 'recorded date'), todayInVietnam(clock));
    return Promise.resolve({ ...resolution, current: [...resolution.current] });
  });

  app.get('/admin-units/provinces/:code/conversion', {
    schema: {
      tags,
      summary: 'The 2025 conversion of an old province: each of its communes with today\'s unit(s)',
      description: 'The communes of an old province (a code as it was before 2025-07-01, at the date, default 2025-06-30), each resolved ' +
        "to today's unit(s) by the official old-to-new conversion. A commune the tables give no successor has an empty list.",
      params: ProvinceParamsSchema,
      querystring: ConversionQuerySchema,
      response: { 200: ConversionResponseSchema, ...errors },
    },
  }, (request) => {
    const date = checkIsoDate(request.query.date ?? LAST_DAY_BEFORE_REFORM);
    if (date >= REFORM_DATE) {
      throw new DomainError('invalid', 'DATE_RANGE_INVALID', `the conversion starts from old units: ${date} is not before ${REFORM_DATE}`, `Give a date before ${REFORM_DATE}, or leave it out for ${LAST_DAY_BEFORE_REFORM}`);
    }
    const catalog = units();
    const today = todayInVietnam(clock);
    const province = catalog.province(request.params.code, date);
    const items = catalog.communesOf(request.params.code, date).map((commune) => {
      try {
        const r = catalog.resolve(commune.code, date, today);
        return { recorded: r.recorded, current: [...r.current], changed: r.changed };
      } catch (error) {
        // A unit the official tables end without a successor is listed with none, not an error for the whole province.
        if (isDomainError(error) && error.code === 'ADMIN_UNIT_NO_SUCCESSOR') return { recorded: commune, current: [], changed: true };
        throw error;
      }
    });
    return Promise.resolve({ date, today, province, items });
  });

  return Promise.resolve();
};
