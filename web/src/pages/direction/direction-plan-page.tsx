import { useState, type ReactNode } from 'react';
import type { ItemList } from '../../api.js';
import { ErrorBox, Loading } from '../../components.js';
import { useApi, useConsole } from '../../context.js';
import { routeHash } from '../../routing.js';
import type { PlanRecord } from '../../../../src/direction/plan.repository.js';
import type { MeetingLists, MeetingUnit, TaskView } from '../../../../src/direction/plan.service.js';
import { directionWords, type DirectionWord } from './direction.words.js';

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** A plan's tasks and the weekly meeting's lists (units late, units ahead); the plan's CSV for the meeting. */
export function DirectionPlanPage(): ReactNode {
  const { lang } = useConsole();
  const w = directionWords(lang);
  const plans = useApi<ItemList<PlanRecord>>('/api/direction/plans');
  const [chosen, setChosen] = useState<string | null>(null);
  const items = plans.state === 'ok' ? plans.data.items : [];
  const plan = items.find((p) => p.planId === chosen) ?? items[0] ?? null;
  const meeting = useApi<MeetingLists>(plan === null ? null : `/api/direction/plans/${encodeURIComponent(plan.planId)}/meeting`);
  const tasks = useApi<{ readonly items: readonly TaskView[] }>(plan === null ? null : `/api/direction/plans/${encodeURIComponent(plan.planId)}/tasks`);
  const status = (s: string): string => w[`status_${s}` as DirectionWord];

  return (
    <div className="page direction" data-testid="direction-plan">
      <section className="panel">
        <h1>{w.planTitle}</h1>
        <p className="muted">{w.planHelp}</p>
        {plans.state === 'loading' && <Loading />}
        {plans.state === 'error' && <ErrorBox error={plans.error} />}
        {plans.state === 'ok' && plan === null && <p className="muted">{w.noPlan}</p>}
        {items.length > 1 && plan !== null && (
          <p className="no-print">
            <label htmlFor="plan-select">{w.choosePlan} </label>
            <select id="plan-select" data-testid="plan-select" value={plan.planId} onChange={(e) => { setChosen(e.target.value); }}>
              {items.map((p) => <option key={p.planId} value={p.planId}>{p.title}</option>)}
            </select>
          </p>
        )}
        {plan !== null && (
          <p>
            <strong data-testid="plan-title">{plan.title}</strong> · {plan.reference} · {plan.startsOn} → {plan.endsOn}
            {' · '}
            <a href={`/api/direction/plans/${encodeURIComponent(plan.planId)}/export`} download data-testid="plan-export">{w.exportCsv}</a>
            {' · '}
            <button type="button" className="link no-print" onClick={() => { window.print(); }}>{w.print}</button>
          </p>
        )}
      </section>
      {meeting.state === 'ok' && (
        <>
          <section className="panel">
            <p data-testid="plan-counts">
              {(['late', 'at_risk', 'on_track', 'not_started', 'done'] as const).map((s) => (
                <span key={s} className={`status-chip status-${s}`} data-testid={`count-${s}`}>{status(s)}: {meeting.data.counts[s]}</span>
              ))}
            </p>
          </section>
          <div className="direction-grid">
            <UnitList title={w.lateUnits} units={meeting.data.late} testId="meeting-late" />
            <UnitList title={w.aheadUnits} units={meeting.data.ahead} testId="meeting-ahead" />
          </div>
        </>
      )}
      {tasks.state === 'ok' && (
        <section className="panel">
          <h2>{w.tasks} ({tasks.data.items.length})</h2>
          <table className="table" data-testid="plan-tasks">
            <thead><tr><th>{w.code}</th><th>{w.task}</th><th>{w.ownerAgency}</th><th>{w.deadline}</th><th>{w.status}</th><th className="num">{w.progress}</th></tr></thead>
            <tbody>
              {tasks.data.items.map((t) => (
                <tr key={t.taskId} data-testid="plan-task-row">
                  <td>{t.code}</td><td><a href={routeHash({ page: 'directionTask', id: t.taskId })} data-testid="plan-task-link">{t.title}</a></td><td>{t.ownerAgencyName}</td><td>{t.deadline.split('-').reverse().join('/')}</td>
                  <td><span className={`status-chip status-${t.assessment.status}`}>{status(t.assessment.status)}</span></td>
                  <td className="num">{pct(t.assessment.progress)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}

function UnitList({ title, units, testId }: { readonly title: string; readonly units: readonly MeetingUnit[]; readonly testId: string }): ReactNode {
  const { lang } = useConsole();
  const w = directionWords(lang);
  return (
    <section className="panel" data-testid={testId}>
      <h2>{title} ({units.length})</h2>
      <ol>
        {units.map((u) => (
          <li key={u.ownerAgency} data-testid={`${testId}-unit`}>
            <strong>{u.ownerAgencyName}</strong>: {u.tasks.length} {w.tasks.toLowerCase()}
            <ul>
              {u.tasks.map((t) => (
                <li key={t.taskId}>{t.code}. {t.title} ({w.deadline} {t.deadline.split('-').reverse().join('/')}{t.overdueMilestones > 0 ? `, ${t.overdueMilestones} ${w.overdue}` : ''})</li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </section>
  );
}
