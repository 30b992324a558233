import { useState, type ReactNode } from 'react';
import { ErrorBox, Loading } from '../../components.js';
import { useApi, useConsole } from '../../context.js';
import { formatDate, parseDateInput } from '../../format.js';
import { routeHash } from '../../routing.js';
import { adminWords, fill } from './admin.words.js';

interface Province { readonly code: string; readonly name: string; readonly era: string }
interface Commune { readonly code: string; readonly name: string; readonly provinceName: string; readonly districtName: string | null }
interface Successor { readonly commune: Commune; readonly merge: 'whole' | 'partial' }
interface Conversion { readonly date: string; readonly province: Province; readonly items: readonly { readonly recorded: Commune; readonly current: readonly Successor[]; readonly changed: boolean }[] }
interface Resolution { readonly recorded: Commune; readonly current: readonly Successor[]; readonly changed: boolean }

/** Vietnamese names compared without accents and case ("ba dinh" finds "Phường Ba Đình"). */
function fold(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

/**
 * Administrative units by name: provinces and their communes at a date (today by default), and the
 * 2025 reorganisation: an old province's communes each with today's unit(s), or one old code.
 */
export function AdminUnitsPage({ province }: { readonly province: string | null }): ReactNode {
  const { lang } = useConsole();
  const w = adminWords(lang);
  const [dateText, setDateText] = useState('');
  const [date, setDate] = useState<string | null>(null);
  const [dateProblem, setDateProblem] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [oldProvince, setOldProvince] = useState('');
  const [oldCode, setOldCode] = useState('');
  const [resolveCode, setResolveCode] = useState<string | null>(null);
  const dateQuery = date === null ? '' : `?date=${date}`;
  const provinces = useApi<{ readonly provinces: readonly Province[] }>(`/api/admin-units/provinces${dateQuery}`);
  const communes = useApi<{ readonly province: Province; readonly communes: readonly Commune[] }>(province === null ? null : `/api/admin-units/provinces/${encodeURIComponent(province)}/communes${dateQuery}`);
  const oldProvinces = useApi<{ readonly provinces: readonly Province[] }>('/api/admin-units/provinces?date=2025-06-30');
  const conversion = useApi<Conversion>(oldProvince === '' ? null : `/api/admin-units/provinces/${encodeURIComponent(oldProvince)}/conversion`);
  const resolved = useApi<Resolution>(resolveCode === null ? null : `/api/admin-units/resolve?commune=${encodeURIComponent(resolveCode)}&date=2025-06-30`);
  const successors = (list: readonly Successor[]): ReactNode => list.length === 0 ? '—' : list.map((s) => (
    <div key={s.commune.code}>{s.commune.name}, {s.commune.provinceName} <span className="muted small">({s.commune.code} · {s.merge === 'whole' ? w.auWhole : w.auPartial})</span></div>
  ));

  return (
    <div className="page admin-page" data-testid="admin-units">
      <section className="panel">
        <h1>{w.auTitle}</h1>
        <p className="muted">{w.auHelp}</p>
        <form className="form-row" onSubmit={(e) => {
          e.preventDefault();
          if (dateText.trim() === '') { setDate(null); setDateProblem(null); return; }
          const parsed = parseDateInput(dateText);
          if (!parsed.ok || parsed.iso.length !== 10) { setDateProblem(`${w.auDate}: dd/mm/yyyy`); return; }
          setDateProblem(null);
          setDate(parsed.iso);
        }}>
          <label htmlFor="au-date">{w.auDate}</label>
          <input id="au-date" value={dateText} placeholder="30/06/2025" onChange={(e) => { setDateText(e.target.value); }} data-testid="au-date" />
          <button type="submit" data-testid="au-date-show">{w.auShow}</button>
        </form>
        {dateProblem !== null && <p className="field-error" role="alert">{dateProblem}</p>}
      </section>
      <section className="panel">
        <h2>{w.auProvinces}{date !== null && ` · ${formatDate(lang, date)}`}</h2>
        {provinces.state === 'loading' && <Loading />}
        {provinces.state === 'error' && <ErrorBox error={provinces.error} />}
        {provinces.state === 'ok' && (
          <>
            <p className="muted small" data-testid="au-province-count">{fill(w.auCount, { n: provinces.data.provinces.length })}</p>
            <ul className="unit-grid" data-testid="au-provinces">
              {provinces.data.provinces.map((p) => (
                <li key={p.code}>
                  {p.code === province ? <strong>{p.name}</strong> : <a href={routeHash({ page: 'adminUnits', province: p.code })} data-testid="au-province">{p.name}</a>} <span className="muted small">{p.code}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      {province !== null && (
        <section className="panel">
          {communes.state === 'loading' && <Loading />}
          {communes.state === 'error' && <ErrorBox error={communes.error} />}
          {communes.state === 'ok' && (
            <>
              <h2 data-testid="au-communes-title">{w.auCommunes} · {communes.data.province.name}</h2>
              <label htmlFor="au-filter">{w.auFilter}</label>{' '}
              <input id="au-filter" value={filter} onChange={(e) => { setFilter(e.target.value); }} data-testid="au-filter" />
              <p className="muted small">{fill(w.auCount, { n: communes.data.communes.length })}</p>
              <ul className="unit-grid" data-testid="au-communes">
                {communes.data.communes.filter((c) => filter === '' || fold(c.name).includes(fold(filter))).map((c) => (
                  <li key={c.code} data-testid="au-commune">{c.name} <span className="muted small">{c.code}{c.districtName !== null ? ` · ${c.districtName}` : ''}</span></li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
      <section className="panel">
        <h2>{w.auConversion}</h2>
        <p className="muted">{w.auConversionHelp}</p>
        <div className="form-row">
          <label htmlFor="au-old-province">{w.auOldProvince}</label>
          <select id="au-old-province" value={oldProvince} onChange={(e) => { setOldProvince(e.target.value); }} data-testid="au-old-province">
            <option value="">{w.auChoose}</option>
            {oldProvinces.state === 'ok' && oldProvinces.data.provinces.map((p) => <option key={p.code} value={p.code}>{p.name}</option>)}
          </select>
        </div>
        <form className="form-row" onSubmit={(e) => { e.preventDefault(); setResolveCode(oldCode.trim()); }}>
          <label htmlFor="au-old-code">{w.auOldCode}</label>
          <input id="au-old-code" value={oldCode} inputMode="numeric" onChange={(e) => { setOldCode(e.target.value); }} data-testid="au-old-code" />
          <button type="submit" data-testid="au-resolve">{w.auResolve}</button>
        </form>
        {resolved.state === 'error' && <ErrorBox error={resolved.error} />}
        {resolved.state === 'ok' && (
          <p data-testid="au-resolved">
            <strong>{resolved.data.recorded.name}</strong>{resolved.data.recorded.districtName !== null && `, ${resolved.data.recorded.districtName}`}, {resolved.data.recorded.provinceName} →{' '}
            {resolved.data.changed ? successors(resolved.data.current) : w.auUnchanged}
          </p>
        )}
        {conversion.state === 'loading' && <Loading />}
        {conversion.state === 'error' && <ErrorBox error={conversion.error} />}
        {conversion.state === 'ok' && (
          <div className="table-scroll" tabIndex={0} role="region" aria-label={w.auConversion}>
            <table className="table" data-testid="au-conversion">
              <thead><tr><th>{w.auOldCommune}</th><th>{w.auNewUnit}</th></tr></thead>
              <tbody>
                {conversion.data.items.map((i) => (
                  <tr key={i.recorded.code} data-testid="au-conversion-row">
                    <td>{i.recorded.name}<div className="muted small">{i.recorded.code}{i.recorded.districtName !== null ? ` · ${i.recorded.districtName}` : ''}</div></td>
                    <td>{i.changed ? successors(i.current) : <span className="muted">{w.auUnchanged}</span>}</td>
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
