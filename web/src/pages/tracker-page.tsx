import { useEffect, useState, type ReactNode, type SubmitEvent } from 'react';
import type { AccessRecord, AccessTrackerPage } from '../api.js';
import { ErrorBox, Loading } from '../components.js';
import { useApi, useConsole } from '../context.js';
import { cleanIdNumber, formatDate, formatInstant } from '../format.js';
import type { MessageKey } from '../i18n.js';
import { personHref, routeHash } from '../routing.js';
import { fieldLabels } from './person-page.js';

/** The members an official's read (or a bulk job) adds to an access record. */
interface OfficialMembers {
  readonly readerKind?: 'officer' | 'service_account' | 'job';
  readonly readerRole?: string;
  readonly readerUnit?: string;
  readonly breakGlass?: true;
  readonly jobId?: string;
  readonly jobHash?: string;
}

const roleKeys: Readonly<Record<string, MessageKey>> = {
  registry_clerk: 'trackerRoleRegistryClerk',
  commune_officer: 'trackerRoleCommuneOfficer',
  province_officer: 'trackerRoleProvinceOfficer',
  national_officer: 'trackerRoleNationalOfficer',
  quality_officer: 'trackerRoleQualityOfficer',
};

type ProofState = 'checking' | 'ok' | 'bad' | 'unavailable';

function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(prefix: number, ...parts: readonly Uint8Array[]): Promise<Uint8Array> {
  const input = new Uint8Array(1 + parts.reduce((n, p) => n + p.length, 0));
  input[0] = prefix;
  let offset = 1;
  for (const part of parts) {
    input.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', input));
}

/**
 * Checks an entry in the browser, trusting nothing but the checkpoint's root: the leaf hashes to
 * leafHash (RFC 6962: SHA-256(0x00 ‖ leaf)) and the RFC 9162 §2.1.3.2 audit path leads from it
 * to the root.
 */
async function verifyEntry(leaf: string, leafHash: string, index: number, treeSize: number, proof: readonly string[], rootHash: string): Promise<boolean> {
  const computedLeaf = await sha256(0x00, new TextEncoder().encode(leaf));
  if (toHex(computedLeaf) !== leafHash || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = computedLeaf;
  for (const step of proof) {
    if (sn === 0) return false;
    const p = fromHex(step);
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(0x01, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(0x01, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && toHex(r) === rootHash;
}

function useVerifiedProofs(page: AccessTrackerPage | null): ReadonlyMap<number, ProofState> {
  const [states, setStates] = useState<ReadonlyMap<number, ProofState>>(new Map());
  useEffect(() => {
    const checkpoint = page?.checkpoint ?? null;
    if (page === null || checkpoint === null) return;
    let cancelled = false;
    // crypto.subtle exists only in secure contexts (https, or the loopback address).
    const subtle = typeof crypto !== 'undefined' && 'subtle' in crypto;
    void Promise.all(
      page.entries.map(async (e): Promise<readonly [number, ProofState]> => {
        if (!subtle) return [e.index, 'unavailable'];
        const ok = await verifyEntry(e.leaf, e.leafHash, e.index, checkpoint.treeSize, e.proof, checkpoint.rootHash).catch(() => false);
        return [e.index, ok ? 'ok' : 'bad'];
      }),
    ).then((results) => {
      if (!cancelled) setStates(new Map(results));
    });
    return () => {
      cancelled = true;
    };
  }, [page]);
  return states;
}

/**
 * The citizen's data tracker: who used a person's data, when, why and under which law or
 * consent, each entry checked in the browser against the signed checkpoint.
 */
export function TrackerPage({ id }: { readonly id: string | null }): ReactNode {
  const { t, lang } = useConsole();
  const [input, setInput] = useState(id ?? '');
  const [formError, setFormError] = useState<string | null>(null);
  const [before, setBefore] = useState<number | null>(null);
  const path = id === null ? null : `/api/citizens/${encodeURIComponent(id)}/access-records?limit=50${before === null ? '' : `&before=${before}`}`;
  const load = useApi<AccessTrackerPage>(path);
  const page = load.state === 'ok' ? load.data : null;
  const proofs = useVerifiedProofs(page);

  function submit(event: SubmitEvent<HTMLFormElement>): void {
    event.preventDefault();
    const cleaned = cleanIdNumber(input);
    if (cleaned === null) {
      setFormError(t('idInvalid'));
      return;
    }
    setFormError(null);
    window.location.hash = routeHash({ page: 'tracker', id: cleaned });
  }

  const proofLabel = (state: ProofState | undefined): ReactNode => {
    if (state === 'ok') return <span className="badge badge-alive" data-testid="proof-ok">✓ {t('trackerProofOk')}</span>;
    if (state === 'bad') return <span className="badge badge-deceased" data-testid="proof-bad">✗ {t('trackerProofBad')}</span>;
    if (state === 'unavailable') return '—';
    return <span className="muted">{t('trackerProofChecking')}</span>;
  };

  return (
    <div className="page">
      <section className="panel">
        <h1>{t('trackerTitle')}</h1>
        <p className="muted">{t('trackerHelp')}</p>
        <form className="form-row" onSubmit={submit} noValidate>
          <label className="grow">
            <span>{t('goToIdLabel')}</span>
            <input
              data-testid="tracker-id"
              inputMode="numeric"
              value={input}
              placeholder={t('goToIdPlaceholder')}
              onChange={(e) => {
                setInput(e.target.value);
              }}
            />
          </label>
          <button type="submit" data-testid="tracker-submit">
            {t('trackerShow')}
          </button>
        </form>
        {formError !== null && <p className="alert">{formError}</p>}
      </section>

      {load.state === 'loading' && <Loading />}
      {load.state === 'error' && <ErrorBox error={load.error} />}
      {page !== null && (
        <section className="panel" data-testid="tracker-results">
          <h2>
            <a href={personHref(page.personId)} className="mono">
              {page.personId}
            </a>{' '}
            · {formatDate(lang, page.visibleOn)}
          </h2>
          {page.entries.length === 0 ? (
            <p data-testid="tracker-empty">{t('trackerEmpty')}</p>
          ) : (
            <table className="table" data-testid="tracker-entries">
              <thead>
                <tr>
                  <th>{t('trackerWhen')}</th>
                  <th>{t('trackerWho')}</th>
                  <th>{t('trackerPurpose')}</th>
                  <th>{t('trackerBasis')}</th>
                  <th>{t('trackerFields')}</th>
                  <th>{t('trackerProof')}</th>
                </tr>
              </thead>
              <tbody>
                {page.entries.map((e) => {
                  const official = e.record as AccessRecord & OfficialMembers;
                  const unitName = (e as { readonly readerUnitName?: string }).readerUnitName ?? official.readerUnit ?? '';
                  const role = official.readerRole === undefined ? '' : roleKeys[official.readerRole] === undefined ? official.readerRole : t(roleKeys[official.readerRole] as MessageKey);
                  return (
                  <tr key={e.index} data-testid="tracker-entry">
                    <td>{formatInstant(lang, e.record.at)}</td>
                    {official.readerKind === undefined ? (
                    <td>
                      <div>{e.record.receivingAgency ?? e.record.clientId}</div>
                      <div className="muted small mono">{e.record.clientId}</div>
                      <div className="muted small">
                        {t('trackerOfficer')}: {e.record.officerId}
                      </div>
                    </td>
                    ) : (
                    <td data-testid="tracker-official">
                      <div>{t('trackerRegistry')}</div>
                      <div data-testid="tracker-official-reader">
                        {official.readerKind === 'service_account' ? t('trackerServiceAccount') : `${t('trackerOfficial')} ${role}`} {t('trackerOfficialOf')} {unitName}
                      </div>
                      <div className="muted small mono">{e.record.officerId}</div>
                      {official.breakGlass === true && (
                        <div className="badge badge-deceased" data-testid="tracker-break-glass">
                          {t('trackerBreakGlass')}
                        </div>
                      )}
                      {official.jobId !== undefined && (
                        <div className="muted small" data-testid="tracker-job">
                          {t('trackerJob')}: <span className="mono">{official.jobId}</span>
                          <div className="mono">{t('trackerJobHash')}: {official.jobHash}</div>
                        </div>
                      )}
                    </td>
                    )}
                    <td>
                      {e.record.purpose}
                      <div className="muted small">{e.record.service}</div>
                      {e.record.caseReference !== undefined && (
                        <div className="muted small">
                          {t('trackerCase')}: {e.record.caseReference}
                        </div>
                      )}
                    </td>
                    <td>
                      {e.record.legalBasis}
                      {e.record.consentId !== undefined && (
                        <div className="muted small">
                          {t('trackerConsent')}: <span className="mono">{e.record.consentId}</span>
                        </div>
                      )}
                    </td>
                    <td data-testid="tracker-fields">{e.record.fields.map((f) => { const key = fieldLabels[f]; return key === undefined ? f : t(key); }).join(', ')}</td>
                    <td>
                      {proofLabel(proofs.get(e.index))}
                      <div className="muted small mono">#{e.index}</div>
                    </td>
                  </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {page.nextBefore !== null && (
            <p>
              <button type="button" className="link" data-testid="tracker-more" onClick={() => { setBefore(page.nextBefore); }}>
                {t('trackerMore')}
              </button>
            </p>
          )}
          {page.checkpoint !== null && (
            <details className="small" data-testid="tracker-checkpoint">
              <summary>
                {t('trackerCheckpoint')}: {page.checkpoint.treeSize.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-US')} {t('trackerRecords')}
              </summary>
              <p className="muted">{t('trackerCheckpointText')}</p>
              <pre className="mono">{page.checkpoint.note}</pre>
              <p className="muted mono">{page.checkpoint.verifierKey}</p>
            </details>
          )}
        </section>
      )}
    </div>
  );
}
