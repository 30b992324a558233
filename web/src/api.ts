/**
 * The console's view of the registry API: the response shapes it reads and one fetch helper
 * that sends the operator token and turns problem+json answers into {@link ApiError}.
 */

import type { LifeEventType } from '../../src/registry/life-event.types.js';

export type Sex = 'M' | 'F';
export type LifeStatus = 'alive' | 'deceased';

/** Names are null when the admin-unit catalog does not know the code at that date. */
export interface CommuneRef {
  readonly code: string;
  readonly name: string | null;
  readonly provinceName: string | null;
}

export interface PersonSummary {
  readonly idNumber: string;
  readonly fullName: string;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly status: LifeStatus;
  readonly currentCommune: CommuneRef | null;
}

export interface Residence {
  readonly communeCode: string;
  readonly communeName: string | null;
  readonly provinceName: string | null;
  readonly address: string | null;
}

export interface Person {
  readonly idNumber: string;
  readonly fullName: string;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly ethnicity: string | null;
  readonly religion: string | null;
  readonly nationality: string;
  readonly birthProvince: { readonly code: string; readonly name: string | null };
  readonly hometown: string | null;
  readonly permanentResidence: Residence | null;
  readonly temporaryResidence: Residence | null;
  readonly currentResidence: Residence | null;
  readonly fatherId: string | null;
  readonly motherId: string | null;
  readonly spouseId: string | null;
  readonly householdId: string | null;
  readonly relationshipToHead: string | null;
  readonly status: LifeStatus;
  readonly deathDate: string | null;
  readonly version: number;
  readonly updatedAt: string;
}

/** The registry's life-event kinds (a type-only import: nothing of the server is bundled). */
export type EventType = LifeEventType;

export interface LifeEvent {
  readonly eventId: string;
  readonly type: EventType | (string & {});
  readonly occurredOn: string;
  readonly recordedAt: string;
  readonly officerId: string | null;
  readonly reason: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface HouseholdMember {
  readonly idNumber: string;
  readonly fullName: string;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly relationshipToHead: string | null;
  readonly status: LifeStatus;
}

export interface Household {
  readonly householdId: string;
  readonly communeCode: string;
  readonly communeName: string | null;
  readonly address: string | null;
  readonly headId: string | null;
  readonly members: readonly HouseholdMember[];
}

/** One release of a citizen's data, as the access log recorded it (src/audit/access-log.types.ts). */
export interface AccessRecord {
  readonly personId: string;
  readonly at: string;
  readonly clientId: string;
  readonly receivingAgency?: string;
  readonly officerId: string;
  readonly service: string;
  readonly purpose: string;
  readonly legalBasis: string;
  readonly consentId?: string;
  readonly fields: readonly string[];
  readonly visibility: 'public' | { readonly deferredUntil: string };
  readonly requestId: string;
  readonly caseReference?: string;
}

/** A page of the citizen's data tracker: entries with inclusion proofs against a signed checkpoint. */
export interface AccessTrackerPage {
  readonly personId: string;
  readonly visibleOn: string;
  readonly checkpoint: { readonly treeSize: number; readonly rootHash: string; readonly note: string; readonly verifierKey: string } | null;
  readonly entries: readonly {
    readonly index: number;
    readonly record: AccessRecord;
    readonly leaf: string;
    readonly leafHash: string;
    readonly proof: readonly string[];
  }[];
  readonly nextBefore: number | null;
}

export interface ItemList<T> {
  readonly items: readonly T[];
}

/** An error the console can show: the server's problem+json, or a local stand-in for it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly action: string | null,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(body: Record<string, unknown>, key: string): string | null {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Reads a failed response as problem+json when it is one, with a generic fallback otherwise. */
async function toApiError(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy page, an empty body): fall back to the status line.
  }
  if (isRecord(body)) {
    return new ApiError(
      response.status,
      stringField(body, 'code') ?? `HTTP_${response.status}`,
      stringField(body, 'detail') ?? stringField(body, 'message') ?? response.statusText,
      stringField(body, 'action'),
    );
  }
  return new ApiError(response.status, `HTTP_${response.status}`, response.statusText, null);
}

let lastActivity = Date.now();

/** When a request of this session last reached the server (each one restarts the server's idle clock). */
export function lastApiActivity(): number {
  return lastActivity;
}

/**
 * GETs a same-origin API path with the officer's session cookie. Rejects with {@link ApiError}.
 *
 * @example
 * const person = await apiGet<Person>(`/api/persons/${id}`);
 */
export async function apiGet<T>(path: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK_ERROR', '', null);
  }
  lastActivity = Date.now();
  if (!response.ok) throw await toApiError(response);
  // Same-origin server of the same release: its shapes are trusted, not re-validated here.
  const body: unknown = await response.json();
  return body as T;
}

/**
 * POSTs to a same-origin path with the session cookie, the session's CSRF token (from
 * GET /api/identity/me) in X-CSRF-Token, and an optional JSON body. Rejects with {@link ApiError}.
 *
 * @example
 * await apiPost(`/api/exchange/alerts/${id}/acknowledge`, csrfToken);
 */
export async function apiPost<T>(path: string, csrfToken: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'X-CSRF-Token': csrfToken, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', '', null);
  }
  lastActivity = Date.now();
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  const answer: unknown = await response.json();
  return answer as T;
}

/** A unit as GET /api/identity/me shows it (2025 codes). */
export interface UnitRef {
  readonly level: 'nation' | 'province' | 'commune';
  readonly code?: string;
  readonly province?: string;
}

/** Who is signed in (GET /api/identity/me): the officer, role, unit, permissions and the session's CSRF token. */
export interface Me {
  readonly kind: string;
  readonly id: string;
  readonly role: string | null;
  readonly unit: UnitRef;
  readonly permissions: readonly string[];
  readonly officer?: { readonly officerId: string; readonly username: string; readonly displayName: string };
  readonly session?: { readonly idleExpiresAt: string; readonly absoluteExpiresAt: string };
  readonly csrfToken?: string;
}

/** A misuse alert of the exchange (GET /api/exchange/alerts): the exchange's own type. */
export type { MisuseAlert } from '../../src/exchange/exchange.types.js';

/** True when the error only means a newer request replaced this one. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
