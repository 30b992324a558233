import type { ReactNode } from 'react';
import type { ApiError, LifeStatus, Person, Residence, Sex } from './api.js';
import { useApi, useConsole } from './context.js';
import { errorText } from './error-messages.js';
import { joinPlace } from './format.js';
import { personHref } from './routing.js';

/** The server's problem+json as the officer reads it: what went wrong, and what to do. */
export function ErrorBox({ error }: { readonly error: ApiError }): ReactNode {
  const { t, lang } = useConsole();
  const network = error.code === 'NETWORK_ERROR';
  // Vietnamese text for the codes an officer meets; the server's own words for the rest.
  const localized = errorText(lang, error.code);
  const action = localized?.action ?? error.action;
  return (
    <div className="alert alert-error" role="alert" data-testid="error">
      <p className="alert-title">{t('errorTitle')}</p>
      <p data-testid="error-detail">{network ? t('networkError') : localized?.detail ?? error.detail}</p>
      {action !== null && (
        <p>
          <strong>{t('errorAction')}:</strong> <span data-testid="error-action">{action}</span>
        </p>
      )}
      {!network && (
        <p className="muted small">
          {t('errorCode')}: <code>{error.code}</code>
          {error.status > 0 ? ` · HTTP ${error.status}` : ''}
        </p>
      )}
    </div>
  );
}

export function BackToSearch(): ReactNode {
  const { t } = useConsole();
  return (
    <p>
      <a href="#/" className="back">
        {t('backToSearch')}
      </a>
    </p>
  );
}

export function Loading(): ReactNode {
  const { t } = useConsole();
  return (
    <p className="muted" role="status">
      {t('loading')}
    </p>
  );
}

/** A label/value grid; `null` values show as a dash so empty fields stay visible. */
export function Fields({
  rows,
}: {
  readonly rows: readonly (readonly [label: string, value: ReactNode])[];
}): ReactNode {
  return (
    <dl className="fields">
      {rows.map(([label, value]) => (
        <div className="field" key={label}>
          <dt>{label}</dt>
          <dd>{value ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

export function SexLabel({ sex }: { readonly sex: Sex }): ReactNode {
  const { t } = useConsole();
  return <>{sex === 'M' ? t('sexM') : t('sexF')}</>;
}

export function StatusBadge({ status }: { readonly status: LifeStatus }): ReactNode {
  const { t } = useConsole();
  return (
    <span className={`badge badge-${status}`}>
      {status === 'alive' ? t('statusAlive') : t('statusDeceased')}
    </span>
  );
}

export function ResidenceView({ residence }: { readonly residence: Residence | null }): ReactNode {
  if (residence === null) return <span className="muted">—</span>;
  return (
    <span>
      {joinPlace([residence.address, residence.communeName, residence.provinceName])}{' '}
      <span className="muted small">({residence.communeCode})</span>
    </span>
  );
}

/** A link to a relative's page, with their name once it has loaded. */
export function PersonLink({ id }: { readonly id: string | null }): ReactNode {
  const person = useApi<Person>(id === null ? null : `/api/persons/${encodeURIComponent(id)}`);
  if (id === null) return <span className="muted">—</span>;
  return (
    <a href={personHref(id)}>
      {person.state === 'ok' ? (
        <>
          {person.data.fullName} <span className="muted small mono">({id})</span>
        </>
      ) : (
        <span className="mono">{id}</span>
      )}
    </a>
  );
}
