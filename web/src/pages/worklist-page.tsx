import { useState, type ReactNode } from 'react';
import { ApiError, apiPost, type ItemList } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { useApi, useConsole } from '../context.js';
import { parseDateInput } from '../format.js';
import { personHref, routeHash } from '../routing.js';
import type { MessageKey } from '../i18n.js';
import { useRuleNames, type QualityFinding } from './quality-dashboard-page.js';

type Decision = 'dismiss' | 'merge' | 'distinct' | 'resolve';

/** Facts a correction may set from the worklist (a subset of the correction event's). */
const correctable = ['sex', 'birthDate', 'fullName', 'ethnicity', 'religion', 'hometown', 'relationshipToHead', 'spouseId', 'motherId', 'fatherId', 'deathDate'] as const;

/** Each correctable fact by the console's name for it. */
const factLabel: Readonly<Record<(typeof correctable)[number], MessageKey>> = {
  sex: 'sex', birthDate: 'birthDate', fullName: 'fullName', ethnicity: 'ethnicity', religion: 'religion', hometown: 'hometown',
  relationshipToHead: 'relationshipToHead', spouseId: 'spouse', motherId: 'mother', fatherId: 'father', deathDate: 'deathDate',
};

const statuses = ['open', 'dismissed', 'corrected', 'no_longer_failing', 'merged', 'not_duplicate'] as const;
/** Rows a page: a commune's officer on a phone may want fewer than a province's at a desk. */
const pageSizes = [20, 50, 100] as const;

interface FindingPage { readonly items: readonly QualityFinding[]; readonly total: number }

/**
 * The cleaning worklist: a commune's open findings. An officer resolves one with a correction
 * (a life event with a reason), dismisses it as a false positive, or merges / separates a
 * suspected duplicate; every action carries the reason and is recorded under the signed-in officer.
 */
export function WorklistPage({ commune, rule, status }: { readonly commune: string | null; readonly rule: string | null; readonly status: string }): ReactNode {
  const { t, lang, csrfToken, onUnauthorized } = useConsole();
  const ruleName = useRuleNames();
  const statusLabel = (s: string): string => (statuses as readonly string[]).includes(s) ? t(`worklistStatus_${s}` as MessageKey) : s;
  const severityLabel = (s: string): string => ['error', 'warning', 'info'].includes(s) ? t(`severity_${s}` as MessageKey) : s;
  // Keyset paging: the last finding id of each page before this one (Back pops one).
  const [cursors, setCursors] = useState<readonly string[]>([]);
  const [pageSize, setPageSize] = useState<number>(100);
  const after = cursors[cursors.length - 1];
  const [version, setVersion] = useState(0);
  // The row whose action form is open: each finding is acted on in its own row, with its own reason.
  const [openRow, setOpenRow] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const query = new URLSearchParams({ status, limit: String(pageSize) });
  if (commune !== null) query.set('commune', commune);
  if (rule !== null) query.set('rule', rule);
  if (after !== undefined) query.set('after', after);
  const load = useApi<FindingPage>(`/api/quality/findings?${query.toString()}&v=${version}`);
  // "No findings" before any scan would read as clean data: say there has been no scan.
  const scans = useApi<ItemList<unknown>>('/api/quality/scans');
  const neverScanned = scans.state === 'ok' && scans.data.items.length === 0;
  // The filtered commune by its name (the code beneath), as the rows show theirs.
  const communeUnit = useApi<{ readonly name: string; readonly provinceName: string }>(commune === null ? null : `/api/admin-units/communes/${encodeURIComponent(commune)}`);
  const from = cursors.length * pageSize + 1;

  async function act(finding: QualityFinding, decision: Decision, reason: string, field: string, value: string): Promise<void> {
    // The server needs a reason of 3 characters or more: say so here, in the officer's words.
    if (reason.trim().length < 3) {
      setDone(null);
      setError(new ApiError(0, 'REASON_REQUIRED', 'an action on a finding needs a reason', 'Say why, and on what document'));
      return;
    }
    let typed = value.trim();
    // Dates are typed day first (dd/mm/yyyy) like everywhere in the console; the server takes ISO days.
    if (decision === 'resolve' && (field === 'birthDate' || field === 'deathDate') && typed !== '') {
      const parsed = parseDateInput(typed);
      if (!parsed.ok) {
        setDone(null);
        setError(new ApiError(0, 'DATE_INVALID', 'not a date', 'dd/mm/yyyy'));
        return;
      }
      typed = parsed.iso;
    }
    try {
      const body = decision === 'resolve'
        ? { reason, data: { [field]: typed === '' ? null : typed } }
        : { reason };
      const result = await apiPost<{ readonly stillFailing: boolean }>(`/api/quality/findings/${encodeURIComponent(finding.findingId)}/${decision}`, csrfToken, body);
      setError(null);
      setDone(result.stillFailing ? t('worklistStillFailing') : t('worklistDone'));
      setOpenRow(null);
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
          {commune !== null && (
            <>
              {/* "Địa bàn", not "Xã": the commune's name carries its own type (Xã, Phường, Đặc khu). */}
              {t('worklistUnit')}:{' '}
              <strong data-testid="worklist-commune-name">{communeUnit.state === 'ok' ? `${communeUnit.data.name}, ${communeUnit.data.provinceName}` : commune}</strong>
              {communeUnit.state === 'ok' && <span className="muted small"> ({commune})</span>} ·{' '}
            </>
          )}
          {rule !== null && <><span data-testid="worklist-rule-name">{ruleName(rule)}</span> · </>}
        </p>
        <p className="status-tabs">
          {t('worklistStatus')}:{' '}
          {statuses.map((s) => (
            <span key={s}>
              {s === status ? <strong data-testid="worklist-status-current">{statusLabel(s)}</strong> : <a href={routeHash({ page: 'worklist', commune, rule, status: s })} onClick={() => { setCursors([]); }}>{statusLabel(s)}</a>}{' '}
            </span>
          ))}
        </p>
      </section>
      {error !== null && openRow === null && <ErrorBox error={error} />}
      {done !== null && <p className="notice" data-testid="worklist-done">{done}</p>}
      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <ErrorBox error={load.error} />}
      {neverScanned && <p className="alert" data-testid="worklist-no-scan">{t('worklistNoScan')}</p>}
      {!neverScanned && load.state === 'ok' && load.data.items.length === 0 && <p className="muted" data-testid="worklist-empty">{t('worklistEmpty')}</p>}
      {load.state === 'ok' && load.data.items.length > 0 && (
        <section className="panel">
          <p data-testid="worklist-count">
            {t('worklistShowing').replace('{from}', String(from)).replace('{to}', String(from + load.data.items.length - 1)).replace('{total}', load.data.total.toLocaleString('vi-VN'))}
          </p>
          <div className="table-scroll" tabIndex={0} role="region" aria-label={t('worklistTitle')}>
          {/* On a phone each finding is a card (styles.css, .cards): the columns' names are its labels. */}
          <table className="table cards" data-testid="worklist-table">
            <thead>
              <tr>
                <th>{t('worklistRule')}</th>
                <th>{t('worklistRecord')}</th>
                <th>{t('worklistDetail')}</th>
                <th>{t('worklistUnit')}</th>
                <th>{t('worklistActions')}</th>
              </tr>
            </thead>
            <tbody>
              {load.data.items.flatMap((f) => [
                <tr key={f.findingId} data-testid="worklist-row">
                  <td data-label={t('worklistRule')}>{ruleName(f.ruleId)}<div className="muted small"><code>{f.ruleId}</code> · {severityLabel(f.severity)}</div></td>
                  <td data-label={t('worklistRecord')}>
                    {/* An ID number is read as one: never broken over lines. */}
                    {f.recordKind === 'person' ? <a href={personHref(f.recordId)} className="id-number" data-testid="worklist-record">{f.recordId}</a> : <a href={routeHash({ page: 'household', id: f.recordId })} className="id-number" data-testid="worklist-record">{f.recordId}</a>}
                    {f.relatedId !== null && <div className="muted">↔ <a href={personHref(f.relatedId)} className="id-number" data-testid="worklist-related">{f.relatedId}</a></div>}
                  </td>
                  <td data-label={t('worklistDetail')} data-testid="worklist-detail">{f.detailText?.[lang] ?? f.detail}</td>
                  <td data-label={t('worklistUnit')} data-testid="worklist-unit">{f.communeCode === '' && f.provinceCode === '' ? '–' : <UnitCell finding={f} />}</td>
                  {/* No label on a phone: the button says what it does. */}
                  <td>
                    {f.status !== 'open' ? <span className="muted">{statusLabel(f.status)}</span> : (
                      <button type="button" aria-expanded={openRow === f.findingId} onClick={() => { setOpenRow(openRow === f.findingId ? null : f.findingId); setError(null); }} data-testid="worklist-act">{t('worklistActions')}</button>
                    )}
                  </td>
                </tr>,
                openRow === f.findingId && f.status === 'open' ? (
                  <tr key={`${f.findingId}-form`} className="row-form" data-testid="worklist-row-form">
                    <td colSpan={5}>{error !== null && <ErrorBox error={error} />}<RowActions finding={f} onAct={(decision, reason, field, value) => act(f, decision, reason, field, value)} /></td>
                  </tr>
                ) : null,
              ])}
            </tbody>
          </table>
          </div>
          <p className="pager">
            <label>
              {t('worklistPageSize')}{' '}
              <select value={pageSize} onChange={(e) => { setPageSize(Number(e.target.value)); setCursors([]); }} data-testid="worklist-page-size">
                {pageSizes.map((n) => <option key={n} value={n}>{n}</option>)}
              </select>
            </label>{' '}
            {cursors.length > 0 && <button type="button" onClick={() => { setCursors(cursors.slice(0, -1)); }} data-testid="worklist-previous">{t('worklistPrevious')}</button>}{' '}
            {from + load.data.items.length - 1 < load.data.total && (
              <button type="button" onClick={() => { setCursors([...cursors, load.data.items[load.data.items.length - 1]?.findingId ?? '']); }} data-testid="worklist-next">{t('worklistNext')}</button>
            )}
          </p>
        </section>
      )}
    </div>
  );
}

/** The finding's commune and province by name, the commune code beneath; the code where no name is known. */
function UnitCell({ finding }: { readonly finding: QualityFinding }): ReactNode {
  const names = [finding.communeName, finding.provinceName].filter((n): n is string => typeof n === 'string' && n !== '');
  const code = finding.communeCode !== '' ? finding.communeCode : finding.provinceCode;
  if (names.length === 0) return code;
  return <>{names.join(', ')}<div className="muted small">{code}</div></>;
}

/**
 * One finding's action form, in its row: the reason, and for a person a correction (field and new
 * value); the decisions this finding allows (merge and "two persons" only for suspected duplicates).
 */
function RowActions({ finding, onAct }: { readonly finding: QualityFinding; readonly onAct: (decision: Decision, reason: string, field: string, value: string) => Promise<void> }): ReactNode {
  const { t } = useConsole();
  const [reason, setReason] = useState('');
  const [field, setField] = useState<string>('sex');
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const run = (decision: Decision): void => {
    setBusy(true);
    void onAct(decision, reason, field, value).finally(() => { setBusy(false); });
  };
  const id = finding.findingId;
  return (
    <div className="row-actions">
      <div className="form-row">
        <label htmlFor={`reason-${id}`}>{t('worklistReason')}</label>
        <input id={`reason-${id}`} value={reason} size={40} onChange={(e) => { setReason(e.target.value); }} data-testid="worklist-reason" />
      </div>
      {finding.recordKind === 'person' && (
        <div className="form-row">
          <label htmlFor={`field-${id}`}>{t('worklistCorrection')}</label>
          <select id={`field-${id}`} value={field} onChange={(e) => { setField(e.target.value); }} data-testid="worklist-field">
            {correctable.map((f) => <option key={f} value={f}>{t(factLabel[f])}</option>)}
          </select>
          <input value={value} aria-label={t('worklistValue')} onChange={(e) => { setValue(e.target.value); }} placeholder={t('worklistValue')} data-testid="worklist-value" />
        </div>
      )}
      <div className="form-row">
        {finding.recordKind === 'person' && <button type="button" disabled={busy} onClick={() => { run('resolve'); }} data-testid="worklist-resolve">{t('worklistResolve')}</button>}
        <button type="button" disabled={busy} onClick={() => { run('dismiss'); }} data-testid="worklist-dismiss">{t('worklistDismiss')}</button>
        {finding.ruleId === 'clean.duplicate_person' && (
          <>
            <button type="button" disabled={busy} onClick={() => { run('merge'); }} data-testid="worklist-merge">{t('worklistMerge')}</button>
            <button type="button" disabled={busy} onClick={() => { run('distinct'); }} data-testid="worklist-distinct">{t('worklistDistinct')}</button>
          </>
        )}
      </div>
    </div>
  );
}
