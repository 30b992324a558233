import { useState, type SubmitEvent, type ReactNode } from 'react';
import type { ItemList, PersonSummary } from '../api.js';
import { ErrorBox, Loading, SexLabel, StatusBadge } from '../components.js';
import { useApi, useConsole } from '../context.js';
import { cleanIdNumber, formatDate, isPartialDate, parseDateInput, type DateInput } from '../format.js';
import type { MessageKey } from '../i18n.js';
import { personHref, routeHash } from '../routing.js';

const limit = 50;

function searchPath(name: string, birth: string): string | null {
  if (name.trim() === '') return null;
  if (birth !== '' && !isPartialDate(birth)) return null;
  const query = new URLSearchParams({ name: name.trim(), limit: String(limit) });
  if (birth !== '') query.set('birth', birth);
  return `/api/persons?${query.toString()}`;
}

/** Why a typed date of birth is refused, in the console's words. */
function dateProblem(t: (key: MessageKey) => string, parsed: Exclude<DateInput, { ok: true }>): string {
  if (parsed.problem === 'format') return t('birthInvalid');
  if (parsed.problem === 'month') return t('birthNoSuchMonth').replaceAll('{month}', parsed.month);
  return t('birthNoSuchDay').replaceAll('{day}', parsed.day).replaceAll('{month}', parsed.month).replaceAll('{year}', parsed.year).replaceAll('{days}', String(parsed.daysInMonth));
}

/** Search by name and optional date of birth (typed dd/mm/yyyy); the terms live in the hash (ISO) so Back keeps them. */
export function SearchPage({
  name,
  birth,
}: {
  readonly name: string;
  readonly birth: string;
}): ReactNode {
  const { t, lang } = useConsole();
  const [nameInput, setNameInput] = useState(name);
  const [birthInput, setBirthInput] = useState(birth === '' ? '' : formatDate(lang, birth));
  const [formError, setFormError] = useState<string | null>(null);
  // `complete` is false when the name was too common for every national match to be looked at in the reader's unit.
  const results = useApi<ItemList<PersonSummary> & { readonly complete?: boolean }>(searchPath(name, birth));

  function submit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault();
    const trimmedBirth = birthInput.trim();
    if (nameInput.trim() === '') {
      setFormError(t('nameRequired'));
      return;
    }
    const parsed = trimmedBirth === '' ? null : parseDateInput(trimmedBirth);
    if (parsed !== null && !parsed.ok) {
      setFormError(dateProblem(t, parsed));
      return;
    }
    setFormError(null);
    window.location.hash = routeHash({ page: 'search', name: nameInput.trim(), birth: parsed?.iso ?? '' });
  }

  return (
    <div className="page">
      <div className="search-layout">
        <section className="panel">
          <h1>{t('searchTitle')}</h1>
          <p className="muted">{t('searchHelp')}</p>
          <form className="form-row" onSubmit={submit} noValidate>
            <label className="grow">
              <span>{t('nameLabel')}</span>
              <input
                type="search"
                data-testid="search-name"
                value={nameInput}
                placeholder={t('namePlaceholder')}
                autoFocus
                onChange={(e) => {
                  setNameInput(e.target.value);
                }}
              />
            </label>
            <label>
              <span>{t('birthLabel')}</span>
              <input
                type="text"
                data-testid="search-birth"
                value={birthInput}
                placeholder={t('birthPlaceholder')}
                inputMode="numeric"
                onChange={(e) => {
                  setBirthInput(e.target.value);
                }}
              />
            </label>
            <button type="submit" className="primary" data-testid="search-submit">
              {t('search')}
            </button>
          </form>
          {formError !== null && (
            <p className="field-error" role="alert" data-testid="search-form-error">
              {formError}
            </p>
          )}
        </section>
        <GoToId />
      </div>

      {results.state === 'loading' && <Loading />}
      {results.state === 'error' && <ErrorBox error={results.error} />}
      {results.state === 'ok' && <ResultsTable items={results.data.items} complete={results.data.complete !== false} />}
    </div>
  );
}

function ResultsTable({ items, complete }: { readonly items: readonly PersonSummary[]; readonly complete: boolean }): ReactNode {
  const { t, lang } = useConsole();
  const incomplete = complete ? null : <p className="alert" data-testid="results-incomplete">{t('resultsIncomplete')}</p>;
  if (items.length === 0) {
    return (
      <>
        {incomplete}
        <p className="alert" data-testid="no-results">
          {t('noResults')}
        </p>
      </>
    );
  }
  return (
    <section className="panel">
      <h2>
        {t('resultsCount')}: {items.length}
      </h2>
      {items.length >= limit && <p className="muted small">{t('resultsLimited')}</p>}
      {incomplete}
      <table className="table" data-testid="search-results">
        <thead>
          <tr>
            <th>{t('idNumber')}</th>
            <th>{t('fullName')}</th>
            <th>{t('birthDate')}</th>
            <th>{t('sex')}</th>
            <th>{t('status')}</th>
            <th>{t('currentCommune')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((p) => (
            <tr key={p.idNumber} data-testid="result-row">
              <td className="mono">
                <a href={personHref(p.idNumber)}>{p.idNumber}</a>
              </td>
              <td>
                <a href={personHref(p.idNumber)} data-testid="result-name">
                  {p.fullName}
                </a>
              </td>
              <td>{formatDate(lang, p.birthDate)}</td>
              <td>
                <SexLabel sex={p.sex} />
              </td>
              <td>
                <StatusBadge status={p.status} />
              </td>
              <td>
                {p.currentCommune === null ? (
                  <span className="muted">—</span>
                ) : (
                  <>
                    {p.currentCommune.name ?? p.currentCommune.code}
                    {p.currentCommune.provinceName !== null && (
                      <span className="muted">, {p.currentCommune.provinceName}</span>
                    )}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function GoToId(): ReactNode {
  const { t } = useConsole();
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);

  function submit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault();
    const id = cleanIdNumber(value);
    if (id === null) {
      setError(t('idInvalid'));
      return;
    }
    setError(null);
    window.location.hash = personHref(id);
  }

  return (
    <section className="panel">
      <h2>{t('goToIdTitle')}</h2>
      <form className="form-row" onSubmit={submit} noValidate>
        <label className="grow">
          <span>{t('goToIdLabel')}</span>
          <input
            type="text"
            data-testid="goto-id"
            value={value}
            placeholder={t('goToIdPlaceholder')}
            inputMode="numeric"
            autoComplete="off"
            onChange={(e) => {
              setValue(e.target.value);
            }}
          />
        </label>
        <button type="submit" data-testid="goto-id-submit">
          {t('open')}
        </button>
      </form>
      {error !== null && (
        <p className="field-error" role="alert" data-testid="goto-id-error">
          {error}
        </p>
      )}
    </section>
  );
}
