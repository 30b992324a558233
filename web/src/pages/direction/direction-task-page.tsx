import { useState, type ReactNode } from 'react';
import { ApiError, apiPost } from '../../api.js';
import { ErrorBox, Loading } from '../../components.js';
import { useApi, useConsole } from '../../context.js';
import { formatInstant } from '../../format.js';
import { useOfficerNames } from '../../officer-names.js';
import { routeHash } from '../../routing.js';
import type { TaskDetail } from '../../../../src/direction/plan.service.js';
import { directionWords, formatNumber, type DirectionWord } from './direction.words.js';

const day = (d: string): string => d.split('-').reverse().join('/');

/** One task: owner, dates, status, milestones (marked done here), every change with who made it, and comments. */
export function DirectionTaskPage({ id }: { readonly id: string }): ReactNode {
  const { lang, csrfToken, onUnauthorized } = useConsole();
  const w = directionWords(lang);
  const [version, setVersion] = useState(0);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const task = useApi<TaskDetail>(`/api/direction/tasks/${encodeURIComponent(id)}?v=${version}`);
  // Who commented and who changed what, by name (ids of scripts and imports stay as they are).
  const names = useOfficerNames(task.state === 'ok' ? [...task.data.comments.map((c) => c.author), ...task.data.changes.map((c) => c.changedBy)] : []);

  async function act(path: string, body: unknown): Promise<void> {
    try {
      await apiPost(path, csrfToken, body);
      setError(null);
      setVersion((v) => v + 1);
    } catch (e) {
      const apiError = e instanceof ApiError ? e : new ApiError(0, 'CLIENT_ERROR', String(e), null);
      if (apiError.status === 401) onUnauthorized();
      setError(apiError);
    }
  }

  if (task.state === 'loading' || task.state === 'idle') return <Loading />;
  if (task.state === 'error') return <ErrorBox error={task.error} />;
  const t = task.data;
  return (
    <div className="page direction" data-testid="direction-task">
      <section className="panel">
        <p><a href={routeHash({ page: 'directionPlan' })}>{w.planTitle}</a> › {t.code}</p>
        <h1>{t.code}. {t.title}</h1>
        <dl className="fields">
          <dt>{w.ownerAgency}</dt><dd>{t.ownerAgencyName} · {t.ownerOfficer}</dd>
          <dt>{w.deadline}</dt><dd data-testid="task-deadline">{day(t.startsOn)} → {day(t.deadline)}</dd>
          <dt>{w.status}</dt><dd><span className={`status-chip status-${t.assessment.status}`} data-testid="task-status">{w[`status_${t.assessment.status}` as DirectionWord]}</span></dd>
          <dt>{w.progress}</dt><dd>{Math.round(t.assessment.progress * 100)}% ({Math.round(t.assessment.expected * 100)}%)</dd>
          {t.indicatorId !== null && <><dt>{w.indicator}</dt><dd>{t.indicatorId} {t.indicatorScope}: {formatNumber(lang, t.indicatorLatest)} ({formatNumber(lang, t.indicatorBaseline)} → {formatNumber(lang, t.indicatorTarget)})</dd></>}
        </dl>
      </section>
      {error !== null && <ErrorBox error={error} />}
      <section className="panel">
        <h2>{w.milestones}</h2>
        <table className="table" data-testid="task-milestones">
          <tbody>
            {t.milestones.map((m) => (
              <tr key={m.milestoneId} data-testid="task-milestone">
                <td>{day(m.dueOn)}</td><td>{m.title}</td>
                <td>{m.completedOn !== null ? `${w.status_done} ${day(m.completedOn)}` : (
                  <button type="button" data-testid="milestone-done" onClick={() => void act(`/api/direction/milestones/${encodeURIComponent(m.milestoneId)}/completion`, {})}>{w.markDone}</button>
                )}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <h2>{w.comments}</h2>
        <ul data-testid="task-comments">
          {t.comments.map((c) => <li key={c.commentId}><span className="muted">{formatInstant(lang, c.createdAt)} · <span data-testid="comment-author">{names.get(c.author) ?? c.author}</span></span><br />{c.body}</li>)}
        </ul>
        <textarea value={comment} onChange={(e) => { setComment(e.target.value); }} rows={3} data-testid="comment-body" aria-label={w.comments} />
        <button type="button" data-testid="comment-send" onClick={() => void act(`/api/direction/tasks/${encodeURIComponent(t.taskId)}/comments`, { body: comment }).then(() => { setComment(''); })}>{w.send}</button>
      </section>
      <section className="panel">
        <h2>{w.history}</h2>
        <ol data-testid="task-history">
          {t.changes.map((c) => (
            <li key={c.changeId} data-testid="task-change"><span className="muted">{formatInstant(lang, c.changedAt)}</span> · <strong>{c.action}</strong> · <span data-testid="change-by">{names.get(c.changedBy) ?? c.changedBy}</span> · <code>{JSON.stringify(c.detail).slice(0, 300)}</code></li>
          ))}
        </ol>
      </section>
    </div>
  );
}
