import type Provider from 'oidc-provider';
import type * as OidcProviderModule from 'oidc-provider';

/** The one notice of oidc-provider's that is left out: the project runs on Node.js 20 by choice (README, Stack). */
const runtimeNotice = 'oidc-provider WARNING: Unsupported runtime';

type OidcModule = typeof OidcProviderModule;
let loading: Promise<OidcModule> | undefined;

/**
 * Loads oidc-provider on first use. Importing it prints a warning on every Node.js older than 22;
 * sachsong is built and tested on 20, where the provider's tests here pass, so that one line is
 * dropped (it went to every command's stderr, `sachsong id check` included). Any other warning of
 * the library's is printed as usual.
 *
 * @example
 * const Provider = await loadOidcProvider();
 * const provider = new Provider(issuer, configuration);
 */
export async function loadOidcProvider(): Promise<typeof Provider> {
  return (await loadOidcModule()).default;
}

/** The whole module (its interaction policy too), loaded once like loadOidcProvider. */
export function loadOidcModule(): Promise<OidcModule> {
  loading ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && args[0].includes(runtimeNotice)) return;
      warn(...args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return loading;
}
