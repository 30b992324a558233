/**
 * A tiny cookie jar for tests and benches that drive the sign-in pages over fetch: every cookie
 * to every path (the provider's are path-scoped; sending more is harmless), a cookie cleared by
 * an empty value, Max-Age=0 or an expiry in 1970 removed.
 *
 * @example
 * const jar = new CookieJar();
 * const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
 * jar.take(response);
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }
}
