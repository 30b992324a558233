import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { csvSafeCell } from '../registry/csv-safety.js';
import type { Clock } from '../shared/clock.js';
import { DomainError } from '../shared/domain-error.js';
import type { DB } from '../store/database.types.js';
import { isDay, orderedId, vietnamDay } from './direction-time.js';
import { indicatorDefinition, type IndicatorScope } from './indicator.catalog.js';
import { indicatorRepository } from './indicator.repository.js';
import { planRepository, type ChangeRecord, type CommentRecord, type MilestoneRecord, type PlanRecord, type TaskRecord } from './plan.repository.js';
import { assessTask, type TaskAssessment, type TaskStatus } from './task.status.js';

export interface PlanInput {
  readonly title: string;
  readonly reference: string;
  readonly startsOn: string;
  readonly endsOn: string;
}

export interface TaskInput {
  readonly code: string;
  readonly title: string;
  readonly ownerKind: 'ministry' | 'locality';
  readonly ownerAgency: string;
  readonly ownerAgencyName: string;
  readonly ownerOfficer: string;
  readonly startsOn: string;
  readonly deadline: string;
  readonly indicator?: { readonly id: string; readonly scope: string; readonly baseline: number; readonly target: number } | null | undefined;
  readonly milestones?: readonly { readonly title: string; readonly dueOn: string; readonly completedOn?: string | null | undefined }[] | undefined;
}

/** The fields of a task an edit may change (milestones are added and completed on their own). */
export type TaskPatch = Partial<Omit<TaskInput, 'code' | 'milestones'>>;

export interface TaskView extends TaskRecord {
  readonly milestones: readonly MilestoneRecord[];
  readonly indicatorLatest: number | null;
  readonly assessment: TaskAssessment;
}

export interface TaskDetail extends TaskView {
  readonly changes: readonly ChangeRecord[];
  readonly comments: readonly CommentRecord[];
}

/** A unit (agency or locality) on the weekly meeting's list, with the tasks that put it there. */
export interface MeetingUnit {
  readonly ownerAgency: string;
  readonly ownerAgencyName: string;
  readonly ownerKind: 'ministry' | 'locality';
  readonly tasks: readonly { readonly taskId: string; readonly code: string; readonly title: string; readonly deadline: string; readonly status: TaskStatus; readonly overdueMilestones: number; readonly progress: number; readonly expected: number }[];
}

export interface MeetingLists {
  readonly day: string;
  readonly counts: Readonly<Record<TaskStatus, number>>;
  /** Units with a late task, most late tasks first. */
  readonly late: readonly MeetingUnit[];
  /** Units with a task ahead of schedule and none late, most ahead first. */
  readonly ahead: readonly MeetingUnit[];
}

export interface PlanServiceDeps {
  readonly db: Kysely<DB>;
  readonly clock: Clock;
  readonly newId?: () => string;
}

const csvColumns = ['code', 'title', 'owner_kind', 'owner_agency', 'owner_agency_name', 'owner_officer', 'starts_on', 'deadline', 'indicator_id', 'indicator_scope', 'indicator_baseline', 'indicator_target', 'completed_on', 'milestones', 'status'] as const;
const maxCsvBytes = 2_000_000;
const maxText = 500;

const invalid = (code: string, message: string, action: string, details?: Record<string, unknown>): DomainError => new DomainError('invalid', code, message, action, details);

function text(value: string, field: string, max = maxText): string {
  const v = value.normalize('NFC').trim();
  if (v === '' || v.length > max) throw invalid('DIRECTION_FIELD_INVALID', `${field} must be a non-empty text of at most ${max} characters`, `Fill in ${field}`, { field });
  return v;
}

function day(value: string, field: string): string {
  if (!isDay(value)) throw invalid('DIRECTION_DATE_INVALID', `${field} must be a calendar date YYYY-MM-DD`, `Give ${field} as YYYY-MM-DD`, { field });
  return value;
}

/**
 * Plans and their tasks: owners, deadlines, milestones by date and bound indicators, with every
 * change kept with who made it, comments, CSV import and export, and the weekly meeting's lists
 * of units late and units ahead. Status is derived (task.status.ts), never stored.
 */
export class PlanService {
  private readonly db: Kysely<DB>;
  private readonly clock: Clock;
  private readonly newId: () => string;

  constructor(deps: PlanServiceDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.newId = deps.newId ?? randomUUID;
  }

  today(): string {
    return vietnamDay(this.clock.now());
  }

  async createPlan(officerId: string, input: PlanInput): Promise<PlanRecord> {
    const plan: PlanRecord = {
      planId: this.newId(), title: text(input.title, 'title'), reference: text(input.reference, 'reference'),
      startsOn: day(input.startsOn, 'startsOn'), endsOn: day(input.endsOn, 'endsOn'), createdBy: officerId, createdAt: this.clock.now().toISOString(),
    };
    if (plan.endsOn < plan.startsOn) throw invalid('DIRECTION_DATES_ORDER', 'endsOn is before startsOn', 'Give an end date on or after the start date');
    await planRepository.insertPlan(this.db, plan);
    return plan;
  }

  async plans(): Promise<readonly PlanRecord[]> {
    return planRepository.plans(this.db);
  }

  async plan(planId: string): Promise<PlanRecord> {
    const plan = await planRepository.plan(this.db, planId);
    if (plan === undefined) throw new DomainError('not_found', 'PLAN_NOT_FOUND', 'No plan has this id', 'Check the plan id (GET /api/direction/plans)');
    return plan;
  }

  /** Adds a task with its milestones; all or nothing. */
  async addTask(officerId: string, planId: string, input: TaskInput): Promise<TaskView> {
    await this.plan(planId);
    const now = this.clock.now().toISOString();
    const { task, milestones } = this.checkTask(planId, this.newId(), input, 1, now);
    await this.db.transaction().execute(async (trx) => {
      if (await planRepository.taskByCode(trx, planId, task.code) !== undefined) {
        throw new DomainError('conflict', 'TASK_CODE_TAKEN', `The plan already has a task ${task.code}`, 'Give the task another number, or edit the existing one');
      }
      await planRepository.insertTask(trx, task);
      await planRepository.insertMilestones(trx, milestones);
      await planRepository.insertChanges(trx, [this.change(task.taskId, 'created', { ...snapshot(task), milestones: milestones.map((m) => ({ title: m.title, dueOn: m.dueOn })) }, officerId, now)]);
    });
    return this.view(task.taskId);
  }

  /**
   * Changes a task's fields; the history keeps each changed field's before and after. Refused
   * when the task changed since `expectedVersion` (two officers editing at once).
   */
  async updateTask(officerId: string, taskId: string, patch: TaskPatch, expectedVersion: number): Promise<TaskView> {
    const now = this.clock.now().toISOString();
    await this.db.transaction().execute(async (trx) => {
      const before = await this.taskOrThrow(trx, taskId);
      if (before.version !== expectedVersion) throw stale();
      const merged: TaskInput = {
        code: before.code, title: patch.title ?? before.title, ownerKind: patch.ownerKind ?? before.ownerKind, ownerAgency: patch.ownerAgency ?? before.ownerAgency,
        ownerAgencyName: patch.ownerAgencyName ?? before.ownerAgencyName, ownerOfficer: patch.ownerOfficer ?? before.ownerOfficer,
        startsOn: patch.startsOn ?? before.startsOn, deadline: patch.deadline ?? before.deadline,
        indicator: patch.indicator === undefined ? bound(before) : patch.indicator,
      };
      const { task } = this.checkTask(before.planId, taskId, merged, before.version + 1, now);
      const after: TaskRecord = { ...task, completedOn: before.completedOn };
      const diff = differences(snapshot(before), snapshot(after));
      if (Object.keys(diff).length === 0) return;
      if (!(await planRepository.updateTask(trx, after, expectedVersion))) throw stale();
      await planRepository.insertChanges(trx, [this.change(taskId, 'updated', diff, officerId, now)]);
    });
    return this.view(taskId);
  }

  async addMilestone(officerId: string, taskId: string, input: { readonly title: string; readonly dueOn: string }): Promise<TaskView> {
    const now = this.clock.now().toISOString();
    const m: MilestoneRecord = { milestoneId: this.newId(), taskId, title: text(input.title, 'title'), dueOn: day(input.dueOn, 'dueOn'), completedOn: null };
    await this.db.transaction().execute(async (trx) => {
      const task = await this.taskOrThrow(trx, taskId);
      if (m.dueOn < task.startsOn || m.dueOn > task.deadline) throw invalid('MILESTONE_OUTSIDE_TASK', 'A milestone falls between the task\'s start and its deadline', `Give a date from ${task.startsOn} to ${task.deadline}`);
      await planRepository.insertMilestones(trx, [m]);
      await this.bump(trx, task, now);
      await planRepository.insertChanges(trx, [this.change(taskId, 'milestone_added', { milestoneId: m.milestoneId, title: m.title, dueOn: m.dueOn }, officerId, now)]);
    });
    return this.view(taskId);
  }

  /** Marks a milestone done on a day (`undefined`: today), or not done with `on: null`. */
  async setMilestone(officerId: string, milestoneId: string, on: string | null | undefined): Promise<TaskView> {
    const now = this.clock.now().toISOString();
    const when = on === null ? null : day(on ?? this.today(), 'completedOn');
    if (when !== null && when > this.today()) throw invalid('DIRECTION_DATE_IN_FUTURE', 'A milestone cannot be done on a future day', 'Give today or an earlier day');
    let taskId = '';
    await this.db.transaction().execute(async (trx) => {
      const m = await planRepository.milestone(trx, milestoneId);
      if (m === undefined) throw new DomainError('not_found', 'MILESTONE_NOT_FOUND', 'No milestone has this id', 'Check the milestone id in the task');
      taskId = m.taskId;
      if (m.completedOn === when) return;
      const task = await this.taskOrThrow(trx, m.taskId);
      await planRepository.completeMilestone(trx, milestoneId, when);
      await this.bump(trx, task, now);
      await planRepository.insertChanges(trx, [this.change(m.taskId, when === null ? 'milestone_reopened' : 'milestone_completed', { milestoneId, title: m.title, dueOn: m.dueOn, completedOn: [m.completedOn, when] }, officerId, now)]);
    });
    return this.view(taskId);
  }

  /** Marks the task done on a day (`undefined`: today), or reopens it with `on: null`. */
  async setDone(officerId: string, taskId: string, on: string | null | undefined): Promise<TaskView> {
    const now = this.clock.now().toISOString();
    const when = on === null ? null : day(on ?? this.today(), 'completedOn');
    if (when !== null && when > this.today()) throw invalid('DIRECTION_DATE_IN_FUTURE', 'A task cannot be done on a future day', 'Give today or an earlier day');
    await this.db.transaction().execute(async (trx) => {
      const task = await this.taskOrThrow(trx, taskId);
      if (task.completedOn === when) return;
      const after: TaskRecord = { ...task, completedOn: when, version: task.version + 1, updatedAt: now };
      if (!(await planRepository.updateTask(trx, after, task.version))) throw stale();
      await planRepository.insertChanges(trx, [this.change(taskId, when === null ? 'reopened' : 'completed', { completedOn: [task.completedOn, when] }, officerId, now)]);
    });
    return this.view(taskId);
  }

  async comment(officerId: string, taskId: string, body: string): Promise<CommentRecord> {
    const now = this.clock.now().toISOString();
    const c: CommentRecord = { commentId: orderedId(this.clock.now()), taskId, author: officerId, body: text(body, 'body', 4_000), createdAt: now };
    await this.db.transaction().execute(async (trx) => {
      await this.taskOrThrow(trx, taskId);
      await planRepository.insertComment(trx, c);
      await planRepository.insertChanges(trx, [this.change(taskId, 'commented', { commentId: c.commentId }, officerId, now)]);
    });
    return c;
  }

  async task(taskId: string): Promise<TaskDetail> {
    const view = await this.view(taskId);
    const [changes, comments] = await Promise.all([planRepository.changes(this.db, taskId), planRepository.comments(this.db, taskId)]);
    return { ...view, changes, comments };
  }

  /** Every task of the plan with its milestones and assessment on `on` (default today). */
  async tasks(planId: string, on?: string): Promise<readonly TaskView[]> {
    await this.plan(planId);
    const today = on ?? this.today();
    const [tasks, milestones] = await Promise.all([planRepository.tasks(this.db, planId), planRepository.milestonesOfPlan(this.db, planId)]);
    const byTask = new Map<string, MilestoneRecord[]>();
    for (const m of milestones) byTask.set(m.taskId, [...(byTask.get(m.taskId) ?? []), m]);
    const latest = await this.latestValues(tasks, today);
    return tasks.map((t) => this.assess(t, byTask.get(t.taskId) ?? [], latest.get(latestKey(t)) ?? null, today)).sort(byCode);
  }

  /** The weekly meeting's lists on a day: units late and units ahead. */
  async meeting(planId: string, on?: string): Promise<MeetingLists> {
    const today = on ?? this.today();
    const tasks = await this.tasks(planId, today);
    const counts: Record<TaskStatus, number> = { not_started: 0, on_track: 0, at_risk: 0, late: 0, done: 0 };
    const units = new Map<string, { unit: Omit<MeetingUnit, 'tasks'>; late: TaskView[]; ahead: TaskView[] }>();
    for (const t of tasks) {
      counts[t.assessment.status] += 1;
      const u = units.get(t.ownerAgency) ?? { unit: { ownerAgency: t.ownerAgency, ownerAgencyName: t.ownerAgencyName, ownerKind: t.ownerKind }, late: [], ahead: [] };
      if (t.assessment.status === 'late') u.late.push(t);
      if (t.assessment.ahead) u.ahead.push(t);
      units.set(t.ownerAgency, u);
    }
    const line = (t: TaskView): MeetingUnit['tasks'][number] => ({ taskId: t.taskId, code: t.code, title: t.title, deadline: t.deadline, status: t.assessment.status, overdueMilestones: t.assessment.overdueMilestones, progress: t.assessment.progress, expected: t.assessment.expected });
    const list = (pick: (u: { late: TaskView[]; ahead: TaskView[] }) => TaskView[], keep: (u: { late: TaskView[]; ahead: TaskView[] }) => boolean): MeetingUnit[] =>
      [...units.values()].filter(keep).map((u) => ({ ...u.unit, tasks: pick(u).map(line) }))
        .sort((a, b) => b.tasks.length - a.tasks.length || a.ownerAgency.localeCompare(b.ownerAgency));
    return {
      day: today,
      counts,
      late: list((u) => u.late, (u) => u.late.length > 0),
      ahead: list((u) => u.ahead, (u) => u.ahead.length > 0 && u.late.length === 0),
    };
  }

  /** The plan's tasks as CSV (one row a task; milestones as `due|done|title` joined by `;`). */
  async exportCsv(planId: string): Promise<string> {
    const tasks = await this.tasks(planId);
    const rows = tasks.map((t) => [
      t.code, t.title, t.ownerKind, t.ownerAgency, t.ownerAgencyName, t.ownerOfficer, t.startsOn, t.deadline, t.indicatorId ?? '', t.indicatorScope,
      t.indicatorBaseline === null ? '' : String(t.indicatorBaseline), t.indicatorTarget === null ? '' : String(t.indicatorTarget), t.completedOn ?? '',
      t.milestones.map((m) => `${m.dueOn}|${m.completedOn ?? ''}|${m.title.replaceAll(';', ',').replaceAll('|', '/')}`).join(';'), t.assessment.status,
    ].map(csvSafeCell));
    return `\uFEFF${stringify([[...csvColumns], ...rows])}`;
  }

  /**
   * Imports tasks from CSV (the export's columns; `status` is ignored, it is derived). A task
   * whose code exists is updated, others are added; every row is checked first and any bad row
   * refuses the whole file, naming its line. All in one transaction.
   */
  async importCsv(officerId: string, planId: string, csv: string): Promise<{ readonly added: number; readonly updated: number }> {
    await this.plan(planId);
    if (Buffer.byteLength(csv) > maxCsvBytes) throw invalid('CSV_TOO_LARGE', `The file is larger than ${maxCsvBytes} bytes`, 'Split the plan into several files');
    let records: Record<string, string>[];
    try {
      records = parse<Record<string, string>>(csv.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true, trim: true, relax_column_count: false });
    } catch (error) {
      const line = (error as { lines?: number }).lines;
      throw invalid('CSV_MALFORMED', `The file is not valid CSV${line === undefined ? '' : ` (near line ${line})`}`, 'Save the file as CSV (UTF-8, comma separated) with the export\'s header row');
    }
    const first = records[0];
    if (first === undefined) throw invalid('CSV_EMPTY', 'The file has no task rows', 'Add one row per task under the header row');
    const missing = csvColumns.filter((c) => c !== 'status' && c !== 'completed_on' && !(c in first));
    if (missing.length > 0) throw invalid('CSV_COLUMNS_MISSING', `Columns missing: ${missing.join(', ')}`, 'Use the header row of the export', { missing });
    const now = this.clock.now().toISOString();
    const parsed = records.map((r, i) => {
      const line = i + 2;
      try {
        return this.fromCsvRow(planId, r, now);
      } catch (error) {
        if (error instanceof DomainError) throw invalid('CSV_ROW_INVALID', `Line ${line}: ${error.message}`, error.action, { line, code: error.code, ...(error.details ?? {}) });
        throw error;
      }
    });
    const codes = new Set<string>();
    for (const [i, p] of parsed.entries()) {
      if (codes.has(p.input.code)) throw invalid('CSV_ROW_INVALID', `Line ${i + 2}: task ${p.input.code} appears twice`, 'Keep one row per task number', { line: i + 2 });
      codes.add(p.input.code);
    }
    let added = 0;
    let updated = 0;
    await this.db.transaction().execute(async (trx) => {
      for (const p of parsed) {
        const existing = await planRepository.taskByCode(trx, planId, p.input.code);
        const { task, milestones } = this.checkTask(planId, existing?.taskId ?? this.newId(), p.input, (existing?.version ?? 0) + 1, now);
        const record: TaskRecord = { ...task, completedOn: p.completedOn };
        if (existing === undefined) {
          await planRepository.insertTask(trx, record);
          added += 1;
        } else {
          if (!(await planRepository.updateTask(trx, record, existing.version))) throw stale();
          await planRepository.deleteMilestones(trx, existing.taskId);
          updated += 1;
        }
        await planRepository.insertMilestones(trx, milestones);
        const detail = existing === undefined ? { ...snapshot(record), milestones: milestones.length } : { ...differences(snapshot(existing), snapshot(record)), milestones: milestones.length };
        await planRepository.insertChanges(trx, [this.change(record.taskId, 'imported', detail, officerId, now)]);
      }
    });
    return { added, updated };
  }

  private fromCsvRow(planId: string, r: Readonly<Record<string, string>>, now: string): { input: TaskInput; completedOn: string | null } {
    const get = (k: string): string => (r[k] ?? '').replace(/^'(?=[=+\-@\t\r])/, '');
    const kind = get('owner_kind');
    if (kind !== 'ministry' && kind !== 'locality') throw invalid('DIRECTION_FIELD_INVALID', 'owner_kind must be ministry or locality', 'Write ministry or locality', { field: 'owner_kind' });
    const num = (k: string): number => {
      const n = Number(get(k));
      if (get(k) === '' || !Number.isFinite(n)) throw invalid('DIRECTION_FIELD_INVALID', `${k} must be a number`, `Give ${k} as a number`, { field: k });
      return n;
    };
    const indicatorId = get('indicator_id');
    const milestones = get('milestones') === '' ? [] : get('milestones').split(';').map((m) => {
      const [dueOn = '', completedOn = '', ...title] = m.split('|');
      return { dueOn: dueOn.trim(), completedOn: completedOn.trim() === '' ? null : day(completedOn.trim(), 'milestone completedOn'), title: title.join('|') };
    });
    const completed = get('completed_on');
    const input: TaskInput = {
      code: get('code'), title: get('title'), ownerKind: kind, ownerAgency: get('owner_agency'), ownerAgencyName: get('owner_agency_name'), ownerOfficer: get('owner_officer'),
      startsOn: get('starts_on'), deadline: get('deadline'),
      indicator: indicatorId === '' ? null : { id: indicatorId, scope: get('indicator_scope'), baseline: num('indicator_baseline'), target: num('indicator_target') },
      milestones,
    };
    this.checkTask(planId, 'check', input, 1, now);
    return { input, completedOn: completed === '' ? null : day(completed, 'completed_on') };
  }

  private checkTask(planId: string, taskId: string, input: TaskInput, version: number, now: string): { task: TaskRecord; milestones: MilestoneRecord[] } {
    const code = text(input.code, 'code', 20);
    if (!/^[0-9A-Za-z][0-9A-Za-z.\-_]*$/.test(code)) throw invalid('DIRECTION_FIELD_INVALID', 'code holds letters, digits, dots and dashes only', 'Number the task like 1, 2.3 or DP-07', { field: 'code' });
    const startsOn = day(input.startsOn, 'startsOn');
    const deadline = day(input.deadline, 'deadline');
    if (deadline < startsOn) throw invalid('DIRECTION_DATES_ORDER', 'The deadline is before the start', 'Give a deadline on or after the start date');
    const ind = input.indicator ?? null;
    if (ind !== null) {
      const def = indicatorDefinition(ind.id);
      if (def === undefined) throw invalid('INDICATOR_UNKNOWN', `No indicator ${ind.id}`, 'Choose an indicator of GET /api/direction/indicators', { field: 'indicator' });
      const scope = scopeOfCode(ind.scope);
      if (!def.scopes.includes(scope)) throw invalid('INDICATOR_SCOPE_INVALID', `Indicator ${ind.id} has no values for scope ${ind.scope === '' ? 'nation' : ind.scope}`, `Use one of its scopes: ${def.scopes.join(', ')}`, { field: 'indicator' });
      if (!Number.isFinite(ind.baseline) || !Number.isFinite(ind.target) || ind.baseline === ind.target) throw invalid('INDICATOR_TARGET_INVALID', 'The indicator needs a baseline and a different target', 'Give the value at the start and the value aimed at');
    }
    const task: TaskRecord = {
      taskId, planId, code, title: text(input.title, 'title'), ownerKind: input.ownerKind, ownerAgency: text(input.ownerAgency, 'ownerAgency', 64),
      ownerAgencyName: text(input.ownerAgencyName, 'ownerAgencyName'), ownerOfficer: text(input.ownerOfficer, 'ownerOfficer', 200), startsOn, deadline,
      indicatorId: ind?.id ?? null, indicatorScope: ind?.scope ?? '', indicatorBaseline: ind?.baseline ?? null, indicatorTarget: ind?.target ?? null,
      completedOn: null, version, updatedAt: now,
    };
    const milestones = (input.milestones ?? []).map((m): MilestoneRecord => {
      const dueOn = day(m.dueOn, 'milestone dueOn');
      if (dueOn < startsOn || dueOn > deadline) throw invalid('MILESTONE_OUTSIDE_TASK', 'A milestone falls between the task\'s start and its deadline', `Give a date from ${startsOn} to ${deadline}`);
      return { milestoneId: this.newId(), taskId, title: text(m.title, 'milestone title'), dueOn, completedOn: m.completedOn ?? null };
    });
    return { task, milestones };
  }

  private async taskOrThrow(db: Kysely<DB>, taskId: string): Promise<TaskRecord> {
    const task = await planRepository.task(db, taskId);
    if (task === undefined) throw new DomainError('not_found', 'TASK_NOT_FOUND', 'No task has this id', 'Check the task id in the plan');
    return task;
  }

  private async bump(db: Kysely<DB>, task: TaskRecord, now: string): Promise<void> {
    if (!(await planRepository.updateTask(db, { ...task, version: task.version + 1, updatedAt: now }, task.version))) throw stale();
  }

  private async view(taskId: string): Promise<TaskView> {
    const task = await this.taskOrThrow(this.db, taskId);
    const milestones = await planRepository.milestonesOfTask(this.db, taskId);
    const today = this.today();
    const latest = await this.latestValues([task], today);
    return this.assess(task, milestones, latest.get(latestKey(task)) ?? null, today);
  }

  private assess(task: TaskRecord, milestones: readonly MilestoneRecord[], latest: number | null, today: string): TaskView {
    const indicator = task.indicatorId !== null && task.indicatorBaseline !== null && task.indicatorTarget !== null ? { baseline: task.indicatorBaseline, target: task.indicatorTarget, latest } : undefined;
    return { ...task, milestones, indicatorLatest: latest, assessment: assessTask({ startsOn: task.startsOn, deadline: task.deadline, completedOn: task.completedOn, milestones, indicator }, today) };
  }

  /** The latest value on or before `today` of each bound indicator scope, keyed `id|scope|code`. */
  private async latestValues(tasks: readonly TaskRecord[], today: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const wanted = new Set(tasks.filter((t) => t.indicatorId !== null).map(latestKey));
    for (const key of wanted) {
      const [id = '', scope = 'nation', code = ''] = key.split('|');
      const last = await indicatorRepository.latestDay(this.db, id, scope as IndicatorScope, today);
      if (last === undefined) continue;
      const [point] = await indicatorRepository.series(this.db, id, scope as IndicatorScope, code, last, last);
      if (point !== undefined) out.set(key, point.value);
    }
    return out;
  }

  private change(taskId: string, action: string, detail: Record<string, unknown>, changedBy: string, changedAt: string): ChangeRecord {
    return { changeId: orderedId(this.clock.now()), taskId, action, detail, changedBy, changedAt };
  }
}

/** A bound indicator's scope from its code: '' the nation, 2 digits a province, 5 a commune, otherwise an agency or service. */
export function scopeOfCode(code: string): IndicatorScope {
  if (code === '') return 'nation';
  if (/^\d{2}$/.test(code)) return 'province';
  if (/^\d{5}$/.test(code)) return 'commune';
  return code.includes('/') ? 'agency' : code.includes('.') ? 'service' : 'agency';
}

const latestKey = (t: TaskRecord): string => `${t.indicatorId ?? ''}|${scopeOfCode(t.indicatorScope)}|${t.indicatorScope}`;
const bound = (t: TaskRecord): TaskInput['indicator'] =>
  t.indicatorId === null || t.indicatorBaseline === null || t.indicatorTarget === null ? null : { id: t.indicatorId, scope: t.indicatorScope, baseline: t.indicatorBaseline, target: t.indicatorTarget };
const stale = (): DomainError => new DomainError('conflict', 'TASK_CHANGED', 'Someone changed the task since you opened it', 'Open the task again and repeat your change');
const byCode = (a: TaskView, b: TaskView): number => a.code.localeCompare(b.code, 'en', { numeric: true });

function snapshot(t: TaskRecord): Record<string, unknown> {
  return {
    title: t.title, ownerKind: t.ownerKind, ownerAgency: t.ownerAgency, ownerAgencyName: t.ownerAgencyName, ownerOfficer: t.ownerOfficer, startsOn: t.startsOn,
    deadline: t.deadline, indicatorId: t.indicatorId, indicatorScope: t.indicatorScope, indicatorBaseline: t.indicatorBaseline, indicatorTarget: t.indicatorTarget, completedOn: t.completedOn,
  };
}

function differences(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(after)) if (before[k] !== after[k]) out[k] = [before[k], after[k]];
  return out;
}
