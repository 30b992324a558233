import { useState, type ReactNode, type SubmitEvent } from 'react';
import type { ApiError, ItemList, Me } from '../../api.js';
import { ErrorBox, Loading } from '../../components.js';
import { useApi, useConsole } from '../../context.js';
import { cleanIdNumber, formatDate, formatInstant, parseDateInput } from '../../format.js';
import { useOfficerNames } from '../../officer-names.js';
import { apiSend, asApiError } from './admin-api.js';
import { adminWords, type AdminWord } from './admin.words.js';

interface Jwks { readonly keys: readonly Readonly<Record<string, unknown>>[] }
interface ExchangeClient { readonly clientId: string; readonly memberId: string; readonly name: string; readonly jwks: Jwks; readonly status: string }
interface MemberOfficer { readonly memberId: string; readonly officerId: string; readonly name: string; readonly status: string }
interface ExchangeMember { readonly memberId: string; readonly name: string; readonly kind: string; readonly status: string; readonly createdAt: string; readonly clients: readonly ExchangeClient[]; readonly officers: readonly MemberOfficer[] }
interface Grant { readonly grantId: string; readonly clientId: string; readonly service: string; readonly fields: readonly string[]; readonly purposes: readonly { readonly code: string; readonly text: string }[]; readonly legalBasis: string; readonly validFrom: string; readonly validUntil: string; readonly ratePerMinute: number; readonly dailyCap: number; readonly status: string; readonly provinces: readonly string[] }
interface Consent { readonly status: string; readonly artefact: { readonly consentId: string; readonly dataUser: string; readonly purpose: { readonly code: string; readonly text: string }; readonly fields: readonly string[]; readonly expiry: string } }
interface ConsoleOfficer { readonly officerId: string; readonly username: string; readonly displayName: string; readonly role: string; readonly unit: { readonly level: string; readonly code?: string }; readonly status: string; readonly lockedUntil: string | null; readonly lastSignInAt: string | null }
interface Province { readonly code: string; readonly name: string }
interface Catalog { readonly services: readonly { readonly name: string; readonly fields: readonly string[] }[] }

type Tab = 'members' | 'grants' | 'consents' | 'officers';
type Words = Readonly<Record<AdminWord, string>>;
/** Runs an action and reloads; errors go to the page's error box. */
type Act = (method: 'PUT' | 'POST', path: string, body: unknown) => Promise<unknown>;

const memberKinds = ['ministry', 'province', 'bank', 'telecom', 'insurer', 'other'] as const;
const consoleRoles = ['registry_clerk', 'commune_officer', 'province_officer', 'national_officer', 'quality_officer', 'exchange_admin', 'auditor', 'system_admin', 'leader', 'direction_officer'] as const;
const segments = (id: string): string => id.split('/').map(encodeURIComponent).join('/');
const word = (w: Words, key: string): string => (key in w ? w[key as AdminWord] : key);

/**
 * The exchange's administration: members with their subsystems, keys and officers; grants;
 * citizens' consents (exchange administrators), and the console's own officers (system
 * administrators). Each list carries the actions the admin API allows.
 */
export function ExchangeAdminPage(): ReactNode {
  const { lang, t, csrfToken, onUnauthorized } = useConsole();
  const w = adminWords(lang);
  const me = useApi<Me>('/api/identity/me');
  const [tab, setTab] = useState<Tab | null>(null);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const act: Act = async (method, path, body) => {
    try {
      const answer = await apiSend(method, path, csrfToken, body);
      setError(null);
      setNotice(w.done);
      setVersion((v) => v + 1);
      return answer;
    } catch (e) {
      const apiError = asApiError(e);
      if (apiError.status === 401) onUnauthorized();
      setNotice(null);
      setError(apiError);
      return undefined;
    }
  };

  if (me.state !== 'ok') return me.state === 'error' ? <ErrorBox error={me.error} /> : <Loading />;
  const can = (p: string): boolean => me.data.permissions.includes(p);
  const tabs: readonly Tab[] = [
    ...(can('exchange.admin') ? (['members', 'grants'] as const) : []),
    ...(can('consent.manage') ? (['consents'] as const) : []),
    ...(can('identity.admin') ? (['officers'] as const) : []),
  ];
  const current = tab !== null && tabs.includes(tab) ? tab : tabs[0];
  const tabLabel: Record<Tab, string> = { members: w.tabMembers, grants: w.tabGrants, consents: w.tabConsents, officers: w.tabOfficers };

  return (
    <div className="page admin-page" data-testid="exchange-admin">
      <section className="panel">
        <h1>{w.exTitle}</h1>
        <p className="muted">{w.exHelp}</p>
        {current === undefined ? <p className="alert" data-testid="exchange-admin-forbidden">{w.exForbidden}</p> : (
          <p className="status-tabs" role="tablist" aria-label={w.exTitle}>
            {tabs.map((k) => (
              <button key={k} type="button" role="tab" aria-selected={k === current} className={k === current ? 'tab current' : 'tab'} onClick={() => { setTab(k); setError(null); setNotice(null); }} data-testid={`tab-${k}`}>{tabLabel[k]}</button>
            ))}
          </p>
        )}
      </section>
      {error !== null && <ErrorBox error={error} />}
      {notice !== null && <p className="notice" role="status" data-testid="admin-done">{notice}</p>}
      {current === 'members' && <MembersTab w={w} version={version} act={act} lang={lang} />}
      {current === 'grants' && <GrantsTab w={w} version={version} act={act} lang={lang} onError={setError} />}
      {current === 'consents' && <ConsentsTab w={w} version={version} act={act} lang={lang} onError={setError} />}
      {current === 'officers' && <OfficersTab w={w} version={version} act={act} lang={lang} roleName={(r) => { const key = `role_${r}`; return t(key as Parameters<typeof t>[0]) || r; }} />}
    </div>
  );
}

function keyIds(jwks: Jwks): string {
  return jwks.keys.map((k) => (typeof k.kid === 'string' ? k.kid : typeof k.kty === 'string' ? k.kty : '?')).join(', ');
}

function parseJwks(text: string): Jwks | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys) && (value as Jwks).keys.length > 0) return value as Jwks;
  } catch {
    // Not JSON: said below.
  }
  return null;
}

function MembersTab({ w, version, act, lang }: { readonly w: Words; readonly version: number; readonly act: Act; readonly lang: 'vi' | 'en' }): ReactNode {
  const members = useApi<ItemList<ExchangeMember>>(`/api/exchange/members?v=${String(version)}`);
  const [keysFor, setKeysFor] = useState<string | null>(null);
  const [keysText, setKeysText] = useState('');
  const [keysProblem, setKeysProblem] = useState<string | null>(null);
  const [officer, setOfficer] = useState<Record<string, { id: string; name: string }>>({});
  // A new subsystem of an existing member (a bank's second system): its code, name and public keys.
  const [client, setClient] = useState<Record<string, { code: string; name: string; jwks: string }>>({});
  const [clientProblem, setClientProblem] = useState<{ memberId: string; text: string } | null>(null);
  const [onboard, setOnboard] = useState({ memberId: '', name: '', kind: 'ministry', subsystem: '', subsystemName: '', jwks: '' });
  const [onboardProblem, setOnboardProblem] = useState<string | null>(null);

  if (members.state !== 'ok') return members.state === 'error' ? <ErrorBox error={members.error} /> : <Loading />;

  function submitOnboard(e: SubmitEvent<HTMLFormElement>): void {
    e.preventDefault();
    const jwks = parseJwks(onboard.jwks);
    if (jwks === null) { setOnboardProblem(w.jwksInvalid); return; }
    setOnboardProblem(null);
    void act('POST', '/api/exchange/members', { memberId: onboard.memberId.trim(), name: onboard.name.trim(), kind: onboard.kind, subsystems: [{ code: onboard.subsystem.trim(), name: onboard.subsystemName.trim() || onboard.subsystem.trim(), jwks }], officers: [] });
  }

  return (
    <>
      <section className="panel">
        <h2>{w.tabMembers}</h2>
        {members.data.items.length === 0 && <p className="muted">{w.none}</p>}
        {members.data.items.map((m) => (
          <article key={m.memberId} className="admin-card" data-testid="member">
            <h3>{m.name} <span className="muted small mono">{m.memberId}</span></h3>
            <p className="muted small">{word(w, `kind_${m.kind}`)} · {word(w, `status_${m.status}`)} · {formatDate(lang, m.createdAt.slice(0, 10))}</p>
            <h4>{w.subsystems}</h4>
            <div className="table-scroll" tabIndex={0} role="region" aria-label={`${w.subsystems} ${m.name}`}>
              <table className="table">
                <thead><tr><th>{w.name}</th><th>{w.keyIds}</th><th>{w.status}</th><th>{w.actions}</th></tr></thead>
                <tbody>
                  {m.clients.map((c) => (
                    <tr key={c.clientId} data-testid="client-row">
                      <td>{c.name}<div className="muted small mono">{c.clientId}</div></td>
                      <td className="mono small">{keyIds(c.jwks)}</td>
                      <td data-testid="client-status">{word(w, `status_${c.status}`)}</td>
                      <td>
                        <button type="button" data-testid="client-status-toggle" onClick={() => void act('PUT', `/api/exchange/clients/${segments(c.clientId)}/status`, { status: c.status === 'active' ? 'suspended' : 'active' })}>{c.status === 'active' ? w.suspend : w.reinstate}</button>{' '}
                        <button type="button" data-testid="client-keys" aria-expanded={keysFor === c.clientId} onClick={() => { setKeysFor(keysFor === c.clientId ? null : c.clientId); setKeysText(JSON.stringify(c.jwks, null, 1)); setKeysProblem(null); }}>{w.replaceKeys}</button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {keysFor !== null && m.clients.some((c) => c.clientId === keysFor) && (
              <form className="admin-form" onSubmit={(e) => {
                e.preventDefault();
                const jwks = parseJwks(keysText);
                if (jwks === null) { setKeysProblem(w.jwksInvalid); return; }
                setKeysProblem(null);
                void act('PUT', `/api/exchange/clients/${segments(keysFor)}/keys`, jwks).then((ok) => { if (ok !== undefined) setKeysFor(null); });
              }}>
                <label htmlFor="jwks-edit">{w.jwks} · <span className="mono">{keysFor}</span></label>
                <textarea id="jwks-edit" rows={6} value={keysText} onChange={(e) => { setKeysText(e.target.value); }} data-testid="jwks-edit" />
                {keysProblem !== null && <p className="field-error" role="alert" data-testid="jwks-problem">{keysProblem}</p>}
                <button type="submit" data-testid="jwks-save">{w.save}</button>
              </form>
            )}
            <details className="add-subsystem" data-testid="subsystem-add-open">
              <summary>{w.addSubsystem}</summary>
              <form className="admin-form" onSubmit={(e) => {
                e.preventDefault();
                const draft = client[m.memberId] ?? { code: '', name: '', jwks: '' };
                const jwks = parseJwks(draft.jwks);
                if (jwks === null) { setClientProblem({ memberId: m.memberId, text: w.jwksInvalid }); return; }
                setClientProblem(null);
                void act('POST', `/api/exchange/members/${segments(m.memberId)}/clients`, { subsystem: draft.code.trim(), name: draft.name.trim() || draft.code.trim(), jwks })
                  .then((ok) => { if (ok !== undefined) setClient({ ...client, [m.memberId]: { code: '', name: '', jwks: '' } }); });
              }}>
                <label>{w.subsystem} <input required value={client[m.memberId]?.code ?? ''} onChange={(e) => { setClient({ ...client, [m.memberId]: { ...(client[m.memberId] ?? { name: '', jwks: '' }), code: e.target.value } }); }} data-testid="subsystem-code" /></label>
                <label>{w.subsystemName} <input value={client[m.memberId]?.name ?? ''} onChange={(e) => { setClient({ ...client, [m.memberId]: { ...(client[m.memberId] ?? { code: '', jwks: '' }), name: e.target.value } }); }} data-testid="subsystem-name" /></label>
                <label>{w.jwks} <textarea required rows={4} value={client[m.memberId]?.jwks ?? ''} onChange={(e) => { setClient({ ...client, [m.memberId]: { ...(client[m.memberId] ?? { code: '', name: '' }), jwks: e.target.value } }); }} data-testid="subsystem-jwks" /></label>
                {clientProblem?.memberId === m.memberId && <p className="field-error" role="alert" data-testid="subsystem-problem">{clientProblem.text}</p>}
                <button type="submit" data-testid="subsystem-submit">{w.addSubsystem}</button>
              </form>
            </details>
            <h4>{w.memberOfficers}</h4>
            <ul className="plain-list">
              {m.officers.map((o) => (
                <li key={o.officerId} data-testid="member-officer">
                  {o.name} <span className="muted small mono">{o.officerId}</span> · {word(w, `status_${o.status}`)}{' '}
                  <button type="button" className="small" onClick={() => void act('PUT', `/api/exchange/members/${segments(m.memberId)}/officers/${encodeURIComponent(o.officerId)}/status`, { status: o.status === 'active' ? 'suspended' : 'active' })}>{o.status === 'active' ? w.suspend : w.reinstate}</button>
                </li>
              ))}
            </ul>
            <form className="form-row" onSubmit={(e) => {
              e.preventDefault();
              const draft = officer[m.memberId] ?? { id: '', name: '' };
              void act('POST', `/api/exchange/members/${segments(m.memberId)}/officers`, { officerId: draft.id.trim(), name: draft.name.trim() }).then((ok) => { if (ok !== undefined) setOfficer({ ...officer, [m.memberId]: { id: '', name: '' } }); });
            }}>
              <label>{w.officerId} <input required value={officer[m.memberId]?.id ?? ''} onChange={(e) => { setOfficer({ ...officer, [m.memberId]: { id: e.target.value, name: officer[m.memberId]?.name ?? '' } }); }} data-testid="member-officer-id" /></label>
              <label>{w.displayName} <input required value={officer[m.memberId]?.name ?? ''} onChange={(e) => { setOfficer({ ...officer, [m.memberId]: { id: officer[m.memberId]?.id ?? '', name: e.target.value } }); }} data-testid="member-officer-name" /></label>
              <button type="submit" data-testid="member-officer-add">{w.addOfficer}</button>
            </form>
          </article>
        ))}
      </section>
      <section className="panel">
        <h2>{w.onboard}</h2>
        <p className="muted">{w.onboardHelp}</p>
        <form className="admin-form" onSubmit={submitOnboard}>
          <label>{w.memberId} <input required value={onboard.memberId} placeholder="VN/GOV/BTC" onChange={(e) => { setOnboard({ ...onboard, memberId: e.target.value }); }} data-testid="onboard-id" /></label>
          <label>{w.name} <input required value={onboard.name} onChange={(e) => { setOnboard({ ...onboard, name: e.target.value }); }} data-testid="onboard-name" /></label>
          <label>{w.memberKind} <select value={onboard.kind} onChange={(e) => { setOnboard({ ...onboard, kind: e.target.value }); }}>{memberKinds.map((k) => <option key={k} value={k}>{word(w, `kind_${k}`)}</option>)}</select></label>
          <label>{w.subsystem} <input required value={onboard.subsystem} onChange={(e) => { setOnboard({ ...onboard, subsystem: e.target.value }); }} data-testid="onboard-subsystem" /></label>
          <label>{w.name} ({w.subsystem}) <input value={onboard.subsystemName} onChange={(e) => { setOnboard({ ...onboard, subsystemName: e.target.value }); }} /></label>
          <label>{w.jwks} <textarea required rows={4} value={onboard.jwks} onChange={(e) => { setOnboard({ ...onboard, jwks: e.target.value }); }} data-testid="onboard-jwks" /></label>
          {onboardProblem !== null && <p className="field-error" role="alert" data-testid="onboard-problem">{onboardProblem}</p>}
          <button type="submit" data-testid="onboard-submit">{w.onboard}</button>
        </form>
      </section>
    </>
  );
}

function GrantsTab({ w, version, act, lang, onError }: { readonly w: Words; readonly version: number; readonly act: Act; readonly lang: 'vi' | 'en'; readonly onError: (e: ApiError | null) => void }): ReactNode {
  const grants = useApi<ItemList<Grant>>(`/api/exchange/grants?v=${String(version)}`);
  const members = useApi<ItemList<ExchangeMember>>('/api/exchange/members');
  const catalog = useApi<Catalog>('/x/catalog');
  // Today's provinces by name: a changes grant may be limited to some of them.
  const provinces = useApi<{ readonly provinces: readonly Province[] }>('/api/admin-units/provinces');
  const [draft, setDraft] = useState({ clientId: '', service: 'verify', fields: [] as string[], provinces: [] as string[], purposeCode: '', purposeText: '', legalBasis: '', validUntil: '', ratePerMinute: '600', dailyCap: '100000' });
  const [problem, setProblem] = useState<string | null>(null);
  const clients = members.state === 'ok' ? members.data.items.flatMap((m) => m.clients) : [];
  const serviceFields = catalog.state === 'ok' ? catalog.data.services.find((s) => s.name === draft.service)?.fields ?? [] : [];
  const provinceList = provinces.state === 'ok' ? provinces.data.provinces : [];
  // Only the changes service is limited by province (GRANT_PROVINCES_NOT_APPLICABLE otherwise).
  const byProvince = draft.service === 'changes';

  function submit(e: SubmitEvent<HTMLFormElement>): void {
    e.preventDefault();
    const until = parseDateInput(draft.validUntil);
    if (!until.ok || until.iso.length !== 10) { setProblem(`${w.validUntil}: dd/mm/yyyy`); return; }
    if (draft.fields.length === 0) { setProblem(w.chooseFields); return; }
    setProblem(null);
    onError(null);
    void act('POST', '/api/exchange/grants', {
      clientId: draft.clientId || clients[0]?.clientId || '', service: draft.service, fields: draft.fields,
      ...(byProvince ? { provinces: draft.provinces } : {}),
      purposes: [{ code: draft.purposeCode.trim(), text: draft.purposeText.trim() }], legalBasis: draft.legalBasis.trim(),
      validUntil: until.iso, ratePerMinute: Number(draft.ratePerMinute), dailyCap: Number(draft.dailyCap),
    });
  }

  return (
    <>
      <section className="panel">
        <h2>{w.tabGrants}</h2>
        {grants.state === 'loading' && <Loading />}
        {grants.state === 'error' && <ErrorBox error={grants.error} />}
        {grants.state === 'ok' && grants.data.items.length === 0 && <p className="muted">{w.none}</p>}
        {grants.state === 'ok' && grants.data.items.length > 0 && (
          <div className="table-scroll" tabIndex={0} role="region" aria-label={w.tabGrants}>
            <table className="table grants" data-testid="grants-table">
              <thead><tr><th>{w.grantClient}</th><th>{w.service}</th><th>{w.grantProvinces}</th><th>{w.fields}</th><th>{w.purpose}</th><th>{w.validPeriod}</th><th>{w.status}</th><th>{w.actions}</th></tr></thead>
              <tbody>
                {grants.data.items.map((g) => (
                  <tr key={g.grantId} data-testid="grant-row">
                    <td className="mono small">{g.clientId}</td>
                    <td className="grant-service">{g.service}</td>
                    <td className="small" data-testid="grant-provinces"><GrantProvinces codes={g.provinces} list={provinceList} every={w.everyProvince} /></td>
                    <td className="small">{g.fields.join(', ')}</td>
                    <td className="small">{g.purposes.map((p) => p.text).join('; ')}<div className="muted">{g.legalBasis}</div></td>
                    <td className="small">{formatDate(lang, g.validFrom.slice(0, 10))} → {formatDate(lang, g.validUntil.slice(0, 10))}<div className="muted">{g.ratePerMinute} {w.perMinute} · {g.dailyCap} {w.perDay}</div></td>
                    <td data-testid="grant-status">{word(w, `status_${g.status}`)}</td>
                    <td>{g.status === 'active' && <button type="button" data-testid="grant-revoke" onClick={() => void act('POST', `/api/exchange/grants/${encodeURIComponent(g.grantId)}/revoke`, undefined)}>{w.revoke}</button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel">
        <h2>{w.addGrant}</h2>
        <form className="admin-form" onSubmit={submit}>
          <label>{w.grantClient} <select value={draft.clientId || clients[0]?.clientId || ''} onChange={(e) => { setDraft({ ...draft, clientId: e.target.value }); }} data-testid="grant-client">{clients.map((c) => <option key={c.clientId} value={c.clientId}>{c.name} ({c.clientId})</option>)}</select></label>
          <label>{w.service} <select value={draft.service} onChange={(e) => { setDraft({ ...draft, service: e.target.value, fields: [], provinces: [] }); }} data-testid="grant-service">{(catalog.state === 'ok' ? catalog.data.services : []).map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}</select></label>
          <fieldset>
            <legend>{w.fields}</legend>
            {serviceFields.map((f) => (
              <label key={f} className="check"><input type="checkbox" checked={draft.fields.includes(f)} onChange={(e) => { setDraft({ ...draft, fields: e.target.checked ? [...draft.fields, f] : draft.fields.filter((x) => x !== f) }); }} data-testid="grant-field" /> {f}</label>
            ))}
          </fieldset>
          {byProvince && (
            <fieldset className="province-choices" data-testid="grant-provinces-choice" aria-describedby="grant-provinces-help">
              <legend>{w.grantProvinces}</legend>
              <p id="grant-provinces-help" className="muted small">{w.grantProvincesHelp}</p>
              {provinces.state === 'loading' && <Loading />}
              {provinces.state === 'error' && <ErrorBox error={provinces.error} />}
              {provinceList.map((p) => (
                <label key={p.code} className="check">
                  <input type="checkbox" value={p.code} checked={draft.provinces.includes(p.code)} onChange={(e) => { setDraft({ ...draft, provinces: e.target.checked ? [...draft.provinces, p.code] : draft.provinces.filter((x) => x !== p.code) }); }} data-testid="grant-province" />
                  <span>{p.name}<span className="muted small unit-code">{p.code}</span></span>
                </label>
              ))}
            </fieldset>
          )}
          <label>{w.purposeCode} <input required value={draft.purposeCode} onChange={(e) => { setDraft({ ...draft, purposeCode: e.target.value }); }} data-testid="grant-purpose-code" /></label>
          <label>{w.purpose} <input required value={draft.purposeText} onChange={(e) => { setDraft({ ...draft, purposeText: e.target.value }); }} data-testid="grant-purpose" /></label>
          <label>{w.legalBasis} <input required value={draft.legalBasis} onChange={(e) => { setDraft({ ...draft, legalBasis: e.target.value }); }} data-testid="grant-legal" /></label>
          <label>{w.validUntil} <input required value={draft.validUntil} placeholder="31/12/2027" onChange={(e) => { setDraft({ ...draft, validUntil: e.target.value }); }} data-testid="grant-until" /></label>
          <label>{w.perMinute} <input type="number" min={1} required value={draft.ratePerMinute} onChange={(e) => { setDraft({ ...draft, ratePerMinute: e.target.value }); }} /></label>
          <label>{w.perDay} <input type="number" min={1} required value={draft.dailyCap} onChange={(e) => { setDraft({ ...draft, dailyCap: e.target.value }); }} /></label>
          {problem !== null && <p className="field-error" role="alert" data-testid="grant-problem">{problem}</p>}
          <button type="submit" data-testid="grant-submit">{w.addGrant}</button>
        </form>
      </section>
    </>
  );
}

/** A grant's provinces by name, each code beneath; none: every province. A code no longer in force shows as itself. */
function GrantProvinces({ codes, list, every }: { readonly codes: readonly string[]; readonly list: readonly Province[]; readonly every: string }): ReactNode {
  if (codes.length === 0) return every;
  return (
    <ul className="plain-list grant-provinces">
      {codes.map((code) => <li key={code}>{list.find((p) => p.code === code)?.name ?? code}<div className="muted">{code}</div></li>)}
    </ul>
  );
}

interface AdminAction { readonly actionId: string; readonly at: string; readonly actorId: string; readonly action: string; readonly detail: Readonly<Record<string, string>> }
const spanUnits = ['HOUR', 'DAY', 'MONTH', 'YEAR'] as const;

/** The administration log of one subject (a consent, an officer): what was done, when, by whom, under which law. */
function History({ w, path, lang, roleName }: { readonly w: Words; readonly path: string; readonly lang: 'vi' | 'en'; readonly roleName?: (role: string) => string }): ReactNode {
  const actions = useApi<ItemList<AdminAction>>(path);
  const names = useOfficerNames(actions.state === 'ok' ? actions.data.items.map((a) => a.actorId) : []);
  if (actions.state !== 'ok') return actions.state === 'error' ? <ErrorBox error={actions.error} /> : <Loading />;
  const nameOf = (id: string): string => names.get(id) ?? id;
  const role = (r: string | undefined): string => (r === undefined ? '' : roleName?.(r) ?? r);
  return (
    <div data-testid="admin-history">
      <h4>{w.historyTitle}</h4>
      {actions.data.items.length === 0 ? <p className="muted">{w.none}</p> : (
        <ul className="plain-list">
          {actions.data.items.map((a) => (
            <li key={a.actionId} data-testid="admin-history-item">
              {formatInstant(lang, a.at)} · <strong>{word(w, `act_${a.action.replace('.', '_')}`)}</strong> {w.by} {nameOf(a.actorId)}
              {a.detail.legalBasis !== undefined && <> · {w.legalBasis}: {a.detail.legalBasis}</>}
              {a.detail.role !== undefined && <> · {role(a.detail.fromRole)} → {role(a.detail.role)}{a.detail.unitCode === undefined ? '' : ` (${a.detail.unitCode})`}</>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ConsentsTab({ w, version, act, lang, onError }: { readonly w: Words; readonly version: number; readonly act: Act; readonly lang: 'vi' | 'en'; readonly onError: (e: ApiError | null) => void }): ReactNode {
  const [typed, setTyped] = useState('');
  const [citizen, setCitizen] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  const consents = useApi<ItemList<Consent>>(citizen === null ? null : `/api/exchange/consents?citizen=${citizen}&v=${String(version)}`);
  const members = useApi<ItemList<ExchangeMember>>('/api/exchange/members');
  const clients = members.state === 'ok' ? members.data.items.flatMap((m) => m.clients) : [];
  const [draft, setDraft] = useState({ dataUser: '', purposeCode: '', purposeText: '', fields: '', lifeValue: '30', lifeUnit: 'DAY', freqValue: '1', freqUnit: 'DAY', expiry: '', legalBasis: '' });
  const [formProblem, setFormProblem] = useState<string | null>(null);

  function record(e: SubmitEvent<HTMLFormElement>): void {
    e.preventDefault();
    const id = citizen ?? cleanIdNumber(typed);
    if (id === null) { setFormProblem(w.consentNeedsCitizen); return; }
    const expiry = parseDateInput(draft.expiry);
    if (!expiry.ok || expiry.iso.length !== 10) { setFormProblem(`${w.expiryDate}: dd/mm/yyyy`); return; }
    if (draft.legalBasis.trim().length < 3) { setFormProblem(w.consentNeedsBasis); return; }
    setFormProblem(null);
    onError(null);
    setCitizen(id);
    void act('POST', '/api/exchange/consents', {
      citizen: id, dataUser: draft.dataUser || clients[0]?.clientId || '', purposeCode: draft.purposeCode.trim(), purposeText: draft.purposeText.trim(),
      fields: draft.fields.split(',').map((f) => f.trim()).filter((f) => f !== ''),
      dataLife: { unit: draft.lifeUnit, value: Number(draft.lifeValue) }, frequency: { unit: draft.freqUnit, value: Number(draft.freqValue) },
      expiry: expiry.iso, legalBasis: draft.legalBasis.trim(),
    });
  }

  return (
    <>
      <section className="panel">
        <h2>{w.tabConsents}</h2>
        <form className="form-row" onSubmit={(e) => {
          e.preventDefault();
          const id = cleanIdNumber(typed);
          if (id === null) { setProblem(`${w.citizen}: 12`); return; }
          setProblem(null);
          onError(null);
          setCitizen(id);
        }}>
          <label>{w.citizen} <input value={typed} inputMode="numeric" onChange={(e) => { setTyped(e.target.value); }} data-testid="consent-citizen" /></label>
          <button type="submit" data-testid="consent-find">{w.findConsents}</button>
        </form>
        {problem !== null && <p className="field-error" role="alert">{problem}</p>}
        {consents.state === 'loading' && <Loading />}
        {consents.state === 'error' && <ErrorBox error={consents.error} />}
        {consents.state === 'ok' && consents.data.items.length === 0 && <p className="muted" data-testid="consents-empty">{w.none}</p>}
        {consents.state === 'ok' && consents.data.items.length > 0 && (
          <div className="table-scroll" tabIndex={0} role="region" aria-label={w.tabConsents}>
            <table className="table" data-testid="consents-table">
              <thead><tr><th>{w.dataUser}</th><th>{w.purpose}</th><th>{w.fields}</th><th>{w.expiry}</th><th>{w.status}</th><th>{w.actions}</th></tr></thead>
              <tbody>
                {consents.data.items.map((c) => (
                  <tr key={c.artefact.consentId} data-testid="consent-row">
                    <td className="mono small">{c.artefact.dataUser}</td>
                    <td>{c.artefact.purpose.text}</td>
                    <td className="small">{c.artefact.fields.join(', ')}</td>
                    <td>{formatDate(lang, c.artefact.expiry.slice(0, 10))}</td>
                    <td data-testid="consent-status">{word(w, `status_${c.status}`)}</td>
                    <td>
                      {c.status === 'ACTIVE' && <button type="button" onClick={() => void act('POST', `/api/exchange/consents/${encodeURIComponent(c.artefact.consentId)}/pause`, undefined)} data-testid="consent-pause">{w.pause}</button>}
                      {c.status === 'PAUSED' && <button type="button" onClick={() => void act('POST', `/api/exchange/consents/${encodeURIComponent(c.artefact.consentId)}/resume`, undefined)} data-testid="consent-resume">{w.resume}</button>}{' '}
                      {(c.status === 'ACTIVE' || c.status === 'PAUSED') && <button type="button" onClick={() => void act('POST', `/api/exchange/consents/${encodeURIComponent(c.artefact.consentId)}/revoke`, undefined)} data-testid="consent-revoke">{w.withdraw}</button>}{' '}
                      <button type="button" aria-expanded={historyOf === c.artefact.consentId} onClick={() => { setHistoryOf(historyOf === c.artefact.consentId ? null : c.artefact.consentId); }} data-testid="consent-history">{w.history}</button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {historyOf !== null && <History w={w} lang={lang} path={`/api/exchange/consents/${encodeURIComponent(historyOf)}/history?v=${String(version)}`} />}
      </section>
      <section className="panel">
        <h2>{w.recordConsent}</h2>
        <p className="muted">{w.recordConsentHelp}</p>
        <form className="admin-form" onSubmit={record} data-testid="consent-form">
          <label>{w.citizen} <input value={citizen ?? typed} inputMode="numeric" onChange={(e) => { setTyped(e.target.value); setCitizen(null); }} data-testid="consent-form-citizen" /></label>
          <label>{w.dataUser} <select value={draft.dataUser || clients[0]?.clientId || ''} onChange={(e) => { setDraft({ ...draft, dataUser: e.target.value }); }} data-testid="consent-data-user">{clients.map((c) => <option key={c.clientId} value={c.clientId}>{c.name} ({c.clientId})</option>)}</select></label>
          <label>{w.purposeCode} <input required value={draft.purposeCode} placeholder="ACCOUNT_OPENING" onChange={(e) => { setDraft({ ...draft, purposeCode: e.target.value }); }} data-testid="consent-purpose-code" /></label>
          <label>{w.purpose} <input required value={draft.purposeText} onChange={(e) => { setDraft({ ...draft, purposeText: e.target.value }); }} data-testid="consent-purpose" /></label>
          <label>{w.consentFields} <input required value={draft.fields} placeholder="fullName, birthDate" onChange={(e) => { setDraft({ ...draft, fields: e.target.value }); }} data-testid="consent-fields" /></label>
          <fieldset>
            <legend>{w.dataLife}</legend>
            <input type="number" min={1} required aria-label={w.dataLife} value={draft.lifeValue} onChange={(e) => { setDraft({ ...draft, lifeValue: e.target.value }); }} />{' '}
            <select aria-label={`${w.dataLife} (${w.span_DAY})`} value={draft.lifeUnit} onChange={(e) => { setDraft({ ...draft, lifeUnit: e.target.value }); }}>{spanUnits.map((u) => <option key={u} value={u}>{word(w, `span_${u}`)}</option>)}</select>
          </fieldset>
          <fieldset>
            <legend>{w.frequency}</legend>
            <input type="number" min={1} required aria-label={w.frequency} value={draft.freqValue} onChange={(e) => { setDraft({ ...draft, freqValue: e.target.value }); }} />{' '}
            <select aria-label={`${w.frequency} (${w.span_DAY})`} value={draft.freqUnit} onChange={(e) => { setDraft({ ...draft, freqUnit: e.target.value }); }}>{spanUnits.map((u) => <option key={u} value={u}>{word(w, `span_${u}`)}</option>)}</select>
          </fieldset>
          <label>{w.expiryDate} <input required value={draft.expiry} placeholder="31/12/2027" onChange={(e) => { setDraft({ ...draft, expiry: e.target.value }); }} data-testid="consent-expiry" /></label>
          <label>{w.consentLegalBasis} <input value={draft.legalBasis} placeholder="Nghị định 13/2023/NĐ-CP, Điều 11" onChange={(e) => { setDraft({ ...draft, legalBasis: e.target.value }); }} data-testid="consent-legal" /></label>
          {formProblem !== null && <p className="field-error" role="alert" data-testid="consent-problem">{formProblem}</p>}
          <button type="submit" data-testid="consent-submit">{w.recordConsent}</button>
        </form>
      </section>
    </>
  );
}

function OfficersTab({ w, version, act, lang, roleName }: { readonly w: Words; readonly version: number; readonly act: Act; readonly lang: 'vi' | 'en'; readonly roleName: (role: string) => string }): ReactNode {
  const officers = useApi<ItemList<ConsoleOfficer>>(`/api/identity/officers?v=${String(version)}`);
  const [draft, setDraft] = useState({ username: '', displayName: '', role: 'registry_clerk', level: 'commune', code: '' });
  const [token, setToken] = useState<string | null>(null);
  // One officer's open form: a role change, a second-factor reset, or the log.
  const [open, setOpen] = useState<{ readonly officerId: string; readonly form: 'role' | 'reset' | 'history' } | null>(null);
  const [roleDraft, setRoleDraft] = useState({ role: 'registry_clerk', level: 'commune', code: '' });
  const [resetToken, setResetToken] = useState<{ readonly officerId: string; readonly token: string } | null>(null);
  const provinces = useApi<{ readonly provinces: readonly { readonly code: string; readonly name: string }[] }>('/api/admin-units/provinces');
  const provinceName = (code: string): string | undefined => (provinces.state === 'ok' ? provinces.data.provinces.find((p) => p.code === code)?.name : undefined);
  const unitText = (u: ConsoleOfficer['unit']): ReactNode => {
    if (u.level === 'nation' || u.code === undefined) return word(w, `level_${u.level}`);
    if (u.level === 'province') return <>{provinceName(u.code) ?? `${word(w, 'level_province')} ${u.code}`}<div className="muted small">{u.code}</div></>;
    return <CommuneName code={u.code} />;
  };
  const toggle = (officerId: string, form: 'role' | 'reset' | 'history', o?: ConsoleOfficer): void => {
    setOpen(open?.officerId === officerId && open.form === form ? null : { officerId, form });
    if (o !== undefined) setRoleDraft({ role: o.role, level: o.unit.level, code: o.unit.code ?? '' });
  };
  return (
    <>
      <section className="panel">
        <h2>{w.tabOfficers}</h2>
        {officers.state === 'loading' && <Loading />}
        {officers.state === 'error' && <ErrorBox error={officers.error} />}
        {officers.state === 'ok' && (
          <div className="table-scroll" tabIndex={0} role="region" aria-label={w.tabOfficers}>
            <table className="table" data-testid="officers-table">
              <thead><tr><th>{w.displayName}</th><th>{w.role}</th><th>{w.unit}</th><th>{w.lastSignIn}</th><th>{w.status}</th><th>{w.actions}</th></tr></thead>
              <tbody>
                {officers.data.items.flatMap((o) => [
                  <tr key={o.officerId} data-testid="officer-row">
                    <td>{o.displayName}<div className="muted small mono">{o.username}</div></td>
                    <td>{roleName(o.role)}</td>
                    <td data-testid="officer-unit">{unitText(o.unit)}</td>
                    <td className="small">{o.lastSignInAt === null ? '—' : formatInstant(lang, o.lastSignInAt)}</td>
                    <td data-testid="officer-status">{word(w, `status_${o.status}`)}{o.lockedUntil !== null && <div className="muted small">{w.lockedUntil} {formatInstant(lang, o.lockedUntil)}</div>}</td>
                    <td>
                      <button type="button" data-testid="officer-status-toggle" onClick={() => void act('POST', `/api/identity/officers/${encodeURIComponent(o.officerId)}/${o.status === 'active' ? 'suspend' : 'reactivate'}`, undefined)}>{o.status === 'active' ? w.suspend : w.reactivate}</button>
                      {o.lockedUntil !== null && <button type="button" onClick={() => void act('POST', `/api/identity/officers/${encodeURIComponent(o.officerId)}/unlock`, undefined)}>{w.unlock}</button>}{' '}
                      <button type="button" aria-expanded={open?.officerId === o.officerId && open.form === 'role'} onClick={() => { toggle(o.officerId, 'role', o); }} data-testid="officer-role-open">{w.changeRole}</button>{' '}
                      <button type="button" aria-expanded={open?.officerId === o.officerId && open.form === 'reset'} onClick={() => { toggle(o.officerId, 'reset'); }} data-testid="officer-reset-open">{w.resetTotp}</button>{' '}
                      <button type="button" aria-expanded={open?.officerId === o.officerId && open.form === 'history'} onClick={() => { toggle(o.officerId, 'history'); }} data-testid="officer-history">{w.history}</button>
                    </td>
                  </tr>,
                  open?.officerId === o.officerId ? (
                    <tr key={`${o.officerId}-form`} className="row-form">
                      <td colSpan={6}>
                        {open.form === 'role' && (
                          <form className="admin-form" data-testid="officer-role-form" onSubmit={(e) => {
                            e.preventDefault();
                            const unit = roleDraft.level === 'nation' ? { level: 'nation' } : { level: roleDraft.level, code: roleDraft.code.trim() };
                            void act('POST', `/api/identity/officers/${encodeURIComponent(o.officerId)}/role`, { role: roleDraft.role, unit }).then((ok) => { if (ok !== undefined) setOpen(null); });
                          }}>
                            <p className="muted">{w.changeRoleHelp}</p>
                            <label>{w.role} <select value={roleDraft.role} onChange={(e) => { setRoleDraft({ ...roleDraft, role: e.target.value }); }} data-testid="officer-role-select">{consoleRoles.map((r) => <option key={r} value={r}>{roleName(r)}</option>)}</select></label>
                            <label>{w.unit} <select value={roleDraft.level} onChange={(e) => { setRoleDraft({ ...roleDraft, level: e.target.value }); }} data-testid="officer-level-select">{(['nation', 'province', 'commune'] as const).map((l) => <option key={l} value={l}>{word(w, `level_${l}`)}</option>)}</select></label>
                            {roleDraft.level !== 'nation' && <label>{w.unitCode} <input required value={roleDraft.code} onChange={(e) => { setRoleDraft({ ...roleDraft, code: e.target.value }); }} data-testid="officer-code-input" /></label>}
                            <button type="submit" data-testid="officer-role-save">{w.save}</button>
                          </form>
                        )}
                        {open.form === 'reset' && (
                          <div className="admin-form" data-testid="officer-reset-form">
                            <p className="muted">{w.resetTotpHelp}</p>
                            <button type="button" data-testid="officer-reset-confirm" onClick={() => void act('POST', `/api/identity/officers/${encodeURIComponent(o.officerId)}/reset-second-factor`, undefined).then((made) => {
                              const enrolment = made as { enrolmentToken?: string } | undefined;
                              if (enrolment?.enrolmentToken !== undefined) { setResetToken({ officerId: o.officerId, token: enrolment.enrolmentToken }); setOpen(null); }
                            })}>{w.resetTotpConfirm}</button>
                          </div>
                        )}
                        {open.form === 'history' && <History w={w} lang={lang} roleName={roleName} path={`/api/identity/officers/${encodeURIComponent(o.officerId)}/history?v=${String(version)}`} />}
                      </td>
                    </tr>
                  ) : null,
                ])}
              </tbody>
            </table>
          </div>
        )}
        {resetToken !== null && <p className="notice" data-testid="reset-token">{w.enrolmentToken}: <code>{resetToken.token}</code></p>}
      </section>
      <section className="panel">
        <h2>{w.createOfficer}</h2>
        <form className="admin-form" onSubmit={(e) => {
          e.preventDefault();
          const unit = draft.level === 'nation' ? { level: 'nation' } : { level: draft.level, code: draft.code.trim() };
          void act('POST', '/api/identity/officers', { username: draft.username.trim(), displayName: draft.displayName.trim(), role: draft.role, unit }).then((made) => {
            const enrolment = made as { enrolmentToken?: string } | undefined;
            setToken(enrolment?.enrolmentToken ?? null);
          });
        }}>
          <label>{w.username} <input required value={draft.username} onChange={(e) => { setDraft({ ...draft, username: e.target.value }); }} data-testid="new-officer-username" /></label>
          <label>{w.displayName} <input required value={draft.displayName} onChange={(e) => { setDraft({ ...draft, displayName: e.target.value }); }} data-testid="new-officer-name" /></label>
          <label>{w.role} <select value={draft.role} onChange={(e) => { setDraft({ ...draft, role: e.target.value }); }} data-testid="new-officer-role">{consoleRoles.map((r) => <option key={r} value={r}>{roleName(r)}</option>)}</select></label>
          <label>{w.unit} <select value={draft.level} onChange={(e) => { setDraft({ ...draft, level: e.target.value }); }} data-testid="new-officer-level">{(['nation', 'province', 'commune'] as const).map((l) => <option key={l} value={l}>{word(w, `level_${l}`)}</option>)}</select></label>
          {draft.level !== 'nation' && <label>{w.unitCode} <input required value={draft.code} onChange={(e) => { setDraft({ ...draft, code: e.target.value }); }} data-testid="new-officer-code" /></label>}
          <button type="submit" data-testid="new-officer-submit">{w.createOfficer}</button>
        </form>
        {token !== null && <p className="notice" data-testid="enrolment-token">{w.enrolmentToken}: <code>{token}</code></p>}
      </section>
    </>
  );
}

/** A commune by its name and province, the code beneath; the code until the name arrives. */
function CommuneName({ code }: { readonly code: string }): ReactNode {
  const commune = useApi<{ readonly name: string; readonly provinceName: string }>(`/api/admin-units/communes/${encodeURIComponent(code)}`);
  if (commune.state !== 'ok') return code;
  return <>{commune.data.name}, {commune.data.provinceName}<div className="muted small">{code}</div></>;
}
