import type { Executor } from '../registry/person.repository.js';
import type { DirectionMilestonesTable, DirectionTasksTable } from './direction.tables.js';

export interface PlanRecord {
  readonly planId: string;
  readonly title: string;
  readonly reference: string;
  readonly startsOn: string;
  readonly endsOn: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface TaskRecord {
  readonly taskId: string;
  readonly planId: string;
  readonly code: string;
  readonly title: string;
  readonly ownerKind: 'ministry' | 'locality';
  readonly ownerAgency: string;
  readonly ownerAgencyName: string;
  readonly ownerOfficer: string;
  readonly startsOn: string;
  readonly deadline: string;
  readonly indicatorId: string | null;
  readonly indicatorScope: string;
  readonly indicatorBaseline: number | null;
  readonly indicatorTarget: number | null;
  readonly completedOn: string | null;
  readonly version: number;
  readonly updatedAt: string;
}

export interface MilestoneRecord {
  readonly milestoneId: string;
  readonly taskId: string;
  readonly title: string;
  readonly dueOn: string;
  readonly completedOn: string | null;
}

export interface ChangeRecord {
  readonly changeId: string;
  readonly taskId: string;
  readonly action: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly changedBy: string;
  readonly changedAt: string;
}

export interface CommentRecord {
  readonly commentId: string;
  readonly taskId: string;
  readonly author: string;
  readonly body: string;
  readonly createdAt: string;
}

export function toTask(r: DirectionTasksTable): TaskRecord {
  return {
    taskId: r.task_id, planId: r.plan_id, code: r.code, title: r.title, ownerKind: r.owner_kind === 'locality' ? 'locality' : 'ministry',
    ownerAgency: r.owner_agency, ownerAgencyName: r.owner_agency_name, ownerOfficer: r.owner_officer, startsOn: r.starts_on, deadline: r.deadline,
    indicatorId: r.indicator_id, indicatorScope: r.indicator_scope, indicatorBaseline: r.indicator_baseline, indicatorTarget: r.indicator_target,
    completedOn: r.completed_on, version: r.version, updatedAt: r.updated_at,
  };
}

export function fromTask(t: TaskRecord): DirectionTasksTable {
  return {
    task_id: t.taskId, plan_id: t.planId, code: t.code, title: t.title, owner_kind: t.ownerKind, owner_agency: t.ownerAgency,
    owner_agency_name: t.ownerAgencyName, owner_officer: t.ownerOfficer, starts_on: t.startsOn, deadline: t.deadline,
    indicator_id: t.indicatorId, indicator_scope: t.indicatorScope, indicator_baseline: t.indicatorBaseline, indicator_target: t.indicatorTarget,
    completed_on: t.completedOn, version: t.version, updated_at: t.updatedAt,
  };
}

const toMilestone = (r: DirectionMilestonesTable): MilestoneRecord => ({ milestoneId: r.milestone_id, taskId: r.task_id, title: r.title, dueOn: r.due_on, completedOn: r.completed_on });

/** Plans, tasks, milestones, the change history and comments. The caller owns the transaction. */
export const planRepository = {
  async insertPlan(db: Executor, p: PlanRecord): Promise<void> {
    await db.insertInto('direction_plans').values({ plan_id: p.planId, title: p.title, reference: p.reference, starts_on: p.startsOn, ends_on: p.endsOn, created_by: p.createdBy, created_at: p.createdAt }).execute();
  },

  async plans(db: Executor): Promise<readonly PlanRecord[]> {
    const rows = await db.selectFrom('direction_plans').selectAll().orderBy('created_at').orderBy('plan_id').execute();
    return rows.map((r) => ({ planId: r.plan_id, title: r.title, reference: r.reference, startsOn: r.starts_on, endsOn: r.ends_on, createdBy: r.created_by, createdAt: r.created_at }));
  },

  async plan(db: Executor, planId: string): Promise<PlanRecord | undefined> {
    const r = await db.selectFrom('direction_plans').selectAll().where('plan_id', '=', planId).executeTakeFirst();
    return r === undefined ? undefined : { planId: r.plan_id, title: r.title, reference: r.reference, startsOn: r.starts_on, endsOn: r.ends_on, createdBy: r.created_by, createdAt: r.created_at };
  },

  async insertTask(db: Executor, t: TaskRecord): Promise<void> {
    await db.insertInto('direction_tasks').values(fromTask(t)).execute();
  },

  /** Writes the task if its version is still `expectedVersion`; false when someone changed it first. */
  async updateTask(db: Executor, t: TaskRecord, expectedVersion: number): Promise<boolean> {
    const { task_id: id, ...rest } = fromTask(t);
    const result = await db.updateTable('direction_tasks').set(rest).where('task_id', '=', id).where('version', '=', expectedVersion).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async task(db: Executor, taskId: string): Promise<TaskRecord | undefined> {
    const r = await db.selectFrom('direction_tasks').selectAll().where('task_id', '=', taskId).executeTakeFirst();
    return r === undefined ? undefined : toTask(r);
  },

  async taskByCode(db: Executor, planId: string, code: string): Promise<TaskRecord | undefined> {
    const r = await db.selectFrom('direction_tasks').selectAll().where('plan_id', '=', planId).where('code', '=', code).executeTakeFirst();
    return r === undefined ? undefined : toTask(r);
  },

  async tasks(db: Executor, planId: string): Promise<readonly TaskRecord[]> {
    const rows = await db.selectFrom('direction_tasks').selectAll().where('plan_id', '=', planId).execute();
    return rows.map(toTask);
  },

  async insertMilestones(db: Executor, rows: readonly MilestoneRecord[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await db.insertInto('direction_milestones').values(rows.slice(i, i + 500).map((m) => ({ milestone_id: m.milestoneId, task_id: m.taskId, title: m.title, due_on: m.dueOn, completed_on: m.completedOn }))).execute();
    }
  },

  async deleteMilestones(db: Executor, taskId: string): Promise<void> {
    await db.deleteFrom('direction_milestones').where('task_id', '=', taskId).execute();
  },

  async milestone(db: Executor, milestoneId: string): Promise<MilestoneRecord | undefined> {
    const r = await db.selectFrom('direction_milestones').selectAll().where('milestone_id', '=', milestoneId).executeTakeFirst();
    return r === undefined ? undefined : toMilestone(r);
  },

  async completeMilestone(db: Executor, milestoneId: string, on: string | null): Promise<void> {
    await db.updateTable('direction_milestones').set({ completed_on: on }).where('milestone_id', '=', milestoneId).execute();
  },

  async milestonesOfPlan(db: Executor, planId: string): Promise<readonly MilestoneRecord[]> {
    const rows = await db.selectFrom('direction_milestones').innerJoin('direction_tasks', 'direction_tasks.task_id', 'direction_milestones.task_id')
      .selectAll('direction_milestones').where('direction_tasks.plan_id', '=', planId).orderBy('direction_milestones.due_on').orderBy('direction_milestones.milestone_id').execute();
    return rows.map(toMilestone);
  },

  async milestonesOfTask(db: Executor, taskId: string): Promise<readonly MilestoneRecord[]> {
    const rows = await db.selectFrom('direction_milestones').selectAll().where('task_id', '=', taskId).orderBy('due_on').orderBy('milestone_id').execute();
    return rows.map(toMilestone);
  },

  async insertChanges(db: Executor, rows: readonly ChangeRecord[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      await db.insertInto('direction_task_changes').values(rows.slice(i, i + 500).map((c) => ({ change_id: c.changeId, task_id: c.taskId, action: c.action, detail: JSON.stringify(c.detail), changed_by: c.changedBy, changed_at: c.changedAt }))).execute();
    }
  },

  async changes(db: Executor, taskId: string): Promise<readonly ChangeRecord[]> {
    const rows = await db.selectFrom('direction_task_changes').selectAll().where('task_id', '=', taskId).orderBy('changed_at').orderBy('change_id').execute();
    return rows.map((r) => ({ changeId: r.change_id, taskId: r.task_id, action: r.action, detail: JSON.parse(r.detail) as Record<string, unknown>, changedBy: r.changed_by, changedAt: r.changed_at }));
  },

  async insertComment(db: Executor, c: CommentRecord): Promise<void> {
    await db.insertInto('direction_comments').values({ comment_id: c.commentId, task_id: c.taskId, author: c.author, body: c.body, created_at: c.createdAt }).execute();
  },

  async comments(db: Executor, taskId: string): Promise<readonly CommentRecord[]> {
    const rows = await db.selectFrom('direction_comments').selectAll().where('task_id', '=', taskId).orderBy('created_at').orderBy('comment_id').execute();
    return rows.map((r) => ({ commentId: r.comment_id, taskId: r.task_id, author: r.author, body: r.body, createdAt: r.created_at }));
  },
};
