import { useState, type ReactNode } from 'react';
import { ApiError, apiPost } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { useApi, useConsole } from '../context.js';
import { formatDate, formatInstant } from '../format.js';
import type { MessageKey } from '../i18n.js';

/** A step as GET /api/procedures answers it (src/services/procedure.schemas.ts). */
interface Step {
  readonly stepNo: number;
  readonly key: string;
  readonly name: string;
  readonly ownerName: string;
  readonly status: 'pending' | 'in_progress' | 'done' | 'failed' | 'overdue';
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly dueAt: string | null;
  readonly finishedAt: string | null;
  readonly lastError: string | null;
}

interface ProcedureView {
  readonly procedureId: string;
  readonly kind: 'birth' | 'death';
  readonly applicantName: string | null;
  readonly subjectName: string | null;
  readonly communeName: string | null;
  readonly provinceName: string | null;
  readonly status: 'in_progress' | 'done' | 'failed';
  readonly overdue: boolean;
  readonly submittedAt: string;
  readonly dueAt: string;
  readonly steps: readonly Step[];
}

interface CatalogueEntry {
  readonly code: string;
  readonly name: string;
  readonly nameEn: string;
  readonly agency: string;
  readonly agencyEn: string;
  readonly reads: readonly string[];
  readonly paperReplaced: string;
  readonly linkedProcedure: 'birth' | 'death' | null;
  readonly listed: 'checked' | 'recalled' | 'approximate';
}

const stepKeys: Readonly<Record<string, MessageKey>> = {
  birth_registration: 'procStep_birth_registration',
  permanent_residence: 'procStep_permanent_residence',
  health_insurance_card: 'procStep_health_insurance_card',
  death_registration: 'procStep_death_registration',
  residence_removal: 'procStep_residence_removal',
  pension_stop: 'procStep_pension_stop',
  eid_lock: 'procStep_eid_lock',
};

function StatusBadge({ status }: { readonly status: Step['status'] | ProcedureView['status'] }): ReactNode {
  const { t } = useConsole();
  return <span className={`badge proc-${status}`} data-testid="proc-status">{t(`procStatus_${status}`)}</span>;
}

/**
 * Linked procedures (liên thông) of the officer's unit: each application with its steps, the
 * agency that owns each, its time limit, tries and last error; a failed step can be sent round
 * again by a clerk of the unit. Below, the catalogue of the 53 essential public services and the
 * registry data each reads instead of paper.
 */
export function ProceduresPage(): ReactNode {
  const { t, lang, csrfToken, onUnauthorized } = useConsole();
  const [version, setVersion] = useState(0);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const load = useApi<{ items: readonly ProcedureView[] }>(`/api/procedures?limit=100&v=${String(version)}`);
  const catalogue = useApi<{ total: number; items: readonly CatalogueEntry[] }>('/api/service-catalogue');

  async function retry(procedureId: string, stepNo: number): Promise<void> {
    try {
      await apiPost(`/api/procedures/${encodeURIComponent(procedureId)}/steps/${String(stepNo)}/retry`, csrfToken);
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
        <h1>{t('procTitle')}</h1>
        <p className="muted">{t('procHelp')}</p>
      </section>
      {actionError !== null && <ErrorBox error={actionError} />}
      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <ErrorBox error={load.error} />}
      {load.state === 'ok' && load.data.items.length === 0 && <p className="muted" data-testid="proc-empty">{t('procEmpty')}</p>}
      {load.state === 'ok' && load.data.items.map((p) => (
        <section className="panel" key={p.procedureId} data-testid="proc-card">
          <h2 className="proc-head">
            <span>{p.kind === 'birth' ? t('procKind_birth') : t('procKind_death')}: {p.subjectName ?? '—'}</span>{' '}
            <StatusBadge status={p.status} />
            {p.overdue && p.status !== 'done' && <> <span className="badge proc-overdue">{t('procStatus_overdue')}</span></>}
          </h2>
          <p className="muted">
            {t('procApplicant')}: {p.applicantName ?? '—'} · {t('procUnit')}: {p.communeName ?? '—'}, {p.provinceName ?? '—'} · {t('procSubmitted')}: {formatInstant(lang, p.submittedAt)} · {t('procDue')}: {formatDate(lang, p.dueAt.slice(0, 10))}
          </p>
          <div className="table-scroll" tabIndex={0} role="region" aria-label={t('procStepsLabel')}>
            <table className="table proc-table" data-testid="proc-steps">
              <thead>
                <tr>
                  <th scope="col">{t('procStep')}</th>
                  <th scope="col">{t('procOwner')}</th>
                  <th scope="col">{t('procStatus')}</th>
                  <th scope="col">{t('procStepDue')}</th>
                  <th scope="col">{t('procAttempts')}</th>
                </tr>
              </thead>
              <tbody>
                {p.steps.map((s) => (
                  <tr key={s.stepNo} data-testid="proc-step">
                    <td>{s.stepNo}. {lang === 'vi' ? s.name : t(stepKeys[s.key] ?? 'procStep')}</td>
                    <td>{s.ownerName}</td>
                    <td>
                      <StatusBadge status={s.status} />
                      {s.lastError !== null && s.status !== 'done' && <div className="muted" data-testid="proc-error">{t('procLastError')}: {s.lastError}</div>}
                      {s.nextAttemptAt !== null && <div className="muted">{t('procNextTry')}: {formatInstant(lang, s.nextAttemptAt)}</div>}
                      {s.status === 'failed' && (
                        <button type="button" onClick={() => void retry(p.procedureId, s.stepNo)} data-testid="proc-retry">{t('procRetry')}</button>
                      )}
                    </td>
                    <td>{s.dueAt === null ? '—' : formatInstant(lang, s.dueAt)}</td>
                    <td>{s.attempts}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      <section className="panel">
        <h2>{t('procCatalogueTitle')}</h2>
        <p className="muted">{t('procCatalogueHelp')}</p>
        {catalogue.state === 'loading' && <Loading />}
        {catalogue.state === 'error' && <ErrorBox error={catalogue.error} />}
        {catalogue.state === 'ok' && (
          <div className="table-scroll" tabIndex={0} role="region" aria-label={t('procCatalogueTitle')}>
            <table className="table proc-table" data-testid="catalogue-table">
              <thead>
                <tr>
                  <th scope="col">{t('procService')}</th>
                  <th scope="col">{t('procAgency')}</th>
                  <th scope="col">{t('procReads')}</th>
                  <th scope="col">{t('procPaper')}</th>
                </tr>
              </thead>
              <tbody>
                {catalogue.data.items.map((e) => (
                  <tr key={e.code} data-testid="catalogue-row">
                    <td>
                      {lang === 'vi' ? e.name : e.nameEn}
                      {e.linkedProcedure !== null && <> <span className="badge proc-done">{t('procLinkedBuilt')}</span></>}
                      {e.listed === 'approximate' && <div className="muted">{t('procApproximate')}</div>}
                    </td>
                    <td>{lang === 'vi' ? e.agency : e.agencyEn}</td>
                    <td>{e.reads.map((f) => fieldLabel(t, f)).join(', ')}</td>
                    <td>{e.paperReplaced}</td>
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

const fieldKeys: ReadonlySet<string> = new Set(['idNumber', 'fullName', 'birthDate', 'sex', 'nationality', 'ethnicity', 'hometown', 'permanentResidence', 'temporaryResidence', 'currentResidence', 'householdId', 'relationshipToHead', 'fatherId', 'motherId', 'spouseId', 'status', 'deathDate']);

/** A registry field in words (names, not codes). */
function fieldLabel(t: (key: MessageKey) => string, field: string): string {
  return fieldKeys.has(field) ? t(`procField_${field}` as MessageKey) : field;
}
