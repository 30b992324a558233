import { describe, expect, it } from 'vitest';
import { assessTask, indicatorProgress, type TaskState } from './task.status.js';

const base: TaskState = {
  startsOn: '2026-01-01',
  deadline: '2026-12-31',
  completedOn: null,
  milestones: [
    { dueOn: '2026-03-31', completedOn: null },
    { dueOn: '2026-06-30', completedOn: null },
    { dueOn: '2026-12-31', completedOn: null },
  ],
};

describe('task status', () => {
  it('is not started before the start and before any milestone is due or done', () => {
    expect(assessTask(base, '2025-12-20').status).toBe('not_started');
    expect(assessTask(base, '2026-02-01').status).toBe('not_started');
  });

  it('is late when a milestone is overdue, and says how many', () => {
    const a = assessTask(base, '2026-07-01');
    expect(a.status).toBe('late');
    expect(a.overdueMilestones).toBe(2);
  });

  it('is late after the deadline even with every milestone done', () => {
    const done = { ...base, milestones: base.milestones.map((m) => ({ ...m, completedOn: m.dueOn })) };
    // All milestones done means done, unless an indicator target is unmet.
    expect(assessTask(done, '2027-01-02').status).toBe('done');
    const unmet = { ...done, indicator: { baseline: 50, target: 100, latest: 70 } };
    expect(assessTask(unmet, '2027-01-02').status).toBe('late');
  });

  it('is at risk when a milestone falls due within 7 days, or progress lags the even pace', () => {
    const started = { ...base, milestones: [{ dueOn: '2026-03-31', completedOn: '2026-03-20' }, { dueOn: '2026-06-30', completedOn: null }, { dueOn: '2026-12-31', completedOn: null }] };
    expect(assessTask(started, '2026-06-25').status).toBe('at_risk');
    expect(assessTask(started, '2026-05-01').status).toBe('on_track');
    const lagging = { ...started, indicator: { baseline: 0, target: 100, latest: 10 } };
    expect(assessTask(lagging, '2026-05-01').status).toBe('at_risk');
  });

  it('is done when marked done, and ahead when done before the deadline', () => {
    const a = assessTask({ ...base, completedOn: '2026-05-01' }, '2026-07-01');
    expect(a).toMatchObject({ status: 'done', ahead: true, progress: 1 });
    expect(assessTask({ ...base, completedOn: '2026-12-31' }, '2027-02-01').ahead).toBe(false);
  });

  it('is ahead when the indicator runs well above the even pace with nothing overdue', () => {
    const a = assessTask({ ...base, milestones: [{ dueOn: '2026-12-31', completedOn: null }], indicator: { baseline: 0, target: 100, latest: 80 } }, '2026-04-01');
    expect(a).toMatchObject({ status: 'on_track', ahead: true });
  });

  it('measures indicator progress in either direction, clipped', () => {
    expect(indicatorProgress(10, 0, 5)).toBe(0.5);
    expect(indicatorProgress(60, 95, 200)).toBe(1);
    expect(indicatorProgress(60, 95, 10)).toBe(0);
  });
});
