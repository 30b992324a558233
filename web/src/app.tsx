import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ConsoleContext, useConsole, type ConsoleContextValue } from './context.js';
import { dictionaries, languages, loadLang, saveLang, type Lang, type MessageKey } from './i18n.js';
import { HouseholdPage } from './pages/household-page.js';
import { PersonPage } from './pages/person-page.js';
import { SearchPage } from './pages/search-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { TrackerPage } from './pages/tracker-page.js';
import { AlertsPage } from './pages/alerts-page.js';
import { QualityDashboardPage } from './pages/quality-dashboard-page.js';
import { WorklistPage } from './pages/worklist-page.js';
import { parseRoute, tokenFromHash, type Route } from './routing.js';
import { clearToken, loadToken, saveToken } from './session.js';

/**
 * Moves a `#token=...` fragment into session storage and out of the address bar, so the
 * token is not left in history or shown on screen.
 */
function absorbTokenFragment(): string | null {
  const token = tokenFromHash(window.location.hash);
  if (token === null) return null;
  saveToken(token);
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
  return token;
}

function useHashRoute(onToken: (token: string) => void): Route {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    function onHashChange(): void {
      const token = absorbTokenFragment();
      if (token !== null) onToken(token);
      setRoute(parseRoute(window.location.hash));
      window.scrollTo(0, 0);
    }
    window.addEventListener('hashchange', onHashChange);
    return () => {
      window.removeEventListener('hashchange', onHashChange);
    };
  }, [onToken]);
  return route;
}

/** The console shell: header with language switch and sign-out, and the page for the route. */
export function App(): ReactNode {
  const [token, setToken] = useState<string | null>(() => absorbTokenFragment() ?? loadToken());
  const [lang, setLang] = useState<Lang>(loadLang);
  const [notice, setNotice] = useState<MessageKey | null>(null);

  const signIn = useCallback((value: string) => {
    saveToken(value);
    setNotice(null);
    setToken(value);
  }, []);
  const route = useHashRoute(signIn);

  const onUnauthorized = useCallback(() => {
    clearToken();
    setNotice('sessionExpired');
    setToken(null);
  }, []);

  function signOut(): void {
    clearToken();
    setNotice(null);
    setToken(null);
  }

  function changeLang(next: Lang): void {
    saveLang(next);
    setLang(next);
  }

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = `${dictionaries[lang].appName} · ${dictionaries[lang].appSubtitle}`;
  }, [lang]);

  const context = useMemo<ConsoleContextValue | null>(
    () =>
      token === null
        ? null
        : { lang, t: (key) => dictionaries[lang][key], token, onUnauthorized },
    [lang, token, onUnauthorized],
  );
  const words = dictionaries[lang];

  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <a href="#/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              ★
            </span>
            <span>
              <span className="brand-name">{words.appName}</span>
              <span className="brand-sub">{words.appSubtitle}</span>
            </span>
          </a>
          <nav className="topbar-actions">
            {context !== null && <a href="#/">{words.navSearch}</a>}
            {context !== null && <a href="#/tracker" data-testid="nav-tracker">{words.navTracker}</a>}
            {context !== null && <a href="#/alerts" data-testid="nav-alerts">{words.navAlerts}</a>}
            {context !== null && <a href="#/quality" data-testid="nav-quality">{words.navQuality}</a>}
            <label className="lang">
              <span>{words.language}</span>
              <select
                data-testid="language-switch"
                value={lang}
                onChange={(e) => {
                  changeLang(e.target.value === 'en' ? 'en' : 'vi');
                }}
              >
                {languages.map((l) => (
                  <option key={l} value={l}>
                    {l === 'vi' ? 'Tiếng Việt' : 'English'}
                  </option>
                ))}
              </select>
            </label>
            {context !== null && (
              <button type="button" className="link" onClick={signOut} data-testid="sign-out">
                {words.signOut}
              </button>
            )}
          </nav>
        </div>
      </header>
      <main className="container">
        {context === null ? (
          <SignInPage lang={lang} notice={notice} onSignIn={signIn} />
        ) : (
          <ConsoleContext.Provider value={context}>
            <RoutePage route={route} />
          </ConsoleContext.Provider>
        )}
      </main>
    </>
  );
}

function RoutePage({ route }: { readonly route: Route }): ReactNode {
  const { t } = useConsole();
  switch (route.page) {
    case 'search':
      // Keyed so that Back/Forward between searches resets the form to the hash's terms.
      return (
        <SearchPage key={`${route.name}\u0000${route.birth}`} name={route.name} birth={route.birth} />
      );
    case 'person':
      return <PersonPage key={`${route.id}\u0000${route.at ?? ''}`} id={route.id} at={route.at} />;
    case 'household':
      return <HouseholdPage key={route.id} id={route.id} />;
    case 'tracker':
      return <TrackerPage key={route.id ?? ''} id={route.id} />;
    case 'alerts':
      return <AlertsPage key={String(route.all)} all={route.all} />;
    case 'quality':
      return <QualityDashboardPage key={`${route.province ?? ''}\u0000${route.commune ?? ''}`} province={route.province} commune={route.commune} />;
    case 'worklist':
      return <WorklistPage key={`${route.commune ?? ''}\u0000${route.rule ?? ''}\u0000${route.status}`} commune={route.commune} rule={route.rule} status={route.status} />;
    case 'notFound':
      return (
        <div className="page">
          <p className="alert">{t('notFoundPage')}</p>
          <p>
            <a href="#/">{t('backToSearch')}</a>
          </p>
        </div>
      );
  }
}
