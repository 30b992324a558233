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

  it('round-trips with routeHash', () => {
    const routes: Route[] = [
      { page: 'search', name: 'Trần Văn B', birth: '1990-01' },
      { page: 'search', name: '', birth: '' },
      { page: 'person', id: '001085012345', at: '2021-12-31' },
      { page: 'household', id: 'HH 1' },
    ];
    for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
  });
});

