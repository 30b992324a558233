import type { ReactNode } from 'react';
import type { Household } from '../api.js';
import { BackToSearch, ErrorBox, Fields, Loading, PersonLink, SexLabel, StatusBadge } from '../components.js';
import { useApi, useConsole } from '../context.js';
import { formatDate } from '../format.js';
import { relationshipLabel } from '../i18n.js';
import { personHref } from '../routing.js';

/** One household: where it is, its head, and its members with links to each. */
export function HouseholdPage({ id }: { readonly id: string }): ReactNode {
  const { t, lang } = useConsole();
  const household = useApi<Household>(`/api/households/${encodeURIComponent(id)}`);

  return (
    <div className="page">
      <BackToSearch />
      {household.state === 'loading' && <Loading />}
      {household.state === 'error' && <ErrorBox error={household.error} />}
      {household.state === 'ok' && (
        <>
          <section className="panel">
            <h1 data-testid="household-title">
              {t('householdTitle')} <span className="mono">{household.data.householdId}</span>
            </h1>
            <Fields
              rows={[
                [t('householdId'), <span className="mono">{household.data.householdId}</span>],
                [t('householdHead'), <PersonLink id={household.data.headId} />],
                [t('address'), household.data.address ?? '—'],
                [
                  t('commune'),
                  <>
                    {household.data.communeName ?? ''}{' '}
                    <span className="muted small">({household.data.communeCode})</span>
                  </>,
                ],
              ]}
            />
          </section>
          <section className="panel">
            <h2>
              {t('members')}: {household.data.members.length}
            </h2>
            <table className="table" data-testid="household-members">
              <thead>
                <tr>
                  <th>{t('idNumber')}</th>
                  <th>{t('fullName')}</th>
                  <th>{t('relationshipToHead')}</th>
                  <th>{t('birthDate')}</th>
                  <th>{t('sex')}</th>
                  <th>{t('status')}</th>
                </tr>
              </thead>
              <tbody>
                {household.data.members.map((m) => (
                  <tr key={m.idNumber} data-testid="member-row">
                    <td className="mono">
                      <a href={personHref(m.idNumber)}>{m.idNumber}</a>
                    </td>
                    <td>
                      <a href={personHref(m.idNumber)}>{m.fullName}</a>
                    </td>
                    <td>{relationshipLabel(lang, m.relationshipToHead)}</td>
                    <td>{formatDate(lang, m.birthDate)}</td>
                    <td>
                      <SexLabel sex={m.sex} />
                    </td>
                    <td>
                      <StatusBadge status={m.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      )}
    </div>
  );
}
