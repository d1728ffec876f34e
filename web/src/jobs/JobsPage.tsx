import { useEffect, useState } from 'preact/hooks';
import { getJson } from '../api';
import { ErrorBox, Eta, ProgressBar, StateBadge } from '../ui/common';
import { jobHref } from '../ui/route';
import { sleep } from './follow';
import { ago, JOB_STATES, JOB_TYPES, type JobPage } from './model';

const PAGE_SIZE = 25;
const REFRESH_MS = 2000;

/** Every job, newest first, refreshed every two seconds while the tab is visible. */
export function JobsPage() {
  const [state, setState] = useState('');
  const [type, setType] = useState('');
  const [hideStages, setHideStages] = useState(false);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<JobPage | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const controller = new AbortController();
    const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE_SIZE) });
    if (state) query.set('state', state);
    if (type) query.set('type', type);
    (async () => {
      while (!controller.signal.aborted) {
        if (document.visibilityState === 'visible') {
          try {
            setPage(await getJson<JobPage>(`v1/jobs?${query}`, controller.signal));
            setError(null);
          } catch (e) {
            if (!controller.signal.aborted) setError(e);
          }
        }
        await sleep(REFRESH_MS, controller.signal);
      }
    })();
    return () => controller.abort();
  }, [state, type, offset]);

  const items = (page?.items ?? []).filter((j) => !hideStages || !j.parent_id);
  const total = page?.total ?? 0;

  return (
    <section aria-labelledby="jobs-title">
      <div class="title-row">
        <h1 id="jobs-title" tabIndex={-1}>Jobs</h1>
        <a class="button primary" href="#/jobs/new">Start a job</a>
      </div>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter jobs">
        <label>
          State
          <select value={state} onChange={(e) => { setState(e.currentTarget.value); setOffset(0); }}>
            <option value="">any</option>
            {JOB_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Type
          <select value={type} onChange={(e) => { setType(e.currentTarget.value); setOffset(0); }}>
            <option value="">any</option>
            {JOB_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={hideStages} onChange={(e) => setHideStages(e.currentTarget.checked)} />
          Hide pipeline stages
        </label>
      </form>
      <ErrorBox error={error} />
      {page && items.length === 0 && <p class="empty">No jobs{state || type ? ' match these filters' : ' yet'}.</p>}
      {items.length > 0 && (
        <table class="jobs">
          <caption class="visually-hidden">Jobs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Type</th>
              <th scope="col">State</th>
              <th scope="col">Progress</th>
              <th scope="col">ETA</th>
              <th scope="col">Submitted</th>
            </tr>
          </thead>
          <tbody>
            {items.map((job) => (
              <tr key={job.id} data-job-id={job.id}>
                <th scope="row" data-label="Job">
                  <a href={jobHref(job.id)}>{job.id}</a>
                  {job.parent_id && <span class="sub">stage of <a href={jobHref(job.parent_id)}>{job.parent_id}</a></span>}
                </th>
                <td data-label="Type">{job.type}</td>
                <td data-label="State"><StateBadge state={job.state} /></td>
                <td data-label="Progress"><ProgressBar job={job} label={`Progress of ${job.id}`} /></td>
                <td data-label="ETA"><Eta job={job} /></td>
                <td data-label="Submitted"><time dateTime={job.submitted_at} title={job.submitted_at}>{ago(job.submitted_at)}</time></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {total > PAGE_SIZE && (
        <nav class="pager" aria-label="Pages of jobs">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>Newer</button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE_SIZE, total)} of {total}
          </span>
          <button type="button" disabled={offset + PAGE_SIZE >= total} onClick={() => setOffset(offset + PAGE_SIZE)}>Older</button>
        </nav>
      )}
    </section>
  );
}
