import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { alertRepository } from './misuse-alert.repository.js';
import type { MisuseAlert, OfficialAlertKind } from './misuse-alert.types.js';
import { MisuseMonitor, type MisuseOptions } from './misuse.monitor.js';
import type { DB } from '../store/database.types.js';
import { officialReadRepository } from './official-read.repository.js';
import { officialClientId, readerUnitText, type OfficialRead } from './official-read.recorder.js';

/**
 * The alerts officials' reads raise, in the exchange's alerts table (exchange_alerts) beside the
 * agencies' ones: `subjectId` the reader's id, `clientId` "<role> of <unit>".
 * - official-volume: reads in a window far over the reader's own moving average (MisuseMonitor);
 * - official-break-glass: every read outside the reader's unit (break-glass), at once;
 * - official-night: the first read of a night (22:00–06:00 Vietnam time) by a reader;
 * - official-sensitive: every read of a person flagged sensitive (sensitive_persons).
 */
export type { OfficialAlertKind } from './misuse-alert.types.js';

export interface OfficialReadMonitorOptions {
  readonly volume?: MisuseOptions;
  /** The local time of the night rule, minutes east of UTC; default 420 (Vietnam, UTC+7, no summer time). */
  readonly utcOffsetMinutes?: number;
  /** Night from this local hour (default 22) to `nightEndHour` (default 6). */
  readonly nightStartHour?: number;
  readonly nightEndHour?: number;
  /** How long the list of sensitive persons is kept before it is read again; default 5 s. */
  readonly sensitiveCacheMs?: number;
  /** Told when an alert could not be checked or stored (the read itself is already recorded). */
  readonly onError?: (error: unknown) => void;
}

const hourMs = 3_600_000;

/**
 * Watches officials' reads once their access records are durable. `observe` is the recorder's
 * observer: it never throws and never delays the answer (the checks run after it returns).
 */
export class OfficialReadMonitor {
  private readonly volume: MisuseMonitor;
  private readonly offsetMs: number;
  private readonly nightStart: number;
  private readonly nightEnd: number;
  private readonly cacheMs: number;
  private sensitive: { readonly ids: ReadonlySet<string>; readonly until: number } | undefined;
  private loading: Promise<ReadonlySet<string>> | undefined;
  /** The night (its local start day) each reader was last alerted for. */
  private readonly nights = new Map<string, number>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly db: Kysely<DB>, private readonly options: OfficialReadMonitorOptions = {}) {
    this.volume = new MisuseMonitor(options.volume);
    this.offsetMs = (options.utcOffsetMinutes ?? 420) * 60_000;
    this.nightStart = options.nightStartHour ?? 22;
    this.nightEnd = options.nightEndHour ?? 6;
    this.cacheMs = options.sensitiveCacheMs ?? 5_000;
  }

  /** The recorder's observer. */
  readonly observe = (read: OfficialRead, at: Date): void => {
    // The common read raises nothing: counted and looked at without a promise.
    if (this.quiet(read, at)) return;
    const check = this.check(read, at).catch((error: unknown) => { this.options.onError?.(error); });
    this.pending.add(check);
    void check.finally(() => this.pending.delete(check));
  };

  /**
   * True when the read raises no alert, decided at once: no break-glass, by day or in a night
   * already alerted for this reader, no flagged person (the cached list), under the volume limits.
   * The volume is counted here; check() is then left to run only for a read that alerts.
   */
  private quiet(read: OfficialRead, at: Date): boolean {
    const now = at.getTime();
    if (read.breakGlassReason !== undefined || this.sensitive === undefined || this.sensitive.until <= now) return false;
    const night = this.nightOf(now);
    if (night !== undefined && this.nights.get(read.reader.id) !== night) return false;
    const ids = this.sensitive.ids;
    for (const id of read.personIds) if (ids.has(id)) return false;
    const persons = read.personIds.length === 1 ? 1 : new Set(read.personIds).size;
    const raised = this.volume.record(officialClientId(read.reader.kind), read.reader.id, persons, now);
    if (!raised.some((a) => a.subjectKind === 'officer')) return true;
    // Over the limit: the alerts are stored the slow way (the volume is counted already).
    const subject = { subjectId: read.reader.id, clientId: `${read.reader.role} of ${readerUnitText(read.reader.unit)}` };
    const stored = Promise.all(raised.filter((a) => a.subjectKind === 'officer').map((a) => alertRepository.insert(this.db, { ...a, subjectKind: 'official-volume', clientId: subject.clientId })))
      .then(() => undefined, (error: unknown) => { this.options.onError?.(error); });
    this.pending.add(stored);
    void stored.finally(() => this.pending.delete(stored));
    return true;
  }

  /** Resolves when every check begun so far has stored its alerts (tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Forgets the cached list of sensitive persons (after a flag changes). */
  sensitiveChanged(): void {
    this.sensitive = undefined;
  }

  /** Checks one read against every rule; stores and returns the alerts it raises. */
  async check(read: OfficialRead, at: Date): Promise<readonly MisuseAlert[]> {
    const now = at.getTime();
    const subject = { subjectId: read.reader.id, clientId: `${read.reader.role} of ${readerUnitText(read.reader.unit)}` };
    const alerts: MisuseAlert[] = [];
    const alert = (kind: OfficialAlertKind, reads: number, windowStart: number, windowSeconds: number, baseline = 0): MisuseAlert => ({
      alertId: randomUUID(), subjectKind: kind, ...subject, windowStart: new Date(windowStart).toISOString(), windowSeconds,
      reads, baseline, raisedAt: at.toISOString(), status: 'open', acknowledgedAt: null,
    });
    const persons = new Set(read.personIds).size;
    for (const a of this.volume.record(officialClientId(read.reader.kind), read.reader.id, persons, now)) {
      if (a.subjectKind === 'officer') alerts.push({ ...a, subjectKind: 'official-volume', clientId: subject.clientId });
    }
    if (read.breakGlassReason !== undefined) alerts.push(alert('official-break-glass', persons, now, 0));
    const night = this.nightOf(now);
    if (night !== undefined && this.nights.get(read.reader.id) !== night) {
      this.nights.set(read.reader.id, night);
      alerts.push(alert('official-night', persons, night, ((24 - this.nightStart + this.nightEnd) % 24) * 3_600));
    }
    const sensitive = await this.sensitiveIds(now);
    const flagged = read.personIds.filter((id) => sensitive.has(id)).length;
    if (flagged > 0) alerts.push(alert('official-sensitive', flagged, now, 0));
    for (const a of alerts) await alertRepository.insert(this.db, a);
    return alerts;
  }

  /** The UTC instant the night containing `now` began (local nightStart hour), or undefined by day. */
  private nightOf(now: number): number | undefined {
    const local = now + this.offsetMs;
    const hour = Math.floor(local / hourMs) % 24;
    const dayStart = local - (local % (24 * hourMs));
    if (hour >= this.nightStart) return dayStart + this.nightStart * hourMs - this.offsetMs;
    if (hour < this.nightEnd) return dayStart - 24 * hourMs + this.nightStart * hourMs - this.offsetMs;
    return undefined;
  }

  private async sensitiveIds(now: number): Promise<ReadonlySet<string>> {
    if (this.sensitive !== undefined && this.sensitive.until > now) return this.sensitive.ids;
    this.loading ??= officialReadRepository.sensitiveIds(this.db).then((ids) => new Set(ids)).finally(() => { this.loading = undefined; });
    const ids = await this.loading;
    this.sensitive = { ids, until: now + this.cacheMs };
    return ids;
  }
}
