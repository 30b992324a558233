/**
 * Hash routes of the console. The hash keeps the server's static serving trivial (one
 * index.html) and keeps search terms in the address so Back returns to the results.
 */

export type Route =
  | { readonly page: 'search'; readonly name: string; readonly birth: string }
  | { readonly page: 'person'; readonly id: string; readonly at: string | null }
  | { readonly page: 'household'; readonly id: string }
  | { readonly page: 'tracker'; readonly id: string | null }
  | { readonly page: 'alerts'; readonly all: boolean }
  | { readonly page: 'quality'; readonly province: string | null; readonly commune: string | null }
  | { readonly page: 'worklist'; readonly commune: string | null; readonly rule: string | null; readonly status: string }
  | { readonly page: 'direction'; readonly indicator: string | null; readonly province: string | null; readonly commune: string | null }
  | { readonly page: 'directionPlan' }
  | { readonly page: 'directionTask'; readonly id: string }
  | AdminRoute
  | { readonly page: 'procedures' }
  | { readonly page: 'notFound' };

/**
 * Reads a location hash.
 *
 * @example
 * parseRoute('#/persons/001085012345?at=2020-01-01')
 * // { page: 'person', id: '001085012345', at: '2020-01-01' }
 */
export function parseRoute(hash: string): Route {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const [pathPart = '', queryPart = ''] = raw.split('?', 2);
  const query = new URLSearchParams(queryPart);
  const segments = pathPart.split('/').filter((s) => s !== '').map(safeDecode);
  const [first, second, ...rest] = segments;

  if (first === undefined || (first === 'search' && second === undefined)) {
    return { page: 'search', name: query.get('name') ?? '', birth: query.get('birth') ?? '' };
  }
  if (first === 'persons' && second !== undefined && rest.length === 0) {
    const at = query.get('at');
    return { page: 'person', id: second, at: at === null || at === '' ? null : at };
  }
  if (first === 'households' && second !== undefined && rest.length === 0) {
    return { page: 'household', id: second };
  }
  if (first === 'alerts' && second === undefined) {
    return { page: 'alerts', all: query.get('status') === 'all' };
  }
  if (first === 'quality' && second === undefined) {
    return { page: 'quality', province: query.get('province') || null, commune: query.get('commune') || null };
  }
  if (first === 'worklist' && second === undefined) {
    return { page: 'worklist', commune: query.get('commune') || null, rule: query.get('rule') || null, status: query.get('status') || 'open' };
  }
  if (first === 'direction' && second === undefined) {
    return { page: 'direction', indicator: query.get('indicator') || null, province: query.get('province') || null, commune: query.get('commune') || null };
  }
  if (first === 'direction' && second === 'plan' && rest.length === 0) {
    return { page: 'directionPlan' };
  }
  if (first === 'direction' && second === 'tasks' && rest.length === 1 && rest[0] !== undefined) {
    return { page: 'directionTask', id: rest[0] };
  }
  // linked procedures (src/services)
  if (first === 'procedures' && second === undefined) {
    return { page: 'procedures' };
  }
  if (first === 'tracker' && rest.length === 0) {
    return { page: 'tracker', id: second ?? null };
  }
  return parseAdminRoute(first, second, rest, query) ?? { page: 'notFound' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The hash for a route, the inverse of {@link parseRoute}. */
export function routeHash(route: Route): string {
  switch (route.page) {
    case 'search': {
      const query = new URLSearchParams();
      if (route.name !== '') query.set('name', route.name);
      if (route.birth !== '') query.set('birth', route.birth);
      const q = query.toString();
      return q === '' ? '#/' : `#/search?${q}`;
    }
    case 'person':
      return `#/persons/${encodeURIComponent(route.id)}${route.at === null ? '' : `?at=${encodeURIComponent(route.at)}`}`;
    case 'household':
      return `#/households/${encodeURIComponent(route.id)}`;
    case 'tracker':
      return route.id === null ? '#/tracker' : `#/tracker/${encodeURIComponent(route.id)}`;
    case 'alerts':
      return route.all ? '#/alerts?status=all' : '#/alerts';
    case 'quality': {
      const query = new URLSearchParams();
      if (route.province !== null) query.set('province', route.province);
      if (route.commune !== null) query.set('commune', route.commune);
      const q = query.toString();
      return q === '' ? '#/quality' : `#/quality?${q}`;
    }
    case 'worklist': {
      const query = new URLSearchParams();
      if (route.commune !== null) query.set('commune', route.commune);
      if (route.rule !== null) query.set('rule', route.rule);
      query.set('status', route.status);
      return `#/worklist?${query.toString()}`;
    }
    case 'direction': {
      const query = new URLSearchParams();
      if (route.indicator !== null) query.set('indicator', route.indicator);
      if (route.province !== null) query.set('province', route.province);
      if (route.commune !== null) query.set('commune', route.commune);
      const q = query.toString();
      return q === '' ? '#/direction' : `#/direction?${q}`;
    }
    case 'directionPlan':
      return '#/direction/plan';
    case 'directionTask':
      return `#/direction/tasks/${encodeURIComponent(route.id)}`;
    case 'exchangeAdmin':
    case 'reconcile':
    case 'adminUnits':
    case 'recordEvent':
      return adminRouteHash(route);
    case 'procedures':
      return '#/procedures';
    case 'notFound':
      return '#/';
  }
}

export const personHref = (id: string): string => routeHash({ page: 'person', id, at: null });
export const householdHref = (id: string): string => routeHash({ page: 'household', id });
export const trackerHref = (id: string | null): string => routeHash({ page: 'tracker', id });

// --- Administration pages (exchange, reconciliation, administrative units, life events) ---

/** The administration pages' routes. */
export type AdminRoute =
  | { readonly page: 'exchangeAdmin' }
  | { readonly page: 'reconcile'; readonly job: string | null }
  | { readonly page: 'adminUnits'; readonly province: string | null }
  | { readonly page: 'recordEvent'; readonly person: string | null };

function parseAdminRoute(first: string | undefined, second: string | undefined, rest: readonly string[], query: URLSearchParams): AdminRoute | null {
  if (rest.length > 0) return null;
  if (first === 'exchange-admin' && second === undefined) return { page: 'exchangeAdmin' };
  if (first === 'reconcile') return { page: 'reconcile', job: second ?? null };
  if (first === 'admin-units' && second === undefined) return { page: 'adminUnits', province: query.get('province') || null };
  if (first === 'record-event' && second === undefined) return { page: 'recordEvent', person: query.get('person') || null };
  return null;
}

function adminRouteHash(route: AdminRoute): string {
  switch (route.page) {
    case 'exchangeAdmin':
      return '#/exchange-admin';
    case 'reconcile':
      return route.job === null ? '#/reconcile' : `#/reconcile/${encodeURIComponent(route.job)}`;
    case 'adminUnits':
      return route.province === null ? '#/admin-units' : `#/admin-units?province=${encodeURIComponent(route.province)}`;
    case 'recordEvent':
      return route.person === null ? '#/record-event' : `#/record-event?person=${encodeURIComponent(route.person)}`;
  }
}
