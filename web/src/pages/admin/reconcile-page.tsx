import { useEffect, useState, type ReactNode, type SubmitEvent } from 'react';
import type { ApiError, ItemList } from '../../api.js';
import { ErrorBox, Loading } from '../../components.js';
import { useApi, useConsole } from '../../context.js';
import { errorText } from '../../error-messages.js';
import { formatInstant } from '../../format.js';
import { routeHash } from '../../routing.js';
import { apiSend, apiUpload, asApiError } from './admin-api.js';
import { adminWords, fill, type AdminWord } from './admin.words.js';

interface Summary {
  readonly presetTitle: string;
  readonly input: string;
  readonly rows: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly columnsMissing: readonly string[];
  readonly badRows: number;
  readonly badRowSamples: readonly { readonly line: number; readonly code: string; readonly reason: string }[];
}
interface Job {
  readonly jobId: string;
  readonly preset: string;
  readonly source: string;
  readonly state: 'queued' | 'running' | 'succeeded' | 'failed';
  readonly phase: string;
  readonly progress: number;
  readonly rows: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly summary: Summary | null;
}

const presets = ['tax', 'telecom', 'bank', 'welfare'] as const;
const word = (w: Readonly<Record<AdminWord, string>>, key: string): string => (key in w ? w[key as AdminWord] : key);
const percent = (n: number): string => `${String(Math.round(n * 100))}%`;

/**
 * A file name the inbox accepts (ASCII letters, digits, dots, dashes, underscores, .csv or
 * .parquet): the chosen file's own, its accents dropped and other characters as underscores.
 */
export function inboxName(name: string): string {
  const parquet = /\.parquet$/i.test(name);
  const stem = name.replace(/\.[^.]*$/, '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D')
    .replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 90);
  return `${stem === '' ? 'tep' : stem}.${parquet ? 'parquet' : 'csv'}`;
}

interface FieldMapping { readonly field: string; readonly expected: string | null; readonly column: string | null; readonly required: boolean }
interface Preview { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] }
const previewRows = 5;

/**
 * The header and first rows of a CSV file's beginning (quotes and the delimiter of its first line:
 * comma, semicolon or tab), for the column mapping; null when it has no header line.
 */
export function csvPreview(text: string, rows = previewRows): Preview | null {
  const body = text.replace(/^\uFEFF/, '');
  const firstLine = body.split(/\r?\n/, 1)[0] ?? '';
  const delimiter = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]?.[0] ?? ',';
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < body.length && records.length <= rows; i++) {
    const c = body[i] ?? '';
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) { record.push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      record.push(cell); cell = '';
      if (record.some((v) => v !== '')) records.push(record);
      record = [];
    } else cell += c;
  }
  const header = records[0]?.map((h) => h.trim()) ?? [];
  if (header.length === 0 || header.every((h) => h === '')) return null;
  return { header, rows: records.slice(1, rows + 1) };
}

/**
 * Bulk reconciliation: upload an agency file into the inbox and start a job, follow its
 * progress (polled while it runs), and read its results and report.
 */
export function ReconcilePage({ job }: { readonly job: string | null }): ReactNode {
  const { lang, csrfToken, onUnauthorized } = useConsole();
  const w = adminWords(lang);
  const [file, setFile] = useState<File | null>(null);
  const [preset, setPreset] = useState<string>('tax');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [tick, setTick] = useState(0);
  // The chosen CSV's header and first rows, and the column the user gives each field.
  const [preview, setPreview] = useState<Preview | null>(null);
  const [mapping, setMapping] = useState<Readonly<Record<string, string>>>({});
  const [fields, setFields] = useState<readonly FieldMapping[] | null>(null);

  // A new file or preset: read the file's first rows and ask how the preset would map its header.
  useEffect(() => {
    setFields(null);
    setMapping({});
    setPreview(null);
    if (file === null || /\.parquet$/i.test(file.name)) return;
    // Set when a newer file or preset replaces this one: its late answers are dropped.
    const request = new AbortController();
    const replaced = (): boolean => request.signal.aborted;
    void file.slice(0, 65_536).text().then(async (text) => {
      const read = csvPreview(text);
      if (replaced()) return;
      setPreview(read);
      if (read === null) { setProblem(w.rcHeaderUnreadable); return; }
      setProblem(null);
      try {
        const answer = await apiSend<ItemList<FieldMapping>>('POST', '/api/reconcile-jobs/column-mapping', csrfToken, { preset, header: read.header });
        if (replaced()) return;
        setFields(answer.items);
        setMapping(Object.fromEntries(answer.items.filter((m) => m.column !== null).map((m) => [m.field, m.column ?? ''])));
      } catch (caught) {
        if (!replaced()) setError(asApiError(caught));
      }
    });
    return () => { request.abort(); };
  }, [file, preset, csrfToken, w.rcHeaderUnreadable]);

  const jobs = useApi<ItemList<Job>>(`/api/reconcile-jobs?v=${String(tick)}`);
  const selected = useApi<Job>(job === null ? null : `/api/reconcile-jobs/${encodeURIComponent(job)}?v=${String(tick)}`);
  const running = (selected.state === 'ok' && (selected.data.state === 'queued' || selected.data.state === 'running'))
    || (jobs.state === 'ok' && jobs.data.items.some((j) => j.state === 'queued' || j.state === 'running'));

  // Progress: the job is asked again every second while it is queued or running.
  useEffect(() => {
    if (!running) return;
    const timer = window.setTimeout(() => { setTick((n) => n + 1); }, 1_000);
    return () => { window.clearTimeout(timer); };
  }, [running, tick]);

  async function start(e: SubmitEvent<HTMLFormElement>): Promise<void> {
    e.preventDefault();
    if (file === null) { setProblem(w.rcChooseFile); return; }
    // The fields a job cannot run without: one message listing the columns the file needs.
    const unmapped = (fields ?? []).filter((f) => f.required && (mapping[f.field] ?? '') === '');
    if (fields !== null && unmapped.length > 0) {
      setProblem(fill(w.rcMapMissing, {
        fields: unmapped.map((f) => word(w, `field_${f.field}`)).join(', '),
        expected: fields.filter((f) => f.expected !== null).map((f) => `${f.expected ?? ''} (${word(w, `field_${f.field}`)})`).join(', '),
      }));
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      const name = inboxName(file.name);
      const type = name.toLowerCase().endsWith('.parquet') ? 'application/vnd.apache.parquet' : 'text/csv';
      await apiUpload(`/api/reconcile-jobs/files/${encodeURIComponent(name)}`, csrfToken, file, type);
      const chosen = Object.fromEntries(Object.entries(mapping).filter(([, column]) => column !== ''));
      const created = await apiSend<Job>('POST', '/api/reconcile-jobs', csrfToken, { preset, file: name, ...(fields === null ? {} : { mapping: chosen }) });
      setError(null);
      window.location.hash = routeHash({ page: 'reconcile', job: created.jobId });
    } catch (caught) {
      const apiError = asApiError(caught);
      if (apiError.status === 401) onUnauthorized();
      setError(apiError);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="page admin-page" data-testid="reconcile">
      <section className="panel">
        <h1>{w.rcTitle}</h1>
        <p className="muted">{w.rcHelp}</p>
        <form className="admin-form" onSubmit={(e) => void start(e)}>
          <label htmlFor="rc-file">{w.rcFile}</label>
          <input id="rc-file" type="file" accept=".csv,.txt,.parquet" onChange={(e) => { setFile(e.target.files?.[0] ?? null); }} data-testid="rc-file" />
          <label htmlFor="rc-preset">{w.rcPreset}</label>
          <select id="rc-preset" value={preset} onChange={(e) => { setPreset(e.target.value); }} data-testid="rc-preset">
            {presets.map((p) => <option key={p} value={p}>{word(w, `preset_${p}`)}</option>)}
          </select>
          {file !== null && /\.parquet$/i.test(file.name) && <p className="muted">{w.rcParquetNoPreview}</p>}
          {fields !== null && preview !== null && (
            <div data-testid="rc-map">
              <h2>{w.rcMapTitle}</h2>
              <p className="muted">{w.rcMapHelp}</p>
              <div className="table-scroll" tabIndex={0} role="region" aria-label={w.rcMapTitle}>
                <table className="table">
                  <thead><tr><th scope="col">{w.rcMapField}</th><th scope="col">{w.rcMapColumn}</th></tr></thead>
                  <tbody>
                    {fields.map((f) => (
                      <tr key={f.field} data-testid="rc-map-row">
                        <th scope="row"><label htmlFor={`rc-map-${f.field}`}>{word(w, `field_${f.field}`)}</label>{f.required && <span className="muted small"> ({w.rcMapRequired})</span>}</th>
                        <td>
                          <select id={`rc-map-${f.field}`} value={mapping[f.field] ?? ''} onChange={(e) => { setMapping({ ...mapping, [f.field]: e.target.value }); }} data-testid={`rc-map-${f.field}`}>
                            <option value="">{w.rcMapNone}</option>
                            {preview.header.map((h) => <option key={h} value={h}>{h}</option>)}
                          </select>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <h3>{fill(w.rcPreview, { n: preview.rows.length })}</h3>
              <div className="table-scroll" tabIndex={0} role="region" aria-label={fill(w.rcPreview, { n: preview.rows.length })}>
                <table className="table small" data-testid="rc-preview">
                  <thead><tr>{fields.filter((f) => (mapping[f.field] ?? '') !== '').map((f) => <th key={f.field} scope="col">{word(w, `field_${f.field}`)}<div className="muted mono">{mapping[f.field]}</div></th>)}</tr></thead>
                  <tbody>
                    {preview.rows.map((row, i) => (
                      <tr key={i} data-testid="rc-preview-row">
                        {fields.filter((f) => (mapping[f.field] ?? '') !== '').map((f) => <td key={f.field}>{row[preview.header.indexOf(mapping[f.field] ?? '')] ?? ''}</td>)}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          )}
          {problem !== null && <p className="field-error" role="alert" data-testid="rc-problem">{problem}</p>}
          <button type="submit" disabled={busy} data-testid="rc-start">{busy ? w.rcUploading : w.rcStart}</button>
        </form>
      </section>
      {error !== null && <ErrorBox error={error} />}
      {selected.state === 'error' && <ErrorBox error={selected.error} />}
      {selected.state === 'ok' && <JobView job={selected.data} />}
      <section className="panel">
        <h2>{w.rcJobs}</h2>
        {jobs.state === 'loading' && <Loading />}
        {jobs.state === 'error' && <ErrorBox error={jobs.error} />}
        {jobs.state === 'ok' && jobs.data.items.length === 0 && <p className="muted" data-testid="rc-no-jobs">{w.rcNoJobs}</p>}
        {jobs.state === 'ok' && jobs.data.items.length > 0 && (
          <div className="table-scroll" tabIndex={0} role="region" aria-label={w.rcJobs}>
            <table className="table" data-testid="rc-jobs">
              <thead><tr><th>{w.rcCreated}</th><th>{w.rcFile}</th><th>{w.rcPreset}</th><th>{w.status}</th><th>{w.rcTotal}</th></tr></thead>
              <tbody>
                {jobs.data.items.map((j) => (
                  <tr key={j.jobId} data-testid="rc-job-row">
                    <td><a href={routeHash({ page: 'reconcile', job: j.jobId })}>{formatInstant(lang, j.createdAt)}</a></td>
                    <td className="small">{j.source.split('/').pop()}</td>
                    <td>{word(w, `preset_${j.preset}`)}</td>
                    <td>{word(w, `state_${j.state}`)}{j.state === 'running' ? ` · ${percent(j.progress)}` : ''}</td>
                    <td>{j.rows === null ? '—' : j.rows.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

function JobView({ job }: { readonly job: Job }): ReactNode {
  const { lang } = useConsole();
  const w = adminWords(lang);
  const number = (n: number): string => n.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
  const base = `/api/reconcile-jobs/${encodeURIComponent(job.jobId)}`;
  return (
    <section className="panel" data-testid="rc-job">
      <h2>{w.rcJob} · {word(w, `preset_${job.preset}`)}</h2>
      <p>
        {w.status}: <strong data-testid="rc-state">{word(w, `state_${job.state}`)}</strong> · {w.rcPhase}: {job.phase}
      </p>
      <progress max={1} value={job.progress} aria-label={w.rcProgress} data-testid="rc-progress" /> {percent(job.progress)}
      {job.error !== null && (
        <div className="alert alert-error" role="alert" data-testid="rc-error">
          {/* Vietnamese words for the code, the server's detail beneath (it names the columns expected and found). */}
          <p>{errorText(lang, job.error.code)?.detail ?? job.error.message}</p>
          {errorText(lang, job.error.code) !== undefined && <p>{errorText(lang, job.error.code)?.action}</p>}
          <p className="small"><code>{job.error.code}</code>: {job.error.message}</p>
        </div>
      )}
      {job.summary !== null && (
        <>
          <h3>{w.rcResults}</h3>
          <p data-testid="rc-total">{w.rcTotal}: <strong>{number(job.summary.rows)}</strong></p>
          {job.summary.columnsMissing.length > 0 && <p className="alert">{w.rcColumnsMissing}: {job.summary.columnsMissing.join(', ')}</p>}
          <div className="table-scroll" tabIndex={0} role="region" aria-label={w.rcResults}>
            <table className="table" data-testid="rc-statuses">
              <tbody>
                {Object.entries(job.summary.statuses).filter(([, n]) => n > 0).map(([status, n]) => (
                  <tr key={status} data-testid="rc-status-row"><th scope="row">{word(w, `rs_${status}`)}<div className="muted small mono">{status}</div></th><td>{number(n)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
          {job.summary.badRowSamples.length > 0 && (
            <>
              <h3>{w.rcBad}: {number(job.summary.badRows)}</h3>
              <ul className="plain-list small">{job.summary.badRowSamples.slice(0, 10).map((b) => <li key={b.line}>#{b.line}: {b.reason}</li>)}</ul>
            </>
          )}
          <p>
            <a href={`${base}/report`} target="_blank" rel="noopener" data-testid="rc-report">{w.rcReport}</a>{' · '}
            <a href={`${base}/results`} download data-testid="rc-results">{w.rcDownload}</a>
          </p>
        </>
      )}
    </section>
  );
}
