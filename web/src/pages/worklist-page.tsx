import { useState, type ReactNode } from 'react';
import { ApiError, apiPost, type ItemList } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { useApi, useConsole } from '../context.js';
import { personHref, routeHash } from '../routing.js';
import type { QualityFinding } from './quality-dashboard-page.js';

type Decision = 'dismiss' | 'merge' | 'distinct' | 'resolve';

/** Facts a correction may set from the worklist (a subset of the correction event's). */
const correctable = ['sex', 'birthDate', 'fullName', 'ethnicity', 'religion', 'hometown', 'relationshipToHead', 'spouseId', 'motherId', 'fatherId', 'deathDate'] as const;

/**
 * The cleaning worklist: a commune's open findings. An officer resolves one with a correction
 * (a life event with a reason), dismisses it as a false positive, or merges / separates a
 * suspected duplicate; every action carries the reason and is recorded under the signed-in officer.
 */
export function WorklistPage({ commune, rule, status }: { readonly commune: string | null; readonly rule: string | null; readonly status: string }): ReactNode {
  const { t, csrfToken, onUnauthorized } = useConsole();
  const [version, setVersion] = useState(0);
  const [reason, setReason] = useState('');
  const [field, setField] = useState<string>('sex');
  const [value, setValue] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const query = new URLSearchParams({ status, limit: '100' });
  if (commune !== null) query.set('commune', commune);
  if (rule !== null) query.set('rule', rule);
  const load = useApi<ItemList<QualityFinding>>(`/api/quality/findings?${query.toString()}&v=${version}`);

  async function act(finding: QualityFinding, decision: Decision): Promise<void> {
    try {
      const body = decision === 'resolve'
        ? { reason, data: { [field]: value === '' ? null : value } }
        : { reason };
      const result = await apiPost<{ readonly stillFailing: boolean }>(`/api/quality/findings/${encodeURIComponent(finding.findingId)}/${decision}`, csrfToken, body);
      setError(null);
      setDone(result.stillFailing ? t('worklistStillFailing') : t('worklistDone'));
      setVersion((v) => v + 1);
    } catch (e) {
      const apiError = e instanceof ApiError ? e : new ApiError(0, 'CLIENT_ERROR', String(e), null);
      if (apiError.status === 401) onUnauthorized();
      setDone(null);
      setError(apiError);
    }
  }

  return (
    <div className="page" data-testid="worklist">
      <section className="panel">
        <h1>{t('worklistTitle')}</h1>
        <p className="muted">{t('worklistHelp')}</p>
        <p>
          {commune !== null && <>{t('qualityCommune')} <strong>{commune}</strong> · </>}
          {rule !== null && <><code>{rule}</code> · </>}
          {['open', 'dismissed', 'resolved', 'fixed', 'merged', 'distinct'].map((s) => (
            <span key={s}>
              {s === status ? <strong>{s}</strong> : <a href={routeHash({ page: 'worklist', commune, rule, status: s })}>{s}</a>}{' '}
            </span>
          ))}
        </p>
        <div className="form-row">
          <label>
            {t('worklistReason')}{' '}
            <input value={reason} size={40} onChange={(e) => { setReason(e.target.value); }} data-testid="worklist-reason" />
          </label>
        </div>
        <div className="form-row">
          <label>
            {t('worklistCorrection')}{' '}
            <select value={field} onChange={(e) => { setField(e.target.value); }} data-testid="worklist-field">
              {correctable.map((f) => <option key={f} value={f}>{f}</option>)}
            </select>
          </label>{' '}
          <input value={value} onChange={(e) => { setValue(e.target.value); }} placeholder={t('worklistValue')} data-testid="worklist-value" />
        </div>
      </section>
      {error !== null && <ErrorBox error={error} />}
      {done !== null && <p className="notice" data-testid="worklist-done">{done}</p>}
      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <ErrorBox error={load.error} />}
      {load.state === 'ok' && load.data.items.length === 0 && <p className="muted" data-testid="worklist-empty">{t('worklistEmpty')}</p>}
      {load.state === 'ok' && load.data.items.length > 0 && (
        <section className="panel">
          <table className="table" data-testid="worklist-table">
            <thead>
              <tr>
                <th>{t('worklistRule')}</th>
                <th>{t('worklistRecord')}</th>
                <th>{t('worklistDetail')}</th>
                <th>{t('qualityCommune')}</th>
                <th>{t('worklistActions')}</th>
              </tr>
            </thead>
            <tbody>
              {load.data.items.map((f) => (
                <tr key={f.findingId} data-testid="worklist-row">
                  <td><code>{f.ruleId}</code><div className="muted">{f.severity}</div></td>
                  <td>
                    {f.recordKind === 'person' ? <a href={personHref(f.recordId)}>{f.recordId}</a> : <a href={routeHash({ page: 'household', id: f.recordId })}>{f.recordId}</a>}
                    {f.relatedId !== null && <div className="muted">↔ <a href={personHref(f.relatedId)}>{f.relatedId}</a></div>}
                  </td>
                  <td>{f.detail}</td>
                  <td>{f.communeCode === '' ? '–' : f.communeCode}</td>
                  <td>
                    {f.status !== 'open' ? <span className="muted">{f.status}</span> : (
                      <>
                        {f.recordKind === 'person' && <button type="button" onClick={() => void act(f, 'resolve')} data-testid="worklist-resolve">{t('worklistResolve')}</button>}{' '}
                        <button type="button" onClick={() => void act(f, 'dismiss')} data-testid="worklist-dismiss">{t('worklistDismiss')}</button>{' '}
                        {f.ruleId === 'clean.duplicate_person' && (
                          <>
                            <button type="button" onClick={() => void act(f, 'merge')} data-testid="worklist-merge">{t('worklistMerge')}</button>{' '}
                            <button type="button" onClick={() => void act(f, 'distinct')} data-testid="worklist-distinct">{t('worklistDistinct')}</button>
                          </>
                        )}
                      </>
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
