import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium (`.ci/run` installs it); the tests never download a browser. */
export const chromiumPath = '/usr/bin/chromium';

const builtConsole = fileURLToPath(new URL('../dist/web/index.html', import.meta.url));

/** `npm test` builds the console first; a lone run of a browser test file builds it here. */
export async function ensureBuiltConsole(): Promise<void> {
  if (existsSync(builtConsole)) return;
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)), logLevel: 'warn' });
}

/**
 * Headless chromium with the flags this machine needs: no sandbox as root, and no background
 * networking (its connections are refused here, many at a time).
 */
export async function launchTestBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`chromium is required at ${chromiumPath} (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}
