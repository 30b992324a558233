import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Me, UnitRef } from './api.js';
import { ConsoleContext, useConsole, type ConsoleContextValue } from './context.js';
import { dictionaries, languages, loadLang, saveLang, type Dictionary, type Lang, type MessageKey } from './i18n.js';
import { HouseholdPage } from './pages/household-page.js';
import { PersonPage } from './pages/person-page.js';
import { SearchPage } from './pages/search-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { TrackerPage } from './pages/tracker-page.js';
import { AlertsPage } from './pages/alerts-page.js';
import { ProceduresPage } from './pages/procedures-page.js';
import { QualityDashboardPage } from './pages/quality-dashboard-page.js';
import { WorklistPage } from './pages/worklist-page.js';

// The direction pages carry ECharts: loaded when first opened.
const DirectionDashboardPage = lazy(async () => ({ default: (await import('./pages/direction/direction-dashboard-page.js')).DirectionDashboardPage }));
const DirectionPlanPage = lazy(async () => ({ default: (await import('./pages/direction/direction-plan-page.js')).DirectionPlanPage }));
const DirectionTaskPage = lazy(async () => ({ default: (await import('./pages/direction/direction-task-page.js')).DirectionTaskPage }));
import { parseRoute, type AdminRoute, type Route } from './routing.js';
import { idleExpired, loadMe, signOutAt } from './session.js';
import { adminWords } from './pages/admin/admin.words.js';

function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    function onHashChange(): void {
      setRoute(parseRoute(window.location.hash));
      window.scrollTo(0, 0);
    }
    window.addEventListener('hashchange', onHashChange);
    return () => {
      window.removeEventListener('hashchange', onHashChange);
    };
  }, []);
  return route;
}

type SessionState =
  | { readonly state: 'checking' }
  | { readonly state: 'signedOut'; readonly notice: MessageKey | null }
  | { readonly state: 'signedIn'; readonly me: Me & { readonly csrfToken: string } };

function roleLabel(words: Dictionary, role: string | null): string {
  const key = `role_${role ?? ''}`;
  return key in words ? words[key as MessageKey] : (role ?? '');
}

function unitLabel(words: Dictionary, unit: UnitRef): string {
  if (unit.level === 'nation') return words.unitNation;
  return `${unit.level === 'province' ? words.unitProvince : words.unitCommune} ${unit.code ?? ''}`;
}

/** The console shell: header with the officer, language switch and sign-out, and the page for the route. */
export function App(): ReactNode {
  const [session, setSession] = useState<SessionState>({ state: 'checking' });
  const [lang, setLang] = useState<Lang>(loadLang);
  const route = useHashRoute();

  // Who is signed in: the session cookie (set by /auth/callback) answers GET /api/identity/me.
  useEffect(() => {
    const controller = new AbortController();
    loadMe(controller.signal).then(
      (me) => {
        setSession(me?.csrfToken === undefined ? { state: 'signedOut', notice: null } : { state: 'signedIn', me: { ...me, csrfToken: me.csrfToken } });
      },
      () => {
        if (!controller.signal.aborted) setSession({ state: 'signedOut', notice: null });
      },
    );
    return () => {
      controller.abort();
    };
  }, []);

  const onUnauthorized = useCallback(() => {
    setSession({ state: 'signedOut', notice: 'sessionExpired' });
  }, []);

  // The server ends a session after 15 idle minutes; the console leaves too rather than failing on the next click.
  const signedIn = session.state === 'signedIn';
  useEffect(() => {
    if (!signedIn) return;
    const timer = window.setInterval(() => {
      if (idleExpired()) setSession({ state: 'signedOut', notice: 'sessionIdle' });
    }, 15_000);
    return () => {
      window.clearInterval(timer);
    };
  }, [signedIn]);

  function signOut(): void {
    if (session.state !== 'signedIn') return;
    const { csrfToken } = session.me;
    setSession({ state: 'signedOut', notice: null });
    void signOutAt(csrfToken).then((next) => {
      window.location.assign(next);
    });
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
      session.state !== 'signedIn'
        ? null
        : { lang, t: (key) => dictionaries[lang][key], csrfToken: session.me.csrfToken, onUnauthorized },
    [lang, session, onUnauthorized],
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
            {context !== null && <a href="#/direction" data-testid="nav-direction">{words.navDirection}</a>}
            {context !== null && <a href="#/direction/plan" data-testid="nav-direction-plan">{words.navDirectionPlan}</a>}
            {session.state === 'signedIn' && <AdminNav lang={lang} permissions={session.me.permissions} />}
            {context !== null && <a href="#/procedures" data-testid="nav-procedures">{words.navProcedures}</a>}
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
            {session.state === 'signedIn' && (
              <span className="officer-badge" data-testid="officer">
                <span data-testid="officer-name">{session.me.officer?.displayName ?? session.me.id}</span>
                <span className="officer-meta">
                  <span data-testid="officer-role">{roleLabel(words, session.me.role)}</span>
                  {' · '}
                  <span data-testid="officer-unit">{unitLabel(words, session.me.unit)}</span>
                </span>
              </span>
            )}
            {context !== null && (
              <button type="button" className="link" onClick={signOut} data-testid="sign-out">
                {words.signOut}
              </button>
            )}
          </nav>
        </div>
      </header>
      <main className="container">
        {session.state === 'checking' ? (
          <p className="muted" data-testid="session-checking">{words.checkingSession}</p>
        ) : context === null ? (
          <SignInPage lang={lang} notice={session.state === 'signedOut' ? session.notice : null} />
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
    case 'direction':
      return <Suspense fallback={null}><DirectionDashboardPage key={`${route.indicator ?? ''}\u0000${route.province ?? ''}\u0000${route.commune ?? ''}`} indicator={route.indicator} province={route.province} commune={route.commune} /></Suspense>;
    case 'directionPlan':
      return <Suspense fallback={null}><DirectionPlanPage /></Suspense>;
    case 'directionTask':
      return <Suspense fallback={null}><DirectionTaskPage key={route.id} id={route.id} /></Suspense>;
    case 'exchangeAdmin':
    case 'reconcile':
    case 'adminUnits':
    case 'recordEvent':
      return <AdminRoutePage route={route} />;
    case 'procedures':
      return <ProceduresPage />;
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

// --- Administration pages (exchange, reconciliation, administrative units, life events) ---

const ExchangeAdminPage = lazy(async () => ({ default: (await import('./pages/admin/exchange-admin-page.js')).ExchangeAdminPage }));
const ReconcilePage = lazy(async () => ({ default: (await import('./pages/admin/reconcile-page.js')).ReconcilePage }));
const AdminUnitsPage = lazy(async () => ({ default: (await import('./pages/admin/admin-units-page.js')).AdminUnitsPage }));
const RecordEventPage = lazy(async () => ({ default: (await import('./pages/admin/record-event-page.js')).RecordEventPage }));

/** The administration pages in the menu, each for the officers whose role may use it. */
function AdminNav({ lang, permissions }: { readonly lang: Lang; readonly permissions: readonly string[] }): ReactNode {
  const w = adminWords(lang);
  const has = (p: string): boolean => permissions.includes(p);
  return (
    <>
      {has('person.write') && <a href="#/record-event" data-testid="nav-record-event">{w.navRecordEvent}</a>}
      {(has('exchange.admin') || has('identity.admin')) && <a href="#/exchange-admin" data-testid="nav-exchange-admin">{w.navExchangeAdmin}</a>}
      {has('reconcile.run') && <a href="#/reconcile" data-testid="nav-reconcile">{w.navReconcile}</a>}
      {has('admin_units.read') && <a href="#/admin-units" data-testid="nav-admin-units">{w.navAdminUnits}</a>}
    </>
  );
}

function AdminRoutePage({ route }: { readonly route: AdminRoute }): ReactNode {
  switch (route.page) {
    case 'exchangeAdmin':
      return <Suspense fallback={null}><ExchangeAdminPage /></Suspense>;
    case 'reconcile':
      return <Suspense fallback={null}><ReconcilePage key={route.job ?? ''} job={route.job} /></Suspense>;
    case 'adminUnits':
      return <Suspense fallback={null}><AdminUnitsPage key={route.province ?? ''} province={route.province} /></Suspense>;
    case 'recordEvent':
      return <Suspense fallback={null}><RecordEventPage key={route.person ?? ''} person={route.person} /></Suspense>;
  }
}
