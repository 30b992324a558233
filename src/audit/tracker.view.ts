import type { Static } from 'typebox';
import { adminUnitCatalog } from '../registry/admin-unit.catalog.js';
import { describeCommune } from '../registry/person.view.js';
import type { AccessRecordInput } from './access-log.types.js';
import type { TrackerPage } from './audit.service.js';
import type { AccessRecordView, TrackerPageView } from './audit.schemas.js';

/** A tracker page as the API answers it (the officers' route and the citizen's portal). */
export function trackerPageView(page: TrackerPage): Static<typeof TrackerPageView> {
  return {
    ...page,
    checkpoint: page.checkpoint ?? null,
    entries: page.entries.map((e) => {
      const unitName = e.record.readerUnit === undefined ? undefined : unitNameOf(e.record.readerUnit, page.visibleOn);
      return { ...e, record: recordView(e.record), proof: [...e.proof], ...(unitName === undefined ? {} : { readerUnitName: unitName }) };
    }),
    nextBefore: page.nextBefore ?? null,
  };
}

/** A record as JSON: absent options left out (never `undefined`), arrays copied. */
function recordView(r: AccessRecordInput): Static<typeof AccessRecordView> {
  return {
    personId: r.personId,
    at: r.at,
    clientId: r.clientId,
    ...(r.receivingAgency === undefined ? {} : { receivingAgency: r.receivingAgency }),
    officerId: r.officerId,
    service: r.service,
    purpose: r.purpose,
    legalBasis: r.legalBasis,
    ...(r.consentId === undefined ? {} : { consentId: r.consentId }),
    fields: [...r.fields],
    visibility: r.visibility,
    requestId: r.requestId,
    ...(r.caseReference === undefined ? {} : { caseReference: r.caseReference }),
    ...(r.readerKind === undefined ? {} : { readerKind: r.readerKind }),
    ...(r.readerRole === undefined ? {} : { readerRole: r.readerRole }),
    ...(r.readerUnit === undefined ? {} : { readerUnit: r.readerUnit }),
    ...(r.breakGlass === true ? { breakGlass: true as const } : {}),
    ...(r.breakGlassReasonSha256 === undefined ? {} : { breakGlassReasonSha256: r.breakGlassReasonSha256 }),
    ...(r.jobId === undefined ? {} : { jobId: r.jobId }),
    ...(r.jobHash === undefined ? {} : { jobHash: r.jobHash }),
  };
}

/** A reader's unit (`nation`, `province:NN`, `commune:NNNNN`) by its name on `on`; undefined when unknown. */
export function unitNameOf(unit: string, on: string): string | undefined {
  if (unit === 'nation') return 'Toàn quốc';
  const [level, code = ''] = unit.split(':');
  if (level === 'commune') {
    const names = describeCommune(code, on);
    return names.name === null ? undefined : names.provinceName === null ? names.name : `${names.name}, ${names.provinceName}`;
  }
  try {
    return adminUnitCatalog().province(code, on).name;
  } catch {
    return undefined;
  }
}
