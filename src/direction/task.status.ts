/**
 * A task's status follows from its dates, milestones and bound indicator; nobody sets it by hand
 * (marking a task done is the one exception, and is recorded). Pure, so the weekly meeting's lists
 * and the dashboards agree with the tests.
 */

export const taskStatuses = ['not_started', 'on_track', 'at_risk', 'late', 'done'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export interface MilestoneState {
  readonly dueOn: string;
  readonly completedOn: string | null;
}

export interface TaskState {
  readonly startsOn: string;
  readonly deadline: string;
  readonly completedOn: string | null;
  readonly milestones: readonly MilestoneState[];
  /** The bound indicator: baseline, target and the latest value; absent when none is bound. */
  readonly indicator?: { readonly baseline: number; readonly target: number; readonly latest: number | null } | undefined;
}

export interface TaskAssessment {
  readonly status: TaskStatus;
  /** Milestones due by today and not completed. */
  readonly overdueMilestones: number;
  /** 0–1: the indicator's way from baseline to target, or the share of milestones done. */
  readonly progress: number;
  /** 0–1: where progress should be today if work ran evenly from start to deadline. */
  readonly expected: number;
  /** Ahead of schedule: done before the deadline, or progress at least 10 points above expected with nothing overdue. */
  readonly ahead: boolean;
}

/** A milestone due within this many days and not done puts the task at risk. */
export const atRiskWindowDays = 7;
/** Progress this far (0–1) behind the even pace puts the task at risk. */
export const atRiskLag = 0.15;

const dayMs = 86_400_000;
const days = (from: string, to: string): number => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs;

/** The indicator's way from baseline to target (either direction), clipped to 0–1. */
export function indicatorProgress(baseline: number, target: number, latest: number): number {
  if (target === baseline) return latest === target ? 1 : 0;
  return Math.min(1, Math.max(0, (latest - baseline) / (target - baseline)));
}

/**
 * Assesses a task on a day (YYYY-MM-DD, Asia/Ho_Chi_Minh).
 *
 * @example
 * assessTask({ startsOn: '2026-01-01', deadline: '2026-12-31', completedOn: null, milestones: [{ dueOn: '2026-03-01', completedOn: null }] }, '2026-03-02').status
 * // 'late'
 */
export function assessTask(task: TaskState, today: string): TaskAssessment {
  const overdue = task.milestones.filter((m) => m.completedOn === null && m.dueOn < today).length;
  const span = Math.max(1, days(task.startsOn, task.deadline));
  const expected = Math.min(1, Math.max(0, days(task.startsOn, today) / span));
  const latest = task.indicator?.latest ?? null;
  const milestoneShare = task.milestones.length === 0 ? 0 : task.milestones.filter((m) => m.completedOn !== null).length / task.milestones.length;
  const progress = task.indicator !== undefined && latest !== null ? indicatorProgress(task.indicator.baseline, task.indicator.target, latest) : milestoneShare;
  const targetMet = task.indicator !== undefined && latest !== null && progress >= 1;
  const allMilestonesDone = task.milestones.length > 0 && task.milestones.every((m) => m.completedOn !== null);

  // Done: marked done, or every milestone done with the target met (or no indicator), or the target met with no milestones.
  if (task.completedOn !== null || (allMilestonesDone && (task.indicator === undefined || targetMet)) || (targetMet && task.milestones.length === 0)) {
    const lastMilestone = task.milestones.reduce<string | null>((d, m) => (m.completedOn !== null && (d === null || m.completedOn > d) ? m.completedOn : d), null);
    const doneOn = task.completedOn ?? lastMilestone ?? today;
    return { status: 'done', overdueMilestones: 0, progress: 1, expected, ahead: doneOn < task.deadline };
  }
  const started = today >= task.startsOn && (milestoneShare > 0 || (latest !== null && progress > 0) || task.milestones.some((m) => m.dueOn <= today));
  if (task.deadline < today || overdue > 0) return { status: 'late', overdueMilestones: overdue, progress, expected, ahead: false };
  if (!started) return { status: 'not_started', overdueMilestones: 0, progress, expected, ahead: false };
  const dueSoon = task.milestones.some((m) => m.completedOn === null && days(today, m.dueOn) <= atRiskWindowDays);
  const lagging = progress + atRiskLag < expected;
  if (dueSoon || lagging) return { status: 'at_risk', overdueMilestones: 0, progress, expected, ahead: false };
  return { status: 'on_track', overdueMilestones: 0, progress, expected, ahead: progress >= expected + 0.1 };
}
