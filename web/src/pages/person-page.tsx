import { useState, type SubmitEvent, type ReactNode } from 'react';
import type { Household, ItemList, LifeEvent, Person } from '../api.js';
import {
  BackToSearch,
  ErrorBox,
  Fields,
  Loading,
  PersonLink,
  ResidenceView,
  SexLabel,
  StatusBadge,
} from '../components.js';
import { useApi, useConsole } from '../context.js';
import {
  countryName,
  formatDate,
  formatInstant,
  formatValue,
  isIsoDay,
  joinPlace,
  parseDateInput,
  vietnamDay,
} from '../format.js';
import { eventTypeLabel, relationshipLabel, type MessageKey } from '../i18n.js';
import { householdHref, personHref, routeHash } from '../routing.js';

/**
 * One person: the record (current, or as of a date), residences, family, household and the
 * event timeline. `at` comes from the hash so an as-of view can be bookmarked and shared.
 */
export function PersonPage({
  id,
  at,
}: {
  readonly id: string;
  readonly at: string | null;
}): ReactNode {
  const { t } = useConsole();
  const base = `/api/persons/${encodeURIComponent(id)}`;
  const validAt = at !== null && isIsoDay(at) ? at : null;
  const person = useApi<Person>(
    validAt === null ? base : `${base}/history?at=${encodeURIComponent(validAt)}`,
  );
  const events = useApi<ItemList<LifeEvent>>(`${base}/events`);

  return (
    <div className="page">
      <BackToSearch />
      <AsOfForm id={id} at={at} />
      {at !== null && validAt === null && (
        <p className="field-error" role="alert">
          {t('asOfInvalid')}
        </p>
      )}
      {person.state === 'loading' && <Loading />}
      {person.state === 'error' && <ErrorBox error={person.error} />}
      {person.state === 'ok' && <PersonRecord person={person.data} at={validAt} />}

      {/* One error is enough: an unknown ID would fail the timeline the same way. */}
      {person.state !== 'error' && (
        <section className="panel">
          <h2>{t('sectionTimeline')}</h2>
          {events.state === 'loading' && <Loading />}
          {events.state === 'error' && <ErrorBox error={events.error} />}
          {events.state === 'ok' && <Timeline events={events.data.items} at={validAt} />}
        </section>
      )}
    </div>
  );
}

function AsOfForm({ id, at }: { readonly id: string; readonly at: string | null }): ReactNode {
  const { t, lang } = useConsole();
  // Typed day first like every date in the console (dd/mm/yyyy), not the browser's own date picker.
  const [value, setValue] = useState(at !== null && isIsoDay(at) ? formatDate(lang, at) : (at ?? ''));
  const [error, setError] = useState<string | null>(null);

  function submit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault();
    const parsed = parseDateInput(value);
    if (!parsed.ok && parsed.problem === 'month') {
      setError(t('birthNoSuchMonth').replaceAll('{month}', parsed.month));
      return;
    }
    if (!parsed.ok && parsed.problem === 'day') {
      setError(t('birthNoSuchDay').replaceAll('{day}', parsed.day).replaceAll('{month}', parsed.month).replaceAll('{year}', parsed.year).replaceAll('{days}', String(parsed.daysInMonth)));
      return;
    }
    // A record is as of a day: a month or a year alone is not one.
    if (!parsed.ok || !isIsoDay(parsed.iso)) {
      setError(t('asOfInvalid'));
      return;
    }
    setError(null);
    window.location.hash = routeHash({ page: 'person', id, at: parsed.iso });
  }

  return (
    <form className="asof" onSubmit={submit} noValidate>
      <label>
        <span>{t('asOfLabel')}</span>
        <input
          type="text"
          inputMode="numeric"
          placeholder={t('asOfPlaceholder')}
          data-testid="as-of-date"
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
          }}
        />
      </label>
      <button type="submit" data-testid="as-of-submit">
        {t('asOfShow')}
      </button>
      {at !== null && (
        <a className="button-link" href={personHref(id)} data-testid="as-of-clear">
          {t('asOfClear')}
        </a>
      )}
      {error !== null && (
        <span className="field-error" role="alert" data-testid="as-of-error">
          {error}
        </span>
      )}
    </form>
  );
}

function PersonRecord({
  person,
  at,
}: {
  readonly person: Person;
  readonly at: string | null;
}): ReactNode {
  const { t, lang } = useConsole();
  const text = (value: string | null): ReactNode =>
    value === null || value === '' ? <span className="muted">—</span> : value;

  return (
    <>
      {at !== null && (
        <p className="alert alert-info" data-testid="as-of-banner">
          {t('asOfBanner')} <strong>{formatDate(lang, at)}</strong>.
        </p>
      )}
      <section className="panel">
        <div className="person-head">
          <h1 data-testid="person-name">{person.fullName}</h1>
          <StatusBadge status={person.status} />
        </div>
        <p className="muted">
          {t('idNumber')}: <span className="mono strong">{person.idNumber}</span>
        </p>
        <h2>{t('sectionIdentity')}</h2>
        <Fields
          rows={[
            [t('idNumber'), <span className="mono">{person.idNumber}</span>],
            [t('fullName'), person.fullName],
            [t('birthDate'), formatDate(lang, person.birthDate)],
            [t('sex'), <SexLabel sex={person.sex} />],
            [t('ethnicity'), text(person.ethnicity)],
            [t('religion'), text(person.religion)],
            [t('nationality'), countryName(lang, person.nationality)],
            [
              t('birthProvince'),
              <>
                {person.birthProvince.name ?? ''}{' '}
                <span className="muted small">({person.birthProvince.code})</span>
              </>,
            ],
            [t('hometown'), text(person.hometown)],
            [t('status'), <StatusBadge status={person.status} />],
            [t('deathDate'), formatDate(lang, person.deathDate)],
            [t('version'), String(person.version)],
            [t('updatedAt'), formatInstant(lang, person.updatedAt)],
          ]}
        />
      </section>

      <section className="panel">
        <h2>{t('sectionResidence')}</h2>
        <Fields
          rows={[
            [t('permanentResidence'), <ResidenceView residence={person.permanentResidence} />],
            [t('temporaryResidence'), <ResidenceView residence={person.temporaryResidence} />],
            [t('currentResidence'), <ResidenceView residence={person.currentResidence} />],
          ]}
        />
      </section>

      <section className="panel">
        <h2>{t('sectionFamily')}</h2>
        <Fields
          rows={[
            [t('father'), <PersonLink id={person.fatherId} />],
            [t('mother'), <PersonLink id={person.motherId} />],
            [t('spouse'), <PersonLink id={person.spouseId} />],
            [t('relationshipToHead'), relationshipLabel(lang, person.relationshipToHead)],
          ]}
        />
      </section>

      <HouseholdSection householdId={person.householdId} selfId={person.idNumber} />
    </>
  );
}

function HouseholdSection({
  householdId,
  selfId,
}: {
  readonly householdId: string | null;
  readonly selfId: string;
}): ReactNode {
  const { t, lang } = useConsole();
  const household = useApi<Household>(
    householdId === null ? null : `/api/households/${encodeURIComponent(householdId)}`,
  );
  return (
    <section className="panel">
      <h2>{t('sectionHousehold')}</h2>
      {householdId === null && <p className="muted">{t('noHousehold')}</p>}
      {household.state === 'loading' && <Loading />}
      {household.state === 'error' && <ErrorBox error={household.error} />}
      {household.state === 'ok' && (
        <>
          <p>
            <a href={householdHref(household.data.householdId)} data-testid="household-link">
              {t('openHousehold')}: <span className="mono">{household.data.householdId}</span>
            </a>
            <span className="muted">
              {' '}
              · {joinPlace([household.data.address, household.data.communeName])}
            </span>
          </p>
          <ul className="members">
            {household.data.members.map((m) => (
              <li key={m.idNumber}>
                {m.idNumber === selfId ? (
                  <strong>{m.fullName}</strong>
                ) : (
                  <a href={personHref(m.idNumber)}>{m.fullName}</a>
                )}{' '}
                <span className="muted small">
                  {relationshipLabel(lang, m.relationshipToHead)} · {formatDate(lang, m.birthDate)}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** Field names in event data that have a label already; others show as the server names them. */
/** A person's fields (as events and access records name them) by the console's words for them. */
export const fieldLabels: Readonly<Record<string, MessageKey>> = {
  idNumber: 'idNumber',
  fullName: 'fullName',
  birthDate: 'birthDate',
  sex: 'sex',
  ethnicity: 'ethnicity',
  religion: 'religion',
  nationality: 'nationality',
  hometown: 'hometown',
  permanentResidence: 'permanentResidence',
  temporaryResidence: 'temporaryResidence',
  currentResidence: 'currentResidence',
  fatherId: 'father',
  motherId: 'mother',
  spouseId: 'spouse',
  householdId: 'household',
  relationshipToHead: 'relationshipToHead',
  status: 'status',
  deathDate: 'deathDate',
  birthCommune: 'birthCommune',
  birthProvince: 'birthProvince',
  permanentCommune: 'permanentCommune',
  permanentAddress: 'permanentAddress',
  temporaryCommune: 'temporaryCommune',
  temporaryAddress: 'temporaryAddress',
  currentCommune: 'currentCommuneCode',
  currentAddress: 'currentAddress',
  cardIssuedOn: 'cardIssuedOn',
};

/** The timeline; with `at`, events recorded after that day are dimmed, as the record above predates them. */
function Timeline({
  events,
  at,
}: {
  readonly events: readonly LifeEvent[];
  readonly at: string | null;
}): ReactNode {
  const { t, lang } = useConsole();
  if (events.length === 0) return <p className="muted">{t('timelineEmpty')}</p>;
  // Newest first by when it happened, then by when it was recorded (corrections come later).
  const sorted = [...events].sort(
    (a, b) =>
      b.occurredOn.localeCompare(a.occurredOn) || b.recordedAt.localeCompare(a.recordedAt),
  );
  return (
    <ol className="timeline">
      {sorted.map((e) => {
        const entries = Object.entries(e.data);
        const recordedDay = vietnamDay(e.recordedAt);
        const later = at !== null && recordedDay !== null && recordedDay > at;
        return (
          <li
            key={e.eventId}
            className={`event event-${e.type}${later ? ' event-later' : ''}`}
            data-testid="timeline-item"
          >
            <div className="event-head">
              <span className="event-type" data-testid="event-type">
                {eventTypeLabel(lang, e.type)}
              </span>
              <span className="event-date">{formatDate(lang, e.occurredOn)}</span>
              {later && <span className="badge badge-later">{t('recordedAfterAsOf')}</span>}
            </div>
            <p className="muted small">
              {t('recordedAt')}: {formatInstant(lang, e.recordedAt)} · {t('officer')}:{' '}
              {e.officerId ?? '—'}
            </p>
            {e.reason !== null && e.reason !== '' && (
              <p className="small">
                {t('reason')}: {e.reason}
              </p>
            )}
            {entries.length > 0 && (
              <dl className="changes">
                {entries.map(([key, value]) => {
                  const labelKey = fieldLabels[key];
                  return (
                    <div key={key}>
                      <dt>{labelKey === undefined ? key : t(labelKey)}</dt>
                      <dd>
                        <ChangeValue field={key} value={value} on={e.occurredOn} />
                      </dd>
                    </div>
                  );
                })}
              </dl>
            )}
          </li>
        );
      })}
    </ol>
  );
}

const personIdFields = new Set(['fatherId', 'motherId', 'spouseId']);
const communeFields = new Set(['birthCommune', 'permanentCommune', 'temporaryCommune', 'currentCommune']);

/**
 * A commune or province code by its name as it was on the event's day (codes are reused across
 * the 2025 reorganisation), the code beneath; the code alone until the name arrives or if unknown.
 */
function UnitName({ kind, code, on }: { readonly kind: 'commune' | 'province'; readonly code: string; readonly on: string }): ReactNode {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(on) ? `?date=${on}` : '';
  const commune = useApi<{ readonly name: string; readonly provinceName: string }>(kind === 'commune' ? `/api/admin-units/communes/${encodeURIComponent(code)}${day}` : null);
  const provinces = useApi<{ readonly provinces: readonly { readonly code: string; readonly name: string }[] }>(kind === 'province' ? `/api/admin-units/provinces${day}` : null);
  // A birth province is kept as the ID number's 3-digit code: 0 and the province's 2 digits.
  const provinceCode = code.length === 3 ? code.slice(1) : code;
  const name = commune.state === 'ok' ? `${commune.data.name}, ${commune.data.provinceName}` : provinces.state === 'ok' ? provinces.data.provinces.find((p) => p.code === provinceCode)?.name : undefined;
  if (name === undefined) return code;
  return <span data-testid="unit-name">{name} <span className="muted small">({code})</span></span>;
}
const dateFields = new Set(['birthDate', 'deathDate', 'cardIssuedOn']);

/** One changed value, shown the way the record above shows the same field. */
function ChangeValue({ field, value, on }: { readonly field: string; readonly value: unknown; readonly on: string }): ReactNode {
  const { t, lang } = useConsole();
  if (typeof value === 'string') {
    if (communeFields.has(field) && /^\d{3,5}$/.test(value)) return <UnitName kind="commune" code={value} on={on} />;
    if (field === 'birthProvince' && /^\d{2,3}$/.test(value)) return <UnitName kind="province" code={value} on={on} />;
    if (personIdFields.has(field)) return <PersonLink id={value} />;
    if (field === 'householdId') return <a href={householdHref(value)}>{value}</a>;
    if (dateFields.has(field)) return formatDate(lang, value);
    if (field === 'sex' && (value === 'M' || value === 'F')) return <SexLabel sex={value} />;
    if (field === 'status' && (value === 'alive' || value === 'deceased')) {
      return value === 'alive' ? t('statusAlive') : t('statusDeceased');
    }
    if (field === 'nationality') return countryName(lang, value);
    if (field === 'relationshipToHead') return relationshipLabel(lang, value);
  }
  return formatValue(value);
}
