import { useState, type ReactNode } from 'react';
import { ApiError, apiPost, type ItemList, type MisuseAlert } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { useApi, useConsole } from '../context.js';
import { formatInstant } from '../format.js';
import { useOfficerNames } from '../officer-names.js';
import { routeHash } from '../routing.js';

/**
 * Misuse alerts: an officer or an agency's system reading far more records than its own usual
 * pattern. Operators review them and mark them reviewed.
 */
export function AlertsPage({ all }: { readonly all: boolean }): ReactNode {
  const { t, lang, csrfToken, onUnauthorized } = useConsole();
  // Bumped after an acknowledgement so that the list loads again.
  const [version, setVersion] = useState(0);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const load = useApi<ItemList<MisuseAlert & { readonly subjectName?: string }>>(`/api/exchange/alerts?limit=200${all ? '' : '&status=open'}&v=${version}`);
  // Console officers' alerts (official-*) name the officer by the identity module's display name.
  const officerNames = useOfficerNames(load.state === 'ok' ? load.data.items.filter((a) => a.subjectKind.startsWith('official-')).map((a) => a.subjectId) : []);

  async function acknowledge(alertId: string): Promise<void> {
    try {
      await apiPost<MisuseAlert>(`/api/exchange/alerts/${encodeURIComponent(alertId)}/acknowledge`, csrfToken);
      setActionError(null);
      setVersion((v) => v + 1);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(0, 'CLIENT_ERROR', String(error), null);
      if (apiError.status === 401) onUnauthorized();
      setActionError(apiError);
    }
  }

  return (
    <div className="page">
      <section className="panel">
        <h1>{t('alertsTitle')}</h1>
        <p className="muted">{t('alertsHelp')}</p>
        <p>
          {all ? <a href={routeHash({ page: 'alerts', all: false })}>{t('alertsOpen')}</a> : <strong>{t('alertsOpen')}</strong>}
          {' · '}
          {all ? <strong>{t('alertsAll')}</strong> : <a href={routeHash({ page: 'alerts', all: true })} data-testid="alerts-all">{t('alertsAll')}</a>}
        </p>
      </section>
      {actionError !== null && <ErrorBox error={actionError} />}
      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <ErrorBox error={load.error} />}
      {load.state === 'ok' && load.data.items.length === 0 && <p className="muted" data-testid="alerts-empty">{t('alertsEmpty')}</p>}
      {load.state === 'ok' && load.data.items.length > 0 && (
        <section className="panel">
          <table className="table" data-testid="alerts-table">
            <thead>
              <tr>
                <th>{t('alertsRaised')}</th>
                <th>{t('alertsSubject')}</th>
                <th>{t('alertsReads')}</th>
                <th>{t('alertsUsual')}</th>
                <th>{t('alertsStatus')}</th>
              </tr>
            </thead>
            <tbody>
              {load.data.items.map((a) => (
                <tr key={a.alertId} data-testid="alert-row">
                  <td>{formatInstant(lang, a.raisedAt)}</td>
                  <td>
                    {a.subjectKind === 'officer' || a.subjectKind.startsWith('official-') ? t('alertsOfficer') : t('alertsClient')}{' '}
                    <strong data-testid="alert-subject-name">{a.subjectName ?? officerNames.get(a.subjectId) ?? a.subjectId}</strong>
                    {(a.subjectName !== undefined || officerNames.has(a.subjectId)) && <div className="muted small"><code>{a.subjectId}</code></div>}
                    {a.subjectKind === 'officer' && <div className="muted"><code>{a.clientId}</code></div>}
                  </td>
                  <td>
                    <strong>{a.reads}</strong> {t('alertsWindow')} {a.windowSeconds} {t('alertsSeconds')}
                  </td>
                  <td>{a.baseline}</td>
                  <td>
                    {a.status === 'open' ? (
                      <button type="button" onClick={() => void acknowledge(a.alertId)} data-testid="alert-ack">
                        {t('alertsAcknowledge')}
                      </button>
                    ) : (
                      <span className="muted">{t('alertsAcknowledged')}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
