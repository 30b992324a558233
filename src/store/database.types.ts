import type { JobLeaseTables } from './job-lease.tables.js';
import type { CitizenTables } from '../citizen/citizen.tables.js';
import type { AuditTables } from '../audit/audit.tables.js';
import type { DirectionTables } from '../direction/direction.tables.js';
import type { EventsTables } from '../events/events.tables.js';
import type { ExchangeTables } from '../exchange/exchange.tables.js';
import type { IdentityTables } from '../identity/identity.tables.js';
import type { MatchingTables } from '../matching/matching.tables.js';
import type { QualityTables } from '../quality/quality.tables.js';
import type { DocumentsTables } from '../services/residence-document.tables.js';
import type { ProcedureTables } from '../services/procedure.tables.js';
import type { Generated } from 'kysely';

/**
 * The current state of a person: a projection of their life events, updated in the same
 * transaction as each event. Dates are ISO text; a date of birth may be partial
 * ('1987', '1987-06' or '1987-06-15').
 */
export interface PersonsTable {
  id_number: string;
  full_name: string;
  /** Lower-case, without marks, đ→d, single spaces: what search and matching compare. */
  name_folded: string;
  birth_date: string;
  sex: 'M' | 'F';
  ethnicity: string | null;
  religion: string | null;
  nationality: string;
  /** 3-digit code of the province where the birth was registered (the ID's PPP). */
  birth_province: string;
  /** Commune code of the birth registration, when known. */
  birth_commune: string | null;
  hometown: string | null;
  permanent_commune: string | null;
  permanent_address: string | null;
  temporary_commune: string | null;
  temporary_address: string | null;
  current_commune: string | null;
  current_address: string | null;
  father_id: string | null;
  mother_id: string | null;
  spouse_id: string | null;
  household_id: string | null;
  relationship_to_head: string | null;
  status: 'alive' | 'deceased';
  death_date: string | null;
  /** Number of life events applied; optimistic concurrency and cache keys use it. */
  version: number;
  created_at: string;
  updated_at: string;
}

export interface HouseholdsTable {
  household_id: string;
  head_id: string | null;
  commune_code: string;
  address: string | null;
  created_at: string;
  updated_at: string;
}

/** Append-only: rows are inserted, never updated or deleted. */
export interface LifeEventsTable {
  seq: Generated<number>;
  event_id: string;
  person_id: string;
  event_type: string;
  /** The date the event happened in the world. */
  occurred_on: string;
  /** When the registry recorded it; "what did the registry say on D" reads by this. */
  recorded_at: string;
  officer_id: string | null;
  reason: string | null;
  /** JSON: the fields this event sets on the person. */
  data: string;
}

/** One row per committed import batch, so that a killed import resumes where it stopped. */
export interface ImportBatchesTable {
  import_id: string;
  batch_no: number;
  rows_accepted: number;
  rows_rejected: number;
  committed_at: string;
}

/** Every table; each module declares its own in `<module>.tables.ts`. */
export interface DB extends JobLeaseTables, QualityTables, MatchingTables, ExchangeTables, AuditTables, IdentityTables, DirectionTables, CitizenTables, EventsTables, DocumentsTables, ProcedureTables {
  persons: PersonsTable;
  households: HouseholdsTable;
  life_events: LifeEventsTable;
  import_batches: ImportBatchesTable;
  /** One row (id 1): the exchange's change counter (migration 0008, exchange/exchange-change.repository.ts). */
  exchange_changes: { id: number; counter: number };
  /** One row (id 1): the identity change counter, bumped by triggers (migration 0013, identity/session.cache.ts). */
  identity_changes: { id: number; counter: number };
}
