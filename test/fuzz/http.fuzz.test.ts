import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFuzzer, fuzzRuns, runsOf } from './fuzz-harness.js';
import { startHttpFuzzers, type HttpFuzzTarget } from './http.fuzzers.js';

/**
 * Property-based fuzzing of request bodies through the whole app (`app.inject`) on /x and /api
 * routes: never a 5xx, errors as problem+json.
 */
describe('fuzzing the HTTP bodies', () => {
  let target: HttpFuzzTarget;
  beforeAll(async () => {
    target = await startHttpFuzzers();
  }, 60_000);
  afterAll(async () => {
    await target.close();
  });
  // The fuzzers exist once the app is up; their names are fixed here for the test titles.
  const routes = ['/x/token', '/x/services/verify', '/x/services/person', '/api/verify', '/api/persons', '/api/exchange/grants', 'GET /api/persons?name=&birth=', '/x/services/tax-code'];
  for (const [i, route] of routes.entries()) {
    it(`${route} takes about ${runsOf({ weight: 0.5 } as Parameters<typeof runsOf>[0], fuzzRuns)} arbitrary and malicious requests without a 5xx`, async () => {
      const f = target.fuzzers[i];
      if (f === undefined) throw new Error(`no fuzzer for ${route}`);
      expect(f.name).toContain(route.replace(/^GET /, ''));
      expect(await assertFuzzer(f)).toBeGreaterThan(0);
    }, 60_000);
  }
});
