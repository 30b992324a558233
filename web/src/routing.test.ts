import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash, type Route } from './routing.js';

describe('parseRoute', () => {
  it('reads the search page with its terms', () => {
    expect(parseRoute('')).toEqual({ page: 'search', name: '', birth: '' });
    expect(parseRoute('#/')).toEqual({ page: 'search', name: '', birth: '' });
    expect(parseRoute('#/search?name=Nguy%E1%BB%85n&birth=1985')).toEqual({
      page: 'search',
      name: 'Nguyễn',
      birth: '1985',
    });
  });

  it('reads person pages with an optional as-of date', () => {
    expect(parseRoute('#/persons/001085012345')).toEqual({ page: 'person', id: '001085012345', at: null });
    expect(parseRoute('#/persons/001085012345?at=2020-01-01')).toEqual({
      page: 'person',
      id: '001085012345',
      at: '2020-01-01',
    });
  });

  it('reads household pages', () => {
    expect(parseRoute('#/households/HH%2F1')).toEqual({ page: 'household', id: 'HH/1' });
  });

  it.each(['#/persons', '#/persons/1/2', '#/nowhere', '#/households/%E0%A4%A'])('treats %j as unknown or safe', (hash) => {
    const route = parseRoute(hash);
    if (hash === '#/households/%E0%A4%A') {
      // A malformed escape must not throw; the raw segment is kept.
      expect(route).toEqual({ page: 'household', id: '%E0%A4%A' });
    } else {
      expect(route).toEqual({ page: 'notFound' });
    }
  });

  it('reads the direction dashboard at the nation, a province or a commune, and the plan page', () => {
    expect(parseRoute('#/direction')).toEqual({ page: 'direction', indicator: null, province: null, commune: null });
    expect(parseRoute('#/direction?province=01&indicator=registry.population')).toEqual({ page: 'direction', indicator: 'registry.population', province: '01', commune: null });
    expect(parseRoute('#/direction/plan')).toEqual({ page: 'directionPlan' });
    expect(parseRoute('#/direction/plan/x')).toEqual({ page: 'notFound' });
  });

  it('round-trips with routeHash', () => {
    const routes: Route[] = [
      { page: 'search', name: 'Trần Văn B', birth: '1990-01' },
      { page: 'search', name: '', birth: '' },
      { page: 'person', id: '001085012345', at: '2021-12-31' },
      { page: 'household', id: 'HH 1' },
      { page: 'direction', indicator: null, province: null, commune: null },
      { page: 'direction', indicator: 'quality.score', province: '79', commune: '26734' },
      { page: 'directionPlan' },
      { page: 'directionTask', id: 'a b/c' },
      { page: 'exchangeAdmin' },
      { page: 'reconcile', job: null },
      { page: 'reconcile', job: '0b7a1c2e-0000-4000-8000-000000000001' },
      { page: 'adminUnits', province: null },
      { page: 'adminUnits', province: '01' },
      { page: 'recordEvent', person: null },
      { page: 'recordEvent', person: '001085012345' },
    ];
    for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
  });
});

