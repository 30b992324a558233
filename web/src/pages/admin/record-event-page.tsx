import { useState, type ReactNode, type SubmitEvent } from 'react';
import { ApiError, apiPost, type Me, type Person } from '../../api.js';
import { ErrorBox, Loading } from '../../components.js';
import { useApi, useConsole } from '../../context.js';
import { cleanIdNumber, parseDateInput } from '../../format.js';
import { personHref } from '../../routing.js';
import { asApiError } from './admin-api.js';
import { adminWords, fill, type AdminWord } from './admin.words.js';

/**
 * The events a commune's clerk records at the desk. Not `registration` (a person taken over from an
 * earlier register: the import makes it, with the number that register gave) nor `id_issuance`
 * (a card's number and dates, from the card system that issues it): neither is typed by a clerk.
 */
const eventTypes = ['birth_registration', 'death', 'residence_change', 'marriage', 'divorce', 'name_change'] as const;
type EventKind = (typeof eventTypes)[number];
type Words = Readonly<Record<AdminWord, string>>;

interface Province { readonly code: string; readonly idCode: string; readonly name: string }
interface Commune { readonly code: string; readonly name: string }

/** The registry's refusals a clerk meets on these forms, in Vietnamese (what happened, what to do). */
const viRefusals: Readonly<Record<string, readonly [string, string]>> = {
  FIELD_MISSING: ['Thiếu thông tin bắt buộc.', 'Khai sinh cần họ tên, ngày sinh, giới tính và nơi đăng ký khai sinh.'],
  NAME_MISSING: ['Chưa nhập họ và tên.', 'Nhập đầy đủ họ, tên đệm và tên.'],
  NAME_INVALID: ['Họ và tên chỉ gồm chữ cái, dấu cách, dấu nháy và gạch nối.', 'Bỏ chữ số và ký hiệu khỏi họ tên.'],
  NAME_TOO_LONG: ['Họ và tên dài quá 100 ký tự.', 'Kiểm tra lại họ tên.'],
  ALREADY_MARRIED: ['Công dân đang được ghi là đã kết hôn.', 'Đăng ký ly hôn, hoặc khai tử người vợ/chồng, trước.'],
  DATE_ORDER_INVALID: ['Ngày mất trước ngày sinh.', 'Kiểm tra lại hai ngày.'],
  ID_NUMBER_TAKEN: ['Số định danh này đã có trong cơ sở dữ liệu.', 'Kiểm tra lại số, hoặc ghi cải chính trên hồ sơ đã có.'],
  ADMIN_UNIT_UNKNOWN: ['Mã đơn vị hành chính không đúng.', 'Chọn xã, phường trong danh sách.'],
  ADMIN_UNIT_EXPIRED: ['Đơn vị hành chính này không còn hiệu lực.', 'Chọn xã, phường hiện nay.'],
  FIELD_INVALID: ['Một ô nhập chưa đúng.', 'Kiểm tra lại các ô đã nhập.'],
  SEX_INVALID: ['Giới tính chưa đúng.', 'Chọn Nam hoặc Nữ.'],
};

/** A refusal with the Vietnamese words for it where the shared list has none (the code stays beneath). */
function localized(lang: 'vi' | 'en', error: ApiError): ApiError {
  const words = lang === 'vi' ? viRefusals[error.code] : undefined;
  return words === undefined ? error : new ApiError(error.status, error.code, words[0], words[1]);
}

type DateCheck = { readonly ok: true; readonly iso: string } | { readonly ok: false; readonly message: string };

/** A full day typed dd/mm/yyyy, with the reason when it is not one. */
function checkDay(w: Words, label: string, value: string, today: string): DateCheck {
  if (value.trim() === '') return { ok: false, message: fill(w.leRequired, { field: label }) };
  const parsed = parseDateInput(value);
  if (!parsed.ok) {
    if (parsed.problem === 'month') return { ok: false, message: fill(w.leDateMonth, { field: label, month: parsed.month }) };
    if (parsed.problem === 'day') return { ok: false, message: fill(w.leDateDay, { field: label, month: parsed.month, year: parsed.year, days: parsed.daysInMonth }) };
    return { ok: false, message: fill(w.leDateFormat, { field: label }) };
  }
  if (parsed.iso.length !== 10) return { ok: false, message: fill(w.leDateFormat, { field: label }) };
  if (parsed.iso > today) return { ok: false, message: fill(w.leFutureDate, { field: label }) };
  return { ok: true, iso: parsed.iso };
}

/** Today on the Vietnamese calendar (UTC+7), as the registry decides "in the future". */
function vietnamToday(): string {
  return new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
}

/**
 * Registry clerks record a birth, and a death, move, marriage, divorce or change of name on a
 * citizen of their commune: dates typed dd/mm/yyyy, checked here with the reason in the officer's
 * language before anything is sent; the registry's own refusals shown in Vietnamese.
 */
export function RecordEventPage({ person }: { readonly person: string | null }): ReactNode {
  const { lang, csrfToken, onUnauthorized } = useConsole();
  const w = adminWords(lang);
  const me = useApi<Me>('/api/identity/me');
  const [kind, setKind] = useState<EventKind>(person === null ? 'birth_registration' : 'residence_change');
  const [v, setV] = useState<Record<string, string>>({ person: person ?? '', sex: 'M', residenceKind: 'permanent' });
  const [problems, setProblems] = useState<readonly string[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [recorded, setRecorded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const unit = me.state === 'ok' ? me.data.unit : null;
  const provinceCode = unit?.level === 'commune' ? unit.province ?? null : unit?.level === 'province' ? unit.code ?? null : null;
  const provinces = useApi<{ readonly provinces: readonly Province[] }>('/api/admin-units/provinces');
  const communes = useApi<{ readonly communes: readonly Commune[] }>(provinceCode === null ? null : `/api/admin-units/provinces/${provinceCode}/communes`);

  if (me.state !== 'ok') return me.state === 'error' ? <ErrorBox error={me.error} /> : <Loading />;
  if (!me.data.permissions.includes('person.write')) {
    return <div className="page"><p className="alert" data-testid="record-forbidden">{w.leForbidden}</p></div>;
  }
  const ownCommune = unit?.level === 'commune' ? unit.code ?? '' : '';
  const ownIdProvince = provinces.state === 'ok' ? provinces.data.provinces.find((p) => p.code === provinceCode)?.idCode ?? '' : '';
  const get = (key: string, fallback = ''): string => v[key] ?? fallback;
  const set = (key: string) => (e: { readonly target: { readonly value: string } }): void => { setV({ ...v, [key]: e.target.value }); };

  function build(): { readonly path: string; readonly body: unknown } | readonly string[] {
    const today = vietnamToday();
    const missing: string[] = [];
    const need = (key: string, label: string): string => {
      const value = get(key).trim();
      if (value === '') missing.push(fill(w.leRequired, { field: label }));
      return value;
    };
    const idOf = (key: string, label: string, required: boolean): string | null => {
      const raw = get(key).trim();
      if (raw === '') { if (required) missing.push(fill(w.leRequired, { field: label })); return null; }
      const id = cleanIdNumber(raw);
      if (id === null) missing.push(fill(w.leIdFormat, { field: label }));
      return id;
    };
    const day = (key: string, label: string): string => {
      const checked = checkDay(w, label, get(key), today);
      if (!checked.ok) { missing.push(checked.message); return ''; }
      return checked.iso;
    };
    const reason = get('reason').trim() === '' ? null : get('reason').trim();
    if (kind === 'birth_registration') {
      const fullName = need('fullName', w.leFullName);
      const birthDate = day('birthDate', w.leBirthDate);
      const commune = get('commune', ownCommune);
      const facts: Record<string, unknown> = {
        fullName, birthDate, sex: get('sex', 'M'), nationality: 'VN', birthProvince: get('birthProvince', ownIdProvince),
        ...(commune === '' ? {} : { birthCommune: commune, permanentCommune: commune, currentCommune: commune }),
        ...(get('address').trim() === '' ? {} : { permanentAddress: get('address').trim(), currentAddress: get('address').trim() }),
        ...(get('ethnicity').trim() === '' ? {} : { ethnicity: get('ethnicity').trim() }),
      };
      const father = idOf('father', w.leFather, false);
      const mother = idOf('mother', w.leMother, false);
      if (father !== null) facts.fatherId = father;
      if (mother !== null) facts.motherId = mother;
      if (missing.length > 0) return missing;
      return { path: '/api/persons', body: { type: 'birth_registration', occurredOn: birthDate, officerId: null, reason, facts } };
    }
    const id = idOf('person', w.lePerson, true);
    const occurredOn = day('occurredOn', kind === 'death' ? w.leDeathDate : w.leOccurredOn);
    let data: Record<string, unknown> = {};
    if (kind === 'residence_change') {
      const which = get('residenceKind', 'permanent');
      const commune = get('commune', ownCommune);
      if (commune === '') missing.push(fill(w.leRequired, { field: w.leCommune }));
      data = { [`${which}Commune`]: commune, [`${which}Address`]: get('address').trim() === '' ? null : get('address').trim() };
    }
    if (kind === 'marriage') data = { spouseId: idOf('spouse', w.leSpouse, true) };
    if (kind === 'name_change') data = { fullName: need('fullName', w.leNewName) };
    if (missing.length > 0 || id === null) return missing;
    return { path: `/api/persons/${id}/events`, body: { type: kind, occurredOn, officerId: null, reason, data } };
  }

  async function submit(e: SubmitEvent<HTMLFormElement>): Promise<void> {
    e.preventDefault();
    const request = build();
    setRecorded(null);
    if (Array.isArray(request)) { setProblems(request); setError(null); return; }
    const { path, body } = request as { readonly path: string; readonly body: unknown };
    setProblems([]);
    setBusy(true);
    try {
      const answer = await apiPost<Person | { readonly person: Person }>(path, csrfToken, body);
      setError(null);
      setRecorded('person' in answer ? answer.person.idNumber : answer.idNumber);
    } catch (caught) {
      const apiError = asApiError(caught);
      if (apiError.status === 401) onUnauthorized();
      setError(localized(lang, apiError));
    } finally {
      setBusy(false);
    }
  }

  const communeSelect = (
    <label>{w.leCommune}{' '}
      <select value={get('commune', ownCommune)} onChange={set('commune')} data-testid="le-commune">
        {communes.state === 'ok' && communes.data.communes.map((c) => <option key={c.code} value={c.code}>{c.name}</option>)}
      </select>
    </label>
  );

  return (
    <div className="page admin-page" data-testid="record-event">
      <section className="panel">
        <h1>{w.leTitle}</h1>
        <p className="muted">{w.leHelp}</p>
        <form className="admin-form" noValidate onSubmit={(e) => void submit(e)}>
          <label>{w.leType}{' '}
            <select value={kind} onChange={(e) => { setKind(e.target.value as EventKind); setProblems([]); setError(null); setRecorded(null); }} data-testid="le-type">
              {eventTypes.map((t) => <option key={t} value={t}>{w[`ev_${t}`]}</option>)}
            </select>
          </label>
          {kind !== 'birth_registration' && <label>{w.lePerson} <input value={get('person')} inputMode="numeric" onChange={set('person')} data-testid="le-person" /></label>}
          {kind === 'birth_registration' && (
            <>
              <label>{w.leFullName} <input value={get('fullName')} onChange={set('fullName')} data-testid="le-full-name" /></label>
              <label>{w.leBirthDate} <input value={get('birthDate')} placeholder="14/07/2025" onChange={set('birthDate')} data-testid="le-birth-date" /></label>
              <fieldset>
                <legend>{w.leSex}</legend>
                <label className="check"><input type="radio" name="sex" value="M" checked={get('sex') === 'M'} onChange={set('sex')} data-testid="le-sex-m" /> {w.leSexM}</label>
                <label className="check"><input type="radio" name="sex" value="F" checked={get('sex') === 'F'} onChange={set('sex')} data-testid="le-sex-f" /> {w.leSexF}</label>
              </fieldset>
              <label>{w.leEthnicity} <input value={get('ethnicity')} placeholder="Kinh" onChange={set('ethnicity')} /></label>
              <label>{w.leBirthProvince}{' '}
                <select value={get('birthProvince', ownIdProvince)} onChange={set('birthProvince')} data-testid="le-birth-province">
                  {provinces.state === 'ok' && provinces.data.provinces.map((p) => <option key={p.idCode} value={p.idCode}>{p.name}</option>)}
                </select>
              </label>
              {communeSelect}
              <label>{w.leAddress} <input value={get('address')} onChange={set('address')} data-testid="le-address" /></label>
              <label>{w.leFather} <input value={get('father')} inputMode="numeric" onChange={set('father')} data-testid="le-father" /></label>
              <label>{w.leMother} <input value={get('mother')} inputMode="numeric" onChange={set('mother')} data-testid="le-mother" /></label>
            </>
          )}
          {kind !== 'birth_registration' && <label>{kind === 'death' ? w.leDeathDate : w.leOccurredOn} <input value={get('occurredOn')} placeholder="dd/mm/yyyy" onChange={set('occurredOn')} data-testid="le-occurred-on" /></label>}
          {kind === 'residence_change' && (
            <>
              <label>{w.leResidenceKind}{' '}
                <select value={get('residenceKind', 'permanent')} onChange={set('residenceKind')} data-testid="le-residence-kind">
                  {(['permanent', 'temporary', 'current'] as const).map((r) => <option key={r} value={r}>{w[`res_${r}`]}</option>)}
                </select>
              </label>
              {communeSelect}
              <label>{w.leAddress} <input value={get('address')} onChange={set('address')} data-testid="le-address" /></label>
            </>
          )}
          {kind === 'marriage' && <label>{w.leSpouse} <input value={get('spouse')} inputMode="numeric" onChange={set('spouse')} data-testid="le-spouse" /></label>}
          {kind === 'name_change' && <label>{w.leNewName} <input value={get('fullName')} onChange={set('fullName')} data-testid="le-full-name" /></label>}
          <label>{w.leReason} <input value={get('reason')} onChange={set('reason')} data-testid="le-reason" /></label>
          {problems.length > 0 && (
            // The alert around the list: role="alert" on the <ul> itself would take its list role, leaving its items orphaned (axe: listitem).
            <div className="alert alert-error" role="alert" data-testid="le-problems">
              <ul className="plain-list">{problems.map((p) => <li key={p}>{p}</li>)}</ul>
            </div>
          )}
          <button type="submit" disabled={busy} data-testid="le-submit">{w.leSubmit}</button>
        </form>
      </section>
      {error !== null && <ErrorBox error={error} />}
      {recorded !== null && <p className="notice" role="status" data-testid="le-recorded"><a href={personHref(recorded)}>{w.leRecorded}: {recorded}</a></p>}
    </div>
  );
}
