import type Provider from 'oidc-provider';

/** The one notice of oidc-provider's that is left out: the project runs on Node.js 20 by choice (README, Stack). */
const runtimeNotice = 'oidc-provider WARNING: Unsupported runtime';

let loading: Promise<typeof Provider> | undefined;

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
export function loadOidcProvider(): Promise<typeof Provider> {
  loading ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && args[0].includes(runtimeNotice)) return;
      warn(...args);
    };
    try {
      return (await import('oidc-provider')).default;
    } finally {
      console.warn = warn;
    }
  })();
  return loading;
}
