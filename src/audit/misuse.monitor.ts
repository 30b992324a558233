import { randomUUID } from 'node:crypto';
import type { MisuseAlert } from './misuse-alert.types.js';

export interface MisuseOptions {
  /** Length of a counting window; default 60 s. */
  readonly windowMs?: number;
  /** Weight of the newest window in the usual-reads average (EWMA); default 0.2. */
  readonly alpha?: number;
  /** Reads over `factor` times the usual raise an alert; default 5. */
  readonly factor?: number;
  /** Never alert below this many reads in a window (small numbers are noise); default 50. */
  readonly minimumReads?: number;
  /** Windows seen before the average counts as a baseline; default 5. Until then `newcomerReads` applies. */
  readonly warmupWindows?: number;
  /** The fixed limit for a subject without a baseline yet; default 1,000 reads a window. */
  readonly newcomerReads?: number;
}

interface Subject {
  windowStart: number;
  reads: number;
  ewma: number;
  windows: number;
  alerted: boolean;
}

/**
 * Watches reads per officer and per client against their own usual pattern: reads are counted per
 * window, the usual count is an exponentially weighted moving average of past windows, and a
 * window whose reads pass `factor` × usual (and `minimumReads`) raises one alert. Counting is a
 * few additions per call; state is per node and starts empty after a restart.
 */
export class MisuseMonitor {
  private readonly subjects = new Map<string, Subject>();
  private readonly windowMs: number;
  private readonly alpha: number;
  private readonly factor: number;
  private readonly minimumReads: number;
  private readonly warmupWindows: number;
  private readonly newcomerReads: number;

  constructor(options: MisuseOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.alpha = options.alpha ?? 0.2;
    this.factor = options.factor ?? 5;
    this.minimumReads = options.minimumReads ?? 50;
    this.warmupWindows = options.warmupWindows ?? 5;
    this.newcomerReads = options.newcomerReads ?? 1_000;
  }

  /** Counts `reads` records read by this officer of this client; returns the alerts this raises. */
  record(clientId: string, officerId: string, reads: number, now: number): readonly MisuseAlert[] {
    const alerts: MisuseAlert[] = [];
    const officerAlert = this.count('officer', `${clientId} ${officerId}`, officerId, clientId, reads, now);
    if (officerAlert !== undefined) alerts.push(officerAlert);
    const clientAlert = this.count('client', clientId, clientId, clientId, reads, now);
    if (clientAlert !== undefined) alerts.push(clientAlert);
    return alerts;
  }

  private count(kind: 'officer' | 'client', key: string, subjectId: string, clientId: string, reads: number, now: number): MisuseAlert | undefined {
    let s = this.subjects.get(key);
    const windowStart = now - (now % this.windowMs);
    if (s === undefined) {
      s = { windowStart, reads: 0, ewma: 0, windows: 0, alerted: false };
      this.subjects.set(key, s);
    } else if (s.windowStart !== windowStart) {
      // Close the finished window, then count the empty ones in between (at most a day's worth matter).
      const skipped = Math.min(Math.floor((windowStart - s.windowStart) / this.windowMs) - 1, 1_440);
      s.ewma = this.alpha * s.reads + (1 - this.alpha) * s.ewma;
      for (let i = 0; i < skipped; i++) s.ewma *= 1 - this.alpha;
      s.windows += 1 + Math.max(skipped, 0);
      s.windowStart = windowStart;
      s.reads = 0;
      s.alerted = false;
    }
    s.reads += reads;
    if (s.alerted) return undefined;
    const limit = s.windows >= this.warmupWindows ? Math.max(this.minimumReads, this.factor * s.ewma) : this.newcomerReads;
    if (s.reads <= limit) return undefined;
    s.alerted = true;
    return {
      alertId: randomUUID(),
      subjectKind: kind,
      subjectId,
      clientId,
      windowStart: new Date(windowStart).toISOString(),
      windowSeconds: this.windowMs / 1000,
      reads: s.reads,
      baseline: Math.round(s.ewma * 100) / 100,
      raisedAt: new Date(now).toISOString(),
      status: 'open',
      acknowledgedAt: null,
    };
  }
}

export interface TokenFailureOptions {
  /** Length of a counting window; default 60 s. */
  readonly windowMs?: number;
  /** Failed assertions in a window above which one alert is raised; default 20 (under the token endpoint's rate limits, so a throttled flood still alerts). */
  readonly threshold?: number;
  /** Subjects counted at most (addresses are many): past it the counts start again; default 100,000. */
  readonly maxSubjects?: number;
}

/**
 * Counts failed client assertions at the token endpoint per claimed client and per caller
 * address, in fixed windows; a window with more than `threshold` failures raises one alert
 * (someone guessing keys, or a client whose key or clock is wrong). Per node, like the monitor.
 */
export class TokenFailureMonitor {
  private readonly counts = new Map<string, { windowStart: number; failures: number; alerted: boolean }>();
  private readonly windowMs: number;
  private readonly threshold: number;
  private readonly maxSubjects: number;

  constructor(options: TokenFailureOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.threshold = options.threshold ?? 20;
    this.maxSubjects = options.maxSubjects ?? 100_000;
  }

  /** Counts one failure of the subject; returns the alert it raises, if any. */
  record(kind: 'token-client' | 'token-address', subjectId: string, clientId: string, now: number): MisuseAlert | undefined {
    const key = `${kind} ${subjectId}`;
    const windowStart = now - (now % this.windowMs);
    let c = this.counts.get(key);
    if (c === undefined || c.windowStart !== windowStart) {
      if (c === undefined && this.counts.size >= this.maxSubjects) this.counts.clear();
      c = { windowStart, failures: 0, alerted: false };
      this.counts.set(key, c);
    }
    c.failures++;
    if (c.alerted || c.failures <= this.threshold) return undefined;
    c.alerted = true;
    return {
      alertId: randomUUID(),
      subjectKind: kind,
      subjectId,
      clientId,
      windowStart: new Date(windowStart).toISOString(),
      windowSeconds: this.windowMs / 1000,
      reads: c.failures,
      baseline: 0,
      raisedAt: new Date(now).toISOString(),
      status: 'open',
      acknowledgedAt: null,
    };
  }
}
