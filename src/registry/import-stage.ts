/**
 * An import batch's accepted rows as they cross from the checking thread to the writing one, in
 * one of two forms, each in PostgreSQL COPY's text format (a tab between values, `\N` for null, a
 * backslash escaped):
 * - staged lines (for SQLite): a line a person holding the person's columns, the id of its
 *   registration event and the provinces of its change event; SQLite builds the person, the event
 *   and the change event from them (import-stage.repository.ts), so each person's facts cross once;
 * - COPY texts (for PostgreSQL): the persons', events' and change events' rows as COPY takes
 *   them, the JSON built here, in the checking thread, so that the writing thread only sends them.
 * No driver here: the checking thread loads this alone.
 */
import { changeDataLayout } from '../events/change-event.js';
import { personColumns } from '../store/packed-rows.js';
import { personFactColumns } from './person.projection.js';
import { personFactKeys } from './person.types.js';

/** Which form a batch's rows take: see above. */
export type StagedForm = 'staged' | 'copy';

/** What is the same for every row of a batch. */
export interface StagedMoment {
  /** The events' day (occurred_on) and time (recorded_at; also the persons' created_at and updated_at). */
  readonly today: string;
  readonly recordedAt: string;
  readonly officerId: string | null;
  readonly reason: string;
}

/**
 * A batch's rows as the three tables' COPY texts, row i of each about the same person, in UTF-8:
 * encoded once where they are built, each in a buffer of its own, so that the checking thread can
 * hand them over without a copy (postMessage's transfer list) and the writing thread sends them as
 * they are.
 */
export interface CopyTexts {
  readonly persons: Uint8Array;
  readonly events: Uint8Array;
  readonly outbox: Uint8Array;
}

/** The buffers to transfer with a batch's COPY texts. */
export function copyBuffers(copy: CopyTexts): ArrayBuffer[] {
  return [copy.persons.buffer, copy.events.buffer, copy.outbox.buffer] as ArrayBuffer[];
}

/**
 * Lines written as UTF-8 into a buffer that grows as needed (a buffer of its own, never the
 * pooled one Buffer.from shares, so that it can be transferred).
 */
class Utf8Lines {
  /** Allocated at the first line: a batch that packs no rows (committed by an earlier run) takes none. */
  private buffer: Buffer | undefined;
  private length = 0;

  /** `expected`: the bytes the lines will likely take (a batch's like the one before). */
  constructor(private readonly expected: number) {}

  write(text: string): void {
    // A UTF-16 unit never takes more than 3 bytes.
    const need = this.length + 3 * text.length;
    let buffer = this.buffer ??= Buffer.allocUnsafeSlow(Math.max(1 << 16, this.expected, need));
    if (need > buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * buffer.length));
      buffer.copy(grown, 0, 0, this.length);
      buffer = this.buffer = grown;
    }
    this.length += buffer.write(text, this.length);
  }

  /** The lines written (a view of the buffer, which is the writer's no more). */
  finish(): Uint8Array {
    return this.buffer === undefined ? new Uint8Array(0) : new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.length);
  }
}

/** The person columns a staged line holds, in order: every column but version, created_at and updated_at. */
export const stagedPersonColumns: readonly string[] = personColumns.slice(0, personColumns.indexOf('version'));

/** The columns of a staged line: the person's, then its event's id and its provinces (a JSON array). */
export const stagedColumns: readonly string[] = [...stagedPersonColumns, 'event_id', 'provinces'];

const copySpecial = /[\\\n\r\t]/;

/** A value in COPY's text format: backslash, newline, carriage return and tab escaped. */
export function copyText(value: string): string {
  if (!copySpecial.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/**
 * Builds a batch's staged lines, a value at a time in stagedColumns order.
 *
 * @example
 * const stage = new StagedRowsBuilder();
 * stage.value('001085000001'); ...; stage.endRow();
 * const text = stage.finish();
 */
export class StagedRowsBuilder {
  private readonly lines: string[] = [];
  /** The row's values, joined once it ends: one flat string instead of a rope of concatenations. */
  private readonly row = new Array<string>(stagedColumns.length);
  private count = 0;


  /** The next value of the row: text, or null. */
  value(value: string | null | undefined): void {
    if (this.count === this.row.length) throw new Error(`a staged row holds ${stagedColumns.length} values`);
    this.row[this.count++] = value === null || value === undefined ? '\\N' : copyText(value);
  }

  endRow(): void {
    if (this.count !== stagedColumns.length) throw new Error(`a staged row needs ${stagedColumns.length} values, not ${this.count}`);
    this.lines.push(this.row.join('\t'));
    this.count = 0;
  }

  /** The lines, each ended by a line feed (COPY's format); '' for no rows. */
  finish(): string {
    if (this.count !== 0) throw new Error('a staged row was not ended');
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}

/** The staged lines of `text`, without their line feeds. */
export function stagedLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

/** The lines whose index `keep` accepts (the rare path: rows refused once the batch was checked). */
export function filterStagedRows(text: string, keep: (row: number) => boolean): string {
  const kept = stagedLines(text).filter((_, r) => keep(r));
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}

function copyUnescape(text: string): string {
  return text.replace(/\\([\\nrt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : '\\'));
}

/**
 * Writes the values of staged line `line` into `into` from `at` (stagedColumns order), nulls as
 * null; for a writer that binds them.
 *
 * @throws Error when the line does not hold stagedColumns.length values
 */
export function stagedValuesInto(line: string, into: (string | null)[], at: number): void {
  const values = line.split('\t');
  if (values.length !== stagedColumns.length) throw new Error(`a staged row holds ${values.length} values, not ${stagedColumns.length}`);
  for (let c = 0; c < values.length; c++) {
    const value = values[c] as string;
    into[at + c] = value === '\\N' ? null : value.includes('\\') ? copyUnescape(value) : value;
  }
}

// ---- The events' JSON --------------------------------------------------------------------------

/** The change event's data keys, in order (outboxEntryOf's). */
export const layout = changeDataLayout(personFactKeys);
/** The change event's fields column: the keys of its data. */
export const registrationFields: string = JSON.stringify(layout.map((entry) => entry.name));

const stagedIndex = new Map(stagedColumns.map((column, i) => [column, i]));
/** The persons column a fact is stored in. */
export const columnOfFact = (fact: string): string => (personFactColumns as Readonly<Record<string, string>>)[fact] ?? fact;
/** Each fact's place in a staged line, in personFactKeys order. */
const factPlaces = personFactKeys.map((fact) => stagedIndex.get(columnOfFact(fact)) ?? -1);
const eventDataKeys = personFactKeys.map((fact, k) => `${k === 0 ? '{' : ','}${JSON.stringify(fact)}:`);
/** The change event's data: each member's key and the facts (their index in personFactKeys) it holds. */
const changeMembers = layout.map((entry, i) => ({
  key: `${i === 0 ? '{' : ','}${JSON.stringify(entry.name)}:`,
  fact: entry.parts.length === 0 ? (personFactKeys as readonly string[]).indexOf(entry.fact ?? '') : -1,
  parts: entry.parts.map((part, j) => ({ key: `${j === 0 ? '{' : ','}${JSON.stringify(part.name)}:`, fact: personFactKeys.indexOf(part.fact) })),
}));
/** Where a staged line holds the event's id and the provinces. */
export const eventIdAt = stagedIndex.get('event_id') ?? -1;
export const provincesAt = stagedIndex.get('provinces') ?? -1;

/**
 * The change event's data as a list of texts to join: its keys and braces, with a slot for each
 * fact's JSON (`slots[i]` is the index in the list of fact `facts[i]`, in personFactKeys order).
 */
const changeTemplate = ((): { readonly parts: readonly string[]; readonly slots: readonly number[]; readonly facts: readonly number[] } => {
  const parts: string[] = [];
  const slots: number[] = [];
  const facts: number[] = [];
  const slot = (fact: number): void => {
    slots.push(parts.length);
    facts.push(fact);
    parts.push('null');
  };
  for (const member of changeMembers) {
    parts.push(member.key);
    if (member.fact !== -1) {
      slot(member.fact);
    } else {
      for (const part of member.parts) {
        parts.push(part.key);
        slot(part.fact);
      }
      parts.push('}');
    }
  }
  parts.push('}');
  return { parts, slots, facts };
})();

/** The JSON texts of a registration's event and change event; `escapes` when JSON.stringify escaped a value (the text then holds a backslash). */
export interface RegistrationJson {
  readonly data: string;
  readonly payload: string;
  readonly escapes: boolean;
}

/**
 * What builds, from a staged row's values (stagedColumns order, unescaped), its event's data and
 * its change event's payload as JSON.stringify writes them for the registry's own path: the same
 * keys in the same order, each value escaped once for both, each text joined once (no chain of
 * concatenations left for the garbage collector).
 */
export function registrationJson(moment: StagedMoment): (values: readonly (string | null)[]) => RegistrationJson {
  const middle = `,"type":"registration","occurredOn":${JSON.stringify(moment.today)},"recordedAt":${JSON.stringify(moment.recordedAt)},"provinces":`;
  const data: string[] = [];
  for (const key of eventDataKeys) data.push(key, 'null');
  data.push('}');
  const change = [...changeTemplate.parts];
  return (values) => {
    let escapes = false;
    for (let k = 0; k < factPlaces.length; k++) {
      const value = values[factPlaces[k] ?? -1] ?? null;
      const text = value === null ? 'null' : JSON.stringify(value);
      // Every escape lengthens the text.
      if (value !== null && text.length !== value.length + 2) escapes = true;
      data[2 * k + 1] = text;
    }
    for (let i = 0; i < changeTemplate.slots.length; i++) change[changeTemplate.slots[i] ?? 0] = data[2 * (changeTemplate.facts[i] ?? 0) + 1] ?? 'null';
    const payload = `{"eventId":${JSON.stringify(values[eventIdAt] ?? '')},"personId":${JSON.stringify(values[0] ?? '')}${middle}${values[provincesAt] ?? '[]'},"data":${change.join('')}}`;
    return { data: data.join(''), payload, escapes };
  };
}

// ---- COPY texts --------------------------------------------------------------------------------

/** JSON text in COPY's format: only a backslash can occur in it (JSON.stringify escapes the control characters). */
const copyJson = (json: string): string => (json.includes('\\') ? json.replaceAll('\\', '\\\\') : json);

/**
 * Builds a batch's rows as the three tables' COPY texts, a value at a time in stagedColumns order
 * (as StagedRowsBuilder takes them), the events' JSON built once a row.
 *
 * @example
 * const copy = new CopyRowsBuilder({ today, recordedAt, officerId: null, reason });
 * copy.value('001085000001'); ...; copy.endRow();
 * const { persons, events, outbox } = copy.finish();
 */
export class CopyRowsBuilder {
  private readonly raw = new Array<string | null>(stagedColumns.length);
  private readonly escaped = new Array<string>(stagedColumns.length);
  private count = 0;
  /** Each text's length in the batch built last, a little more: most batches need no growing. */
  private static readonly expected = { persons: 1 << 20, events: 1 << 20, outbox: 1 << 20 };
  private readonly persons = new Utf8Lines(CopyRowsBuilder.expected.persons);
  private readonly events = new Utf8Lines(CopyRowsBuilder.expected.events);
  private readonly outbox = new Utf8Lines(CopyRowsBuilder.expected.outbox);
  private readonly json: (values: readonly (string | null)[]) => RegistrationJson;
  private readonly personTail: string;
  private readonly eventMiddle: string;
  private readonly outboxTail: string;
  private readonly outboxFields = `\t${copyText(registrationFields)}\t`;

  constructor(moment: StagedMoment) {
    this.json = registrationJson(moment);
    this.personTail = `\t1\t${moment.recordedAt}\t${moment.recordedAt}\n`;
    this.eventMiddle = `\tregistration\t${moment.today}\t${moment.recordedAt}\t${moment.officerId === null ? '\\N' : copyText(moment.officerId)}\t${copyText(moment.reason)}\t`;
    this.outboxTail = `\t${moment.recordedAt}\n`;
  }


  /** The next value of the row: text, or null. */
  value(value: string | null | undefined): void {
    if (this.count === this.raw.length) throw new Error(`a staged row holds ${stagedColumns.length} values`);
    const raw = value ?? null;
    this.raw[this.count] = raw;
    this.escaped[this.count++] = raw === null ? '\\N' : copyText(raw);
  }

  endRow(): void {
    if (this.count !== stagedColumns.length) throw new Error(`a staged row needs ${stagedColumns.length} values, not ${this.count}`);
    this.count = 0;
    const { escaped } = this;
    const { data, payload, escapes } = this.json(this.raw);
    const eventId = escaped[eventIdAt] ?? '';
    const personId = escaped[0] ?? '';
    this.persons.write(`${escaped.slice(0, stagedPersonColumns.length).join('\t')}${this.personTail}`);
    this.events.write(`${eventId}\t${personId}${this.eventMiddle}${escapes ? copyJson(data) : data}\n`);
    this.outbox.write(`${eventId}\t${personId}\tregistration\t${escaped[provincesAt] ?? '[]'}${this.outboxFields}${escapes ? copyJson(payload) : payload}${this.outboxTail}`);
  }

  /** The three texts, each line ended by a line feed (empty for no rows); the builder is spent. */
  finish(): CopyTexts {
    if (this.count !== 0) throw new Error('a staged row was not ended');
    const texts = { persons: this.persons.finish(), events: this.events.finish(), outbox: this.outbox.finish() };
    if (texts.persons.byteLength > 0) {
      const expected = CopyRowsBuilder.expected;
      expected.persons = Math.ceil(texts.persons.byteLength * 1.05);
      expected.events = Math.ceil(texts.events.byteLength * 1.05);
      expected.outbox = Math.ceil(texts.outbox.byteLength * 1.05);
    }
    return texts;
  }
}

/** The lines whose index `keep` accepts, of a COPY text in UTF-8 (the rare path, as filterStagedRows). */
export function filterCopyRows(text: Uint8Array, keep: (row: number) => boolean): Uint8Array {
  return Buffer.from(filterStagedRows(Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8'), keep));
}

/** The COPY texts of staged lines (rows staged for one store written to the other). */
export function copyTextsOf(staged: string, moment: StagedMoment): CopyTexts {
  const copy = new CopyRowsBuilder(moment);
  const values = new Array<string | null>(stagedColumns.length);
  for (const line of stagedLines(staged)) {
    stagedValuesInto(line, values, 0);
    for (const value of values) copy.value(value);
    copy.endRow();
  }
  return copy.finish();
}
